"""Shared helpers for the interop peer drivers (stdlib only).

The drivers (mbedtls_peer.py, tinydtls_peer.py) run one DTLS role against a
peer, exchange one line each way and print machine-readable lines:

    PEER LISTENING <port>          (server role, once the socket is bound)
    PEER HANDSHAKE OK <suite>      (IANA name, e.g. TLS_PSK_WITH_AES_128_CCM_8)
    PEER RECV <text>               (one per application record received)
    PEER FAIL <reason>             (then exit code 1; 3 on the hard timeout)
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import socket
import struct
import sys
import time
from typing import NoReturn

# IANA names of the suites the peers can negotiate with PSK.
SUITE_NAMES = {
    0xC0A4: "TLS_PSK_WITH_AES_128_CCM",
    0xC0A8: "TLS_PSK_WITH_AES_128_CCM_8",
    0xC0A5: "TLS_PSK_WITH_AES_256_CCM",
    0xC0A9: "TLS_PSK_WITH_AES_256_CCM_8",
    0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    0xC0AE: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8",
}

RECORD_HEADER = 13  # type(1) version(2) epoch(2) seq(6) length(2)
CT_ALERT = 21
CT_HANDSHAKE = 22
HS_SERVER_HELLO = 2

VERBOSE = False


def out(line: str) -> None:
    """A result line on stdout (flushed at once: the harness tails it)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def log(msg: str) -> None:
    if VERBOSE:
        sys.stderr.write(f"[{time.monotonic():.3f}] {msg}\n")
        sys.stderr.flush()


def fail(reason: str, code: int = 1) -> NoReturn:
    out(f"PEER FAIL {reason}")
    sys.stdout.flush()
    os._exit(code)


def base_parser(desc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=desc)
    p.add_argument("role", choices=("client", "server"))
    p.add_argument("--host", default="127.0.0.1",
                   help="server: address to bind; client: address to connect to")
    p.add_argument("--port", type=int, default=0,
                   help="server: port to bind (0 = ephemeral, printed as "
                        "'PEER LISTENING <port>'); client: port to connect to")
    p.add_argument("--psk-id", default="client1")
    p.add_argument("--psk", default="000102030405060708090a0b0c0d0e0f",
                   help="pre-shared key in hex")
    p.add_argument("--send", default="hello from peer",
                   help="the line this peer sends (client: right after the "
                        "handshake; server: after the first record received)")
    p.add_argument("--timeout", type=float, default=20.0,
                   help="hard timeout in seconds for the whole run")
    p.add_argument("--linger", type=float, default=1.0,
                   help="server: seconds to keep serving after replying "
                        "(until close_notify or this much idle time)")
    p.add_argument("--connections", type=int, default=1,
                   help="server: serve this many connections one after the other")
    p.add_argument("--handshake-only", action="store_true",
                   help="stop after the handshake (no application data)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def setup(args: argparse.Namespace) -> None:
    """Common start-up: verbosity and the hard timeout."""
    global VERBOSE
    VERBOSE = args.verbose

    def on_alarm(signum, frame):  # noqa: ARG001
        fail(f"hard timeout after {args.timeout:g}s", code=3)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)
    # Exit quietly (no traceback) if the harness terminates us.
    signal.signal(signal.SIGTERM, lambda s, f: os._exit(143))


def psk_bytes(hexkey: str) -> bytes:
    try:
        key = bytes.fromhex(hexkey)
    except ValueError:
        fail(f"--psk is not hex: {hexkey!r}", code=2)
    if not key:
        fail("--psk is empty", code=2)
    return key


def family_of(host: str) -> int:
    return socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET


def split_records(datagram: bytes) -> list[bytes]:
    """Cut a datagram (or a stream of concatenated datagrams) into records."""
    recs = []
    i = 0
    while i + RECORD_HEADER <= len(datagram):
        (length,) = struct.unpack_from("!H", datagram, i + 11)
        end = i + RECORD_HEADER + length
        if end > len(datagram):
            break
        recs.append(datagram[i:end])
        i = end
    if i != len(datagram):
        log(f"split_records: {len(datagram) - i} trailing bytes not a whole record")
        recs.append(datagram[i:])
    return recs


def pack_datagrams(stream: bytes, mtu: int) -> list[bytes]:
    """Re-cut a byte stream of records into datagrams of at most `mtu` bytes,
    packing whole records (a record larger than `mtu` goes alone)."""
    grams: list[bytes] = []
    cur = b""
    for rec in split_records(stream):
        if cur and len(cur) + len(rec) > mtu:
            grams.append(cur)
            cur = b""
        cur += rec
    if cur:
        grams.append(cur)
    return grams


def server_hello_suite(datagram: bytes) -> str | None:
    """IANA name of the suite in a plaintext ServerHello in this datagram."""
    for rec in split_records(datagram):
        if len(rec) < RECORD_HEADER + 12 or rec[0] != CT_HANDSHAKE:
            continue
        epoch = struct.unpack_from("!H", rec, 3)[0]
        body = rec[RECORD_HEADER:]
        # msg_type(1) length(3) message_seq(2) frag_offset(3) frag_length(3)
        if epoch != 0 or body[0] != HS_SERVER_HELLO:
            continue
        frag_off = int.from_bytes(body[6:9], "big")
        if frag_off != 0:
            continue
        sh = body[12:]
        # server_version(2) random(32) session_id<0..32> cipher_suite(2)
        if len(sh) < 35:
            continue
        sid_len = sh[34]
        pos = 35 + sid_len
        if len(sh) < pos + 2:
            continue
        code = struct.unpack_from("!H", sh, pos)[0]
        return SUITE_NAMES.get(code, f"0x{code:04X}")
    return None


def alert_in(datagram: bytes) -> tuple[int, int] | None:
    """(level, description) of a plaintext (epoch 0) alert, if any."""
    for rec in split_records(datagram):
        if rec[0] == CT_ALERT and len(rec) == RECORD_HEADER + 2:
            if struct.unpack_from("!H", rec, 3)[0] == 0:
                return rec[RECORD_HEADER], rec[RECORD_HEADER + 1]
    return None


def text_of(data: bytes) -> str:
    return data.decode("utf-8", "replace").rstrip("\r\n")
