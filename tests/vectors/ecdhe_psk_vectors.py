#!/usr/bin/env python3
"""Known-answer vectors for ECDHE_PSK with AES-128-CCM-8 (RFC 8442,
TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256), computed independently of the
library with Python's `cryptography` package (P-256 ECDH, AES-CCM) and
hmac/hashlib (the TLS 1.2 PRF, RFC 5246 5).

Inputs (the `in_*` lines of ecdhe_psk_vectors.txt): the PSK and identity,
both ephemeral scalars (the fixed-randomness test environment of
tests/ecdhe_psk_vectors.rs fills every RNG request of the client with
bytes 0xC0, 0xC1, ... and of the server with 0x40, 0x41, ..., so each
scalar is also that side's Hello random), and the handshake messages of
that handshake through ClientKeyExchange (DTLS headers included, as the
transcript hashes them). From them this script computes:

  the public points (which must be the ones in ServerKeyExchange and
  ClientKeyExchange), the ECDH shared secret, the premaster secret of RFC
  5489 section 2, the extended master secret (RFC 7627: the session hash
  is SHA-256 over the messages), the key block, the client Finished
  verify_data and the first protected record: that Finished in epoch 1,
  sequence number 0 (RFC 6347 4.1.2.1 additional data, RFC 6655 nonce).

  python3 tests/vectors/ecdhe_psk_vectors.py --inputs FILE   # write the .txt from a dump
  python3 tests/vectors/ecdhe_psk_vectors.py --check         # recompute, compare: exit 1 on mismatch

A dump of the inputs: NANODTLS_DUMP_ECDHE_PSK=FILE cargo test --test ecdhe_psk_vectors.
"""

import hashlib
import hmac
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESCCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HERE = Path(__file__).resolve().parent
TXT = HERE / "ecdhe_psk_vectors.txt"
INPUTS = ["in_psk", "in_identity", "in_client_scalar", "in_server_scalar", "in_msg_client_hello",
          "in_msg_server_hello", "in_msg_server_key_exchange", "in_msg_server_hello_done",
          "in_msg_client_key_exchange"]


def p_sha256(secret: bytes, seed: bytes, n: int) -> bytes:
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + seed, hashlib.sha256).digest()
    return out[:n]


def prf(secret: bytes, label: bytes, seed: bytes, n: int) -> bytes:
    return p_sha256(secret, label + seed, n)


def point(d: int) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    k = ec.derive_private_key(d, ec.SECP256R1())
    return k, k.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def compute(v: dict[str, bytes]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    dc = int.from_bytes(v["in_client_scalar"], "big")
    ds = int.from_bytes(v["in_server_scalar"], "big")
    kc, pc = point(dc)
    ks, ps = point(ds)
    out["client_point"], out["server_point"] = pc, ps
    # The points must be those on the wire (body after the 12-byte DTLS header).
    ske = v["in_msg_server_key_exchange"][12:]
    hint_len = int.from_bytes(ske[:2], "big")
    assert ske[2 + hint_len:] == bytes([3, 0, 23, 65]) + ps, "ServerKeyExchange point"
    cke = v["in_msg_client_key_exchange"][12:]
    assert cke == len(v["in_identity"]).to_bytes(2, "big") + v["in_identity"] + bytes([65]) + pc, "CKE"
    z = kc.exchange(ec.ECDH(), ks.public_key())
    assert z == ks.exchange(ec.ECDH(), kc.public_key())
    out["ecdh"] = z
    psk = v["in_psk"]
    # RFC 5489 2: other_secret (the ECDH secret) and the PSK, each with a uint16 length.
    pms = len(z).to_bytes(2, "big") + z + len(psk).to_bytes(2, "big") + psk
    out["premaster"] = pms
    client_random, server_random = v["in_client_scalar"], v["in_server_scalar"]
    msgs = [v[k] for k in INPUTS[4:]]
    session_hash = hashlib.sha256(b"".join(msgs)).digest()
    out["session_hash"] = session_hash
    master = prf(pms, b"extended master secret", session_hash, 48)
    out["master"] = master
    kb = prf(master, b"key expansion", server_random + client_random, 40)
    out["key_block"] = kb
    ckey, civ = kb[0:16], kb[32:36]
    verify = prf(master, b"client finished", session_hash, 12)
    out["verify_data"] = verify
    cke_seq = int.from_bytes(v["in_msg_client_key_exchange"][4:6], "big")
    fin = bytes([20]) + (12).to_bytes(3, "big") + (cke_seq + 1).to_bytes(2, "big") + bytes(3) \
        + (12).to_bytes(3, "big") + verify
    epoch, seq = 1, 0
    explicit = epoch.to_bytes(2, "big") + seq.to_bytes(6, "big")
    aad = explicit + bytes([22, 0xFE, 0xFD]) + len(fin).to_bytes(2, "big")
    sealed = AESCCM(ckey, tag_length=8).encrypt(civ + explicit, fin, aad)
    body = explicit + sealed
    out["finished_record"] = bytes([22, 0xFE, 0xFD]) + explicit + len(body).to_bytes(2, "big") + body
    return out


def read(path: Path) -> dict[str, bytes]:
    v: dict[str, bytes] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            k, _, h = line.partition(" = ")
            v[k.strip()] = bytes.fromhex(h.strip())
    return v


def write(v: dict[str, bytes]) -> None:
    lines = ["# ECDHE_PSK AES-128-CCM-8 (0xD003) known answers: tests/vectors/ecdhe_psk_vectors.py",
             "# in_*: inputs (from the fixed-randomness handshake); the rest: computed by the script."]
    lines += [f"{k} = {v[k].hex()}" for k in INPUTS]
    lines += [f"{k} = {h.hex()}" for k, h in compute(v).items()]
    TXT.write_text("\n".join(lines) + "\n")


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--inputs":
        write(read(Path(sys.argv[2])))
        print(f"wrote {TXT}")
        return 0
    if sys.argv[1:] == ["--check"]:
        v = read(TXT)
        want = compute(v)
        bad = [k for k, h in want.items() if v.get(k) != h]
        if bad:
            print(f"ecdhe_psk_vectors: mismatch in {', '.join(bad)}", file=sys.stderr)
            return 1
        print(f"ecdhe_psk_vectors: {len(want)} values match")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
