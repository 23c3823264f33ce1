"""Connection ID (RFC 9146) interop cases with Mbed TLS 3.6.6 (run.py
calls in here for the cases whose feature starts with "cid").

What the cases check, through a CID-aware relay (`CidRelay`, its log in
work/<case>/wire.log):

- cid-rebind, our client: `--cid 4 --rebind-after 1`. After the first
  exchange our client moves to a new UDP socket (a new source port, as a
  NAT rebinding does) and goes on with the same session. ssl_server2
  cannot follow an address change itself: mbedtls_net_accept() connect()s
  its UDP socket to the first client address, so datagrams from another
  port never reach that connection (no ssl_server2 option changes this;
  seen in a direct run: it waits on the old 4-tuple until it is stopped).
  The relay therefore forwards every client port through one upstream
  socket, as a CID-routing front end would; checked: CIDs both ways,
  records from the new port carry the server's CID, data both ways after
  the move.
- cid-rebind, our server: ssl_client2 `cid=1 cid_val=beef`; the relay
  rebinds (a new upstream port) right after the handshake, so our server
  gets the client's request from a new address: it must find the peer by
  its CID, move it (ADDRESS-CHANGED) and answer at the new address.
- cid-ours-none (our client `--cid 0`): we send the server's CID, it
  sends ordinary records to us.
- cid-theirs-none (ssl_client2 `cid=1` without cid_val, our server
  `--cid 4`, with the rebinding relay): we send ordinary records, the
  client sends our CID, and the address move still works.
"""

from __future__ import annotations

import re
import select
import socket
import struct
import threading
import time
from pathlib import Path

OUR_CID = 4          # the CID length our tools ask for
PEER_SERVER_CID = "dead"
PEER_CLIENT_CID = "beef"


def our_args(case) -> list[str]:
    """--cid / --rebind-after of our tool for a CID case."""
    if not case.feature.startswith("cid"):
        return []
    n = 0 if case.feature == "cid-ours-none" else OUR_CID
    a = ["--cid", str(n)]
    if case.role == "client" and case.feature == "cid-rebind":
        a += ["--rebind-after", "1"]
    return a


def mbed3_args(case, server: bool) -> list[str]:
    """ssl_server2 / ssl_client2 options for a CID case."""
    if not case.feature.startswith("cid"):
        return []
    if case.feature == "cid-theirs-none":
        return ["cid=1"]                 # supported, but no CID wanted (length 0)
    return ["cid=1", f"cid_val={PEER_SERVER_CID if server else PEER_CLIENT_CID}"]


def _records(data: bytes, cid_len: int) -> list[tuple[int, int]]:
    """(content type, length) of each record; tls12_cid headers carry a
    CID of `cid_len` bytes (the receiver's)."""
    out, i = [], 0
    while i + 13 <= len(data):
        ct = data[i]
        hl = 13 + (cid_len if ct == 25 else 0)
        if i + hl > len(data):
            break
        ln = struct.unpack_from("!H", data, i + hl - 2)[0]
        out.append((ct, ln))
        i += hl + ln
    return out


class CidRelay:
    """client <-> relay <-> server, aware of CID records (for the log).
    mode "pin": every client source address goes through one upstream
    socket (the server never sees the client's port change); mode
    "rebind": the first client datagram with a tls12_cid record after the
    server's CCS goes through a new upstream socket, and so does all that
    follows (the server sees a new source port, as after a NAT rebinding)."""

    def __init__(self, host: str, server_port: int, log_path: Path, mode: str,
                 c2s_cid: int, s2c_cid: int):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.fam, self.host, self.server, self.mode = fam, host, (host, server_port), mode
        self.cid = {"c2s": c2s_cid, "s2c": s2c_cid}
        self.listen = socket.socket(fam, socket.SOCK_DGRAM)
        self.listen.bind((host, 0))
        self.port = self.listen.getsockname()[1]
        self.ups: list[socket.socket] = []
        self.client = None                # the client's latest source address
        self.client_ports: list[int] = []
        self.server_ccs = False
        self.rebound = False
        self.after: dict[str, list[int]] = {"c2s": [], "s2c": []}   # content types after the move
        self.before: dict[str, list[int]] = {"c2s": [], "s2c": []}
        self.log = open(log_path, "w")
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._new_up()
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _w(self, line: str) -> None:
        self.log.write(f"{time.monotonic() - self.t0:8.3f} {line}\n")
        self.log.flush()

    def _new_up(self) -> socket.socket:
        up = socket.socket(self.fam, socket.SOCK_DGRAM)
        up.bind((self.host, 0))
        self.ups.append(up)
        self._w(f"---- upstream port {up.getsockname()[1]}")
        return up

    def _note(self, direction: str, data: bytes) -> None:
        recs = _records(data, self.cid[direction])
        (self.after if self.rebound else self.before)[direction] += [ct for ct, _ in recs]
        arrow = "C->S" if direction == "c2s" else "S->C"
        names = {20: "ccs", 21: "alert", 22: "hs", 23: "app", 25: "tls12_cid"}
        desc = " ".join(f"{names.get(ct, ct)}({ln})" for ct, ln in recs)
        self._w(f"{arrow} {len(data):5d}  {desc}")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([self.listen] + self.ups, [], [], 0.05)
            except (OSError, ValueError):
                break
            for s in r:
                try:
                    data, src = s.recvfrom(65536)
                except OSError:
                    continue
                if s is self.listen:
                    if src[:2] != self.client:
                        self.client = src[:2]
                        self.client_ports.append(src[1])
                        self._w(f"---- client {src[0]}:{src[1]}")
                    up = self.ups[-1]
                    if (self.mode == "rebind" and not self.rebound and self.server_ccs
                            and data[:1] == b"\x19"):
                        self.rebound = True
                        up = self._new_up()
                        self._w("---- NAT rebinding: the server sees a new source port from here on")
                    if self.mode == "pin" and len(self.client_ports) > 1 and not self.rebound:
                        self.rebound = True
                        self._w("---- the client changed its port: forwarded through the same upstream")
                    self._note("c2s", data)
                    up.sendto(data, self.server)
                elif self.client is not None:
                    if any(ct == 20 for ct, _ in _records(data, self.cid["s2c"])):
                        self.server_ccs = True
                    self._note("s2c", data)
                    self.listen.sendto(data, self.client)

    def close(self) -> None:
        self._stop.set()
        self.th.join(2)
        self.listen.close()
        for up in self.ups:
            up.close()
        self.log.close()


def _spaced(hexstr: str) -> str:
    """"deadbeef" as Mbed TLS prints it: "de ad be ef"."""
    return " ".join(hexstr[i:i + 2] for i in range(0, len(hexstr), 2))


def run(env, case, d: Path, ns: dict):
    """Run one CID case; returns run.py's Result."""
    if case.role == "client":
        return _client(env, case, d, ns)
    return _server(env, case, d, ns)


def _client(env, case, d: Path, ns: dict):
    Proc, Result, tail, quiet = ns["Proc"], ns["Result"], ns["tail"], ns["quiet"]
    peer = ns["PEERS"][case.peer]
    host = ns["host_for"](case.peer)
    problems: list[str] = []
    theirs, port = peer.start_server(case, d, env.keys)
    rebind = case.feature == "cid-rebind"
    ours_cid = 0 if case.feature == "cid-ours-none" else OUR_CID
    relay = CidRelay(host, port, d / "wire.log", "pin", len(PEER_SERVER_CID) // 2, ours_cid)
    try:
        line = ns["OURS_LINE"]
        if rebind:
            ours = Proc("ours", ns["our_client_argv"](env, case, relay.port), d, stdin_pipe=True)
            ours.wait_for(r"^CID ", timeout=ns["STEP_TIMEOUT"])
            ours.write_line(line + " 1")
            if not ours.wait_for(r"^REBIND ", timeout=ns["STEP_TIMEOUT"]):
                problems.append("our client printed no REBIND line")
            ours.write_line(line + " 2")
            ours.wait_for(r"^RECV HTTP/1.0 200 OK", timeout=ns["STEP_TIMEOUT"], count=2)
            ours.close_stdin()
        else:
            ours = Proc("ours", ns["our_client_argv"](env, case, relay.port, ["--send", line]), d)
        rc = ours.wait(ns["STEP_TIMEOUT"])
        time.sleep(0.2)
        ours.stop()
        theirs.stop()
        out, err, tout = ours.stdout(), ours.stderr(), theirs.stdout()
        if rc != 0:
            problems.append(f"our client exit {rc}: {tail(quiet(err))}")
        m = re.search(r"^CID tx=(\S+) rx=(\S+)$", out, re.M)
        if not m:
            problems.append("our client printed no CID line")
        else:
            if m.group(1) != PEER_SERVER_CID:
                problems.append(f"CID tx={m.group(1)}, expected the server's {PEER_SERVER_CID}")
            if ours_cid == 0 and m.group(2) != "none":
                problems.append(f"CID rx={m.group(2)}, expected none (--cid 0)")
            if ours_cid and not re.fullmatch(r"[0-9a-f]{%d}" % (2 * ours_cid), m.group(2)):
                problems.append(f"CID rx={m.group(2)}: not {ours_cid} bytes")
            want = f"Peer CID (length {ours_cid} Bytes): " + (_spaced(m.group(2)) if ours_cid else "")
            if want.strip() not in tout:
                problems.append(f"ssl_server2 did not report '{want.strip()}'")
        if "Use of Connection ID has been negotiated" not in tout:
            problems.append("ssl_server2: CID not negotiated")
        got = len(re.findall(r"^RECV HTTP/1.0 200 OK", out, re.M))
        if got < (2 if rebind else 1):
            problems.append(f"our client received {got} answer(s) from ssl_server2")
        # "< Read from client:" and "<n> bytes read" have debug lines between them.
        reads = len(re.findall(r"^ *\d+ bytes read$", tout, re.M))
        if reads < (2 if rebind else 1):
            problems.append(f"ssl_server2 read {reads} record(s) of ours")
        c2s = relay.after["c2s"] if rebind else relay.before["c2s"]
        s2c = relay.after["s2c"] if rebind else relay.before["s2c"]
        if rebind:
            if len(relay.client_ports) < 2:
                problems.append(f"our client used {len(relay.client_ports)} source port(s), expected 2")
            if 25 not in c2s or 25 not in s2c:
                problems.append(f"after the port change: c2s types {sorted(set(c2s))}, s2c {sorted(set(s2c))}")
        else:
            if 25 not in c2s:
                problems.append("we sent no tls12_cid record")
            if 25 in s2c or 23 not in s2c:
                problems.append(f"ssl_server2 sent record types {sorted(set(s2c))}: expected ordinary ones")
        detail = (f"CID tx={m.group(1)} rx={m.group(2)}" if m else "") + \
            (f", source ports {relay.client_ports}, data both ways after the change" if rebind else "")
        return Result(case, "fail" if problems else "pass", detail, problems)
    finally:
        relay.close()


def _server(env, case, d: Path, ns: dict):
    Proc, Result, tail, quiet = ns["Proc"], ns["Result"], ns["tail"], ns["quiet"]
    peer = ns["PEERS"][case.peer]
    host = ns["host_for"](case.peer)
    problems: list[str] = []
    ours = Proc("ours", ns["our_server_argv"](env, case), d, stdin_pipe=True)
    m = ours.wait_for(r"listening on .*:(\d+)\s*$", stream="err", timeout=5)
    if not m:
        raise RuntimeError(f"our server did not start: {tail(quiet(ours.stderr()))}")
    theirs_cid = 0 if case.feature == "cid-theirs-none" else len(PEER_CLIENT_CID) // 2
    relay = CidRelay(host, int(m.group(1)), d / "wire.log", "rebind", OUR_CID, theirs_cid)
    try:
        theirs = peer.start_client(case, d, env.keys, relay.port, 1)
        rc = theirs.wait(ns["STEP_TIMEOUT"])
        ours.wait(3)
        ours.stop()
        theirs.stop()
        out, err, tout = ours.stdout(), ours.stderr(), theirs.stdout()
        if rc != 0:
            problems.append(f"ssl_client2 exit {rc}: {tail(quiet(tout))}")
        if not re.search(r"^HANDSHAKE OK ", out, re.M):
            problems.append(f"our server printed no HANDSHAKE OK: {tail(quiet(err))}")
        mv = re.search(r"^ADDRESS-CHANGED (\S+) -> (\S+)$", out, re.M)
        if not mv:
            problems.append("our server printed no ADDRESS-CHANGED line")
        if "Use of Connection ID has been negotiated" not in tout:
            problems.append("ssl_client2: CID not negotiated")
        if f"Peer CID (length {OUR_CID} Bytes)" not in tout:
            problems.append(f"ssl_client2 did not get our {OUR_CID}-byte CID")
        if not peer.client_received(case, theirs, peer.reply_text(case)):
            problems.append("ssl_client2 did not read our echo of its request")
        if not relay.rebound:
            problems.append("the relay never rebound (no tls12_cid record after the server's CCS)")
        c2s, s2c = relay.after["c2s"], relay.after["s2c"]
        if 25 not in c2s:
            problems.append(f"after the rebinding the client sent types {sorted(set(c2s))}")
        want_s2c = 23 if theirs_cid == 0 else 25
        if want_s2c not in s2c or (theirs_cid == 0 and 25 in s2c):
            problems.append(f"after the rebinding we sent types {sorted(set(s2c))}, expected {want_s2c}")
        detail = f"moved {mv.group(1)} -> {mv.group(2)}, echo answered at the new address" if mv else ""
        return Result(case, "fail" if problems else "pass", detail, problems)
    finally:
        relay.close()
