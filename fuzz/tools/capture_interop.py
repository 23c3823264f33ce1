#!/usr/bin/env python3
"""Capture the raw datagrams of real interop handshakes for the fuzz corpora.

tests/interop/run.py logs only a summary of each datagram (wire.log), so
this wrapper imports it unchanged and tees the bytes its relay forwards to
fuzz/interop/<case>.txt (one line per datagram: "c2s <hex>" or "s2c <hex>",
c2s = client to server). It runs:

1. the PSK matrix of run.py (OpenSSL, Mbed TLS, tinydtls; we are client and
   server), and
2. ECDHE-ECDSA cases run.py does not cover, with OpenSSL 3.0 (X.509: it has
   no RFC 7250 raw public keys): OpenSSL s_server <-> our client, our server
   <-> OpenSSL s_client (with and without client authentication), and
   OpenSSL against itself (ECDHE-ECDSA and PSK) for datagrams made by
   neither of our tools.

Nothing here is needed to run the fuzzers: the captures are committed, and
examples/gen_corpus.rs turns them into corpus files.

    python3 fuzz/tools/capture_interop.py [--build build/c-examples/posix] [--only openssl] [--skip-matrix]

Needs the peers of tests/interop (sudo tests/interop/install_peers.sh) and
the C tools (cmake -S . -B build && cmake --build build).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE.parent / "interop"
sys.path.insert(0, str(ROOT / "tests" / "interop"))

import run  # noqa: E402  (tests/interop/run.py, used as a library)

_orig_init = run.Relay.__init__
_orig_note = run.Relay._note
_orig_close = run.Relay.close


def _init(self, host, server_port, log_path):
    _orig_init(self, host, server_port, log_path)
    self.raw = open(OUT / f"{Path(log_path).parent.name}.txt", "w")


def _note(self, direction, data):
    _orig_note(self, direction, data)
    self.raw.write(f"{direction} {data.hex()}\n")
    self.raw.flush()


def _close(self):
    _orig_close(self)
    self.raw.close()


run.Relay.__init__ = _init
run.Relay._note = _note
run.Relay.close = _close


def sh(*argv: str, cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)


def make_certs(d: Path) -> None:
    """P-256 keys and self-signed certificates for a server and a client."""
    for who in ("server", "client"):
        sh("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f"{who}.key", cwd=d)
        sh("openssl", "req", "-new", "-x509", "-key", f"{who}.key", "-out", f"{who}.crt", "-days", "30",
           "-subj", f"/CN=nanodtls-fuzz-{who}", cwd=d)


def wait_port(p: run.Proc, rx: str, stream: str = "out") -> int:
    m = p.wait_for(rx, stream=stream, timeout=8)
    if not m:
        raise RuntimeError(f"{p.name} did not start: {run.tail(p.stdout() + p.stderr())}")
    return int(m.group(1))


def finish(procs: list[run.Proc], relay: run.Relay, seconds: float) -> None:
    time.sleep(seconds)
    relay.close()
    run.Proc.stop_all()


def case_dir(name: str) -> Path:
    d = run.WORK / name
    d.mkdir(parents=True, exist_ok=True)
    return d


def ecdhe_cases(build: Path, certs: Path) -> None:
    host = "127.0.0.1"
    client_tool, server_tool = str(build / "nanodtls-client"), str(build / "nanodtls-server")
    suite_ossl, suite_ours = "ECDHE-ECDSA-AES128-CCM8", "ECDHE-ECDSA-AES128-CCM8"
    for auth in (False, True):
        # OpenSSL server, our client.
        name = f"capture-openssl-ecdhe{'-client-auth' if auth else ''}-our-client"
        d = case_dir(name)
        argv = ["openssl", "s_server", "-dtls1_2", "-accept", f"{host}:0", "-naccept", "1",
                "-cert", str(certs / "server.crt"), "-key", str(certs / "server.key"), "-cipher", suite_ossl]
        if auth:
            argv += ["-Verify", "1", "-CAfile", str(certs / "client.crt")]
        peer = run.Proc("peer", argv, d, stdin_pipe=True)
        port = wait_port(peer, r"^ACCEPT .*:(\d+)\s*$")
        relay = run.Relay(host, port, d / "wire.log")
        cargv = [client_tool, "--host", host, "--port", str(relay.port), "--suite", suite_ours,
                 "--rpk-peer", str(certs / "server.crt"), "--send", "hello from nanodtls", "--timeout-ms", "5000"]
        if auth:
            cargv += ["--key", str(certs / "client.key"), "--cert", str(certs / "client.crt")]
        ours = run.Proc("ours", cargv, d)
        ours.p.wait(timeout=20) if ours.p.poll() is None else None
        finish([peer, ours], relay, 0.5)
        print(f"captured {name}", flush=True)

        # Our server, OpenSSL client.
        name = f"capture-openssl-ecdhe{'-client-auth' if auth else ''}-our-server"
        d = case_dir(name)
        sargv = [server_tool, "--host", host, "--port", "0", "--once", "--echo", "--suite", suite_ours,
                 "--key", str(certs / "server.key"), "--cert", str(certs / "server.crt")]
        if auth:
            sargv += ["--client-auth", "--rpk-peer", str(certs / "client.crt")]
        ours = run.Proc("ours", sargv, d)
        port = wait_port(ours, r"listening on .*?(\d+)\s*$", stream="err")
        relay = run.Relay(host, port, d / "wire.log")
        argv = ["openssl", "s_client", "-dtls1_2", "-connect", f"{host}:{relay.port}", "-cipher", suite_ossl,
                "-CAfile", str(certs / "server.crt")]
        if auth:
            argv += ["-cert", str(certs / "client.crt"), "-key", str(certs / "client.key")]
        peer = run.Proc("peer", argv, d, stdin_pipe=True)
        time.sleep(1.5)
        try:
            peer.p.stdin.write(b"greetings from the peer\n")
            peer.p.stdin.flush()
            time.sleep(0.5)
            peer.p.stdin.close()
        except OSError:
            pass
        finish([peer, ours], relay, 1.0)
        print(f"captured {name}", flush=True)

    # OpenSSL against itself: ECDHE-ECDSA (with client auth) and PSK.
    for name, sargs, cargs in (
        ("capture-openssl-vs-openssl-ecdhe",
         ["-cert", str(certs / "server.crt"), "-key", str(certs / "server.key"), "-cipher", suite_ossl,
          "-Verify", "1", "-CAfile", str(certs / "client.crt")],
         ["-cipher", suite_ossl, "-cert", str(certs / "client.crt"), "-key", str(certs / "client.key")]),
        ("capture-openssl-vs-openssl-psk-ccm",
         ["-nocert", "-psk", run.PSK, "-psk_identity", run.PSK_ID, "-cipher", "PSK-AES128-CCM"],
         ["-psk", run.PSK, "-psk_identity", run.PSK_ID, "-cipher", "PSK-AES128-CCM"]),
    ):
        d = case_dir(name)
        peer_s = run.Proc("server", ["openssl", "s_server", "-dtls1_2", "-accept", f"{host}:0", "-naccept", "1"] + sargs,
                          d, stdin_pipe=True)
        port = wait_port(peer_s, r"^ACCEPT .*:(\d+)\s*$")
        relay = run.Relay(host, port, d / "wire.log")
        peer_c = run.Proc("client", ["openssl", "s_client", "-dtls1_2", "-connect", f"{host}:{relay.port}"] + cargs,
                          d, stdin_pipe=True)
        time.sleep(1.5)
        try:
            peer_c.p.stdin.write(b"line from s_client\n")
            peer_c.p.stdin.flush()
            time.sleep(0.5)
            peer_c.p.stdin.close()
        except OSError:
            pass
        finish([peer_s, peer_c], relay, 1.0)
        print(f"captured {name}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=str(ROOT / "build" / "c-examples" / "posix"))
    ap.add_argument("--only", action="append", choices=("openssl", "mbedtls", "tinydtls"))
    ap.add_argument("--skip-matrix", action="store_true", help="only the ECDHE cases")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    build = Path(args.build).resolve()
    rc = 0
    if not args.skip_matrix:
        argv = ["run.py", "--build", str(build)]
        for p in args.only or []:
            argv += ["--only", p]
        sys.argv = argv
        rc = run.main()
    if not args.only or "openssl" in args.only:
        with tempfile.TemporaryDirectory() as t:
            make_certs(Path(t))
            try:
                ecdhe_cases(build, Path(t))
            finally:
                run.Proc.stop_all()
    # Drop empty captures (cases that did not run).
    for f in OUT.glob("*.txt"):
        if f.stat().st_size == 0:
            f.unlink()
    print(f"captures in {OUT}: {len(list(OUT.glob('*.txt')))} files")
    return 0 if rc in (0, 1) else rc


if __name__ == "__main__":
    sys.exit(main())
