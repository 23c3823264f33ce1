#!/usr/bin/env python3
"""DTLS 1.2 PSK interop matrix for nanodtls (issue 2).

Runs build/c-examples/posix/nanodtls-client and nanodtls-server against
independent peers on loopback -- OpenSSL 3.0 s_server/s_client, Mbed TLS 2.28
(python-mbedtls, mbedtls_peer.py) and tinydtls (dtlssocket, tinydtls_peer.py)
-- in both roles, each case with a handshake and one line each way, and
prints a table (peer x case x role: pass / fail / n-a).  Exit status 1 if any
case fails, 2 if the tools or peers are missing.

Every datagram goes through a small loopback relay (unless --no-relay) that
logs it to work/<case>/wire.log, counts datagrams and checks that the MTU and
cookie (HelloVerifyRequest) expectations hold on the wire.

    python3 tests/interop/run.py [--build DIR] [--only PEER] [--case SUBSTR] [-v]
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import signal
import socket
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

PSK_ID = "client1"
LONG_PSK_ID = "client1-" + "0123456789abcdef" * 7    # 120 bytes (ours: max 128)
PSK = "000102030405060708090a0b0c0d0e0f"
WRONG_PSK = "0f0e0d0c0b0a09080706050403020100"

OURS_LINE = "hello from nanodtls"       # what our tool sends
THEIRS_LINE = "greetings from the peer"  # what the peer sends (no leading Q/R/K: s_client commands)

PROC_TIMEOUT = 30        # `timeout` around every process (s)
STEP_TIMEOUT = 12.0      # waiting for one expected line (s)
OUR_TIMEOUT_MS = 10000   # --timeout-ms for positive cases
NEG_TIMEOUT_MS = 3000    # --timeout-ms for must-fail cases

IANA = {
    "CCM8": "TLS_PSK_WITH_AES_128_CCM_8",
    "CCM": "TLS_PSK_WITH_AES_128_CCM",
}
OPENSSL_CIPHER = {"CCM8": "PSK-AES128-CCM8", "CCM": "PSK-AES128-CCM"}
OPENSSL_TO_IANA = {v: IANA[k] for k, v in OPENSSL_CIPHER.items()}
MBEDTLS_CIPHER = {"CCM8": "TLS-PSK-WITH-AES-128-CCM-8", "CCM": "TLS-PSK-WITH-AES-128-CCM"}

# How our tools report a failed connection on stderr (common.c: "FAILED: ...").
NEG_FAILURE = re.compile(r"FAILED|alert|error|fail", re.I)

VERBOSE = False


def vlog(msg: str) -> None:
    if VERBOSE:
        print(f"    . {msg}", flush=True)


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

    def stdout(self) -> str:
        return self.out_path.read_bytes().decode("utf-8", "replace")

    def stderr(self) -> str:
        return self.err_path.read_bytes().decode("utf-8", "replace")

    def wait_for(self, pattern: str, stream: str = "out", timeout: float = STEP_TIMEOUT) -> re.Match | None:
        """Poll the captured output for a regex; None on timeout or exit."""
        rx = re.compile(pattern, re.M)
        end = time.monotonic() + timeout
        while True:
            text = self.stdout() if stream == "out" else self.stderr()
            m = rx.search(text)
            if m:
                return m
            if self.p.poll() is not None or time.monotonic() > end:
                text = self.stdout() if stream == "out" else self.stderr()
                return rx.search(text)
            time.sleep(0.05)

    def write_line(self, line: str) -> bool:
        try:
            assert self.p.stdin is not None
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
            vlog(f"{self.name} <- stdin {line!r}")
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

    def stop(self) -> None:
        """Terminate (if still running) by PID / its own process group."""
        if self.p.poll() is None:
            vlog(f"stopping {self.name} (pid {self.pid})")
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
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


# --------------------------------------------------------------------------
# loopback relay: logs and measures every datagram
# --------------------------------------------------------------------------

HS_NAMES = {0: "hello_request", 1: "client_hello", 2: "server_hello", 3: "hello_verify_request", 4: "new_session_ticket",
            11: "certificate", 12: "server_key_exchange", 13: "certificate_request",
            14: "server_hello_done", 15: "certificate_verify", 16: "client_key_exchange",
            20: "finished"}
CT_NAMES = {20: "ccs", 21: "alert", 22: "handshake", 23: "app_data"}


def describe(datagram: bytes) -> tuple[str, list[int]]:
    """Human description of the records in a datagram, and the plaintext
    handshake message types it carries."""
    parts, hs = [], []
    i = 0
    while i + 13 <= len(datagram):
        ct = datagram[i]
        epoch = struct.unpack_from("!H", datagram, i + 3)[0]
        seq = int.from_bytes(datagram[i + 5:i + 11], "big")
        ln = struct.unpack_from("!H", datagram, i + 11)[0]
        body = datagram[i + 13:i + 13 + ln]
        d = f"{CT_NAMES.get(ct, ct)}(e{epoch},s{seq},{ln})"
        if ct == 22 and epoch == 0 and len(body) >= 12:
            mt = body[0]
            hs.append(mt)
            mlen = int.from_bytes(body[1:4], "big")
            off = int.from_bytes(body[6:9], "big")
            flen = int.from_bytes(body[9:12], "big")
            frag = f" frag {off}+{flen}/{mlen}" if flen != mlen else ""
            d += f":{HS_NAMES.get(mt, mt)}{frag}"
        elif ct == 21 and epoch == 0 and len(body) == 2:
            d += f":level{body[0]},desc{body[1]}"
        parts.append(d)
        i += 13 + ln
    if i != len(datagram):
        parts.append(f"+{len(datagram) - i} stray bytes")
    return " ".join(parts), hs


@dataclass
class WireStats:
    count: dict = field(default_factory=lambda: {"c2s": 0, "s2c": 0})
    max_size: dict = field(default_factory=lambda: {"c2s": 0, "s2c": 0})
    hs_types: dict = field(default_factory=lambda: {"c2s": [], "s2c": []})
    fragmented: dict = field(default_factory=lambda: {"c2s": False, "s2c": False})


class Relay:
    """client <-> relay(listen) ... relay(upstream) <-> server, one client."""

    def __init__(self, host: str, server_port: int, log_path: Path):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.server = (host, server_port)
        self.listen = socket.socket(fam, socket.SOCK_DGRAM)
        self.listen.bind((host, 0))
        self.port = self.listen.getsockname()[1]
        self.up = socket.socket(fam, socket.SOCK_DGRAM)
        self.up.bind((host, 0))
        self.client = None
        self.stats = WireStats()
        self.log = open(log_path, "w")
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _note(self, direction: str, data: bytes) -> None:
        st = self.stats
        st.count[direction] += 1
        st.max_size[direction] = max(st.max_size[direction], len(data))
        desc, hs = describe(data)
        st.hs_types[direction].extend(hs)
        if " frag " in desc:
            st.fragmented[direction] = True
        arrow = "C->S" if direction == "c2s" else "S->C"
        self.log.write(f"{time.monotonic() - self.t0:8.3f} {arrow} {len(data):5d}  {desc}\n")
        self.log.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            r, _, _ = select.select([self.listen, self.up], [], [], 0.05)
            for s in r:
                try:
                    data, src = s.recvfrom(65536)
                except OSError:
                    continue
                if s is self.listen:
                    if self.client is None:
                        self.client = src
                    if src[:2] != self.client[:2]:
                        self.log.write(f"ignored datagram from {src}\n")
                        continue
                    self._note("c2s", data)
                    self.up.sendto(data, self.server)
                else:
                    self._note("s2c", data)
                    if self.client is not None:
                        self.listen.sendto(data, self.client)

    def close(self) -> None:
        self._stop.set()
        self.th.join(2)
        self.listen.close()
        self.up.close()
        self.log.close()


# --------------------------------------------------------------------------
# peers
# --------------------------------------------------------------------------

@dataclass
class Case:
    peer: str           # openssl | mbedtls | tinydtls
    name: str           # column shown in the table
    role: str           # our role: client | server
    suite: str | None   # CCM8 | CCM (None: n/a)
    mtu: int | None = None        # --mtu for our tool
    peer_mtu: int | None = None   # -mtu / --mtu for the peer
    wrong_key: bool = False
    psk_id: str = PSK_ID
    expect_frag: tuple[str, ...] = ()   # "ours"/"theirs": must send fragmented handshake messages
    na_reason: str = ""

    @property
    def id(self) -> str:
        return re.sub(r"[^\w.-]+", "_", f"{self.peer}-{self.name}-our-{self.role}")


@dataclass
class Result:
    case: Case
    status: str                  # pass | fail | n-a
    detail: str = ""
    problems: list[str] = field(default_factory=list)


class Env:
    def __init__(self, build: Path, relay: bool):
        self.client = build / "nanodtls-client"
        self.server = build / "nanodtls-server"
        self.relay = relay


def host_for(peer: str) -> str:
    return "::1" if peer == "tinydtls" else "127.0.0.1"


def start_peer_server(case: Case, d: Path, host: str) -> tuple[Proc, int]:
    """Their server; returns it and its port once it listens."""
    key = PSK
    if case.peer == "openssl":
        argv = ["openssl", "s_server", "-dtls1_2", "-accept", f"{_bracket(host)}:0", "-naccept", "1",
                "-nocert", "-psk", key, "-psk_identity", case.psk_id, "-cipher", OPENSSL_CIPHER[case.suite]]
        if case.peer_mtu:
            argv += ["-mtu", str(case.peer_mtu)]
        p = Proc("peer", argv, d, stdin_pipe=True)
        m = p.wait_for(r"^ACCEPT .*:(\d+)\s*$", timeout=5)
    else:
        script = "mbedtls_peer.py" if case.peer == "mbedtls" else "tinydtls_peer.py"
        argv = [sys.executable, str(HERE / script), "server", "--host", host, "--port", "0",
                "--psk-id", case.psk_id, "--psk", key, "--send", THEIRS_LINE, "--timeout", "25"]
        if case.peer == "mbedtls":
            argv += ["--cipher", MBEDTLS_CIPHER[case.suite]]
            if case.peer_mtu:
                argv += ["--mtu", str(case.peer_mtu)]
        if VERBOSE:
            argv.append("-v")
        p = Proc("peer", argv, d)
        m = p.wait_for(r"^PEER LISTENING (\d+)$", timeout=10)
    if not m:
        raise RuntimeError(f"peer server did not start: {tail(p.stdout() + p.stderr())}")
    return p, int(m.group(1))


def start_peer_client(case: Case, d: Path, host: str, port: int) -> Proc:
    key = WRONG_PSK if case.wrong_key else PSK
    if case.peer == "openssl":
        argv = ["openssl", "s_client", "-dtls1_2", "-connect", f"{_bracket(host)}:{port}",
                "-psk_identity", case.psk_id, "-psk", key, "-cipher", OPENSSL_CIPHER[case.suite]]
        if case.peer_mtu:
            argv += ["-mtu", str(case.peer_mtu)]
        return Proc("peer", argv, d, stdin_pipe=True)
    script = "mbedtls_peer.py" if case.peer == "mbedtls" else "tinydtls_peer.py"
    argv = [sys.executable, str(HERE / script), "client", "--host", host, "--port", str(port),
            "--psk-id", case.psk_id, "--psk", key, "--send", THEIRS_LINE,
            "--timeout", str(NEG_TIMEOUT_MS / 1000 + 2 if case.wrong_key else 20)]
    if case.peer == "mbedtls":
        argv += ["--cipher", MBEDTLS_CIPHER[case.suite]]
        if case.peer_mtu:
            argv += ["--mtu", str(case.peer_mtu)]
    if VERBOSE:
        argv.append("-v")
    return Proc("peer", argv, d)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def tail(text: str, n: int = 3) -> str:
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:])


def peer_handshake_ok(case: Case, peer: Proc, server_side: bool) -> tuple[bool, str]:
    """Did their side complete the handshake, and with which suite?"""
    out = peer.stdout()
    if case.peer == "openssl":
        if server_side:
            m = re.search(r"^CIPHER is (\S+)", out, re.M)
        else:
            # s_client prints this summary even when the handshake then dies
            # on an alert (seen with a wrong PSK): check stderr too.
            m = re.search(r"^New, TLSv1\.2, Cipher is (\S+)", out, re.M)
            if m and (m.group(1) == "(NONE)" or re.search(r"SSL alert number|:error:", peer.stderr())):
                m = None
        name = m.group(1) if m else ""
        return (m is not None, OPENSSL_TO_IANA.get(name, name))
    m = re.search(r"^PEER HANDSHAKE OK (\S+)", out, re.M)
    return (m is not None, m.group(1) if m else "")


def peer_received(case: Case, peer: Proc, line: str) -> bool:
    out = peer.stdout()
    if case.peer == "openssl":
        return line in out
    return re.search(rf"^PEER RECV {re.escape(line)}$", out, re.M) is not None


# --------------------------------------------------------------------------
# the two directions
# --------------------------------------------------------------------------

def our_client_case(env: Env, case: Case, d: Path) -> Result:
    host = host_for(case.peer)
    problems: list[str] = []
    peer, port = start_peer_server(case, d, host)
    relay = Relay(host, port, d / "wire.log") if env.relay else None
    try:
        argv = [str(env.client), "--host", host, "--port", str(relay.port if relay else port),
                "--psk-id", case.psk_id, "--psk", WRONG_PSK if case.wrong_key else PSK,
                "--send", OURS_LINE,
                "--timeout-ms", str(NEG_TIMEOUT_MS if case.wrong_key else OUR_TIMEOUT_MS)]
        if case.mtu:
            argv += ["--mtu", str(case.mtu)]
        if VERBOSE:
            argv.append("--verbose")
        ours = Proc("ours", argv, d)

        if case.peer == "openssl" and not case.wrong_key:
            # s_server prints what it receives; answer once our line is there.
            if peer.wait_for(re.escape(OURS_LINE)):
                peer.write_line(THEIRS_LINE)
        rc = ours.wait(NEG_TIMEOUT_MS / 1000 + 10 if case.wrong_key else STEP_TIMEOUT + 5)
        if case.wrong_key:
            peer.wait(0.5)  # it never completes: do not wait for it
        elif case.peer == "openssl":
            peer.wait(3)  # -naccept 1: exits after the connection ends
        else:
            peer.wait(5)  # the driver lingers until close_notify
        ours.stop()
        peer.stop()
        out = ours.stdout()
        hs = re.search(r"^HANDSHAKE OK (\S+)", out, re.M)
        their_ok, their_suite = peer_handshake_ok(case, peer, server_side=True)

        if case.wrong_key:
            if hs:
                problems.append("our client reported HANDSHAKE OK with a wrong PSK")
            if rc == 0:
                problems.append("our client exited 0 with a wrong PSK")
            if rc is None:
                problems.append(f"our client did not give up within --timeout-ms {NEG_TIMEOUT_MS}")
            if their_ok:
                problems.append(f"{case.peer} completed the handshake with a wrong PSK")
            detail = f"our client failed as expected (rc={rc}: {tail(ours.stderr(), 1)})"
        else:
            if rc is None:
                problems.append("our client did not exit in time")
            elif rc != 0:
                problems.append(f"our client exit {rc}: {tail(ours.stderr())}")
            if not hs:
                problems.append("no 'HANDSHAKE OK' from our client")
            elif hs.group(1) != IANA[case.suite]:
                problems.append(f"our client negotiated {hs.group(1)}, expected {IANA[case.suite]}")
            if not their_ok:
                problems.append(f"{case.peer} server did not complete the handshake: {tail(peer.stdout() + peer.stderr())}")
            if not re.search(rf"^RECV {re.escape(THEIRS_LINE)}$", out, re.M):
                problems.append(f"our client did not print 'RECV {THEIRS_LINE}'")
            if not peer_received(case, peer, OURS_LINE):
                problems.append(f"{case.peer} server did not receive our line")
            detail = hs.group(1) if hs else ""
            if their_suite and hs and their_suite != hs.group(1):
                detail += f" (peer: {their_suite})"
        if relay:
            problems += wire_checks(case, relay.stats, our_dir="c2s")
            detail += wire_summary(relay.stats, our_dir="c2s")
        return Result(case, "fail" if problems else "pass", detail, problems)
    finally:
        if relay:
            relay.close()


def our_server_case(env: Env, case: Case, d: Path) -> Result:
    host = host_for(case.peer)
    problems: list[str] = []
    # --port 0: the server binds a free port and names it on stderr
    # ("listening on 127.0.0.1:NNNN" / "listening on [::1]:NNNN").
    argv = [str(env.server), "--host", host, "--port", "0", "--psk-id", case.psk_id, "--psk", PSK, "--once"]
    if case.mtu:
        argv += ["--mtu", str(case.mtu)]
    if VERBOSE:
        argv.append("--verbose")
    ours = Proc("ours", argv, d, stdin_pipe=True)
    m = ours.wait_for(r"listening on .*:(\d+)\s*$", stream="err", timeout=5)
    if not m:
        raise RuntimeError(f"our server did not start: {tail(ours.stderr())}")
    port = int(m.group(1))
    relay = Relay(host, port, d / "wire.log") if env.relay else None
    try:
        peer = start_peer_client(case, d, host, relay.port if relay else port)
        if case.peer == "openssl" and not case.wrong_key:
            if peer.wait_for(r"^New, TLSv1\.2, Cipher is (?!\(NONE\))"):
                peer.write_line(THEIRS_LINE)
        got_theirs = None
        if not case.wrong_key:
            got_theirs = ours.wait_for(rf"^RECV {re.escape(THEIRS_LINE)}$")
            if got_theirs:
                ours.write_line(OURS_LINE)
            if case.peer == "openssl":
                peer.wait_for(re.escape(OURS_LINE))
                peer.close_stdin()  # s_client: EOF on stdin -> close_notify, exit
            peer_rc = peer.wait(STEP_TIMEOUT)
            our_rc = ours.wait(5)  # --once: exits after the connection ends
        else:
            # Give the handshake time to fail: until our server says something
            # about it (or the peer gives up), at most a few seconds.
            end = time.monotonic() + NEG_TIMEOUT_MS / 1000 + 3
            while time.monotonic() < end:
                if (NEG_FAILURE.search(ours.stderr()) or "HANDSHAKE OK" in ours.stdout()
                        or peer.p.poll() is not None):
                    break
                time.sleep(0.1)
            time.sleep(0.5)
            peer_rc = peer.p.poll()
            our_rc = ours.p.poll()
        peer.stop()
        ours.stop()
        out = ours.stdout()
        hs = re.search(r"^HANDSHAKE OK (\S+) (\S+) (.*)$", out, re.M)
        their_ok, their_suite = peer_handshake_ok(case, peer, server_side=False)

        if case.wrong_key:
            if hs:
                problems.append("our server reported HANDSHAKE OK with a wrong client key")
            if their_ok:
                problems.append(f"{case.peer} client completed the handshake with a wrong key")
            err = ours.stderr()
            failure = [l for l in err.splitlines() if NEG_FAILURE.search(l)]
            if failure:
                detail = f"our server: {failure[-1].strip()}"
            else:
                problems.append("our server reported no failure for the bad handshake "
                                f"(stderr: {tail(err) or 'empty'})")
                detail = ""
        else:
            if not hs:
                problems.append(f"no 'HANDSHAKE OK' from our server: {tail(ours.stderr())}")
            else:
                if hs.group(1) != IANA[case.suite]:
                    problems.append(f"our server negotiated {hs.group(1)}, expected {IANA[case.suite]}")
                if hs.group(3).strip() != case.psk_id:
                    problems.append(f"our server reported identity {hs.group(3)!r}")
            if not their_ok:
                problems.append(f"{case.peer} client did not complete the handshake: {tail(peer.stdout() + peer.stderr())}")
            if not got_theirs:
                problems.append(f"our server did not print 'RECV {THEIRS_LINE}'")
            if not peer_received(case, peer, OURS_LINE):
                problems.append(f"{case.peer} client did not receive our line")
            if case.peer != "openssl" and peer_rc != 0:
                problems.append(f"{case.peer} client exit {peer_rc}: {tail(peer.stdout() + peer.stderr())}")
            if our_rc is None:
                problems.append("our server (--once) did not exit after the connection ended")
            elif our_rc != 0:
                problems.append(f"our server exit {our_rc}: {tail(ours.stderr())}")
            detail = hs.group(1) if hs else ""
            if their_suite and hs and their_suite != hs.group(1):
                detail += f" (peer: {their_suite})"
        if relay:
            problems += wire_checks(case, relay.stats, our_dir="s2c")
            detail += wire_summary(relay.stats, our_dir="s2c")
        return Result(case, "fail" if problems else "pass", detail, problems)
    finally:
        if relay:
            relay.close()


def wire_checks(case: Case, st: WireStats, our_dir: str) -> list[str]:
    probs = []
    their_dir = "s2c" if our_dir == "c2s" else "c2s"
    if case.mtu and st.max_size[our_dir] > case.mtu:
        probs.append(f"our datagrams exceed --mtu {case.mtu}: largest {st.max_size[our_dir]} bytes")
    # Cookies: always on in our server and in every peer server used here.
    if 3 not in st.hs_types["s2c"]:
        probs.append("no HelloVerifyRequest seen from the server (cookies expected on)")
    if st.count[our_dir] == 0:
        probs.append("we sent no datagram")
    for who in case.expect_frag:
        direction = our_dir if who == "ours" else their_dir
        if not st.fragmented[direction]:
            probs.append(f"expected {who} to fragment a handshake message (largest datagram "
                         f"{st.max_size[direction]} bytes)")
    return probs


def wire_summary(st: WireStats, our_dir: str) -> str:
    their_dir = "s2c" if our_dir == "c2s" else "c2s"
    s = (f"; wire: ours {st.count[our_dir]} dgrams max {st.max_size[our_dir]}B, "
         f"theirs {st.count[their_dir]} max {st.max_size[their_dir]}B")
    frag = [d for d in ("c2s", "s2c") if st.fragmented[d]]
    if frag:
        who = ["ours" if d == our_dir else "theirs" for d in frag]
        s += f", fragmented msgs: {'+'.join(who)}"
    return s


# --------------------------------------------------------------------------
# matrix
# --------------------------------------------------------------------------

def matrix() -> list[Case]:
    cases: list[Case] = []
    for role in ("client", "server"):
        cases += [
            Case("openssl", "PSK-AES128-CCM8", role, "CCM8"),
            Case("openssl", "PSK-AES128-CCM", role, "CCM"),
            Case("openssl", "PSK-AES128-CCM8 mtu300", role, "CCM8", mtu=300, peer_mtu=300),
            # With PSK no handshake message reaches 300 bytes. A 120-byte
            # identity makes the ClientKeyExchange 147 bytes: at MTU 128 the
            # client must fragment it. OpenSSL's smallest link MTU is 256, so
            # only our side goes down to 128.
            Case("openssl", "PSK-AES128-CCM8 mtu128 long-id", role, "CCM8", mtu=128,
                 psk_id=LONG_PSK_ID, expect_frag=("ours",) if role == "client" else ()),
            Case("openssl", "wrong-PSK (must fail)", role, "CCM8", wrong_key=True),
            Case("mbedtls", "PSK-AES128-CCM8", role, "CCM8"),
            Case("mbedtls", "PSK-AES128-CCM", role, "CCM"),
            Case("mbedtls", "wrong-PSK (must fail)", role, "CCM8", wrong_key=True),
            Case("mbedtls", "PSK-AES128-CCM8 mtu128 long-id", role, "CCM8", mtu=128, peer_mtu=128,
                 psk_id=LONG_PSK_ID, expect_frag=("ours",) if role == "client" else ("theirs",)),
            Case("tinydtls", "PSK-AES128-CCM8", role, "CCM8"),
            Case("tinydtls", "wrong-PSK (must fail)", role, "CCM8", wrong_key=True),
            Case("tinydtls", "PSK-AES128-CCM", role, None,
                 na_reason="dtlssocket cannot choose suites (no get_user_parameters hook); "
                           "tinydtls offers CCM_8 first and, as server, takes the client's first"),
            Case("tinydtls", "PSK-AES128-CCM8 mtu128 long-id", role, None,
                 na_reason="tinydtls cannot reassemble fragmented handshake messages "
                           "(\"No fragment support (yet)\")"),
        ]
    order = {"openssl": 0, "mbedtls": 1, "tinydtls": 2}
    cases.sort(key=lambda c: (order[c.peer], c.name.startswith("wrong"), c.name, c.role))
    return cases


def check_peers(peers: set[str]) -> list[str]:
    missing = []
    if "openssl" in peers and not shutil.which("openssl"):
        missing.append("openssl (apt-get install openssl)")
    for peer, mod in (("mbedtls", "mbedtls.tls"), ("tinydtls", "DTLSSocket.dtls")):
        if peer in peers:
            r = subprocess.run([sys.executable, "-c", f"import {mod}"], capture_output=True)
            if r.returncode != 0:
                missing.append(f"python module {mod} for {peer}")
    return missing


def run_case(env: Env, case: Case) -> Result:
    if case.suite is None:
        return Result(case, "n-a", case.na_reason)
    d = WORK / case.id
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    try:
        if case.role == "client":
            return our_client_case(env, case, d)
        return our_server_case(env, case, d)
    except Exception as e:  # noqa: BLE001 - a harness error is a failed case
        return Result(case, "fail", "", [f"harness: {e}"])
    finally:
        Proc.stop_all()


def print_table(results: list[Result]) -> None:
    rows = [("PEER", "CASE", "OUR ROLE", "RESULT", "DETAIL")]
    for r in results:
        rows.append((r.case.peer, r.case.name, r.case.role, r.status.upper(), r.detail))
    w = [max(len(row[i]) for row in rows) for i in range(4)]
    for i, row in enumerate(rows):
        print("  ".join(row[j].ljust(w[j]) for j in range(4)) + "  " + row[4])
        if i == 0:
            print("  ".join("-" * w[j] for j in range(4)) + "  " + "-" * 6)


def main() -> int:
    global VERBOSE
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=str(ROOT / "build" / "c-examples" / "posix"),
                    help="directory holding nanodtls-client and nanodtls-server "
                         "(default: build/c-examples/posix)")
    ap.add_argument("--only", choices=("openssl", "mbedtls", "tinydtls"), action="append",
                    help="run only this peer (repeatable)")
    ap.add_argument("--case", help="run only cases whose name contains this text")
    ap.add_argument("--role", choices=("client", "server"), help="run only cases where we play this role")
    ap.add_argument("--no-relay", action="store_true", help="connect directly (no wire log / checks)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    VERBOSE = args.verbose

    build = Path(args.build)
    if not build.is_absolute():
        build = (Path.cwd() / build).resolve()
    env = Env(build, relay=not args.no_relay)
    missing = [str(p) for p in (env.client, env.server) if not os.access(p, os.X_OK)]
    if missing:
        print("interop: missing tool(s): " + ", ".join(missing), file=sys.stderr)
        print("interop: build them first: cmake -S . -B build && cmake --build build "
              "(or pass --build DIR)", file=sys.stderr)
        return 2

    cases = [c for c in matrix()
             if (not args.only or c.peer in args.only)
             and (not args.case or args.case.lower() in c.name.lower())
             and (not args.role or c.role == args.role)]
    lacking = check_peers({c.peer for c in cases if c.suite})
    if lacking:
        print("interop: missing peer(s): " + "; ".join(lacking), file=sys.stderr)
        print("interop: install them with: sudo tests/interop/install_peers.sh", file=sys.stderr)
        return 2

    WORK.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda s, f: (Proc.stop_all(), sys.exit(143)))
    results = []
    try:
        for c in cases:
            t0 = time.monotonic()
            r = run_case(env, c)
            results.append(r)
            mark = {"pass": "ok", "fail": "FAIL", "n-a": "n/a"}[r.status]
            print(f"[{mark:4}] {c.peer:8} {c.name:31} our {c.role:6} ({time.monotonic() - t0:4.1f}s)"
                  + (f"  -> {WORK / c.id}" if r.status == "fail" else ""), flush=True)
            for p in r.problems:
                print(f"         - {p}", flush=True)
    finally:
        Proc.stop_all()

    print()
    print_table(results)
    n_pass = sum(r.status == "pass" for r in results)
    n_fail = sum(r.status == "fail" for r in results)
    n_na = sum(r.status == "n-a" for r in results)
    print()
    print(f"interop: {n_pass} passed, {n_fail} failed, {n_na} skipped")
    return 1 if n_fail else 0


if __name__ == "__main__":
    sys.exit(main())
