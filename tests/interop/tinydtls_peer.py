#!/usr/bin/env python3
"""One DTLS 1.2 PSK peer role driven by tinydtls (pip package dtlssocket).

    tinydtls_peer.py client --host ::1 --port P [--send TEXT] ...
    tinydtls_peer.py server --host ::1 [--port 0] [--send TEXT] ...

Same behaviour and output as mbedtls_peer.py.  Uses the low-level
DTLSSocket.dtls.DTLS object (the DTLSSocket class is an aiocoap adapter):

- sockets are AF_INET6 only: an IPv4 --host is used as ::ffff:a.b.c.d;
- tinydtls retransmits only from checkRetransmit(), called here every 100 ms;
- the wrapper keeps a raw pointer to the pskId bytes: they stay referenced
  for the whole run (module global);
- the wrapper cannot choose cipher suites (no get_user_parameters hook): the
  tinydtls client offers TLS_PSK_WITH_AES_128_CCM_8 then ..._CCM, the
  tinydtls server takes the first suite of the client's list that it knows.
  The negotiated suite is read from the plaintext ServerHello on the wire.
- tinydtls requires extended_master_secret and renegotiation_info.
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peerlib  # noqa: E402
from peerlib import fail, log, out  # noqa: E402

try:
    from DTLSSocket import dtls
except ImportError as e:  # pragma: no cover
    print(f"PEER FAIL dtlssocket not importable: {e} "
          "(run tests/interop/install_peers.sh)")
    sys.exit(2)

TICK = 0.1
EVENT_CONNECTED = 0x01DE
ALERT_CLOSE_NOTIFY = 0
ALERT_LEVEL_FATAL = 2

# The wrapper stores a char* into this bytes object: keep it alive.
PSK_ID_KEEPALIVE: bytes = b""


def v6(host: str) -> str:
    ip = ipaddress.ip_address(host)
    return f"::ffff:{ip}" if ip.version == 4 else str(ip)


class Peer:
    def __init__(self, args, sock: socket.socket):
        global PSK_ID_KEEPALIVE
        self.args = args
        self.sock = sock
        self.connected = False
        self.closed_by_peer = False
        self.fatal: int | None = None
        self.suite: str | None = None
        self.records: list[tuple[tuple[str, int], bytes]] = []
        self.peer_addr: tuple[str, int] | None = None
        PSK_ID_KEEPALIVE = args.psk_id.encode()
        key = peerlib.psk_bytes(args.psk)
        self.d = dtls.DTLS(read=self._read, write=self._write, event=self._event,
                           pskId=PSK_ID_KEEPALIVE,
                           pskStore={PSK_ID_KEEPALIVE: key})
        if args.verbose:
            dtls.setLogLevel(dtls.DTLS_LOG_DEBUG)

    # -- callbacks from tinydtls ------------------------------------------
    def _write(self, addr, data: bytes) -> int:
        log(f"send {len(data)} bytes to {addr}")
        if self.args.role == "server" and self.suite is None:
            self.suite = peerlib.server_hello_suite(data)
        try:
            return self.sock.sendto(data, (addr[0], addr[1], 0, 0))
        except OSError as e:
            log(f"sendto failed: {e}")
            return -1

    def _read(self, addr, data: bytes) -> int:
        log(f"app data {len(data)} bytes from {addr}")
        self.records.append((addr, data))
        return len(data)

    def _event(self, level: int, code: int) -> None:
        log(f"event level={level} code=0x{code:x}")
        if level == 0 and code == EVENT_CONNECTED:
            self.connected = True
        elif level != 0 and code == ALERT_CLOSE_NOTIFY:
            self.closed_by_peer = True
        elif level == ALERT_LEVEL_FATAL:
            self.fatal = code

    # -- transport ---------------------------------------------------------
    def poll(self, timeout: float) -> None:
        r, _, _ = select.select([self.sock], [], [], timeout)
        if r:
            data, src = self.sock.recvfrom(65536)
            host = src[0].split("%")[0]
            log(f"recv {len(data)} bytes from {src[:2]}")
            if self.args.role == "client" and self.suite is None:
                self.suite = peerlib.server_hello_suite(data)
            if self.peer_addr is None:
                self.peer_addr = (host, src[1])
            ret = self.d.handleMessageAddr(host, src[1], data)
            if ret != 0:
                log(f"handleMessageAddr returned {ret}")
        self.d.checkRetransmit()

    def wait(self, cond, deadline: float) -> bool:
        while not cond() and time.monotonic() < deadline:
            if self.fatal is not None:
                fail(f"fatal alert {self.fatal} received")
            self.poll(TICK)
        return cond()


def main() -> None:
    p = peerlib.base_parser(__doc__.splitlines()[0])
    p.set_defaults(host="::1")
    args = p.parse_args()
    peerlib.setup(args)
    deadline = time.monotonic() + args.timeout
    host = v6(args.host)

    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    peer = Peer(args, sock)

    if args.role == "server":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, args.port, 0, 0))
        out(f"PEER LISTENING {sock.getsockname()[1]}")
        for _ in range(max(1, args.connections)):
            # One connection after the other. tinydtls keeps no session
            # cache: a client offering a session gets a full handshake.
            peer.connected = False
            peer.closed_by_peer = False
            peer.records.clear()
            if not peer.wait(lambda: peer.connected, deadline):
                fail("handshake did not complete")
            out(f"PEER HANDSHAKE OK {peer.suite}")
            if args.handshake_only:
                os._exit(0)
            if not peer.wait(lambda: peer.records, deadline):
                fail("no application record received")
            addr, data = peer.records.pop(0)
            out(f"PEER RECV {peerlib.text_of(data)}")
            sess = dtls.Session(addr[0], addr[1])
            if peer.d.write(sess, args.send.encode()) < 0:
                fail("dtls_write failed")
            idle_until = time.monotonic() + args.linger
            while time.monotonic() < min(idle_until, deadline) and not peer.closed_by_peer:
                peer.poll(TICK)
                while peer.records:
                    out(f"PEER RECV {peerlib.text_of(peer.records.pop(0)[1])}")
                    idle_until = time.monotonic() + args.linger
            log(f"closed_by_peer={peer.closed_by_peer}")
            if not peer.closed_by_peer:
                try:
                    peer.d.close(sess)
                except Exception as e:  # noqa: BLE001 - the wrapper raises bare Exception
                    log(f"close: {e!r}")
    else:
        sock.bind(("::ffff:127.0.0.1" if host.startswith("::ffff:") else "::1", 0, 0, 0))
        conn = peer.d.connect(host, args.port)
        if conn is None:
            fail("dtls_connect failed")
        if not peer.wait(lambda: peer.connected, deadline):
            fail("handshake did not complete")
        out(f"PEER HANDSHAKE OK {peer.suite}")
        if not args.handshake_only:
            if peer.d.write(conn, args.send.encode()) < 0:
                fail("dtls_write failed")
            if not peer.wait(lambda: peer.records, deadline):
                fail("no application record received")
            out(f"PEER RECV {peerlib.text_of(peer.records.pop(0)[1])}")
        try:
            peer.d.close(conn)
        except Exception as e:  # noqa: BLE001
            log(f"close: {e!r}")
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: the wrapper's Connection.__dealloc__ may run
    # after the DTLS context is freed.
    os._exit(0)


if __name__ == "__main__":
    main()
