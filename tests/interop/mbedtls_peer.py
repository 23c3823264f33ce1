#!/usr/bin/env python3
"""One DTLS 1.2 peer role driven by python-mbedtls (Mbed TLS 2.28): PSK or ECDHE-ECDSA with X.509 certificates.

    mbedtls_peer.py client --host 127.0.0.1 --port P [--cipher C] [--mtu N] ...
    mbedtls_peer.py server --host 127.0.0.1 [--port 0] [--cipher C] ...
    ... --cipher TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8 --cert me.crt --key me.key
        --ca peer.crt [--verify] [--hostname server.example] [--mfl 512]

Mbed TLS has no raw public keys (RFC 7250): ECDHE-ECDSA runs with
certificates. With --ca the peer's certificate is verified against it
(--verify on the server requests and requires a client certificate).
--expect-bytes N reads records until N bytes arrived (to see a long line
split by max_fragment_length) and prints `PEER RECORDS <n> MAX <bytes>`.

The client does the handshake, sends --send, waits for one record, prints it
and closes (close_notify).  The server prints `PEER LISTENING <port>`, answers
the cookie exchange (HelloVerifyRequest, always on in python-mbedtls), does the
handshake, waits for one record, prints it, sends --send and keeps serving for
--linger seconds or until close_notify.

python-mbedtls is driven through its memory-buffer API (MbedTLSBuffer): the
socket loop is ours, so retransmission timers run (do_handshake() is called
again every 100 ms while waiting) and outgoing records are packed into
datagrams of at most --mtu bytes (the library's ring buffer loses datagram
boundaries; record boundaries are recovered from the record headers).
"""

from __future__ import annotations

import select
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peerlib  # noqa: E402
from peerlib import fail, log, out  # noqa: E402

try:
    from mbedtls import pk, tls, x509
    from mbedtls.exceptions import TLSError
except ImportError as e:  # pragma: no cover
    print(f"PEER FAIL python-mbedtls not importable: {e} "
          "(run tests/interop/install_peers.sh)")
    sys.exit(2)

TICK = 0.1  # seconds between timer-driven do_handshake() calls
DEFAULT_DGRAM = 1400

# mbedtls' own names; IANA names are accepted too.
CIPHER_ALIASES = {
    "TLS_PSK_WITH_AES_128_CCM_8": "TLS-PSK-WITH-AES-128-CCM-8",
    "TLS_PSK_WITH_AES_128_CCM": "TLS-PSK-WITH-AES-128-CCM",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8": "TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CCM": "TLS-ECDHE-ECDSA-WITH-AES-128-CCM",
}
MFL = {512: 1, 1024: 2, 2048: 3, 4096: 4}
CLOSE_NOTIFY = 0x7880  # -MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY (TLSError.err is positive)


class Peer:
    def __init__(self, args, buf, sock: socket.socket, addr=None):
        self.args = args
        self.buf = buf
        self.sock = sock
        self.addr = addr  # peer address (server role: learnt from the first datagram)
        self.dgram = args.mtu or DEFAULT_DGRAM
        self.closed_by_peer = False

    # -- transport ---------------------------------------------------------
    def flush(self) -> None:
        n = len(self.buf._output_buffer)
        if not n:
            return
        stream = self.buf.peek_outgoing(n)
        self.buf.consume_outgoing(n)
        for gram in peerlib.pack_datagrams(stream, self.dgram):
            log(f"send {len(gram)} bytes to {self.addr}")
            self.sock.sendto(gram, self.addr)

    def wait_datagram(self, timeout: float) -> bool:
        """Feed at most one datagram from our peer; False on timeout."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return False
        data, src = self.sock.recvfrom(65536)
        if self.addr is None:
            self.addr = src
        elif src[:2] != self.addr[:2]:
            log(f"ignoring {len(data)} bytes from {src}")
            return True
        log(f"recv {len(data)} bytes from {src}")
        al = peerlib.alert_in(data)
        if al:
            log(f"plaintext alert level={al[0]} desc={al[1]}")
        self.buf.receive_from_network(data)
        return True

    # -- handshake ---------------------------------------------------------
    def handshake(self, server: bool) -> None:
        cookie_id = None
        if server:
            cookie_id = f"{self.addr[0]}:{self.addr[1]}".encode()
            self.buf.setcookieparam(cookie_id)
        hvr = 0
        while self.buf._handshake_state is not tls.HandshakeStep.HANDSHAKE_OVER:
            try:
                self.buf.do_handshake()
            except tls.WantWriteError:
                self.flush()
            except tls.WantReadError:
                self.flush()
                self.wait_datagram(TICK)
            except tls.HelloVerifyRequest:
                # The HelloVerifyRequest is out; the context was reset and
                # forgot the client's transport id: set it again and wait for
                # the ClientHello with the cookie.
                hvr += 1
                log("HelloVerifyRequest sent")
                self.flush()
                self.buf.setcookieparam(cookie_id)
            except TLSError as e:
                self.flush()
                fail(f"handshake: {e}")
        self.flush()
        if server:
            log(f"cookie exchanges: {hvr}")

    # -- application data --------------------------------------------------
    def pump_read(self) -> list[bytes]:
        """Records decrypted from what is buffered now (may be none)."""
        got = []
        while True:
            try:
                data = self.buf.read(16384)
            except (tls.WantReadError, tls.WantWriteError):
                break
            except tls.RaggedEOF:
                self.closed_by_peer = True
                break
            except TLSError as e:
                if abs(getattr(e, "err", 0) or 0) == CLOSE_NOTIFY:
                    self.closed_by_peer = True
                    break
                self.flush()
                fail(f"read: {e}")
            if not data:
                break
            got.append(data)
        self.flush()  # retransmissions / alerts produced while reading
        return got

    def recv_record(self, deadline: float, expect_bytes: int = 1) -> bytes | None:
        """The first record, or (expect_bytes > 1) records joined until that
        many bytes arrived."""
        got: list[bytes] = []
        while time.monotonic() < deadline and not self.closed_by_peer:
            if self.wait_datagram(TICK):
                got += self.pump_read()
                if got and sum(map(len, got)) >= expect_bytes:
                    break
        if not got:
            return None
        if expect_bytes > 1:
            out(f"PEER RECORDS {len(got)} MAX {max(map(len, got))}")
            return b"".join(got)
        return got[0]

    def send(self, text: str) -> None:
        data = text.encode()
        # Over DTLS mbedtls_ssl_write() refuses more than one record (e.g.
        # the negotiated max_fragment_length: BAD_INPUT_DATA): --write-chunk
        # cuts the line into records.
        step = self.args.write_chunk or len(data)
        for i in range(0, len(data), step):
            try:
                self.buf.write(data[i:i + step])
            except TLSError as e:
                fail(f"write: {e}")
            self.flush()

    def close(self) -> None:
        try:
            self.buf.shutdown()
        except (tls.WantReadError, tls.WantWriteError):
            pass
        except TLSError:
            pass
        self.flush()


def make_config(args, server: bool):
    cipher = CIPHER_ALIASES.get(args.cipher, args.cipher)
    common = dict(
        ciphers=[cipher],
        validate_certificates=False,
        lowest_supported_version=tls.DTLSVersion.DTLSv1_2,
        highest_supported_version=tls.DTLSVersion.DTLSv1_2,
        handshake_timeout_min=0.5,
        handshake_timeout_max=8.0,
    )
    if args.mfl:
        common["max_fragmentation_length"] = tls.MaxFragmentLength(MFL[args.mfl])
    if "ECDHE" in cipher:
        if args.cert and args.key:
            crt = x509.CRT.from_file(args.cert)
            key = pk.ECC.from_file(args.key)
            common["certificate_chain"] = ((crt,), key)
        if args.ca:
            common["trust_store"] = tls.TrustStore([x509.CRT.from_file(args.ca)])
            # Client: verify the server; server: request and require a client certificate.
            common["validate_certificates"] = (not server) or args.verify
        return tls.DTLSConfiguration(**common)
    key = peerlib.psk_bytes(args.psk)
    if server:
        return tls.DTLSConfiguration(pre_shared_key_store={args.psk_id: key}, **common)
    return tls.DTLSConfiguration(pre_shared_key=(args.psk_id, key), **common)


def main() -> None:
    p = peerlib.base_parser(__doc__.splitlines()[0])
    p.add_argument("--cipher", default="TLS-PSK-WITH-AES-128-CCM-8",
                   help="Mbed TLS suite name (TLS-PSK-WITH-AES-128-CCM-8 | "
                        "TLS-PSK-WITH-AES-128-CCM)")
    p.add_argument("--mtu", type=int, default=0,
                   help="path MTU for mbedtls_ssl_set_mtu() and our datagram packing")
    p.add_argument("--cert", help="own certificate (PEM/DER), ECDHE-ECDSA")
    p.add_argument("--key", help="own private key (PEM/DER), ECDHE-ECDSA")
    p.add_argument("--ca", help="trust anchor for the peer's certificate (PEM/DER)")
    p.add_argument("--verify", action="store_true",
                   help="server: request and require a client certificate (needs --ca)")
    p.add_argument("--hostname", default=None,
                   help="client: server name to send (SNI) and to check in its certificate")
    p.add_argument("--mfl", type=int, choices=sorted(MFL), default=0,
                   help="client: request max_fragment_length")
    p.add_argument("--write-chunk", type=int, default=0,
                   help="write the line as records of at most this many bytes")
    p.add_argument("--expect-bytes", type=int, default=1,
                   help="read records until this many bytes arrived")
    args = p.parse_args()
    peerlib.setup(args)
    deadline = time.monotonic() + args.timeout
    server = args.role == "server"

    try:
        conf = make_config(args, server)
        ctx = tls.ServerContext(conf) if server else tls.ClientContext(conf)
    except Exception as e:  # noqa: BLE001 - config errors name the problem
        fail(f"config: {e!r}", code=2)

    fam = peerlib.family_of(args.host)
    sock = socket.socket(fam, socket.SOCK_DGRAM)
    if server:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        out(f"PEER LISTENING {sock.getsockname()[1]}")
        # One connection after the other (a fresh context each time: the
        # wrapper keeps no session cache, so a client's offer of a session
        # ends in a full handshake).
        for _ in range(max(1, args.connections)):
            serve_one(args, ctx, sock, deadline)
    else:
        buf = ctx.wrap_buffers(args.hostname)
        if args.mtu:
            buf.setmtu(args.mtu)
        peer = Peer(args, buf, sock, (args.host, args.port))
        peer.handshake(False)
        out(f"PEER HANDSHAKE OK {str(buf.cipher()).replace('-', '_')}")
        if not args.handshake_only:
            peer.send(args.send)
            rec = peer.recv_record(deadline, args.expect_bytes)
            if rec is None:
                fail("no application record received")
            out(f"PEER RECV {peerlib.text_of(rec)}")
        peer.close()
    sock.close()


def serve_one(args, ctx, sock: socket.socket, deadline: float) -> None:
    buf = ctx.wrap_buffers()
    if args.mtu:
        buf.setmtu(args.mtu)
    peer = Peer(args, buf, sock)
    while peer.addr is None:
        r, _, _ = select.select([sock], [], [], 1.0)
        if r:
            data, src = sock.recvfrom(65536, socket.MSG_PEEK)
            peer.addr = src
            log(f"first datagram from {src}")
    peer.handshake(True)
    out(f"PEER HANDSHAKE OK {str(buf.cipher()).replace('-', '_')}")
    if args.handshake_only:
        peer.close()
        return
    rec = peer.recv_record(deadline, args.expect_bytes)
    if rec is None:
        fail("no application record received")
    out(f"PEER RECV {peerlib.text_of(rec)}")
    peer.send(args.send)
    # Keep serving (retransmissions, more records) until close_notify or idle.
    idle_until = time.monotonic() + args.linger
    while time.monotonic() < min(idle_until, deadline) and not peer.closed_by_peer:
        if peer.wait_datagram(TICK):
            for more in peer.pump_read():
                out(f"PEER RECV {peerlib.text_of(more)}")
            idle_until = time.monotonic() + args.linger
    log(f"closed_by_peer={peer.closed_by_peer}")
    if not peer.closed_by_peer:
        peer.close()


if __name__ == "__main__":
    main()
