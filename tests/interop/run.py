#!/usr/bin/env python3
"""DTLS 1.2 interop matrix for nanodtls.

Runs build/c-examples/posix/nanodtls-client and nanodtls-server against
independent peers on loopback -- OpenSSL 3.0 s_server/s_client, GnuTLS 3.7
gnutls-serv/gnutls-cli, Mbed TLS 2.28 (python-mbedtls, mbedtls_peer.py),
Mbed TLS 3.6.6 ssl_server2/ssl_client2 (built once from
../shared/peers/mbedtls-3.6.6 into target/interop/, SKIP where that tree is
absent), tinydtls (dtlssocket, tinydtls_peer.py) and libcoap 4.3
(coap-server-* / coap-client-*) -- in both roles where the peer can, and
prints one table (peer x case x our role: PASS / FAIL / N-A). Exit status 1
if any case fails, 2 if the tools or peers are missing.

Cases: PSK (CCM-8, CCM), ECDHE-ECDSA with raw public keys (GnuTLS, libcoap)
or X.509 certificates (OpenSSL, Mbed TLS: our side pins the peer's key and
presents --cert; with Mbed TLS 3.6.6 a root -> intermediate -> leaf PKI),
mutual authentication, session resumption (in one process and across
process restarts), max_fragment_length, SNI, heartbeat, renegotiation
refusal, must-fail cases (wrong PSK, untrusted key, SNI mismatch) and a
lossy relay (drop a flight once, duplicate everything, reverse every flight
at MTU 128).

Every datagram goes through a loopback relay (unless --no-relay) that logs
it to work/<case>/wire.log (records, handshake messages, fragments,
ClientHello/ServerHello extensions), applies the case's impairment and
feeds the wire checks (MTU, cookies, extensions, record sizes, heartbeat
records, abbreviated handshakes, alerts).

gnutls-serv cannot bind to one address, so the whole run re-executes itself
in a private network namespace with only loopback (`unshare -n`, root).

    python3 tests/interop/run.py [--build DIR] [--only PEER] [--case SUBSTR] [--role R] [-v]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
WORK = HERE / "work"
KEYS = WORK / "keys"
sys.path.insert(0, str(HERE))
import cid_cases  # noqa: E402  (the RFC 9146 cases, beside this file)
import x509_cases  # noqa: E402  (certificate mode, RFC 7925 4.4, beside this file)

# Team material beside the repository (CI has it too, read-only): used where
# it exists, SKIP (with the reason) where it does not; nothing is built in it.
SHARED = ROOT.parent / "shared"
MBEDTLS3_SRC = SHARED / "peers" / "mbedtls-3.6.6"
CERTS_CHAIN = SHARED / "peers" / "certs-chain"      # root -> intermediate -> server/client leaves (P-256)
# ssl_server2/ssl_client2 are built there once (build.sh), again only when missing.
MBEDTLS3_BUILD = Path(os.environ.get("NANODTLS_MBEDTLS3_BUILD", ROOT / "target" / "interop" / MBEDTLS3_SRC.name))

PSK_ID = "client1"
LONG_PSK_ID = "client1-" + "0123456789abcdef" * 7    # 120 bytes (ours: max 128)
PSK = "000102030405060708090a0b0c0d0e0f"
WRONG_PSK = "0f0e0d0c0b0a09080706050403020100"
COAP_KEY = "secretPSK"                                # libcoap takes an ASCII key
SNI_NAME = "server.example"
WRONG_SNI = "wrong.example"

OURS_LINE = "hello from nanodtls"       # what our tool sends
THEIRS_LINE = "greetings from the peer"  # what the peer sends (no leading Q/R/K: s_client commands)
# Lines longer than a 512-byte max_fragment_length: must arrive split.
OURS_LONG = "long line from nanodtls " + "".join(f"{i:04d}." for i in range(135))    # 699 bytes
THEIRS_LONG = "long line from the peer " + "".join(f"<{i:03d}>" for i in range(135))  # 699 bytes
MFL = 512

PROC_TIMEOUT = 40        # `timeout` around every process (s)
STEP_TIMEOUT = 12.0      # waiting for one expected line (s)
OUR_TIMEOUT_MS = 10000   # --timeout-ms for positive cases
NEG_TIMEOUT_MS = 3000    # --timeout-ms for must-fail cases

# CoAP GET /time, confirmable, message ID 0x1234, no token.
COAP_GET_HEX = "40011234b474696d65"

NEG_FAILURE = re.compile(r"FAILED|alert|error|fail", re.I)

VERBOSE = False


def vlog(msg: str) -> None:
    if VERBOSE:
        print(f"    . {msg}", flush=True)


@dataclass(frozen=True)
class Suite:
    iana: str
    ossl: str           # OpenSSL name (and our --suite short name)
    mbed: str           # Mbed TLS name
    gnutls_kx: str
    gnutls_cipher: str
    ecc: bool
    tag: int            # CCM tag length

    @property
    def overhead(self) -> int:
        """Record expansion: 8-byte explicit nonce + tag."""
        return 8 + self.tag


NA_ECDHE_PSK_SERVER = "a client case: only our client can offer ECDHE_PSK with CCM (no peer client has it)"
SUITES = {
    "PSK-CCM8": Suite("TLS_PSK_WITH_AES_128_CCM_8", "PSK-AES128-CCM8", "TLS-PSK-WITH-AES-128-CCM-8",
                      "+PSK", "+AES-128-CCM-8", False, 8),
    "PSK-CCM": Suite("TLS_PSK_WITH_AES_128_CCM", "PSK-AES128-CCM", "TLS-PSK-WITH-AES-128-CCM",
                     "+PSK", "+AES-128-CCM", False, 16),
    "ECC-CCM8": Suite("TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", "ECDHE-ECDSA-AES128-CCM8",
                      "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8", "+ECDHE-ECDSA", "+AES-128-CCM-8", True, 8),
    "ECC-CCM": Suite("TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "ECDHE-ECDSA-AES128-CCM",
                     "TLS-ECDHE-ECDSA-WITH-AES-128-CCM", "+ECDHE-ECDSA", "+AES-128-CCM", True, 16),
}
BY_IANA = {s.iana: s for s in SUITES.values()}
OSSL_TO_IANA = {s.ossl: s.iana for s in SUITES.values()}

# TLS extension numbers shown in the wire log.
EXT_NAMES = {0: "sni", 1: "mfl", 10: "groups", 11: "ec_pf", 13: "sig_algs", 15: "heartbeat", 19: "cct",
             20: "sct", 22: "etm", 23: "ems", 28: "rsl", 35: "ticket", 54: "cid", 0xFF01: "reneg"}


# --------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------

class Proc:
    """A process started under `timeout`, output captured to files."""

    live: list["Proc"] = []

    def __init__(self, name: str, argv: list[str], cwd: Path, stdin_pipe: bool = False):
        self.name = name
        self.argv = argv
        self.out_path = cwd / f"{name}.out"
        self.err_path = cwd / f"{name}.err"
        (cwd / f"{name}.cmd").write_text(" ".join(_q(a) for a in argv) + "\n")
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        vlog(f"start {name}: {' '.join(_q(a) for a in argv)}")
        self.p = subprocess.Popen(
            ["timeout", "-k", "2", str(PROC_TIMEOUT)] + argv,
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=self._out, stderr=self._err, cwd=cwd,
            start_new_session=True,  # its own process group: we can kill it whole
        )
        Proc.live.append(self)

    @property
    def pid(self) -> int:
        return self.p.pid

    def stdout_bytes(self) -> bytes:
        return self.out_path.read_bytes()

    def stdout(self) -> str:
        return self.out_path.read_bytes().decode("utf-8", "replace")

    def stderr(self) -> str:
        return self.err_path.read_bytes().decode("utf-8", "replace")

    def wait_for(self, pattern: str, stream: str = "out", timeout: float = STEP_TIMEOUT,
                 count: int = 1, unless_dead: "Proc | None" = None) -> re.Match | None:
        """Poll the captured output until a regex matched `count` times;
        the last match, or None on timeout, on exit, or when the process
        `unless_dead` (the other end) has exited."""
        rx = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        other_dead_at = None
        while True:
            text = self._text(stream)
            ms = list(rx.finditer(text))
            if len(ms) >= count:
                return ms[count - 1]
            if unless_dead is not None and other_dead_at is None and unless_dead.p.poll() is not None:
                other_dead_at = time.monotonic()
            if (self.p.poll() is not None or time.monotonic() > end
                    or (other_dead_at is not None and time.monotonic() - other_dead_at > 0.5)):
                text = self._text(stream)
                ms = list(rx.finditer(text))
                return ms[count - 1] if len(ms) >= count else None
            time.sleep(0.03)

    def _text(self, stream: str) -> str:
        if stream == "out":
            return self.stdout()
        if stream == "err":
            return self.stderr()
        return self.stdout() + self.stderr()

    def write_line(self, line: str) -> bool:
        try:
            assert self.p.stdin is not None
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
            vlog(f"{self.name} <- stdin {line[:60]!r}")
            return True
        except (BrokenPipeError, OSError) as e:
            vlog(f"{self.name}: stdin write failed: {e}")
            return False

    def close_stdin(self) -> None:
        if self.p.stdin and not self.p.stdin.closed:
            try:
                self.p.stdin.close()
            except OSError:
                pass

    def wait(self, timeout: float) -> int | None:
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def running(self) -> bool:
        return self.p.poll() is None

    def terminate(self) -> None:
        """SIGTERM to its process group (our tools close gracefully)."""
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        """Terminate (if still running) by PID / its own process group."""
        if self.p.poll() is None:
            vlog(f"stopping {self.name} (pid {self.pid})")
            self.terminate()
            if self.wait(2) is None:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.wait(2)
        self.close_stdin()
        self._out.close()
        self._err.close()
        if self in Proc.live:
            Proc.live.remove(self)

    @classmethod
    def stop_all(cls) -> None:
        for p in list(cls.live):
            p.stop()


def _q(a: str) -> str:
    return a if re.fullmatch(r"[\w@%+=:,./\[\]-]+", a) else "'" + a.replace("'", "'\\''") + "'"


VERBOSE_LINE = re.compile(r"^(<-|->|state:|info:|timer:|UDP socket|session |--resume|connection stats|"
                          r"peer \S+ stats|peer \S+: (event|resumed=|heartbeat request|heartbeat:)|"
                          r"nanodtls\[)")  # the library's own log (--verbose)


def quiet(text: str) -> str:
    """Our tools' stderr without the --verbose chatter."""
    return "\n".join(ln for ln in text.splitlines() if not VERBOSE_LINE.match(ln))


def tail(text: str, n: int = 3) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(ln[:200] for ln in lines[-n:])


def free_udp_port(host: str = "127.0.0.1", pair: bool = False) -> int:
    """A currently free UDP port (and port+1 when pair) on host."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((host, 0))
        port = s.getsockname()[1]
        ok = True
        if pair:
            t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                t.bind((host, port + 1))
            except OSError:
                ok = False
            t.close()
        s.close()
        if ok and port < 65535:
            return port
    raise RuntimeError("no free UDP port")


# --------------------------------------------------------------------------
# test keys (generated at run time with openssl into work/keys)
# --------------------------------------------------------------------------

@dataclass
class Keys:
    d: Path
    spki_sha256: dict = field(default_factory=dict)

    def f(self, name: str) -> str:
        return str(self.d / name)

    @staticmethod
    def chain(name: str) -> str:
        """A file of the certs-chain PKI (read where it is)."""
        return str(CERTS_CHAIN / name)


def make_keys() -> Keys:
    """P-256 keys for "server", "client" and "rogue" (trusted by nobody) in
    the formats the peers and our tools take: PKCS#8 PEM (.key), PKCS#8 DER
    (.key.der), SEC1 PEM (.sec1.pem), SEC1 DER (.sec1.der), SPKI PEM (.pub)
    and DER (.pub.der), a self-signed certificate PEM (.crt, SAN
    DNS:<name>.example) and DER (.crt.der)."""
    shutil.rmtree(KEYS, ignore_errors=True)
    KEYS.mkdir(parents=True)
    k = Keys(KEYS)

    def ossl(*args: str) -> None:
        r = subprocess.run(["openssl", *args], cwd=KEYS, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr.strip()}")

    for n in ("server", "client", "rogue"):
        ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", f"{n}.key")
        ossl("pkey", "-in", f"{n}.key", "-outform", "DER", "-out", f"{n}.key.der")
        ossl("ec", "-in", f"{n}.key", "-out", f"{n}.sec1.pem")
        ossl("ec", "-in", f"{n}.key", "-outform", "DER", "-out", f"{n}.sec1.der")
        ossl("pkey", "-in", f"{n}.key", "-pubout", "-out", f"{n}.pub")
        ossl("pkey", "-in", f"{n}.key", "-pubout", "-outform", "DER", "-out", f"{n}.pub.der")
        ossl("req", "-x509", "-new", "-key", f"{n}.key", "-subj", f"/CN={n}.example", "-days", "3650",
             "-addext", f"subjectAltName=DNS:{n}.example", "-out", f"{n}.crt")
        ossl("x509", "-in", f"{n}.crt", "-outform", "DER", "-out", f"{n}.crt.der")
        k.spki_sha256[n] = hashlib.sha256((KEYS / f"{n}.pub.der").read_bytes()).hexdigest()
        for p in KEYS.glob(f"{n}.*"):
            p.chmod(0o600)
    x509_cases.make(k)   # tests/pki as PEM: chains, keys, roots
    (KEYS / "psk.passwd").write_text(f"{PSK_ID}:{PSK}\n")   # gnutls-serv --pskpasswd
    (KEYS / "psk-long.passwd").write_text(f"{LONG_PSK_ID}:{PSK}\n")
    if (CERTS_CHAIN / "root.crt").is_file():
        # Our tools present one certificate (the leaf), so the peer trusts
        # the intermediate as well as the root; we pin the peer's leaf key
        # ("chain-server", "chain-client": the SPKI hashes our tools print).
        (KEYS / "chain-ca.crt").write_text("".join((CERTS_CHAIN / f).read_text() for f in ("inter.crt", "root.crt")))
        for n in ("server", "client"):
            r = subprocess.run(["openssl", "x509", "-in", Keys.chain(f"{n}.crt"), "-noout", "-pubkey"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"openssl x509 -pubkey {n}.crt: {r.stderr.strip()}")
            der = base64.b64decode("".join(ln for ln in r.stdout.splitlines() if not ln.startswith("-----")))
            k.spki_sha256[f"chain-{n}"] = hashlib.sha256(der).hexdigest()
    return k


# --------------------------------------------------------------------------
# loopback relay: logs, measures and impairs every datagram
# --------------------------------------------------------------------------

HS_NAMES = {0: "hello_request", 1: "client_hello", 2: "server_hello", 3: "hello_verify_request",
            4: "new_session_ticket", 11: "certificate", 12: "server_key_exchange",
            13: "certificate_request", 14: "server_hello_done", 15: "certificate_verify",
            16: "client_key_exchange", 20: "finished"}
CT_NAMES = {20: "ccs", 21: "alert", 22: "handshake", 23: "app_data", 24: "heartbeat"}


def parse_hello_exts(mt: int, body: bytes) -> tuple[list[tuple[int, bytes]], int, int | None]:
    """Extensions (type, data) of a whole ClientHello/ServerHello body, the
    session_id length and the suite (ServerHello), or 0x00FF when a
    ClientHello offers TLS_EMPTY_RENEGOTIATION_INFO_SCSV."""
    try:
        i = 2 + 32
        sid_len = body[i]
        i += 1 + sid_len
        suite = None
        if mt == 1:
            i += 1 + body[i]                                    # cookie
            n = struct.unpack_from("!H", body, i)[0]
            suites = [struct.unpack_from("!H", body, i + 2 + j)[0] for j in range(0, n, 2)]
            suite = 0x00FF if 0x00FF in suites else None
            i += 2 + n                                          # suites
            i += 1 + body[i]                                    # compression
        else:
            suite = struct.unpack_from("!H", body, i)[0]
            i += 3
        exts = []
        if i + 2 <= len(body):
            end = i + 2 + struct.unpack_from("!H", body, i)[0]
            i += 2
            while i + 4 <= end:
                t, ln = struct.unpack_from("!HH", body, i)
                exts.append((t, body[i + 4:i + 4 + ln]))
                i += 4 + ln
        return exts, sid_len, suite
    except (IndexError, struct.error):
        return [], 0, None


@dataclass
class Rec:
    ct: int
    epoch: int
    length: int
    hs: int | None = None
    desc: str = ""


def parse_datagram(datagram: bytes) -> tuple[list[Rec], dict]:
    """Records of a datagram and facts about hellos in it."""
    recs: list[Rec] = []
    facts: dict = {}
    i = 0
    while i + 13 <= len(datagram):
        ct = datagram[i]
        epoch = struct.unpack_from("!H", datagram, i + 3)[0]
        seq = int.from_bytes(datagram[i + 5:i + 11], "big")
        ln = struct.unpack_from("!H", datagram, i + 11)[0]
        body = datagram[i + 13:i + 13 + ln]
        r = Rec(ct, epoch, ln)
        d = f"{CT_NAMES.get(ct, ct)}(e{epoch},s{seq},{ln})"
        if ct == 22 and epoch == 0 and len(body) >= 12:
            mt = body[0]
            r.hs = mt
            mlen = int.from_bytes(body[1:4], "big")
            off = int.from_bytes(body[6:9], "big")
            flen = int.from_bytes(body[9:12], "big")
            frag = f" frag {off}+{flen}/{mlen}" if flen != mlen else ""
            d += f":{HS_NAMES.get(mt, mt)}{frag}"
            if mt in (1, 2) and off == 0 and flen == mlen:
                exts, sid_len, suite = parse_hello_exts(mt, body[12:12 + mlen])
                names = []
                for t, data in exts:
                    n = EXT_NAMES.get(t, str(t))
                    if t in (1, 15, 28) and data:
                        n += "=" + data.hex()
                    names.append(n)
                d += f" sid{sid_len} [{','.join(names)}]"
                key = "ch" if mt == 1 else "sh"
                facts[key] = {"exts": {t: data for t, data in exts}, "sid_len": sid_len, "suite": suite}
        elif ct == 21 and epoch == 0 and len(body) == 2:
            d += f":level{body[0]},desc{body[1]}"
            facts.setdefault("alerts", []).append((body[0], body[1]))
        r.desc = d
        recs.append(r)
        i += 13 + ln
    if i != len(datagram):
        recs.append(Rec(-1, 0, len(datagram) - i, desc=f"+{len(datagram) - i} stray bytes"))
    return recs, facts


@dataclass
class WireStats:
    """What one client address exchanged with the server."""
    count: dict = field(default_factory=lambda: {"c2s": 0, "s2c": 0})
    max_size: dict = field(default_factory=lambda: {"c2s": 0, "s2c": 0})
    hs_types: dict = field(default_factory=lambda: {"c2s": [], "s2c": []})
    fragmented: dict = field(default_factory=lambda: {"c2s": False, "s2c": False})
    heartbeat: dict = field(default_factory=lambda: {"c2s": 0, "s2c": 0})
    app_lens: dict = field(default_factory=lambda: {"c2s": [], "s2c": []})
    alerts: dict = field(default_factory=lambda: {"c2s": [], "s2c": []})
    records: list = field(default_factory=list)   # (direction, content type, epoch) of every record, in order
    ch: dict | None = None       # last whole ClientHello: exts, sid_len
    sh: dict | None = None       # ServerHello: exts, sid_len, suite


# One forged datagram "from the peer" (the relay's address is the peer's
# address for our tool), injected toward our side right before the peer's
# next flight: off-path spoofing (issue 15). Our tool must complete the
# handshake as if nothing happened.
INJECT_KINDS = ("inject-highseq", "inject-frag", "inject-malformed", "inject-epoch1")


def _rec(ct: int, epoch: int, seq: int, body: bytes) -> bytes:
    return struct.pack("!BHH", ct, 0xFEFD, epoch) + seq.to_bytes(6, "big") + struct.pack("!H", len(body)) + body


def _frag(rec_seq: int, mt: int, length: int, msg_seq: int, data: bytes) -> bytes:
    hdr = bytes([mt]) + length.to_bytes(3, "big") + struct.pack("!H", msg_seq) + (0).to_bytes(3, "big") + \
        len(data).to_bytes(3, "big")
    return _rec(22, 0, rec_seq, hdr + data)


def first_handshake_header(datagram: bytes) -> tuple[int, int, int, int] | None:
    """(record seq, msg_type, length, message_seq) of the first plaintext
    handshake fragment of a datagram."""
    i = 0
    while i + 13 <= len(datagram):
        ct = datagram[i]
        epoch = struct.unpack_from("!H", datagram, i + 3)[0]
        seq = int.from_bytes(datagram[i + 5:i + 11], "big")
        ln = struct.unpack_from("!H", datagram, i + 11)[0]
        body = datagram[i + 13:i + 13 + ln]
        if ct == 22 and epoch == 0 and len(body) >= 12:
            return seq, body[0], int.from_bytes(body[1:4], "big"), struct.unpack_from("!H", body, 4)[0]
        i += 13 + ln
    return None


def forged_for(kind: str, next_dgram: bytes) -> bytes:
    """The forged datagram of `kind`, made to precede `next_dgram`."""
    if kind == "inject-highseq":
        # One epoch-0 record with record sequence number 2^48-1.
        return _rec(22, 0, (1 << 48) - 1, b"\xab" * 12)
    seq, mt, length, mseq = first_handshake_header(next_dgram) or (0, 1, 10, 0)
    if kind == "inject-frag":
        # A fragment of the next expected message with a wrong total length.
        return _frag(seq + 1, mt, length + 17, mseq, b"\xee" * 8)
    # inject-malformed: the next message with a garbage body, a fragment
    # announcing 2^24-1 bytes, a ChangeCipherSpec with a bad body.
    return _frag(seq + 1, mt, 7, mseq, b"\xff" * 7) + _frag(seq + 2, mt, 0xFFFFFF, mseq, b"\0" * 4) + \
        _rec(20, 0, seq + 3, b"\x01\x01")


@dataclass
class Impair:
    """What the relay does to the traffic (once per relay, across clients)."""
    kind: str = ""              # "" | drop-sflight | drop-sfinal | dup | reverse | reverse-all | inject-*
    toward: str = ""            # inject-*: the direction toward our tool ("s2c": our client, "c2s": our server)
    window: float = 0.15        # drop: every datagram of that direction within this time
    quiet: float = 0.04         # reverse: a burst ends after this much silence
    done: int = 0               # datagrams dropped / duplicated, bursts reversed (>= 2 datagrams)
    _drop_until: float = 0.0
    _dropping: bool = False
    _dropped_once: bool = False
    _seen_bursts: set = field(default_factory=set)


class Relay:
    """client(s) <-> relay(listen) ... one upstream socket per client <-> server."""

    def __init__(self, host: str, server_port: int, log_path: Path, impair: Impair | None = None):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.fam = fam
        self.host = host
        self.server = (host, server_port)
        self.listen = socket.socket(fam, socket.SOCK_DGRAM)
        self.listen.bind((host, 0))
        self.port = self.listen.getsockname()[1]
        self.ups: dict = {}          # client address -> upstream socket
        self.clients: dict = {}      # upstream socket -> client address
        self.conns: list[WireStats] = []
        self.stats_of: dict = {}     # client address -> WireStats
        self.impair = impair or Impair()
        self.pending: dict = {}      # (socket, dest, dir) -> [datagrams], for reverse
        self.last_in: dict = {}
        self.log = open(log_path, "w")
        self.t0 = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _w(self, line: str) -> None:
        self.log.write(f"{time.monotonic() - self.t0:8.3f} {line}\n")
        self.log.flush()

    def _note(self, st: WireStats, direction: str, data: bytes, recs: list[Rec], facts: dict,
              verdict: str) -> None:
        arrow = "C->S" if direction == "c2s" else "S->C"
        desc = " ".join(r.desc for r in recs)
        self._w(f"{arrow} {len(data):5d}  {desc}{verdict}")
        if verdict.startswith("  DROPPED"):
            return
        st.count[direction] += 1
        st.max_size[direction] = max(st.max_size[direction], len(data))
        for r in recs:
            st.records.append((direction, r.ct, r.epoch))
            if r.hs is not None:
                st.hs_types[direction].append(r.hs)
            if r.ct == 24:
                st.heartbeat[direction] += 1
            if r.ct == 23:
                st.app_lens[direction].append(r.length)
        if " frag " in desc:
            st.fragmented[direction] = True
        if "ch" in facts:
            st.ch = facts["ch"]
        if "sh" in facts:
            st.sh = facts["sh"]
        st.alerts[direction] += facts.get("alerts", [])

    def _decide(self, direction: str, recs: list[Rec]) -> str:
        """Impairment for one datagram: 'pass', 'drop', 'dup' or 'hold'."""
        im = self.impair
        now = time.monotonic()
        if im.kind in ("drop-sflight", "drop-sfinal") and direction == "s2c":
            if im._dropping and now < im._drop_until:
                im.done += 1
                return "drop"
            im._dropping = False
            if not im._dropped_once:
                trigger = (any(r.hs == 2 for r in recs) if im.kind == "drop-sflight"
                           else any(r.ct == 20 for r in recs))
                if trigger:
                    im._dropped_once = True
                    im._dropping = True
                    im._drop_until = now + im.window
                    im.done += 1
                    return "drop"
        if im.kind == "dup":
            im.done += 1
            return "dup"
        if im.kind in ("reverse", "reverse-all"):
            return "hold"
        if im.kind in INJECT_KINDS and direction == im.toward and not im._dropped_once:
            # Right before the peer's next flight: the ServerHello flight
            # toward our client, the ClientKeyExchange flight toward our
            # server; for inject-epoch1 the datagram with the peer's CCS.
            want = (lambda r: r.ct == 20) if im.kind == "inject-epoch1" else \
                (lambda r: r.hs == (2 if direction == "s2c" else 16))
            if any(want(r) for r in recs):
                im._dropped_once = True
                im.done += 1
                return "inject"
        return "pass"

    def _forward(self, sock: socket.socket, dest, direction: str, data: bytes, st: WireStats) -> None:
        recs, facts = parse_datagram(data)
        action = self._decide(direction, recs)
        if action == "drop":
            self._note(st, direction, data, recs, facts, "  DROPPED (impairment)")
            return
        if action == "hold":
            key = (sock, dest, direction)
            self.pending.setdefault(key, []).append((data, recs, facts, st))
            self.last_in[key] = time.monotonic()
            return
        if action == "inject":
            self._inject(sock, dest, direction, data, st)
            return
        self._note(st, direction, data, recs, facts, "")
        sock.sendto(data, dest)
        if action == "dup":
            self._note(st, direction, data, recs, facts, "  (duplicate)")
            sock.sendto(data, dest)

    def _send_noted(self, sock: socket.socket, dest, direction: str, data: bytes, st: WireStats,
                    verdict: str = "") -> None:
        recs, facts = parse_datagram(data)
        self._note(st, direction, data, recs, facts, verdict)
        sock.sendto(data, dest)

    def _inject(self, sock: socket.socket, dest, direction: str, data: bytes, st: WireStats) -> None:
        kind = self.impair.kind
        if kind != "inject-epoch1":
            self._send_noted(sock, dest, direction, forged_for(kind, data), st, f"  FORGED ({kind})")
            self._send_noted(sock, dest, direction, data, st)
            return
        # Split the datagram after its CCS; two forged epoch-1 records
        # (they fail authentication) between the CCS and the Finished.
        i, cut = 0, len(data)
        while i + 13 <= len(data):
            ct = data[i]
            i += 13 + struct.unpack_from("!H", data, i + 11)[0]
            if ct == 20:
                cut = i
                break
        self._send_noted(sock, dest, direction, data[:cut], st, "  (split after the CCS)")
        forged = _rec(22, 1, 1000, b"\x5a" * 40) + _rec(22, 1, 1001, b"\x5a" * 40)
        self._send_noted(sock, dest, direction, forged, st, "  FORGED (inject-epoch1)")
        if cut < len(data):
            self._send_noted(sock, dest, direction, data[cut:], st)

    def _flush_held(self, force: bool = False) -> None:
        now = time.monotonic()
        for key in list(self.pending):
            if not force and now - self.last_in[key] < self.impair.quiet:
                continue
            burst = self.pending.pop(key)
            sock, dest, direction = key
            # A flight is recognised by its handshake messages (type,
            # message_seq is not visible once encrypted, so also the record
            # kinds): only its first transmission is reversed, so that
            # peers which discard "future" messages (RFC 6347 4.2.2 allows
            # it) can complete on the retransmission.
            sig = (direction, tuple(sorted({(r.ct, r.epoch, r.hs) for _, recs_, _, _ in burst for r in recs_})))
            reverse = len(burst) > 1 and (self.impair.kind == "reverse-all" or sig not in self.impair._seen_bursts)
            if len(burst) > 1:
                self.impair._seen_bursts.add(sig)
            arrow = "C->S" if direction == "c2s" else "S->C"
            if reverse:
                self.impair.done += 1
                self._w(f"{arrow} burst of {len(burst)} datagrams: sending in reverse order")
            elif len(burst) > 1:
                self._w(f"{arrow} burst of {len(burst)} datagrams: seen before, in order")
            for data, recs, facts, st in (reversed(burst) if reverse else burst):
                self._note(st, direction, data, recs, facts, "")
                try:
                    sock.sendto(data, dest)
                except OSError:
                    pass

    def _upstream_for(self, src) -> tuple[socket.socket, WireStats]:
        up = self.ups.get(src)
        if up is None:
            up = socket.socket(self.fam, socket.SOCK_DGRAM)
            up.bind((self.host, 0))
            self.ups[src] = up
            self.clients[up] = src
            st = WireStats()
            self.conns.append(st)
            self.stats_of[src] = st
            self._w(f"---- client {src[0]}:{src[1]} (connection {len(self.conns)}), "
                    f"relayed from port {up.getsockname()[1]}")
        return up, self.stats_of[src]

    def _run(self) -> None:
        while not self._stop.is_set():
            socks = [self.listen] + list(self.clients)
            timeout = 0.01 if self.pending else 0.05
            try:
                r, _, _ = select.select(socks, [], [], timeout)
            except (OSError, ValueError):
                break
            with self._lock:
                for s in r:
                    try:
                        data, src = s.recvfrom(65536)
                    except OSError:
                        continue
                    if s is self.listen:
                        up, st = self._upstream_for(src[:2])
                        self._forward(up, self.server, "c2s", data, st)
                    else:
                        client = self.clients[s]
                        self._forward(self.listen, client, "s2c", data, self.stats_of[client])
                if self.pending:
                    self._flush_held()

    def close(self) -> None:
        self._stop.set()
        self.th.join(2)
        with self._lock:
            self._flush_held(force=True)
        self.listen.close()
        for up in self.ups.values():
            up.close()
        self.log.close()


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------

@dataclass
class Case:
    peer: str             # openssl | gnutls | mbedtls | tinydtls | libcoap
    name: str             # column shown in the table
    role: str             # our role: client | server
    suite: str | None     # key of SUITES; None: n-a
    auth: str = "psk"     # psk | rpk | cert | chain (ECDHE-ECDSA: raw public keys or X.509 both ways;
                          # chain: the certs-chain PKI, the peer sends leaf + intermediate)
    mutual: bool = True   # ECDHE-ECDSA: the client authenticates too
    mtu: int | None = None        # --mtu for our tool
    peer_mtu: int | None = None   # the peer's MTU option
    psk_id: str = PSK_ID
    negative: str = ""    # must fail: wrong-psk | untrusted-key | sni-mismatch | no-heartbeat | no-common-suite
    feature: str = ""     # resume | resume-file | resume-fallback | mfl | sni | heartbeat | reneg | coap | coap-sni-ip
    impair: str = ""      # drop-sflight | drop-sfinal | dup | reverse
    tickets: bool = False  # RFC 5077: our tool with --tickets, the peer with tickets on (resume features)
    expect_frag: tuple[str, ...] = ()   # "ours"/"theirs": must send fragmented handshake messages
    na_reason: str = ""
    known_bug: str = ""   # a library bug makes this case fail: reported, not counted as FAIL
    # With feature "mfl": record_size_limit (RFC 8449) too. "only": our client offers --rsl 512
    # instead of --mfl 512; "both": --mfl 512 --rsl 512; our server and gnutls-serv get
    # --rsl / --recordsize 512 either way. expect_rsl: the ServerHello must answer
    # record_size_limit (and not max_fragment_length); else max_fragment_length and not it.
    rsl: str = ""
    expect_rsl: bool = False
    bug_symptom: str = ""  # with known_bug: only problems containing this text are the bug's (others FAIL)
    # ECDHE-ECDSA: our tool keeps its key in libcrypto and signs through
    # nanodtls_set_own_key_signer (--key-via-callback), as with a secure element.
    key_cb: bool = False
    # Certificate mode (x509_cases.py): both sides validate chains to a root.
    # x509: "2" (root -> int -> leaf), "3" (root -> int1 -> int2 -> leaf), "shared"
    # (../shared/peers/certs-chain), or with negative "x509" the leaf of the
    # peer's bad chain, refused with alert x509_alert for x509_reason.
    x509: str = ""
    x509_alert: int = 0
    x509_reason: str = ""
    x509_name: str = ""

    @property
    def id(self) -> str:
        return re.sub(r"[^\w.-]+", "_", f"{self.peer}-{self.name}-our-{self.role}")

    @property
    def s(self) -> Suite:
        assert self.suite is not None
        return SUITES[self.suite]

    @property
    def conns(self) -> int:
        return 2 if self.feature.startswith("resume") else 1

    @property
    def persistent(self) -> bool:
        """Our server runs without --once and is stopped at the end."""
        return self.conns > 1 or self.feature in ("heartbeat", "reneg")


@dataclass
class Result:
    case: Case
    status: str                  # pass | fail | n-a | known-bug
    detail: str = ""
    problems: list[str] = field(default_factory=list)


class Env:
    def __init__(self, build: Path, relay: bool, keys: Keys, netns: bool):
        self.client = build / "nanodtls-client"
        self.server = build / "nanodtls-server"
        self.relay = relay
        self.keys = keys
        self.netns = netns


def host_for(peer: str) -> str:
    return "::1" if peer == "tinydtls" else "127.0.0.1"


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# --------------------------------------------------------------------------
# our tools' command lines
# --------------------------------------------------------------------------

def pinned_key_file(case: Case, k: Keys, who: str) -> str:
    """The file our tool pins `who` ("server"/"client") with (--rpk-peer)."""
    if case.auth == "rpk":
        return k.f(f"{who}.pub")
    if case.auth == "chain":
        return k.chain(f"{who}.crt")      # the leaf: its key is pinned, the chain is not validated
    if case.peer == "mbedtls":  # DER variants: exercise the DER paths
        return k.f(f"{who}.crt.der")
    return k.f(f"{who}.crt")


def own_key_files(case: Case, k: Keys, who: str) -> tuple[str, str | None]:
    """Our tool's --key and --cert (None: raw public keys) as `who`."""
    if case.auth == "chain":
        return k.chain(f"{who}.key"), k.chain(f"{who}.crt")
    der = case.peer == "mbedtls"      # DER variants: exercise the DER paths
    if who == "server":
        key = k.f("server.sec1.der" if der else "server.sec1.pem")
    else:
        key = k.f("client.key.der" if der else "client.key")
    cert = k.f(f"{who}.crt.der" if der else f"{who}.crt") if case.auth == "cert" else None
    return key, cert


def key_cert_args(key: str, cert: str | None) -> list[str]:
    return ["--key", key] + (["--cert", cert] if cert else [])


def our_client_argv(env: Env, case: Case, port: int, extra: list[str] | None = None) -> list[str]:
    k = env.keys
    host = host_for(case.peer)
    neg = bool(case.negative) and case.negative != "no-heartbeat"
    argv = [str(env.client), "--host", host, "--port", str(port),
            "--timeout-ms", str(NEG_TIMEOUT_MS if neg else OUR_TIMEOUT_MS)]
    s = case.s
    if not s.ecc:
        argv += ["--psk-id", case.psk_id, "--psk", COAP_PSK_HEX if case.peer == "libcoap" else
                 (WRONG_PSK if case.negative == "wrong-psk" else PSK)]
    elif case.x509:
        argv += x509_cases.our_client_args(case, k, CERTS_CHAIN)
    else:
        pin = pinned_key_file(case, k, "server")
        if case.negative == "untrusted-key":
            pin = k.f("rogue.pub")      # we trust somebody else: the server's key must be refused
        argv += ["--rpk-peer", pin]
        if case.mutual:
            argv += key_cert_args(*own_key_files(case, k, "client"))
            if case.key_cb:
                argv += ["--key-via-callback"]
    if case.mtu:
        argv += ["--mtu", str(case.mtu)]
    if case.negative == "no-common-suite":
        # ECDHE_PSK with CCM (RFC 8442): no peer here has it; the peer runs its PSK suite.
        argv += ["--suite", "ECDHE-PSK-AES128-CCM8", "--suite", "ECDHE-PSK-AES128-CCM"]
    if case.feature == "mfl" and case.rsl != "only":
        argv += ["--mfl", str(MFL)]
    if case.feature == "mfl" and case.rsl:
        argv += ["--rsl", str(MFL)]
    if case.feature == "sni" or case.negative == "sni-mismatch":
        argv += ["--sni", WRONG_SNI if case.negative == "sni-mismatch" else SNI_NAME]
    if case.feature == "heartbeat" or case.negative == "no-heartbeat":
        argv += ["--heartbeat"]
    if case.feature in ("resume", "resume-fallback"):
        argv += ["--resume"]
    if case.tickets:
        argv += ["--tickets"]
    argv += cid_cases.our_args(case)
    argv += extra or []
    argv.append("--verbose")   # stderr only: datagrams and states, for the record
    return argv


def our_server_argv(env: Env, case: Case) -> list[str]:
    k = env.keys
    host = host_for(case.peer)
    argv = [str(env.server), "--host", host, "--port", "0"]
    if not case.persistent:
        argv.append("--once")
    if case.tickets:
        argv.append("--tickets")   # no session cache: a resumption can only come from a ticket
    s = case.s
    if not s.ecc:
        argv += ["--psk-id", case.psk_id, "--psk", COAP_PSK_HEX if case.peer == "libcoap" else PSK]
    elif case.x509:
        argv += x509_cases.our_server_args(case, k, CERTS_CHAIN)
    else:
        argv += key_cert_args(*own_key_files(case, k, "server"))
        if case.key_cb:
            argv += ["--key-via-callback"]
        if case.mutual:
            argv += ["--client-auth", "--rpk-peer", pinned_key_file(case, k, "client")]
    if case.mtu:
        argv += ["--mtu", str(case.mtu)]
    if case.negative and case.negative != "no-heartbeat":
        # A refused handshake ends at the deadline (what shows the refusal
        # is unauthenticated), where our server sends its alert.
        argv += ["--handshake-timeout-ms", str(NEG_TIMEOUT_MS)]
    if case.feature == "sni" or case.negative == "sni-mismatch":
        argv += ["--sni", SNI_NAME]
    if case.feature == "mfl" and case.rsl:
        argv += ["--rsl", str(MFL)]
    if case.feature == "heartbeat" or case.negative == "no-heartbeat":
        # gnutls-cli 3.7 stops its interactive loop at the first ping it
        # answers ("Peer has closed the GnuTLS connection"): the data goes
        # first, the pings start after 1.5 s.
        argv += ["--heartbeat", "--heartbeat-interval", "1500" if case.peer == "gnutls" else "300"]
    if case.feature.startswith("coap") or (case.peer in PEERS and PEERS[case.peer].echo_client):
        argv.append("--echo")
    argv += cid_cases.our_args(case)
    argv.append("--verbose")   # stderr only: datagrams and states, for the record
    return argv


COAP_PSK_HEX = COAP_KEY.encode().hex()


# --------------------------------------------------------------------------
# peers: how to run them, talk to them and read their verdict
# --------------------------------------------------------------------------

class PeerOut:
    """A peer's own verdict on one run."""

    def __init__(self, handshakes: int = 0, suite: str = "", resumed: int = 0, notes: str = "",
                 errors: str = ""):
        self.handshakes = handshakes
        self.suite = suite
        self.resumed = resumed
        self.notes = notes
        self.errors = errors


class Peer:
    name = ""
    stdin_driven = False       # their client sends/prints through stdin/stdout
    reply = "stdin"            # their server: "stdin" (we type the reply) | "echo" | "auto"
    serves_until_stopped = False       # their server keeps serving until we stop it
    reports_server_resumption = False  # their server says when it resumed a session
    echo_client = False        # their client sends a request per connection and waits for
                               # the answer: our server echoes it (--echo)

    def reply_text(self, case: Case) -> str:
        # OpenSSL's and GnuTLS' DTLS write refuses more than the negotiated
        # max_fragment_length ("exceeds max fragment size", EMSGSIZE)
        # instead of splitting, so their command-line tools send a line
        # below 512 bytes; the Mbed TLS driver loops over partial writes.
        if case.feature == "mfl":
            return THEIRS_LONG[:480] if self.stdin_driven else THEIRS_LONG
        return THEIRS_LINE

    def expected_recv(self, case: Case) -> str:
        """What our client prints after RECV."""
        if self.reply == "echo":
            return OURS_LINE
        text = self.reply_text(case)
        if case.feature == "mfl":
            return text[:MFL]
        return text


class OpenSSL(Peer):
    name = "openssl"
    stdin_driven = True
    reports_server_resumption = True

    def _ecc_common(self) -> list[str]:
        return ["-groups", "P-256", "-sigalgs", "ECDSA+SHA256"]

    def start_server(self, case: Case, d: Path, k: Keys) -> tuple[Proc, int]:
        s = case.s
        argv = ["openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:0", "-naccept", str(case.conns)]
        if case.conns > 1 and not case.tickets:
            argv += ["-no_ticket"]
        if not s.ecc:
            argv += ["-nocert", "-psk", PSK, "-psk_identity", case.psk_id]
        elif case.x509:
            argv += x509_cases.openssl_args(case, k, CERTS_CHAIN, server=True) + self._ecc_common()
        else:
            argv += ["-cert", k.f("server.crt"), "-key", k.f("server.key")] + self._ecc_common()
            if case.mutual:
                argv += ["-Verify", "1", "-verify_return_error", "-CAfile", k.f("client.crt")]
            if case.feature == "sni" or case.negative == "sni-mismatch":
                # The servername callback is installed only with a second context.
                argv += ["-cert2", k.f("server.crt"), "-key2", k.f("server.key"),
                         "-servername", SNI_NAME, "-servername_fatal"]
        argv += ["-cipher", s.ossl]
        if case.peer_mtu:
            argv += ["-mtu", str(case.peer_mtu)]
        if case.impair:
            # Blocking I/O would hang SSL_read() on a dropped duplicate while
            # the reply waits on stdin.
            argv += ["-nbio"]
        p = Proc("peer", argv, d, stdin_pipe=True)
        m = p.wait_for(r"^ACCEPT .*:(\d+)\s*$", timeout=5)
        if not m:
            raise RuntimeError(f"s_server did not start: {tail(p.stdout() + p.stderr())}")
        return p, int(m.group(1))

    def server_out(self, case: Case, p: Proc) -> PeerOut:
        out = p.stdout()
        ciphers = re.findall(r"^CIPHER is (\S+)", out, re.M)
        errs = [ln for ln in p.stderr().splitlines() if re.search(r"ERROR|:error:|alert", ln)]
        return PeerOut(len(ciphers), OSSL_TO_IANA.get(ciphers[0], ciphers[0]) if ciphers else "",
                       out.count("Reused session-id"), errors=" | ".join(errs[:2]))

    def server_received(self, case: Case, p: Proc, text: str) -> int:
        return p.stdout().count(text)

    def start_client(self, case: Case, d: Path, k: Keys, port: int, conn: int) -> Proc:
        s = case.s
        argv = ["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}"]
        if not s.ecc:
            argv += ["-psk_identity", case.psk_id, "-psk", WRONG_PSK if case.negative == "wrong-psk" else PSK]
        elif case.x509:
            argv += self._ecc_common() + x509_cases.openssl_args(case, k, CERTS_CHAIN, server=False)
        else:
            argv += self._ecc_common() + ["-CAfile", k.f("server.crt"), "-verify_return_error", "-verify", "1"]
            if case.mutual:
                who = "rogue" if case.negative == "untrusted-key" else "client"
                argv += ["-cert", k.f(f"{who}.crt"), "-key", k.f(f"{who}.key")]
        argv += ["-cipher", s.ossl]
        if case.conns > 1:
            argv += [] if case.tickets else ["-no_ticket"]
            argv += ["-sess_out" if conn == 0 else "-sess_in", str(d / "s_client.sess")]
        if case.feature == "mfl":
            argv += ["-maxfraglen", str(MFL)]
        if case.feature == "sni" or case.negative == "sni-mismatch":
            argv += ["-servername", WRONG_SNI if case.negative == "sni-mismatch" else SNI_NAME]
        if case.peer_mtu:
            argv += ["-mtu", str(case.peer_mtu)]
        if case.impair:
            argv += ["-nbio"]
        return Proc(f"peer{conn + 1}" if case.conns > 1 else "peer", argv, d, stdin_pipe=True)

    handshake_marker = r"^(New|Reused), TLSv1\.2, Cipher is (?!\(NONE\))"

    def client_out(self, case: Case, p: Proc) -> PeerOut:
        out = p.stdout()
        m = re.search(r"^(New|Reused), TLSv1\.2, Cipher is (\S+)", out, re.M)
        errs = [ln for ln in p.stderr().splitlines() if re.search(r"SSL alert number|:error:", ln)]
        ok = m is not None and m.group(2) != "(NONE)" and not errs
        notes = ""
        if ok and case.s.ecc:
            v = re.search(r"Verify return code: (\d+ \([^)]*\))", out)
            notes = f"verify {v.group(1)}" if v else "no verify result"
        return PeerOut(1 if ok else 0, OSSL_TO_IANA.get(m.group(2), m.group(2)) if m else "",
                       1 if (ok and m.group(1) == "Reused") else 0, notes, " | ".join(errs[:2]))

    def client_received(self, case: Case, p: Proc, text: str) -> bool:
        return text in p.stdout()


class GnuTLS(Peer):
    name = "gnutls"
    stdin_driven = True
    reply = "echo"
    serves_until_stopped = True

    def priority(self, case: Case) -> str:
        s = case.s
        pr = f"NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:{s.gnutls_kx}:-CIPHER-ALL:{s.gnutls_cipher}"
        if s.ecc:
            pr += ":-GROUP-ALL:+GROUP-SECP256R1:-SIGN-ALL:+SIGN-ECDSA-SHA256"
            if case.auth == "rpk":
                pr += ":+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK:-CTYPE-CLI-X509:-CTYPE-SRV-X509"
        return pr

    def start_server(self, case: Case, d: Path, k: Keys) -> tuple[Proc, int]:
        port = free_udp_port()
        argv = ["gnutls-serv", "--udp", "--echo", "-p", str(port), "--priority", self.priority(case)]
        if not case.s.ecc:
            argv += ["--pskpasswd", k.f("psk-long.passwd" if case.psk_id == LONG_PSK_ID else "psk.passwd")]
        elif case.x509:
            argv += x509_cases.gnutls_args(case, k, CERTS_CHAIN, server=True)
        else:
            argv += ["--rawpkkeyfile", k.f("server.key"), "--rawpkfile", k.f("server.pub")]
            if case.mutual:
                argv += ["--require-client-cert"]
        if case.feature == "heartbeat":
            argv += ["--heartbeat"]
        if case.feature == "mfl" and case.rsl:
            argv += ["--recordsize", str(MFL)]
        if case.feature == "sni" or case.negative == "sni-mismatch":
            argv += ["--sni-hostname", SNI_NAME, "--sni-hostname-fatal"]
        if case.peer_mtu:
            argv += ["--mtu", str(case.peer_mtu)]
        p = Proc("peer", argv, d)
        if not p.wait_for(r"UDP Echo Server listening on IPv4", stream="both", timeout=8):
            raise RuntimeError(f"gnutls-serv did not start: {tail(p.stdout() + p.stderr())}")
        return p, port

    def server_out(self, case: Case, p: Proc) -> PeerOut:
        # gnutls-serv --echo prints no per-session summary: its verdict is the
        # echo itself (it decrypted our record and encrypted it back); the
        # suite comes from its ServerHello on the wire.
        err = p.stderr() + p.stdout()
        errs = [ln for ln in err.splitlines() if re.search(r"Error|error|ping:", ln)]
        return PeerOut(0, "", 0, errors=" | ".join(errs[:2]))

    def server_received(self, case: Case, p: Proc, text: str) -> int:
        return (p.stdout() + p.stderr()).count(text)

    def start_client(self, case: Case, d: Path, k: Keys, port: int, conn: int) -> Proc:
        argv = ["gnutls-cli", "--udp", "-p", str(port), "127.0.0.1", "--priority", self.priority(case)]
        if not case.s.ecc:
            argv += ["--pskusername", case.psk_id, "--pskkey", WRONG_PSK if case.negative == "wrong-psk" else PSK]
        elif case.x509:
            argv += x509_cases.gnutls_args(case, k, CERTS_CHAIN, server=False)
        else:
            argv += ["--insecure"]   # gnutls cannot pin a raw public key: our side is checked by us
            if case.mutual:
                who = "rogue" if case.negative == "untrusted-key" else "client"
                argv += ["--rawpkkeyfile", k.f(f"{who}.key"), "--rawpkfile", k.f(f"{who}.pub")]
        if case.conns > 1:
            argv += ["--resume"]
        if case.feature == "heartbeat":
            argv += ["--heartbeat"]
        if case.feature == "mfl":
            argv += ["--recordsize", str(MFL)]
        if case.feature == "sni" or case.negative == "sni-mismatch":
            argv += ["--sni-hostname", WRONG_SNI if case.negative == "sni-mismatch" else SNI_NAME]
        if case.peer_mtu:
            argv += ["--mtu", str(case.peer_mtu)]
        return Proc("peer", argv, d, stdin_pipe=True)

    handshake_marker = r"^- Simple Client Mode"

    def client_out(self, case: Case, p: Proc) -> PeerOut:
        out = p.stdout()
        hs = len(re.findall(r"^- (Resume )?Handshake was completed", out, re.M))
        m = re.search(r"^- Description: (.*)$", out, re.M)
        desc = m.group(1) if m else ""
        suite = ""
        if desc:
            cipher = "AES_128_CCM_8" if "AES-128-CCM-8" in desc else "AES_128_CCM"
            kx = "ECDHE_ECDSA" if "ECDHE" in desc else "PSK"
            suite = f"TLS_{kx}_WITH_{cipher}"
        errs = [ln for ln in (p.stderr() + out).splitlines()
                if re.search(r"\*\*\* (Fatal|Handshake has failed|Received alert|Server has terminated)|Error in", ln)]
        return PeerOut(hs, suite, out.count("*** This is a resumed session"), desc, " | ".join(errs[:2]))

    def client_received(self, case: Case, p: Proc, text: str) -> bool:
        return text in p.stdout()


class PyDriver(Peer):
    """mbedtls_peer.py / tinydtls_peer.py: one line each way, PEER ... lines."""
    reply = "auto"
    script = ""

    def _common(self, case: Case, k: Keys, server: bool) -> list[str]:
        return []

    def start_server(self, case: Case, d: Path, k: Keys) -> tuple[Proc, int]:
        host = host_for(self.name)
        argv = [sys.executable, str(HERE / self.script), "server", "--host", host, "--port", "0",
                "--psk-id", case.psk_id, "--psk", PSK, "--send", self.reply_text(case), "--timeout", "25",
                "--connections", str(case.conns)]
        argv += self._common(case, k, True)
        if VERBOSE:
            argv.append("-v")
        p = Proc("peer", argv, d)
        m = p.wait_for(r"^PEER LISTENING (\d+)$", timeout=10)
        if not m:
            raise RuntimeError(f"peer server did not start: {tail(p.stdout() + p.stderr())}")
        return p, int(m.group(1))

    def server_out(self, case: Case, p: Proc) -> PeerOut:
        out = p.stdout()
        hs = re.findall(r"^PEER HANDSHAKE OK (\S+)", out, re.M)
        fails = re.findall(r"^PEER FAIL (.*)$", out, re.M)
        return PeerOut(len(hs), hs[0] if hs else "", errors=" | ".join(fails))

    def server_received(self, case: Case, p: Proc, text: str) -> int:
        return len(re.findall(rf"^PEER RECV {re.escape(text)}$", p.stdout(), re.M))

    def start_client(self, case: Case, d: Path, k: Keys, port: int, conn: int) -> Proc:
        host = host_for(self.name)
        neg = bool(case.negative)
        argv = [sys.executable, str(HERE / self.script), "client", "--host", host, "--port", str(port),
                "--psk-id", case.psk_id, "--psk", WRONG_PSK if case.negative == "wrong-psk" else PSK,
                "--send", self.reply_text(case), "--timeout", str(NEG_TIMEOUT_MS / 1000 + 2 if neg else 20)]
        argv += self._common(case, k, False)
        if VERBOSE:
            argv.append("-v")
        return Proc("peer", argv, d)

    def client_out(self, case: Case, p: Proc) -> PeerOut:
        return self.server_out(case, p)

    def client_received(self, case: Case, p: Proc, text: str) -> bool:
        return re.search(rf"^PEER RECV {re.escape(text)}$", p.stdout(), re.M) is not None


class Mbed(PyDriver):
    name = "mbedtls"
    script = "mbedtls_peer.py"

    def _common(self, case: Case, k: Keys, server: bool) -> list[str]:
        s = case.s
        a = ["--cipher", s.mbed]
        if case.peer_mtu:
            a += ["--mtu", str(case.peer_mtu)]
        if s.ecc:
            me, other = ("server", "client") if server else ("client", "server")
            if server or case.mutual:
                if not server and case.negative == "untrusted-key":
                    me = "rogue"
                a += ["--cert", k.f(f"{me}.crt"), "--key", k.f(f"{me}.key")]
            a += ["--ca", k.f(f"{other}.crt")]
            if server and case.mutual:
                a += ["--verify"]
        if not server:
            if s.ecc:
                a += ["--hostname", SNI_NAME]  # checked against the server certificate's SAN
            if case.feature == "sni" or case.negative == "sni-mismatch":
                a += ["--hostname", WRONG_SNI if case.negative == "sni-mismatch" else SNI_NAME]
            if case.feature == "mfl":
                a += ["--mfl", str(MFL)]
        if case.feature == "mfl":
            a += ["--write-chunk", str(MFL)]
            if not server:
                a += ["--expect-bytes", str(len(OURS_LONG) + 1)]
        return a


class Tiny(PyDriver):
    name = "tinydtls"
    script = "tinydtls_peer.py"


MBED3_NAMES = {s.mbed: s.iana for s in SUITES.values()}


class Mbed3(Peer):
    """Mbed TLS 3.6.6's own test programs, ssl_server2 and ssl_client2
    (MBEDTLS3_BUILD). ssl_client2 sends an HTTP GET per connection and waits
    for one answer (our server echoes it); ssl_server2 answers each request
    with its HTTP response. Both run with debug_level=3: their verdicts
    (handshakes done, session resumed, alerts received decrypted) are in
    the debug log. Tickets are off on both sides (we have none): resumption
    is by session ID, from ssl_server2's cache."""
    name = "mbedtls3"
    reply = "auto"
    serves_until_stopped = True
    reports_server_resumption = True
    echo_client = True

    @staticmethod
    def program(which: str) -> Path:
        return MBEDTLS3_BUILD / "programs" / "ssl" / which

    def _common(self, case: Case, k: Keys, server: bool) -> list[str]:
        s = case.s
        a = ["dtls=1", f"tickets={int(case.tickets)}", "debug_level=3", f"force_ciphersuite={s.mbed}"]
        if not s.ecc:
            a += [f"psk={WRONG_PSK if case.negative == 'wrong-psk' and not server else PSK}",
                  f"psk_identity={case.psk_id}"]
        elif case.x509:
            a += x509_cases.mbed3_args(case, k, CERTS_CHAIN, server)
        else:
            # The certs-chain PKI: each side sends leaf + intermediate; our
            # tools send their leaf only, so the intermediate is trusted too.
            me = "server" if server else "client"
            a += [f"ca_file={k.f('chain-ca.crt')}",
                  f"auth_mode={'required' if case.mutual or not server else 'none'}"]
            if server or case.mutual:
                a += [f"crt_file={k.chain(me + '-chain.crt')}", f"key_file={k.chain(me + '.key')}"]
        if case.feature == "reneg":
            a += ["renegotiation=1", "renegotiate=1"]
        return a + cid_cases.mbed3_args(case, server)

    def start_server(self, case: Case, d: Path, k: Keys) -> tuple[Proc, int]:
        port = free_udp_port()
        argv = [str(self.program("ssl_server2")), "server_addr=127.0.0.1", f"server_port={port}",
                # A second read: the connection ends with our close_notify,
                # not with ssl_server2's (ours would then hit a server that
                # is waiting for the next client).
                "exchanges=2"] + self._common(case, k, True)
        if case.feature == "mfl":
            argv += [f"response_size={MFL}"]   # one record of exactly the negotiated 512 bytes
        p = Proc("peer", argv, d)
        if not p.wait_for(r"Waiting for a remote connection", timeout=5):
            raise RuntimeError(f"ssl_server2 did not start: {tail(p.stdout() + p.stderr())}")
        return p, port

    def start_client(self, case: Case, d: Path, k: Keys, port: int, conn: int) -> Proc:
        argv = [str(self.program("ssl_client2")), "server_addr=127.0.0.1", f"server_port={port}",
                f"server_name={self.host(case)}"] + self._common(case, k, False)
        if case.conns > 1:
            argv += ["reconnect=1"]           # the second connection resumes the first one's session
        if case.feature == "mfl":
            argv += [f"max_frag_len={MFL}", f"request_size={MFL}"]
        if case.feature == "reneg":
            argv += ["hs_timeout=500-2000"]   # give up on an unanswered renegotiation within 4 s
        return Proc("peer", argv, d)

    @staticmethod
    def host(case: Case) -> str:
        return SNI_NAME if case.s.ecc else "localhost"   # checked against the server certificate's SAN

    def request(self, case: Case) -> str:
        """ssl_client2's HTTP GET (padded with 'A' to request_size)."""
        head = f"GET / HTTP/1.0\r\nHost: {self.host(case)}\r\nExtra-header: "
        end = "\r\n\r\n"
        if case.feature == "mfl":
            head += "A" * (MFL - len(head) - len(end))
        return head + end

    def response(self, case: Case) -> str:
        """ssl_server2's HTTP response (padded with 'B' to response_size)."""
        r = ("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<h2>Mbed TLS Test Server</h2>\r\n"
             f"<p>Successful connection using: {case.s.mbed}</p>\r\n")
        return r + "B" * (MFL - len(r)) if case.feature == "mfl" else r

    @staticmethod
    def printed(text: str) -> str:
        """What our tools print after RECV (one line end dropped)."""
        return text[:-2] if text.endswith("\r\n") else text

    def reply_text(self, case: Case) -> str:
        return self.printed(self.request(case))

    def expected_recv(self, case: Case) -> str:
        return self.printed(self.response(case))

    def _out(self, case: Case, p: Proc, resumed: str) -> PeerOut:
        out = p.stdout()
        suites = re.findall(r"^\s*\[ Ciphersuite is (\S+) \]", out, re.M)
        errs = re.findall(r"^\s*(! .*|Last error was: .*)$", out, re.M)
        notes = "chain verified" if case.s.ecc and "Verifying peer X.509 certificate... ok" in out else ""
        return PeerOut(len(re.findall(r"\|3\| <= handshake wrapup$", out, re.M)),
                       MBED3_NAMES.get(suites[0], suites[0]) if suites else "", out.count(resumed), notes,
                       " | ".join(errs[:2]))

    def server_out(self, case: Case, p: Proc) -> PeerOut:
        return self._out(case, p, "session successfully restored from ticket" if case.tickets
                         else "session successfully restored from cache")

    def client_out(self, case: Case, p: Proc) -> PeerOut:
        return self._out(case, p, "a session has been resumed")

    def client_received(self, case: Case, p: Proc, text: str) -> bool:
        # Once per connection: what it read back (our echo of its request).
        got = re.findall(r"< Read from server: \d+ bytes read\n\n" + re.escape(text), p.stdout())
        return len(got) >= case.conns

    def renegotiation(self, p: Proc) -> tuple[bool, bool]:
        """(asked for a renegotiation, got a warning no_renegotiation alert)
        from its debug log, where alerts appear decrypted."""
        out = p.stdout()
        asked = "=> write hello request" in out or "=> renegotiate" in out
        return asked, "got an alert message, type: [1:100]" in out


PEERS: dict[str, Peer] = {"openssl": OpenSSL(), "gnutls": GnuTLS(), "mbedtls": Mbed(), "mbedtls3": Mbed3(),
                          "tinydtls": Tiny()}


def renegotiation_problems(case: Case, peer: Mbed3, theirs: Proc) -> tuple[list[str], str]:
    """The peer asked for a renegotiation: we must refuse it with a warning
    no_renegotiation alert (what nanodtls means to send; RFC 5246 7.2.2),
    which the peer's log shows decrypted, and no second handshake may
    happen."""
    problems = []
    asked, refused = peer.renegotiation(theirs)
    if not asked:
        problems.append(f"{case.peer} did not ask for a renegotiation: the case proves nothing")
    elif not refused:
        problems.append(f"{case.peer} did not receive our no_renegotiation alert (its log shows no warning "
                        "alert 100)")
    po = peer.client_out(case, theirs) if case.role == "server" else peer.server_out(case, theirs)
    if po.handshakes > 1:
        problems.append(f"{case.peer} completed {po.handshakes} handshakes: the renegotiation happened")
    return problems, "renegotiation refused with no_renegotiation; " if asked and refused else ""


# --------------------------------------------------------------------------
# the two directions
# --------------------------------------------------------------------------

def ticket_wire_problems(conns) -> list[str]:
    """RFC 5077 on the wire: the first ClientHello offers SessionTicket (35),
    the ServerHello answers it empty and a NewSessionTicket (4) follows; the
    second ClientHello carries the ticket (with a session ID, 3.4)."""
    probs = []
    c1, c2 = conns[0], conns[-1]
    if not c1.ch or 35 not in c1.ch["exts"]:
        probs.append("first ClientHello offers no SessionTicket extension")
    if not c1.sh or c1.sh["exts"].get(35) != b"":
        probs.append("first ServerHello does not answer SessionTicket (empty)")
    if 4 not in c1.hs_types["s2c"]:
        probs.append("no NewSessionTicket in the first connection")
    if not c2.ch or not c2.ch["exts"].get(35):
        probs.append("second ClientHello carries no ticket")
    return probs


def ours_handshakes(out: str) -> list[re.Match]:
    return list(re.finditer(r"^HANDSHAKE OK (\S+)(.*)$", out, re.M))


def key_hash_problems(case: Case, out: str, env: Env, who: str) -> list[str]:
    """ECDHE-ECDSA: did our tool print the peer's key hash, and the right one?"""
    if not case.s.ecc or case.x509:
        return []   # certificate mode: the identity lines are checked instead (x509_cases)
    want = env.keys.spki_sha256[f"chain-{who}" if case.auth == "chain" else who]
    got = re.findall(r"^PEER-KEY-SHA256 ([0-9a-f]{64})$", out, re.M)
    if not got:
        return [f"our tool printed no PEER-KEY-SHA256 (expected the {who} key)"]
    if any(g != want for g in got):
        return [f"PEER-KEY-SHA256 {got[0][:16]}... is not the {who} key ({want[:16]}...)"]
    return []


def our_client_case(env: Env, case: Case, d: Path) -> Result:
    peer = PEERS[case.peer]
    host = host_for(case.peer)
    problems: list[str] = []
    theirs, port = peer.start_server(case, d, env.keys)
    relay = Relay(host, port, d / "wire.log", Impair(case.impair, toward="s2c")) if env.relay else None
    try:
        target = relay.port if relay else port
        runs: list[Proc] = []
        sess = d / "session.bin"
        if case.feature == "resume-file":
            # Two processes: the session crosses a "deep sleep" in a file.
            plan = [["--session-out", str(sess)], ["--session-in", str(sess)]]
        else:
            plan = [[]]
        stdin_mode = case.feature == "heartbeat" and peer.reply == "echo"
        replied = 0
        rcs: list[int | None] = []
        for i, extra in enumerate(plan):
            send = [] if stdin_mode else ["--send", OURS_LINE]
            ours = Proc(f"ours{i + 1}" if len(plan) > 1 else "ours",
                        our_client_argv(env, case, target, send + extra), d, stdin_pipe=stdin_mode)
            runs.append(ours)
            if stdin_mode:
                # gnutls-serv pings us when it receives "**HEARTBEAT**"; it does
                # not echo that command, so we stop our client after the echo.
                if ours.wait_for(r"^HEARTBEAT (OK|FAILED)", timeout=STEP_TIMEOUT):
                    ours.write_line("**HEARTBEAT**")
                    time.sleep(0.3)
                    ours.write_line(OURS_LINE)
                    ours.wait_for(rf"^RECV {re.escape(OURS_LINE)}$", timeout=STEP_TIMEOUT)
                    time.sleep(0.3)
                ours.terminate()
            limit = time.monotonic() + (NEG_TIMEOUT_MS / 1000 + 10 if case.negative else STEP_TIMEOUT + 10)
            while ours.running() and time.monotonic() < limit:
                if peer.reply == "stdin" and not case.negative:
                    n = peer.server_received(case, theirs, OURS_LINE)
                    while replied < n:
                        theirs.write_line(peer.reply_text(case))
                        replied += 1
                time.sleep(0.03)
            rcs.append(ours.wait(1))
        # Their server: s_server exits after -naccept; the drivers linger
        # until close_notify; gnutls-serv and ssl_server2 run until stopped.
        if case.peer == "openssl":
            theirs.wait(0.5 if case.negative else 3)
        elif not peer.serves_until_stopped:
            theirs.wait(0.5 if case.negative else 5)
        else:
            time.sleep(0.2)
        for p in runs:
            p.stop()
        theirs.stop()
        out = "".join(p.stdout() for p in runs)
        err = "".join(p.stderr() for p in runs)
        hss = ours_handshakes(out)
        po = peer.server_out(case, theirs)
        detail = ""

        if case.negative and case.negative != "no-heartbeat":
            if hss:
                problems.append(f"our client reported HANDSHAKE OK ({case.negative})")
            if rcs[0] == 0:
                problems.append(f"our client exited 0 ({case.negative})")
            if rcs[0] is None:
                problems.append(f"our client did not give up within --timeout-ms {NEG_TIMEOUT_MS}")
            if po.handshakes:
                problems.append(f"{case.peer} completed the handshake ({case.negative})")
            if case.negative == "sni-mismatch" and case.peer == "gnutls" and \
                    "SNI host name not recognised" not in theirs.stdout() + theirs.stderr():
                problems.append("gnutls-serv did not report the unrecognised SNI host name")
            if case.negative == "no-common-suite" and case.peer == "gnutls" and \
                    "No supported cipher suites" not in theirs.stdout() + theirs.stderr():
                problems.append("gnutls-serv did not report 'No supported cipher suites'")
            detail = f"our client failed as expected ({tail(quiet(err), 1)})"
        else:
            expect_rc = 1 if case.negative == "no-heartbeat" else 0
            for i, rc in enumerate(rcs):
                if rc is None and not stdin_mode:
                    problems.append(f"our client (run {i + 1}) did not exit in time")
                elif rc is not None and rc != expect_rc and not stdin_mode:
                    problems.append(f"our client (run {i + 1}) exit {rc}: {tail(quiet(err))}")
            if len(hss) != case.conns:
                problems.append(f"our client printed {len(hss)} HANDSHAKE OK line(s), expected {case.conns}: "
                                f"{tail(quiet(err))}")
            for m in hss:
                if m.group(1) != case.s.iana:
                    problems.append(f"our client negotiated {m.group(1)}, expected {case.s.iana}")
            if case.conns > 1 and len(hss) == 2:
                want = "resumed=0" if case.feature == "resume-fallback" else "resumed=1"
                if case.tickets and want == "resumed=1":
                    want = "resumed=1 ticket=1"
                if want not in hss[1].group(2):
                    problems.append(f"second connection: '{hss[1].group(0).strip()}', expected {want}")
            want_recv = peer.expected_recv(case)
            n_recv = len(re.findall(rf"^RECV {re.escape(want_recv)}$", out, re.M))
            if case.negative != "no-heartbeat" and n_recv < case.conns:
                problems.append(f"our client printed 'RECV {want_recv[:40]}...' {n_recv} time(s), "
                                f"expected {case.conns}")
            problems += key_hash_problems(case, out, env, "server")
            if po.errors:
                problems.append(f"{case.peer} server reported: {po.errors}")
            if peer.reply != "echo" and po.handshakes < case.conns:
                problems.append(f"{case.peer} server completed {po.handshakes} handshake(s), expected "
                                f"{case.conns}: {tail(theirs.stdout() + theirs.stderr())}")
            if peer.reply != "echo" and po.suite and po.suite != case.s.iana:
                problems.append(f"{case.peer} server negotiated {po.suite}")
            if case.feature == "resume" and peer.reports_server_resumption and po.resumed < 1:
                problems.append(f"{case.peer} server did not report resuming the session for the second connection")
            if case.feature == "reneg":
                p_reneg, d_reneg = renegotiation_problems(case, peer, theirs)
                problems += p_reneg
                detail += d_reneg
            if case.feature == "heartbeat":
                m = re.search(r"^HEARTBEAT OK rtt=(\d+)$", out, re.M)
                if not m:
                    problems.append(f"no 'HEARTBEAT OK rtt=' from our client: {tail(out + err)}")
                else:
                    detail += f"HEARTBEAT OK rtt={m.group(1)}ms; "
            if case.negative == "no-heartbeat":
                if not re.search(r"^HEARTBEAT FAILED$", out, re.M):
                    problems.append("our client did not print 'HEARTBEAT FAILED' (peer has no heartbeat)")
                if rcs[0] != 1:
                    problems.append(f"our client exit {rcs[0]}, expected 1 (heartbeat asked for, not negotiated)")
            if case.key_cb:
                p_cb, d_cb = key_cb_problems(err)
                problems += p_cb
                detail += d_cb
            if case.feature == "resume-file":
                if not sess.exists():
                    problems.append("--session-out wrote no file")
                else:
                    mode = stat.S_IMODE(sess.stat().st_mode)
                    if mode != 0o600:
                        problems.append(f"--session-out file has mode {mode:o}, expected 600")
                    detail += f"session file {sess.stat().st_size} B mode {mode:o}; "
            if hss:
                detail += hss[0].group(1) + (f" / {hss[-1].group(2).strip()}" if case.conns > 1 else "")
        if case.x509:
            problems += x509_cases.our_output_problems(case, out, err)
        if relay:
            problems += wire_checks(case, relay, our_dir="c2s")
            detail += wire_summary(case, relay, our_dir="c2s")
        return verdict(case, detail, problems)
    finally:
        if relay:
            relay.close()


def start_our_server(env: Env, case: Case, d: Path) -> tuple[Proc, int]:
    """Our server (stdin open: lines typed there go to the peer) and the
    port it reports."""
    ours = Proc("ours", our_server_argv(env, case), d, stdin_pipe=True)
    m = ours.wait_for(r"listening on .*:(\d+)\s*$", stream="err", timeout=5)
    if not m:
        raise RuntimeError(f"our server did not start: {tail(quiet(ours.stderr()))}")
    return ours, int(m.group(1))


def our_server_case(env: Env, case: Case, d: Path) -> Result:
    peer = PEERS[case.peer]
    host = host_for(case.peer)
    problems: list[str] = []
    ours, port = start_our_server(env, case, d)
    relay = Relay(host, port, d / "wire.log", Impair(case.impair, toward="c2s")) if env.relay else None
    try:
        target = relay.port if relay else port
        theirs_line = peer.reply_text(case)
        ours_line = theirs_line if peer.echo_client else OURS_LONG if case.feature == "mfl" else OURS_LINE
        # gnutls-cli --resume runs both connections itself; s_client needs two runs.
        runs = case.conns if (case.conns > 1 and case.peer == "openssl") else 1
        procs: list[Proc] = []
        peer_rcs: list[int | None] = []
        got_theirs = 0
        for conn in range(runs):
            p = peer.start_client(case, d, env.keys, target, conn)
            procs.append(p)
            if case.negative and case.negative != "no-heartbeat":
                end = time.monotonic() + NEG_TIMEOUT_MS / 1000 + 3
                while time.monotonic() < end:
                    if (NEG_FAILURE.search(quiet(ours.stderr())) or "HANDSHAKE OK" in ours.stdout()
                            or p.p.poll() is not None):
                        break
                    time.sleep(0.1)
                time.sleep(0.5)
                peer_rcs.append(p.p.poll())
                continue
            if peer.stdin_driven:
                if p.wait_for(peer.handshake_marker):
                    p.write_line(theirs_line)
            want_theirs = (rf"^RECV {re.escape(theirs_line[:MFL])}$" if case.feature == "mfl"
                           else rf"^RECV {re.escape(theirs_line)}$")
            if ours.wait_for(want_theirs, count=conn + 1, unless_dead=p):
                got_theirs += 1
                if not peer.echo_client:
                    ours.write_line(ours_line)
            if peer.stdin_driven:
                p.wait_for(re.escape(ours_line), unless_dead=ours)
                if case.negative == "no-heartbeat":
                    time.sleep(0.8)   # a few --heartbeat-interval periods: we must not ping
                if case.feature == "heartbeat":
                    ours.wait_for(r"^HEARTBEAT (OK|FAILED) ", timeout=8, count=2)
                    ours.terminate()  # close_notify: gnutls-cli then exits
                p.close_stdin()  # EOF on stdin -> close_notify, exit
            peer_rcs.append(p.wait(STEP_TIMEOUT))
        if not case.persistent:
            our_rc = ours.wait(5)    # --once: exits after the connection ends
        else:
            time.sleep(0.3)
            ours.terminate()
            our_rc = ours.wait(5)
        for p in procs:
            p.stop()
        ours.stop()
        out = ours.stdout_bytes().decode("utf-8", "replace")
        hss = list(re.finditer(r"^HANDSHAKE OK (\S+) (\S+)(?: ((?!resumed=)\S+))?( resumed=1)?$", out, re.M))
        pos = [peer.client_out(case, p) for p in procs]
        detail = ""

        if case.negative and case.negative != "no-heartbeat":
            if hss:
                problems.append(f"our server reported HANDSHAKE OK ({case.negative})")
            if any(po.handshakes for po in pos):
                problems.append(f"{case.peer} client completed the handshake ({case.negative})")
            failure = [ln for ln in quiet(ours.stderr()).splitlines() if NEG_FAILURE.search(ln)]
            if failure:
                detail = f"our server: {failure[-1].strip()}"
            else:
                problems.append("our server reported no failure for the bad handshake "
                                f"(stderr: {tail(quiet(ours.stderr())) or 'empty'})")
        else:
            if len(hss) != case.conns:
                problems.append(f"our server printed {len(hss)} HANDSHAKE OK line(s), expected {case.conns}: "
                                f"{tail(quiet(ours.stderr()))}")
            for m in hss:
                if m.group(1) != case.s.iana:
                    problems.append(f"our server negotiated {m.group(1)}, expected {case.s.iana}")
                if not case.s.ecc and (m.group(3) or "") != case.psk_id:
                    problems.append(f"our server reported identity {m.group(3)!r}")
            if case.conns > 1 and len(hss) == 2 and not hss[1].group(4):
                problems.append(f"second connection not resumed: '{hss[1].group(0)}'")
            if case.conns > 1 and hss and hss[0].group(4):
                problems.append("first connection reported as resumed")
            if case.mutual:
                problems += key_hash_problems(case, out, env, "client")
            if got_theirs < runs:
                problems.append(f"our server did not print 'RECV {theirs_line[:40]}'")
            if case.feature == "mfl" and len(theirs_line) > MFL and f"RECV {theirs_line[MFL:]}" not in out:
                problems.append(f"our server did not print the rest of the long line after {MFL} bytes")
            for i, p in enumerate(procs):
                if not peer.client_received(case, p, ours_line):
                    problems.append(f"{case.peer} client{'' if runs == 1 else f' {i + 1}'} did not receive "
                                    f"our line: {tail(p.stdout() + p.stderr())}")
            total_hs = sum(po.handshakes for po in pos)
            if total_hs < case.conns:
                problems.append(f"{case.peer} client completed {total_hs} handshake(s), expected "
                                f"{case.conns}: {tail(procs[-1].stdout() + procs[-1].stderr())}")
            for po in pos:
                if po.errors:
                    problems.append(f"{case.peer} client reported: {po.errors}")
                if po.suite and po.suite != case.s.iana:
                    problems.append(f"{case.peer} client negotiated {po.suite}")
            if case.conns > 1 and sum(po.resumed for po in pos) < 1:
                problems.append(f"{case.peer} client did not report a resumed session")
            if case.peer not in ("openssl", "gnutls") and any(rc != 0 for rc in peer_rcs):
                problems.append(f"{case.peer} client exit {peer_rcs}: {tail(procs[-1].stdout())}")
            if our_rc is None:
                problems.append("our server did not exit after the connection ended")
            elif our_rc != 0:
                problems.append(f"our server exit {our_rc}: {tail(quiet(ours.stderr()))}")
            if case.key_cb:
                p_cb, d_cb = key_cb_problems(ours.stderr())
                problems += p_cb
                detail += d_cb
            if case.feature == "sni" and not re.search(rf"^SNI {re.escape(SNI_NAME)}$", out, re.M):
                problems.append(f"our server did not print 'SNI {SNI_NAME}'")
            if case.feature == "heartbeat":
                hb = re.findall(r"^HEARTBEAT OK \S+ rtt=(\d+)$", out, re.M)
                if not hb:
                    problems.append(f"our server printed no 'HEARTBEAT OK <peer> rtt=': {tail(quiet(ours.stderr()))}")
                else:
                    detail += f"{len(hb)} x HEARTBEAT OK (rtt {max(map(int, hb))}ms max); "
            if case.negative == "no-heartbeat" and "HEARTBEAT" in out:
                problems.append("our server reported a heartbeat with a peer that did not negotiate it")
            if hss:
                detail += hss[0].group(1) + (" / resumed=1" if case.conns > 1 and hss[-1].group(4) else "")
            if pos and pos[0].notes:
                detail += f" ({case.peer}: {pos[0].notes})"
        if case.x509:
            problems += x509_cases.our_output_problems(case, out, ours.stderr())
        if relay:
            problems += wire_checks(case, relay, our_dir="s2c")
            detail += wire_summary(case, relay, our_dir="s2c")
        return verdict(case, detail, problems)
    finally:
        if relay:
            relay.close()


def our_server_reneg_case(env: Env, case: Case, d: Path) -> Result:
    """Their client renegotiates right after the handshake (ssl_client2
    renegotiate=1, before any data): we refuse, it gives up and exits 1 (with
    our alert: "Unexpected message at ServerHello in renegotiation"); our
    server keeps serving and exits 0 when stopped."""
    peer = PEERS[case.peer]
    problems: list[str] = []
    ours, port = start_our_server(env, case, d)
    relay = Relay("127.0.0.1", port, d / "wire.log") if env.relay else None
    try:
        theirs = peer.start_client(case, d, env.keys, relay.port if relay else port, 0)
        peer_rc = theirs.wait(STEP_TIMEOUT)
        ours.terminate()
        our_rc = ours.wait(5)
        theirs.stop()
        ours.stop()
        out = ours.stdout()
        hss = list(re.finditer(r"^HANDSHAKE OK (\S+) ", out, re.M))
        if len(hss) != 1 or hss[0].group(1) != case.s.iana:
            problems.append(f"our server printed {[h.group(0) for h in hss]}, expected one HANDSHAKE OK "
                            f"{case.s.iana}: {tail(quiet(ours.stderr()))}")
        po = peer.client_out(case, theirs)
        if po.handshakes < 1:
            problems.append(f"{case.peer} client completed no handshake: {tail(theirs.stdout())}")
        if peer_rc is None:
            problems.append(f"{case.peer} client did not give up on the renegotiation within {STEP_TIMEOUT:.0f} s")
        if our_rc != 0:
            problems.append(f"our server exit {our_rc}: {tail(quiet(ours.stderr()))}")
        p_reneg, detail = renegotiation_problems(case, peer, theirs)
        problems += p_reneg
        detail += (hss[0].group(1) if hss else "") + \
            f" ({case.peer} client: exit {peer_rc}, {po.errors or 'no error'})"
        if relay:
            problems += wire_checks(case, relay, our_dir="s2c")
            detail += wire_summary(case, relay, our_dir="s2c")
        return verdict(case, detail, problems)
    finally:
        if relay:
            relay.close()


def key_cb_problems(err: str) -> tuple[list[str], str]:
    """--key-via-callback: our tool's signatures all came from the
    libcrypto callback (it reports their number at exit); the private key
    never reached nanodtls."""
    counts = [int(n) for n in re.findall(r"^KEY-VIA-CALLBACK signatures=(\d+)$", err, re.M)]
    if not counts:
        return ["our tool did not report KEY-VIA-CALLBACK signatures= (built without libcrypto?)"], ""
    if sum(counts) < 1:
        return [f"the signing callback was never called (signatures={counts})"], ""
    return [], f"key via callback: {sum(counts)} signature(s); "


def verdict(case: Case, detail: str, problems: list[str]) -> Result:
    if case.known_bug:
        if problems and all(case.bug_symptom in p for p in problems):
            return Result(case, "known-bug", f"{case.known_bug}. Seen: {detail}" if detail else case.known_bug,
                          problems)
        if not problems:
            problems = [f"passes although marked as a known library bug ({case.known_bug}): update run.py"]
    return Result(case, "fail" if problems else "pass", detail, problems)


# --------------------------------------------------------------------------
# wire checks
# --------------------------------------------------------------------------

def wire_checks(case: Case, relay: Relay, our_dir: str) -> list[str]:
    probs = []
    their_dir = "s2c" if our_dir == "c2s" else "c2s"
    conns = relay.conns
    if not conns:
        return ["the relay saw no datagram"]
    st = conns[0]
    neg = bool(case.negative) and case.negative != "no-heartbeat"
    for i, c in enumerate(conns):
        if case.mtu and c.max_size[our_dir] > case.mtu:
            probs.append(f"our datagrams exceed --mtu {case.mtu}: largest {c.max_size[our_dir]} bytes")
        # (Mbed TLS refuses a ClientHello without a common suite before its cookie exchange.)
        if 3 not in c.hs_types["s2c"] and c.count["c2s"] > 0 and case.negative != "no-common-suite":
            probs.append(f"connection {i + 1}: no HelloVerifyRequest from the server (cookies expected on)")
        if c.count[our_dir] == 0:
            probs.append(f"connection {i + 1}: we sent no datagram")
    for who in case.expect_frag:
        direction = our_dir if who == "ours" else their_dir
        if not any(c.fragmented[direction] for c in conns):
            probs.append(f"expected {who} to fragment a handshake message (largest datagram "
                         f"{st.max_size[direction]} bytes)")
    if case.impair and relay.impair.done == 0:
        probs.append(f"impairment {case.impair} never triggered")
    if case.impair == "reverse" and not any(
            "in reverse order" in ln for ln in Path(relay.log.name).read_text().splitlines()):
        probs.append("no burst of two or more datagrams to reverse")
    # Resumption: the second handshake must be abbreviated on the wire.
    if case.feature in ("resume", "resume-file") and len(conns) >= 2 and not neg:
        c2 = conns[-1]
        full = {11, 12, 14, 16} & set(c2.hs_types["s2c"] + c2.hs_types["c2s"])
        if full:
            probs.append(f"second connection is not abbreviated on the wire (saw handshake types {sorted(full)})")
        if c2.ch and c2.ch["sid_len"] == 0:
            probs.append("second ClientHello offers no session ID")
        if case.tickets:
            probs += ticket_wire_problems(conns)
    if case.feature == "resume-fallback" and len(conns) >= 2:
        c2 = conns[-1]
        issued = bool(conns[0].sh and conns[0].sh["sid_len"])
        if issued and c2.ch and c2.ch["sid_len"] == 0:
            probs.append("second ClientHello offers no session ID although the server issued one")
        if not issued and c2.ch and c2.ch["sid_len"]:
            probs.append("second ClientHello offers a session ID the server never issued")
        if 14 not in c2.hs_types["s2c"]:
            probs.append("second connection was not a full handshake")
    # RFC 5746 3.6: a server MUST answer renegotiation_info (extension or
    # SCSV in the ClientHello) with the extension, in every initial
    # handshake, resumed ones included.
    for i, c in enumerate(conns):
        if c.ch and c.sh and (0xFF01 in c.ch["exts"] or c.ch["suite"] == 0x00FF) and 0xFF01 not in c.sh["exts"]:
            who = "our" if our_dir == "s2c" else "their"
            kind = "resumed " if (c.sh["sid_len"] and 11 not in c.hs_types["s2c"] and 14 not in c.hs_types["s2c"]) else ""
            probs.append(f"connection {i + 1}: {who} {kind}ServerHello lacks renegotiation_info although the "
                         "ClientHello offered it (RFC 5746 3.6)")
    # max_fragment_length or record_size_limit (RFC 8449): negotiated, and every record within it.
    if case.feature == "mfl" and not neg and case.expect_rsl:
        sh, ch = st.sh, st.ch
        if not ch or ch["exts"].get(28) != MFL.to_bytes(2, "big"):
            probs.append(f"ClientHello does not offer record_size_limit {MFL}")
        if not sh or 28 not in sh["exts"]:
            probs.append("ServerHello has no record_size_limit extension")
        else:
            if 1 in sh["exts"]:
                probs.append("ServerHello answers both record_size_limit and max_fragment_length (RFC 8449 5)")
            # Our server answers --rsl, else its MTU minus the CCM record overhead (at least 512).
            want = MFL if (case.rsl or our_dir == "c2s") else max(512, (case.mtu or 1280) - 37)
            got = int.from_bytes(sh["exts"][28], "big")
            if got != want:
                probs.append(f"ServerHello record_size_limit is {got}, expected {want}")
    elif case.feature == "mfl" and not neg:
        sh = st.sh
        if not sh or 1 not in sh["exts"]:
            probs.append("ServerHello has no max_fragment_length extension")
        elif sh["exts"][1] != b"\x01":
            probs.append(f"ServerHello max_fragment_length is {sh['exts'][1].hex()}, expected 01 (512)")
        if sh and 28 in sh["exts"]:
            probs.append("ServerHello answers record_size_limit (28) although the client did not offer it "
                         "or the server does not implement it")
    if case.feature == "mfl" and not neg:
        limit = MFL + case.s.overhead
        for direction in ("c2s", "s2c"):
            big = [n for n in st.app_lens[direction] if n > limit]
            if big:
                probs.append(f"{'client' if direction == 'c2s' else 'server'} sent application records of "
                             f"{big} bytes (> {MFL} + {case.s.overhead})")
    # Raw public keys (RFC 7250): the ServerHello settles the certificate types.
    if case.auth == "rpk" and not neg and st.sh:
        want = {20: "server_certificate_type"}
        if case.mutual:
            want[19] = "client_certificate_type"
        for t, n in want.items():
            if st.sh["exts"].get(t) != b"\x02":
                probs.append(f"ServerHello {n} is {st.sh['exts'].get(t, b'').hex() or 'absent'}, "
                             "expected 02 (RawPublicKey)")
    if case.feature == "sni" and st.ch and 0 not in st.ch["exts"]:
        probs.append("ClientHello carries no server_name")
    # gnutls-serv --sni-hostname-fatal logs "The SNI host name not
    # recognised" but sends no alert over DTLS: our client times out.
    if case.negative == "sni-mismatch" and not (case.peer == "gnutls" and case.role == "client"):
        if not any(desc == 112 for _, desc in st.alerts["s2c"]):
            probs.append(f"the server sent no unrecognized_name (112) alert; s2c alerts: {st.alerts['s2c']}")
    # gnutls-serv logs "No supported cipher suites" but sends no alert over DTLS (checked in its output).
    if case.negative == "no-common-suite" and case.peer != "gnutls":
        if not any(desc == 40 for _, desc in st.alerts["s2c"]):
            probs.append(f"the server sent no handshake_failure (40) alert; s2c alerts: {st.alerts['s2c']}")
    if case.x509:
        probs += x509_cases.wire_problems(case, st.alerts[our_dir])
    if case.negative == "untrusted-key":
        ours = [desc for lvl, desc in st.alerts[our_dir] if lvl == 2]
        if not ours:
            probs.append(f"we sent no plaintext fatal alert for the untrusted key (alerts: {st.alerts[our_dir]})")
    if case.feature == "heartbeat":
        if case.role == "client":
            # our request + our response to their request, and theirs likewise
            need = 2 if case.peer == "gnutls" else 1
            if st.heartbeat["c2s"] < need or st.heartbeat["s2c"] < need:
                probs.append(f"heartbeat records on the wire: ours {st.heartbeat['c2s']}, theirs "
                             f"{st.heartbeat['s2c']} (expected >= {need} each way)")
        elif st.heartbeat["s2c"] < 1 or st.heartbeat["c2s"] < 1:
            probs.append(f"heartbeat records on the wire: ours {st.heartbeat['s2c']}, theirs {st.heartbeat['c2s']}")
    if case.negative == "no-heartbeat" and st.heartbeat[our_dir]:
        probs.append(f"we sent {st.heartbeat[our_dir]} heartbeat record(s) although it was not negotiated "
                     "(RFC 6520 section 2)")
    if case.feature == "reneg":
        asked, _ = after_renegotiation_request(st, our_dir)
        if not asked:
            probs.append("the relay saw no renegotiation request (no encrypted handshake record from the peer "
                         "after its Finished)")
    return probs


def after_renegotiation_request(st: WireStats, our_dir: str) -> tuple[int, list[tuple[str, int, int]]]:
    """The peer's encrypted handshake records after its Finished (its
    renegotiation request and retransmissions: HelloRequest or ClientHello),
    and every record from the first of them on."""
    their_dir = "s2c" if our_dir == "c2s" else "c2s"
    at = [i for i, (d, ct, epoch) in enumerate(st.records) if d == their_dir and ct == 22 and epoch > 0]
    if len(at) < 2:
        return 0, []
    return len(at) - 1, st.records[at[1]:]


def wire_summary(case: Case, relay: Relay, our_dir: str) -> str:
    conns = relay.conns
    if not conns:
        return ""
    their_dir = "s2c" if our_dir == "c2s" else "c2s"
    n_ours = sum(c.count[our_dir] for c in conns)
    n_theirs = sum(c.count[their_dir] for c in conns)
    mx_o = max(c.max_size[our_dir] for c in conns)
    mx_t = max(c.max_size[their_dir] for c in conns)
    s = f"; wire: ours {n_ours} dgrams max {mx_o}B, theirs {n_theirs} max {mx_t}B"
    frag = [d for d in ("c2s", "s2c") if any(c.fragmented[d] for c in conns)]
    if frag:
        s += f", fragmented msgs: {'+'.join('ours' if d == our_dir else 'theirs' for d in frag)}"
    if case.impair:
        s += f", {case.impair} x{relay.impair.done}"
    if case.feature == "mfl" and conns[0].app_lens[their_dir]:
        s += (f", app records ours {conns[0].app_lens[our_dir]} theirs {conns[0].app_lens[their_dir]}")
    if case.feature == "heartbeat":
        s += f", heartbeat records ours {conns[0].heartbeat[our_dir]} theirs {conns[0].heartbeat[their_dir]}"
    if case.feature == "reneg":
        asked, after = after_renegotiation_request(conns[0], our_dir)
        ours = [ct for d, ct, _ in after if d == our_dir]
        s += (f", after their renegotiation request ({asked} record(s)) ours: {ours.count(21)} alert "
              f"(close_notify included), {ours.count(22)} handshake, {ours.count(23)} app_data record(s)")
    alerts = [f"{'ours' if d == our_dir else 'theirs'} {lvl}/{desc}" for d in ("c2s", "s2c")
              for lvl, desc in conns[0].alerts[d]]
    if alerts and case.negative:
        s += f", plaintext alerts: {', '.join(alerts)}"
    return s


# --------------------------------------------------------------------------
# libcoap: CoAP over DTLS
# --------------------------------------------------------------------------

def coap_record_lines(raw: bytes) -> list[bytes]:
    """Payloads of our tools' RECV lines (binary CoAP messages)."""
    return [ln[5:] for ln in raw.split(b"\n") if ln.startswith(b"RECV ")]


def our_certificate_len(d: Path, our_dir: str) -> int:
    """Length of the (largest) Certificate message we sent, from wire.log:
    a raw public key (RFC 7250) is about 100 bytes, a chain 3 below the
    root about 1,260."""
    arrow = "C->S" if our_dir == "c2s" else "S->C"
    n = 0
    for ln in (d / "wire.log").read_text(errors="replace").splitlines():
        if arrow not in ln:
            continue
        for m in re.finditer(r"handshake\(e0,s\d+,(\d+)\):certificate(?: frag \d+\+\d+/(\d+))?(?![_a-z])", ln):
            n = max(n, int(m.group(2) or m.group(1)))
    return n


def libcoap_cert_note(case: Case, d: Path, our_dir: str, relay) -> str:
    """libcoap's GnuTLS build offers and accepts RFC 7250 raw public keys
    even in PKI mode, so in the mutual x509 cases our side authenticates
    with its raw key while the peer's chain is validated by us."""
    if not (case.x509 and relay):
        return ""
    n = our_certificate_len(d, our_dir)
    return f"; our Certificate {n} B ({'X.509 chain' if n > 600 else 'raw public key, RFC 7250'})"


def libcoap_case(env: Env, case: Case, d: Path) -> Result:
    k = env.keys
    problems: list[str] = []
    ecc = case.s.ecc
    if case.role == "client":
        port = free_udp_port(pair=True)          # CoAP on port, CoAPS (DTLS) on port + 1
        argv = (["coap-server-gnutls", "-A", "127.0.0.1", "-p", str(port)]
                + x509_cases.libcoap_args(case, k, CERTS_CHAIN, server=True) if case.x509 else
                ["coap-server-gnutls", "-A", "127.0.0.1", "-p", str(port), "-M", k.f("server.sec1.pem")] if ecc
                else ["coap-server-openssl", "-A", "127.0.0.1", "-p", str(port), "-k", COAP_KEY])
        theirs = Proc("peer", argv, d)
        time.sleep(0.3)
        if theirs.p.poll() is not None:
            raise RuntimeError(f"{argv[0]} did not start: {tail(theirs.stdout() + theirs.stderr())}")
        relay = Relay("127.0.0.1", port + 1, d / "wire.log") if env.relay else None
        try:
            ours = Proc("ours", our_client_argv(env, case, relay.port if relay else port + 1,
                                                ["--send-hex", COAP_GET_HEX]), d)
            rc = ours.wait(STEP_TIMEOUT + 5)
            ours.stop()
            theirs.stop()
            raw = ours.stdout_bytes()
            out = raw.decode("utf-8", "replace")
            hss = ours_handshakes(out)
            if case.negative == "x509":
                # coap-server presents a chain we must refuse (x509_cases.NEGATIVE).
                if rc == 0 or hss:
                    problems.append(f"our client accepted the bad chain (exit {rc}): {tail(out)}")
                problems += x509_cases.our_output_problems(case, out, ours.stderr())
                failure = [ln for ln in quiet(ours.stderr()).splitlines() if ln.startswith("X509-REFUSED")]
                detail = f"our client: {failure[-1].strip()}" if failure else ""
                if relay:
                    problems += wire_checks(case, relay, our_dir="c2s")
                    detail += wire_summary(case, relay, our_dir="c2s")
                return verdict(case, detail, problems)
            if rc != 0:
                problems.append(f"our client exit {rc}: {tail(quiet(ours.stderr()))}")
            if not hss or hss[0].group(1) != case.s.iana:
                problems.append(f"HANDSHAKE OK {case.s.iana} expected: {tail(out + ours.stderr())}")
            recs = coap_record_lines(raw)
            # ACK (type 2, version 1, no token) 2.05 Content, our message ID.
            good = [r for r in recs if len(r) >= 4 and r[0] == 0x60 and r[1] == 0x45 and r[2:4] == b"\x12\x34"]
            if not good:
                problems.append(f"no CoAP 2.05 ACK for message 0x1234 in RECV: {[r[:8].hex() for r in recs]}")
            problems += key_hash_problems(case, out, env, "server")
            if case.x509:
                problems += x509_cases.our_output_problems(case, out, ours.stderr())
            payload = good[0].split(b"\xff", 1)[-1].decode("latin-1") if good else ""
            detail = (hss[0].group(1) if hss else "") + (f"; CoAP 2.05 Content, payload {payload!r}" if good else "")
            detail += libcoap_cert_note(case, d, "c2s", relay)
            if relay:
                problems += wire_checks(case, relay, our_dir="c2s")
                detail += wire_summary(case, relay, our_dir="c2s")
            return verdict(case, detail, problems)
        finally:
            if relay:
                relay.close()

    ours, port = start_our_server(env, case, d)
    relay = Relay("127.0.0.1", port, d / "wire.log") if env.relay else None
    try:
        target = relay.port if relay else port
        # coap-client puts the URI host in SNI: an IP literal there is what
        # RFC 6066 forbids, so the positive case uses a name.
        host = "127.0.0.1" if case.feature == "coap-sni-ip" else "localhost"
        argv = (["coap-client-openssl", "-R", x509_cases.f(k, "root.crt")] if case.feature == "coap-openssl"
                else ["coap-client-gnutls"] + x509_cases.libcoap_args(case, k, CERTS_CHAIN, server=False) if case.x509
                else ["coap-client-gnutls", "-M", k.f("client.sec1.pem")] if ecc
                else ["coap-client-openssl", "-k", COAP_KEY, "-u", case.psk_id])
        argv += ["-m", "get", "-B", "3", "-v", "6", f"coaps://{host}:{target}/time"]
        theirs = Proc("peer", argv, d)
        prc = theirs.wait(10)
        our_rc = ours.wait(3)
        theirs.stop()
        ours.stop()
        raw = ours.stdout_bytes()
        out = raw.decode("utf-8", "replace")
        pout = theirs.stdout() + theirs.stderr()
        hss = list(re.finditer(r"^HANDSHAKE OK (\S+) (\S+)", out, re.M))
        if case.negative == "x509":
            # coap-client presents a chain our server must refuse.
            if hss:
                problems.append(f"our server accepted the bad chain: {hss[0].group(0)}")
            if "4.04" in pout or "2.05" in pout:
                problems.append(f"coap-client got a CoAP response over the refused session: {tail(pout)}")
            problems += x509_cases.our_output_problems(case, out, ours.stderr())
            failure = [ln for ln in quiet(ours.stderr()).splitlines() if ln.startswith("X509-REFUSED")]
            detail = f"our server: {failure[-1].strip()}" if failure else ""
            if relay:
                problems += wire_checks(case, relay, our_dir="s2c")
                detail += wire_summary(case, relay, our_dir="s2c")
            return verdict(case, detail, problems)
        if not hss or hss[0].group(1) != case.s.iana:
            problems.append(f"no 'HANDSHAKE OK {case.s.iana}' from our server: {tail(quiet(ours.stderr()))}")
        recs = coap_record_lines(raw)
        req = [r for r in recs if len(r) >= 2 and r[0] >> 4 == 0x4 and r[1] == 0x01]
        echoed = [r for r in recs if len(r) >= 2 and r[0] >> 4 == 0x6 and r[1] == 0x84]
        if not req:
            problems.append(f"our server received no CoAP CON GET: {[r[:8].hex() for r in recs]}")
        # coap-client takes our echo of its request for a request to it, answers
        # 4.04 (piggybacked ACK); we echo that ACK back, and coap-client matches
        # it to its own GET: a full CoAP round trip through both DTLS stacks.
        if not echoed:
            problems.append("our server did not receive coap-client's 4.04 answer to the echoed request")
        if "4.04" not in pout:
            problems.append(f"coap-client did not report the (echoed) 4.04 response: {tail(pout)}")
        if prc is None:
            problems.append("coap-client did not exit")
        if our_rc not in (0, None):
            problems.append(f"our server exit {our_rc}: {tail(quiet(ours.stderr()))}")
        if case.x509:
            problems += x509_cases.our_output_problems(case, out, ours.stderr())
        elif ecc:
            problems += key_hash_problems(case, out, env, "client")
        detail = (hss[0].group(1) if hss else "") + "; CoAP GET -> echo -> 4.04 ACK -> echo -> coap-client"
        detail += libcoap_cert_note(case, d, "s2c", relay)
        if case.feature == "coap-openssl" and relay and our_certificate_len(d, "s2c") < 1000:
            problems.append(f"our server did not send its chain (Certificate {our_certificate_len(d, 's2c')} B)")
        if relay:
            problems += wire_checks(case, relay, our_dir="s2c")
            detail += wire_summary(case, relay, our_dir="s2c")
        return verdict(case, detail, problems)
    finally:
        if relay:
            relay.close()


# --------------------------------------------------------------------------
# matrix
# --------------------------------------------------------------------------

NA_NO_RPK = {
    "openssl": "OpenSSL 3.0 has no raw public keys (RFC 7250): ECDHE-ECDSA runs with X.509 certificates",
    "mbedtls": "Mbed TLS 2.28 has no raw public keys (RFC 7250): ECDHE-ECDSA runs with X.509 certificates",
}
NA_HEARTBEAT = {
    "openssl": "OpenSSL 3.0 removed heartbeat (RFC 6520) support",
    "mbedtls": "Mbed TLS implements no heartbeat (RFC 6520)",
    "tinydtls": "tinydtls 0.8.6 implements no heartbeat (RFC 6520)",
}
NA_TINY_ECC = ("the dtlssocket wrapper exposes PSK only (no ECDSA key or peer-key callbacks), "
               "so tinydtls' ECDHE-ECDSA cannot be driven")
NA_MBED_RESUME = ("python-mbedtls 2.10 exposes no session API (TLSSession is empty; no "
                  "mbedtls_ssl_get_session/set_session) and installs no server session cache")


NA_SERVER_NAME_RULE = "a server-name rule (RFC 7925 4.4.1): a client certificate is checked for an EUI-64"


def x509_matrix(peer: str, role: str) -> list[Case]:
    """Certificate mode (x509_cases.py): chains validated both ways with a
    3-level and a 2-level PKI (and the shared one with Mbed TLS 3.6.6), the
    expired chain accepted with --time none; with OpenSSL every refusal, in
    both roles, with Mbed TLS and GnuTLS a representative subset."""
    c = [
        Case(peer, "x509 chain validated, 3 below root, mutual", role, "ECC-CCM8", auth="x509", x509="3"),
        Case(peer, "x509 chain validated, 2 below root, mutual", role, "ECC-CCM8", auth="x509", x509="2"),
        Case(peer, "x509 chain validated, server-only", role, "ECC-CCM8", auth="x509", x509="2", mutual=False)
        if not (peer == "mbedtls3" and role == "client") else
        Case(peer, "x509 chain validated, server-only", role, None,
             na_reason="ssl_server2 auth_mode=none logs '! Certificate verification was skipped' (its error "
                       "marker); covered with OpenSSL and GnuTLS"),
        # ssl_server2 wants a client certificate here for the same reason.
        Case(peer, "x509 expired chain accepted with --time none", role, "ECC-CCM8", auth="x509", x509="2",
             feature="x509-time-none", mutual=role == "server" or peer == "mbedtls3"),
    ]
    if peer == "mbedtls3":
        c.append(Case(peer, "x509 chain validated, certs-chain PKI, mutual", role, "ECC-CCM8", auth="x509",
                      x509="shared"))
    if role == "client":
        # RFC 7924: no peer knows cached_info; our offer must be ignored.
        # (ssl_server2 wants a client certificate, see server-only above.)
        c.append(Case(peer, "x509 cached_info offered, ignored", role, "ECC-CCM8", auth="x509", x509="2",
                      mutual=peer == "mbedtls3", feature="cached-info"))
    if peer == "openssl":
        # Both chains (about 1,300 bytes each) fragmented to OpenSSL's smallest link MTU.
        c.append(Case(peer, "x509 chain validated, 3 below root, mtu256", role, "ECC-CCM8", auth="x509", x509="3",
                      mtu=256, peer_mtu=256, expect_frag=("ours", "theirs")))
    subset = {"openssl": None, "mbedtls3": {"unknown root", "expired", "bad signature", "chain one longer than the knob"},
              "gnutls": {"unknown root", "wrong name", "intermediate without cA"}}[peer]
    for name, srv_chain, cli_chain, alert, reason in x509_cases.NEGATIVE:
        if subset is not None and name not in subset:
            continue
        title = f"x509 refused: {name} (must fail)"
        chain = srv_chain if role == "client" else cli_chain
        if chain is None:
            c.append(Case(peer, title, role, None, na_reason=NA_SERVER_NAME_RULE))
            continue
        c.append(Case(peer, title, role, "ECC-CCM8", auth="x509", x509=chain, negative="x509", x509_alert=alert,
                      x509_reason=reason, x509_name=name, mutual=role == "server"))
    return c


def matrix() -> list[Case]:
    cases: list[Case] = []
    both = ("client", "server")
    for role in both:
        other_frag = ("ours",) if role == "client" else ()
        # ---- OpenSSL 3.0
        cases += [
            Case("openssl", "PSK-AES128-CCM8", role, "PSK-CCM8"),
            Case("openssl", "PSK-AES128-CCM", role, "PSK-CCM"),
            Case("openssl", "PSK-AES128-CCM8 mtu300", role, "PSK-CCM8", mtu=300, peer_mtu=300),
            # With PSK no handshake message reaches 300 bytes. A 120-byte
            # identity makes the ClientKeyExchange 147 bytes: at MTU 128 the
            # client must fragment it. OpenSSL's smallest link MTU is 256.
            Case("openssl", "PSK-AES128-CCM8 mtu128 long-id", role, "PSK-CCM8", mtu=128,
                 psk_id=LONG_PSK_ID, expect_frag=other_frag),
            Case("openssl", "wrong-PSK (must fail)", role, "PSK-CCM8", negative="wrong-psk"),
            Case("openssl", "ECDHE-PSK-CCM only (must fail)", role, "PSK-CCM8" if role == "client" else None,
                 negative="no-common-suite", na_reason="" if role == "client" else NA_ECDHE_PSK_SERVER),
            Case("openssl", "ECDHE-ECDSA-CCM8 x509 mutual", role, "ECC-CCM8", auth="cert"),
            Case("openssl", "ECDHE-ECDSA-CCM x509 mutual", role, "ECC-CCM", auth="cert"),
            Case("openssl", "ECDHE-ECDSA-CCM8 x509 server-only", role, "ECC-CCM8", auth="cert", mutual=False),
            # Our key in a "secure element" (libcrypto behind nanodtls_set_own_key_signer):
            # our server signs ServerKeyExchange, our client CertificateVerify through it.
            Case("openssl", "ECDHE-ECDSA-CCM8 x509 mutual key-via-callback", role, "ECC-CCM8", auth="cert",
                 key_cb=True),
            Case("openssl", "ECDHE-ECDSA-CCM8 x509 mtu256", role, "ECC-CCM8", auth="cert", mtu=256, peer_mtu=256,
                 expect_frag=("ours", "theirs") if role == "server" else ("theirs",)),
            Case("openssl", "untrusted key (must fail)", role, "ECC-CCM8", auth="cert", negative="untrusted-key"),
            Case("openssl", "raw public keys", role, None, na_reason=NA_NO_RPK["openssl"]),
            Case("openssl", "resume PSK", role, "PSK-CCM8", feature="resume"),
            Case("openssl", "resume ECDHE x509", role, "ECC-CCM8", auth="cert", feature="resume"),
            Case("openssl", "max_fragment_length 512", role, "PSK-CCM8", feature="mfl"),
            # OpenSSL has no record_size_limit: our client offers it beside MFL and gets MFL;
            # our server (--rsl 512) sees no offer and answers MFL only.
            Case("openssl", "record_size_limit not known (mfl)", role, "PSK-CCM8", feature="mfl", rsl="both"),
            Case("openssl", "SNI", role, "ECC-CCM8", auth="cert", mutual=False, feature="sni"),
            Case("openssl", "SNI mismatch (must fail)", role, "ECC-CCM8", auth="cert", mutual=False,
                 negative="sni-mismatch"),
            Case("openssl", "heartbeat", role, None, na_reason=NA_HEARTBEAT["openssl"]),
            Case("openssl", "heartbeat not negotiated", role, "PSK-CCM8", negative="no-heartbeat"),
        ]
        cases += x509_matrix("openssl", role)
        # RFC 5077 tickets (s_server/s_client issue and use them by default).
        cases.append(Case("openssl", "resume by ticket", role, "PSK-CCM8", feature="resume", tickets=True))
        cases.append(Case("openssl", "resume by ticket ECDHE x509 server-only", role, "ECC-CCM8", auth="cert",
                          mutual=False, feature="resume", tickets=True))
        if role == "client":
            # s_server's ticket for a mutual ECDHE session holds our client
            # certificate (592 bytes): above NANODTLS_MAX_TICKET (512), not
            # kept, and the next handshake is a full one that succeeds.
            cases.append(Case("openssl", "ticket above NANODTLS_MAX_TICKET: full handshake", role, "ECC-CCM8",
                              auth="cert", feature="resume-fallback", tickets=True))
        else:
            cases.append(Case("openssl", "ticket above NANODTLS_MAX_TICKET: full handshake", role, None,
                              na_reason="a client knob; our server seals about 140 bytes"))
        if role == "client":
            cases.append(Case("openssl", "resume across restart (session file)", role, "PSK-CCM8",
                              feature="resume-file"))
            cases.append(Case("openssl", "ticket across deep sleep (session file)", role, "PSK-CCM8",
                              feature="resume-file", tickets=True))
        else:
            cases.append(Case("openssl", "resume across restart (session file)", role, None,
                              na_reason="a client feature (--session-out/--session-in); s_client's "
                                        "-sess_out/-sess_in runs are two processes in 'resume'"))
        # ---- GnuTLS 3.7
        cases += [
            Case("gnutls", "PSK-AES128-CCM8", role, "PSK-CCM8"),
            Case("gnutls", "PSK-AES128-CCM", role, "PSK-CCM"),
            Case("gnutls", "wrong-PSK (must fail)", role, "PSK-CCM8", negative="wrong-psk"),
            Case("gnutls", "ECDHE-PSK-CCM only (must fail)", role, "PSK-CCM8" if role == "client" else None,
                 negative="no-common-suite", na_reason="" if role == "client" else NA_ECDHE_PSK_SERVER),
            Case("gnutls", "RPK ECDHE-ECDSA-CCM8 mutual", role, "ECC-CCM8", auth="rpk"),
            Case("gnutls", "RPK ECDHE-ECDSA-CCM mutual", role, "ECC-CCM", auth="rpk"),
            Case("gnutls", "RPK ECDHE-ECDSA-CCM8 server-only", role, "ECC-CCM8", auth="rpk", mutual=False),
            Case("gnutls", "RPK ECDHE-ECDSA-CCM8 mutual key-via-callback", role, "ECC-CCM8", auth="rpk",
                 key_cb=True),
            Case("gnutls", "RPK ECDHE-ECDSA-CCM8 mtu256", role, "ECC-CCM8", auth="rpk", mtu=256, peer_mtu=256),
            Case("gnutls", "untrusted key (must fail)", role, "ECC-CCM8", auth="rpk", negative="untrusted-key"),
            Case("gnutls", "resume PSK", role, "PSK-CCM8", feature="resume"),
            Case("gnutls", "resume RPK", role, "ECC-CCM8", auth="rpk", feature="resume"),
            Case("gnutls", "heartbeat", role, "PSK-CCM8", feature="heartbeat"),
            # gnutls-cli --recordsize 512 offers record_size_limit and MFL: our server answers
            # record_size_limit (its default, MTU - 37), never both.
            Case("gnutls", "max_fragment_length 512" if role == "client" else "recordsize 512 (rsl+mfl)",
                 role, "PSK-CCM8", feature="mfl", expect_rsl=role == "server"),
            # record_size_limit 512 both ways: our --rsl 512, GnuTLS' --recordsize 512.
            Case("gnutls", "record_size_limit 512", role, "PSK-CCM8", feature="mfl", rsl="only", expect_rsl=True),
            Case("gnutls", "SNI", role, "ECC-CCM8", auth="rpk", mutual=False, feature="sni"),
            Case("gnutls", "SNI mismatch (must fail)", role, "ECC-CCM8", auth="rpk", mutual=False,
                 negative="sni-mismatch"),
        ]
        cases += x509_matrix("gnutls", role)
        cases.append(Case("gnutls", "resume by ticket", role, "PSK-CCM8", feature="resume", tickets=True))
        if role == "client":
            cases.append(Case("gnutls", "resume across restart (session file)", role, "ECC-CCM8", auth="rpk",
                              feature="resume-file"))
            cases.append(Case("gnutls", "ticket across deep sleep (session file)", role, "PSK-CCM8",
                              feature="resume-file", tickets=True))
        else:
            cases.append(Case("gnutls", "resume across restart (session file)", role, None,
                              na_reason="a client feature (--session-out/--session-in); gnutls-cli --resume "
                                        "is covered in 'resume'"))
        # ---- Mbed TLS 2.28
        cases += [
            Case("mbedtls", "PSK-AES128-CCM8", role, "PSK-CCM8"),
            Case("mbedtls", "PSK-AES128-CCM", role, "PSK-CCM"),
            Case("mbedtls", "wrong-PSK (must fail)", role, "PSK-CCM8", negative="wrong-psk"),
            Case("mbedtls", "PSK-AES128-CCM8 mtu128 long-id", role, "PSK-CCM8", mtu=128, peer_mtu=128,
                 psk_id=LONG_PSK_ID, expect_frag=("ours",) if role == "client" else ("theirs",)),
            Case("mbedtls", "ECDHE-ECDSA-CCM8 x509 mutual", role, "ECC-CCM8", auth="cert"),
            Case("mbedtls", "ECDHE-ECDSA-CCM x509 mutual", role, "ECC-CCM", auth="cert"),
            # Mbed TLS 2.28 servers refuse a fragmented ClientHello
            # (FEATURE_UNAVAILABLE, "ClientHello fragmentation not supported"):
            # our ECDHE ClientHello with its 32-byte cookie (148 bytes) needs MTU 160.
            Case("mbedtls", "ECDHE-ECDSA-CCM8 x509 mtu128" if role == "server" else
                 "ECDHE-ECDSA-CCM8 x509 mtu128 (ours 160)", role, "ECC-CCM8", auth="cert",
                 mtu=128 if role == "server" else 160, peer_mtu=128, expect_frag=("ours", "theirs")),
            Case("mbedtls", "untrusted key (must fail)", role, "ECC-CCM8", auth="cert", negative="untrusted-key"),
            Case("mbedtls", "raw public keys", role, None, na_reason=NA_NO_RPK["mbedtls"]),
            Case("mbedtls", "max_fragment_length 512", role, "PSK-CCM8", feature="mfl"),
            Case("mbedtls", "heartbeat", role, None, na_reason=NA_HEARTBEAT["mbedtls"]),
        ]
        if role == "client":
            cases += [
                Case("mbedtls", "resume (server without cache: full handshake)", role, "PSK-CCM8",
                     feature="resume-fallback"),
                Case("mbedtls", "SNI", role, None,
                     na_reason="mbedtls_peer.py has no server-side SNI check (python-mbedtls' sni_callback "
                               "is not wired up); covered with OpenSSL and GnuTLS"),
                Case("mbedtls", "SNI mismatch (must fail)", role, None,
                     na_reason="mbedtls_peer.py has no server-side SNI check; covered with OpenSSL and GnuTLS"),
            ]
        else:
            cases += [
                Case("mbedtls", "resume (server without cache: full handshake)", role, None,
                     na_reason=NA_MBED_RESUME),
                Case("mbedtls", "SNI", role, "PSK-CCM8", feature="sni"),
                Case("mbedtls", "SNI mismatch (must fail)", role, "PSK-CCM8", negative="sni-mismatch"),
            ]
        # ---- Mbed TLS 3.6.6 (ssl_server2 / ssl_client2)
        cases += [
            Case("mbedtls3", "PSK-AES128-CCM8", role, "PSK-CCM8"),
            Case("mbedtls3", "PSK-AES128-CCM", role, "PSK-CCM"),
            Case("mbedtls3", "wrong-PSK (must fail)", role, "PSK-CCM8", negative="wrong-psk"),
            Case("mbedtls3", "ECDHE-PSK-CCM only (must fail)", role, "PSK-CCM8" if role == "client" else None,
                 negative="no-common-suite", na_reason="" if role == "client" else NA_ECDHE_PSK_SERVER),
            Case("mbedtls3", "ECDHE-ECDSA-CCM8 x509 chain mutual", role, "ECC-CCM8", auth="chain"),
            Case("mbedtls3", "max_fragment_length 512", role, "PSK-CCM8", feature="mfl"),
            Case("mbedtls3", "resume (session ID, tickets=0)", role, "PSK-CCM8", feature="resume"),
            Case("mbedtls3", "resume by ticket (tickets=1)", role, "PSK-CCM8", feature="resume", tickets=True),
            Case("mbedtls3", "renegotiation refused", role, "PSK-CCM8", feature="reneg"),
            # RFC 9146 (tests/interop/cid_cases.py): CIDs both ways and a
            # source-port change mid-session; one side wanting no CID.
            Case("mbedtls3", "CID both ways + port change", role, "PSK-CCM8", feature="cid-rebind"),
            Case("mbedtls3", "CID, one side wants none (cid 0)", role, "PSK-CCM8", feature="cid-ours-none" if role == "client" else "cid-theirs-none"),
        ]
        cases += x509_matrix("mbedtls3", role)
        if role == "client":
            cases.append(Case("mbedtls3", "ticket across deep sleep (session file)", role, "PSK-CCM8",
                              feature="resume-file", tickets=True))
        else:
            cases.append(Case("mbedtls3", "ticket across deep sleep (session file)", role, None,
                              na_reason="a client feature (--session-out/--session-in); ssl_client2 "
                                        "reconnect=1 with tickets=1 is 'resume by ticket'"))
        # ---- tinydtls 0.8.6
        cases += [
            Case("tinydtls", "PSK-AES128-CCM8", role, "PSK-CCM8"),
            Case("tinydtls", "wrong-PSK (must fail)", role, "PSK-CCM8", negative="wrong-psk"),
            Case("tinydtls", "PSK-AES128-CCM", role, None,
                 na_reason="dtlssocket cannot choose suites (no get_user_parameters hook); "
                           "tinydtls offers CCM_8 first and, as server, takes the client's first"),
            Case("tinydtls", "PSK-AES128-CCM8 mtu128 long-id", role, None,
                 na_reason="tinydtls cannot reassemble fragmented handshake messages "
                           "(\"No fragment support (yet)\")"),
            Case("tinydtls", "ECDHE-ECDSA", role, None, na_reason=NA_TINY_ECC),
            Case("tinydtls", "heartbeat", role, None, na_reason=NA_HEARTBEAT["tinydtls"]),
        ]
        if role == "client":
            cases.append(Case("tinydtls", "resume (server without cache: full handshake)", role, "PSK-CCM8",
                              feature="resume-fallback"))
        else:
            cases.append(Case("tinydtls", "resume (server without cache: full handshake)", role, None,
                              na_reason="tinydtls 0.8.6 implements no session resumption: its client never "
                                        "offers a session ID"))
        # ---- libcoap 4.3 (CoAP over DTLS)
        cases += [
            Case("libcoap", "CoAP GET over PSK-CCM8", role, "PSK-CCM8", feature="coap"),
            Case("libcoap", "CoAP GET over RPK ECDHE-ECDSA", role, "ECC-CCM8", auth="rpk", feature="coap"),
            # PKI mode (x509_cases.libcoap_args, GnuTLS builds: they send the whole
            # chain, 3 below the root of tests/pki, which we validate), then the CoAP
            # exchange; an unknown root refused by us. Both sides authenticate
            # (mutual), but libcoap's GnuTLS build answers our RFC 7250
            # certificate-type offer with RawPublicKey and takes our raw key
            # unvalidated (the detail says which we sent): our chain is validated by
            # coap-client-openssl in the case below.
            Case("libcoap", "CoAP GET, libcoap's x509 chain (3 below root) validated by us", role, "ECC-CCM8",
                 auth="x509", x509="3", feature="coap"),
        ]
        # coap-client's OpenSSL build offers no raw public keys: our server's chain
        # (3 below the root) goes on the wire and coap-client validates it (-R root).
        # coap-server's OpenSSL build sends only the leaf of its -c file (no chain).
        if role == "server":
            cases.append(Case("libcoap", "CoAP GET, our x509 chain validated by coap-client-openssl", role,
                              "ECC-CCM8", auth="x509", x509="3", mutual=False, feature="coap-openssl"))
        else:
            cases.append(Case("libcoap", "CoAP GET, our x509 chain validated by coap-client-openssl", role, None,
                              na_reason="a server-side case: coap-server-openssl sends only the leaf of its -c "
                                        "file, so no chain reaches our client"))
        cases += [
            Case("libcoap", "x509 refused: unknown root (must fail)", role, "ECC-CCM8", auth="x509",
                 x509="unknown-root" if role == "client" else "client-unknown-root", negative="x509",
                 x509_alert=48, x509_reason="no trusted issuer", x509_name="unknown root", feature="coap"),
        ]
        if role == "server":
            cases.append(Case("libcoap", "coap-client with IP-literal SNI", role, "PSK-CCM8",
                              feature="coap-sni-ip"))
        else:
            cases.append(Case("libcoap", "coap-client with IP-literal SNI", role, None,
                              na_reason="a server-side case: our client never sends an address as SNI "
                                        "(nanodtls_set_server_name refuses it)"))
        # ---- one forged datagram from the peer's address (off-path spoofing)
        for kind, what in (("inject-highseq", "epoch-0 record with seq 2^48-1"),
                           ("inject-frag", "fragment with a wrong length"),
                           ("inject-malformed", "garbage message, 2^24-1 fragment, bad CCS"),
                           ("inject-epoch1", "2 epoch-1 records before Finished")):
            cases.append(Case("openssl", f"forged: {what}", role, "PSK-CCM8", impair=kind))
        # ---- RFC 5077: the server's last flight carries the NewSessionTicket;
        # lost once (with its CCS and Finished), it comes again.
        for peer in ("openssl", "mbedtls3"):
            cases.append(Case(peer, "lossy: drop server NewSessionTicket+CCS+Finished once, tickets", role,
                              "PSK-CCM8", impair="drop-sfinal", tickets=True))
        # ---- a lossy relay between us and real peers
        for peer, pm in (("openssl", 256), ("mbedtls", 128)):
            for suite, auth in (("PSK-CCM8", "psk"), ("ECC-CCM8", "cert")):
                label = "PSK" if auth == "psk" else "ECDHE x509"
                long_id = LONG_PSK_ID if auth == "psk" else PSK_ID   # fragments our PSK flights at MTU 128
                cases += [
                    Case(peer, f"lossy: drop server flight once, {label}", role, suite, auth=auth,
                         impair="drop-sflight"),
                    Case(peer, f"lossy: drop server CCS+Finished once, {label}", role, suite, auth=auth,
                         impair="drop-sfinal"),
                    Case(peer, f"lossy: duplicate every datagram, {label}", role, suite, auth=auth, impair="dup"),
                    Case(peer, f"lossy: reverse each flight once, mtu128, {label}", role, suite, auth=auth,
                         impair="reverse", psk_id=long_id, peer_mtu=pm,
                         mtu=160 if (peer == "mbedtls" and role == "client" and auth != "psk") else 128),
                ]
    order = {"openssl": 0, "gnutls": 1, "mbedtls": 2, "mbedtls3": 3, "tinydtls": 4, "libcoap": 5}
    cases.sort(key=lambda c: (order[c.peer], c.name.startswith("lossy"), bool(c.negative), c.name, c.role))
    return cases


def check_peers(peers: set[str]) -> list[str]:
    missing = []
    tools = {"openssl": ["openssl"], "gnutls": ["gnutls-serv", "gnutls-cli"],
             "libcoap": ["coap-server-openssl", "coap-client-openssl", "coap-server-gnutls", "coap-client-gnutls"]}
    for peer, exes in tools.items():
        if peer in peers:
            missing += [f"{e} ({peer})" for e in exes if not shutil.which(e)]
    for peer, mod in (("mbedtls", "mbedtls.tls"), ("tinydtls", "DTLSSocket.dtls")):
        if peer in peers:
            r = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True)
            if r.returncode != 0:
                missing.append(f"python module {mod} for {peer}")
    if "mbedtls3" in peers:
        err = build_mbedtls3()
        if err:
            missing.append(f"Mbed TLS 3.6.6 ssl_server2/ssl_client2 ({err})")
    return missing


def shared_missing(case: Case) -> str:
    """Why the case cannot run here (a piece of ../shared is absent), or ''."""
    for needed, path in ((case.peer == "mbedtls3", MBEDTLS3_SRC / "build.sh"),
                         (case.auth == "chain" or case.x509 == "shared", CERTS_CHAIN / "root.crt")):
        if needed and not path.is_file():
            return f"{path.parent} is absent (no {path.name})"
    return ""


def build_mbedtls3() -> str:
    """ssl_server2 and ssl_client2 from MBEDTLS3_SRC (read-only) into
    MBEDTLS3_BUILD, once: '' when they are there, else what went wrong."""
    progs = [Mbed3.program(n) for n in ("ssl_server2", "ssl_client2")]
    if all(os.access(p, os.X_OK) for p in progs):
        return ""
    print(f"interop: building Mbed TLS 3.6.6 ssl_server2/ssl_client2 into {MBEDTLS3_BUILD}", flush=True)
    t0 = time.monotonic()
    r = subprocess.run(["sh", str(MBEDTLS3_SRC / "build.sh"), str(MBEDTLS3_BUILD)], capture_output=True, text=True)
    if r.returncode != 0 or not all(os.access(p, os.X_OK) for p in progs):
        return f"{MBEDTLS3_SRC}/build.sh failed: {tail(r.stderr + r.stdout)}"
    print(f"interop: built in {time.monotonic() - t0:.0f}s", flush=True)
    return ""


def run_case(env: Env, case: Case) -> Result:
    if case.suite is None:
        return Result(case, "n-a", case.na_reason)
    if case.impair and not env.relay:
        return Result(case, "n-a", "not run: the impairment needs the relay (--no-relay given)")
    if case.peer in ("gnutls",) and not env.netns:
        return Result(case, "fail", "", ["not run: gnutls-serv binds every address; run.py needs a private "
                                         "network namespace (unshare -n, as root)"])
    d = WORK / case.id
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    try:
        if case.peer == "libcoap":
            return libcoap_case(env, case, d)
        if case.feature == "reneg" and case.role == "server":
            return our_server_reneg_case(env, case, d)
        if case.feature.startswith("cid"):
            return cid_cases.run(env, case, d, globals())
        if case.role == "client":
            return our_client_case(env, case, d)
        return our_server_case(env, case, d)
    except Exception as e:  # noqa: BLE001 - a harness error is a failed case
        return Result(case, "fail", "", [f"harness: {e!r}"])
    finally:
        Proc.stop_all()


MARKS = {"pass": "PASS", "fail": "FAIL", "n-a": "N-A", "known-bug": "KNOWN-BUG"}


def print_table(results: list[Result], out=sys.stdout) -> None:
    rows = [("PEER", "CASE", "OUR ROLE", "RESULT", "DETAIL")]
    for r in results:
        rows.append((r.case.peer, r.case.name, r.case.role, MARKS[r.status], r.detail))
    w = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("  ".join(row[j].ljust(w[j]) for j in range(4)) + "  " + row[4], file=out)
        if i == 0:
            print("  ".join("-" * w[j] for j in range(4)) + "  " + "-" * 6, file=out)


def enter_netns(argv: list[str]) -> int | None:
    """Re-run this script inside a new network namespace holding only
    loopback. Returns its exit code, or None if namespaces are unavailable."""
    if os.environ.get("NANODTLS_INTEROP_NETNS") == "1":
        r = subprocess.run(["ip", "link", "set", "lo", "up"], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"interop: ip link set lo up: {r.stderr.strip()}", file=sys.stderr)
        return None
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True) \
        if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        print("interop: cannot create a network namespace (unshare -n: "
              f"{probe.stderr.strip() if probe else 'not installed'}); GnuTLS cases will fail",
              file=sys.stderr)
        return -1
    env = dict(os.environ, NANODTLS_INTEROP_NETNS="1")
    try:
        return subprocess.run(["unshare", "-n", "--", sys.executable, str(Path(__file__).resolve())] + argv,
                              env=env).returncode
    except KeyboardInterrupt:
        return 130


def main() -> int:
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=str(ROOT / "build" / "c-examples" / "posix"),
                    help="directory holding nanodtls-client and nanodtls-server "
                         "(default: build/c-examples/posix)")
    ap.add_argument("--only", choices=tuple(PEERS) + ("libcoap",), action="append",
                    help="run only this peer (repeatable)")
    ap.add_argument("--case", help="run only cases whose name contains this text")
    ap.add_argument("--role", choices=("client", "server"), help="run only cases where we play this role")
    ap.add_argument("--no-relay", action="store_true", help="connect directly (no wire log / checks)")
    ap.add_argument("--no-netns", action="store_true",
                    help="do not re-run inside a private network namespace (GnuTLS cases then fail)")
    ap.add_argument("--matrix-out", help="also write the final table to this file")
    ap.add_argument("--impair", choices=("drop-sflight", "drop-sfinal", "dup", "reverse", "reverse-all"),
                    help="experiment: apply this relay impairment to every selected case (reverse-all "
                         "reverses every burst, retransmissions included)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose

    netns = os.environ.get("NANODTLS_INTEROP_NETNS") == "1"
    if not args.no_netns and not netns:
        rc = enter_netns(sys.argv[1:])
        if rc is not None and rc >= 0:
            return rc
    elif netns:
        enter_netns([])
    netns = os.environ.get("NANODTLS_INTEROP_NETNS") == "1"

    build = Path(args.build)
    if not build.is_absolute():
        build = (Path.cwd() / build).resolve()
    missing = [str(p) for p in (build / "nanodtls-client", build / "nanodtls-server") if not os.access(p, os.X_OK)]
    if missing:
        print("interop: missing tool(s): " + ", ".join(missing), file=sys.stderr)
        print("interop: build them first: cmake -S . -B build && cmake --build build "
              "(or pass --build DIR)", file=sys.stderr)
        return 2

    cases = [c for c in matrix()
             if (not args.only or c.peer in args.only)
             and (not args.case or args.case.lower() in c.name.lower())
             and (not args.role or c.role == args.role)]
    if args.impair:
        for c in cases:
            c.impair = args.impair
    not_run = [(c, why) for c in cases if (why := shared_missing(c))]
    for why in sorted({why for _, why in not_run}):
        which = [c for c, w in not_run if w == why]
        print(f"interop: SKIP {len(which)} case(s) ({', '.join(sorted({c.peer for c in which}))}): {why}",
              flush=True)
    cases = [c for c in cases if not shared_missing(c)]
    lacking = check_peers({c.peer for c in cases if c.suite})
    if lacking:
        print("interop: missing peer(s): " + "; ".join(lacking), file=sys.stderr)
        print("interop: install them with: sudo tests/interop/install_peers.sh", file=sys.stderr)
        return 2

    WORK.mkdir(parents=True, exist_ok=True)
    try:
        keys = make_keys()
    except (RuntimeError, OSError) as e:
        print(f"interop: cannot make test keys: {e}", file=sys.stderr)
        return 2
    env = Env(build, relay=not args.no_relay, keys=keys, netns=netns)
    signal.signal(signal.SIGTERM, lambda s, f: (Proc.stop_all(), sys.exit(143)))
    results = []
    t_start = time.monotonic()
    try:
        for c in cases:
            t0 = time.monotonic()
            r = run_case(env, c)
            results.append(r)
            mark = {"pass": "ok", "fail": "FAIL", "n-a": "n/a", "known-bug": "BUG"}[r.status]
            print(f"[{mark:4}] {c.peer:8} {c.name[:46]:46} our {c.role:6} ({time.monotonic() - t0:4.1f}s)"
                  + (f"  -> {WORK / c.id}" if r.status in ("fail", "known-bug") else ""), flush=True)
            for p in r.problems:
                print(f"         - {p}", flush=True)
    finally:
        Proc.stop_all()

    n = {k: sum(r.status == k for r in results) for k in MARKS}
    summary = (f"interop: {n['pass']} passed, {n['fail']} failed, {n['n-a'] + n['known-bug']} skipped "
               f"({n['n-a']} n-a, {n['known-bug']} known library bugs) in {time.monotonic() - t_start:.0f}s"
               + (f"; {len(not_run)} not run (SKIP: a piece of ../shared is absent)" if not_run else ""))
    bugs = sorted({r.case.known_bug for r in results if r.status == "known-bug"})
    print()
    print_table(results)
    print()
    if bugs:
        print("known library bugs (reported; these cases do not count as FAIL):")
        for b in bugs:
            print(f"  - {b}")
    print(summary)
    if args.matrix_out:
        with open(args.matrix_out, "w") as f:
            print_table(results, out=f)
            print(file=f)
            if bugs:
                print("known library bugs (reported; these cases do not count as FAIL):", file=f)
                for b in bugs:
                    print(f"  - {b}", file=f)
            print(summary, file=f)
    return 1 if n["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
