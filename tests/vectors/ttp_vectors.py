#!/usr/bin/env python3
"""Known-answer vectors for the trusted-third-party modes (docs/ttp.md),
computed independently of nanodtls with the Python standard library
(hmac, hashlib; P-256 public keys by textbook affine arithmetic, checked
against the `cryptography` package when it is installed).

DerivedKey:
    nonce = "DK." || ta_id || "." || client_id || "." || decimal(seq)
    K_RS-C = HMAC-SHA256(K, HMAC-SHA256(K, nonce) || nonce)  (first 16 or all 32 bytes)
AuthzCert (MacCert):
    spki<1..2^24-1> || trust_anchor_id<1..2^8-1> || uint32 seq || uint8 mac_algorithm (3)
    || uint8 mac_length (32) || mac, with
    mac = HMAC-SHA256(K, the same bytes with mac_length = 0 and no mac)

Writes, next to this script:
    ttp_vectors.json   every vector (hex)
    ttp_vectors.rs     the same as Rust constants (included by src/auth tests)
    ttp_vectors.h      the same as C initialisers (tests/c/test_ttp.c)

    python3 tests/vectors/ttp_vectors.py           regenerate the three files
    python3 tests/vectors/ttp_vectors.py --check   exit 1 if they are stale
"""
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- P-256 (FIPS 186-4 D.1.2.3), affine double-and-add -------------------
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
A = P - 3
GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return x3, (lam * (x1 - x3) - y1) % P


def ec_mul(k, point):
    acc = None
    for bit in bin(k)[2:]:
        acc = ec_add(acc, acc)
        if bit == "1":
            acc = ec_add(acc, point)
    return acc


SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def test_key(n):
    """The test key of tests/common: 32 bytes of n with the first byte 0x10."""
    return bytes([0x10]) + bytes([n]) * 31


def spki_of(scalar):
    d = int.from_bytes(scalar, "big")
    assert 0 < d < N
    x, y = ec_mul(d, (GX, GY))
    spki = SPKI_PREFIX + b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    try:  # a second opinion when available
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        pub = ec.derive_private_key(d, ec.SECP256R1()).public_key()
        der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert der == spki, "pure-Python P-256 disagrees with cryptography"
    except ImportError:
        pass
    return spki


# ---- The two constructions ------------------------------------------------
def nonce(ta_id, client_id, seq):
    assert b"." not in ta_id and ta_id and 0 <= seq < 2**32
    return b"DK." + ta_id + b"." + client_id + b"." + str(seq).encode()


def derive(key, n):
    a1 = hmac.new(key, n, hashlib.sha256).digest()
    return hmac.new(key, a1 + n, hashlib.sha256).digest()


def maccert(key, spki, ta_id, seq):
    body = len(spki).to_bytes(3, "big") + spki + bytes([len(ta_id)]) + ta_id + seq.to_bytes(4, "big") + bytes([3])
    mac = hmac.new(key, body + b"\x00", hashlib.sha256).digest()
    return body + bytes([len(mac)]) + mac, mac


# ---- The vectors ------------------------------------------------------------
DERIVED = [
    # (name, ta_key, ta_id, client_id, seq)
    ("ascii", bytes(range(32)), b"ta1", b"sensor-42", 7),
    ("dot_in_client_id", bytes(range(16)), b"building-A", b"maint.alice", 0),
    ("binary_client_id", bytes(range(0xA0, 0xB8)), b"t", bytes([0x00, 0xFF, 0x2E, 0x0A, 0x2E]), 4294967295),
    ("empty_client_id", b"\x42" * 32, b"ta1", b"", 1000000),
    ("long_client_id", b"K" * 20, b"Z9", bytes(range(100)), 1234567890),
]
MACCERT = [
    # (name, ta_key, ta_id, seq, test key n)
    ("ta1_seq9", bytes(range(32)), b"ta1", 9, 1),
    ("max_seq", bytes(range(16)), b"building-A", 4294967295, 2),
]


def vectors():
    d = []
    for name, key, ta, cid, seq in DERIVED:
        n = nonce(ta, cid, seq)
        k = derive(key, n)
        d.append(
            {
                "name": name,
                "ta_key": key.hex(),
                "ta_id": ta.hex(),
                "client_id": cid.hex(),
                "seq": seq,
                "nonce": n.hex(),
                "key16": k[:16].hex(),
                "key32": k.hex(),
            }
        )
    m = []
    for name, key, ta, seq, kn in MACCERT:
        spki = spki_of(test_key(kn))
        enc, mac = maccert(key, spki, ta, seq)
        m.append(
            {
                "name": name,
                "ta_key": key.hex(),
                "ta_id": ta.hex(),
                "seq": seq,
                "test_key": kn,
                "spki": spki.hex(),
                "mac": mac.hex(),
                "maccert": enc.hex(),
            }
        )
    return {"derived_key": d, "maccert": m}


def rs_bytes(h):
    b = bytes.fromhex(h)
    return "&[" + ", ".join(f"0x{x:02x}" for x in b) + "]"


def c_bytes(h):
    b = bytes.fromhex(h)
    if not b:
        return "{0}", 0
    return "{" + ", ".join(f"0x{x:02x}" for x in b) + "}", len(b)


HEADER = "Generated by tests/vectors/ttp_vectors.py (Python hmac/hashlib). Do not edit."


def render(v):
    js = json.dumps(v, indent=2) + "\n"
    rs = [f"// {HEADER}", ""]
    rs.append("/// (name, ta_key, ta_id, client_id, seq, nonce, key16, key32)")
    rs.append("#[allow(clippy::type_complexity)]")
    rs.append(
        "pub const DERIVED_KEY: &[(&str, &[u8], &[u8], &[u8], u32, &[u8], &[u8], &[u8])] = &["
    )
    for e in v["derived_key"]:
        fields = ", ".join(
            [f'"{e["name"]}"']
            + [rs_bytes(e[k]) for k in ("ta_key", "ta_id", "client_id")]
            + [str(e["seq"])]
            + [rs_bytes(e[k]) for k in ("nonce", "key16", "key32")]
        )
        rs.append(f"    ({fields}),")
    rs.append("];")
    rs.append("/// (name, ta_key, ta_id, seq, test key n, spki, mac, maccert)")
    rs.append("#[allow(clippy::type_complexity)]")
    rs.append("pub const MACCERT: &[(&str, &[u8], &[u8], u32, u8, &[u8], &[u8], &[u8])] = &[")
    for e in v["maccert"]:
        fields = ", ".join(
            [f'"{e["name"]}"']
            + [rs_bytes(e[k]) for k in ("ta_key", "ta_id")]
            + [str(e["seq"]), str(e["test_key"])]
            + [rs_bytes(e[k]) for k in ("spki", "mac", "maccert")]
        )
        rs.append(f"    ({fields}),")
    rs.append("];")
    rs = "\n".join(rs) + "\n"

    h = [f"/* {HEADER} */", "#ifndef TTP_VECTORS_H", "#define TTP_VECTORS_H", "", "#include <stddef.h>", "#include <stdint.h>", ""]
    h.append("struct ttp_dk_vector {")
    h.append("    const char *name;")
    for f in ("ta_key", "ta_id", "client_id"):
        h.append(f"    uint8_t {f}[128];\n    size_t {f}_len;")
    h.append("    uint32_t seq;")
    for f in ("nonce",):
        h.append(f"    uint8_t {f}[256];\n    size_t {f}_len;")
    h.append("    uint8_t key16[16];\n    uint8_t key32[32];")
    h.append("};")
    h.append("static const struct ttp_dk_vector ttp_dk_vectors[] = {")
    for e in v["derived_key"]:
        parts = [f'"{e["name"]}"']
        for f in ("ta_key", "ta_id", "client_id"):
            arr, n = c_bytes(e[f])
            parts += [arr, str(n)]
        parts.append(f'{e["seq"]}u')
        arr, n = c_bytes(e["nonce"])
        parts += [arr, str(n)]
        parts.append(c_bytes(e["key16"])[0])
        parts.append(c_bytes(e["key32"])[0])
        h.append("    {" + ", ".join(parts) + "},")
    h.append("};")
    h.append("")
    h.append("struct ttp_maccert_vector {")
    h.append("    const char *name;")
    h.append("    uint8_t ta_key[32];\n    size_t ta_key_len;\n    uint8_t ta_id[32];\n    size_t ta_id_len;")
    h.append("    uint32_t seq;\n    uint8_t spki[91];\n    uint8_t mac[32];\n    uint8_t maccert[256];\n    size_t maccert_len;")
    h.append("};")
    h.append("static const struct ttp_maccert_vector ttp_maccert_vectors[] = {")
    for e in v["maccert"]:
        parts = [f'"{e["name"]}"']
        for f in ("ta_key", "ta_id"):
            arr, n = c_bytes(e[f])
            parts += [arr, str(n)]
        parts.append(f'{e["seq"]}u')
        parts.append(c_bytes(e["spki"])[0])
        parts.append(c_bytes(e["mac"])[0])
        arr, n = c_bytes(e["maccert"])
        parts += [arr, str(n)]
        h.append("    {" + ", ".join(parts) + "},")
    h.append("};")
    h.append("")
    h.append("#endif /* TTP_VECTORS_H */")
    h = "\n".join(h) + "\n"
    return {"ttp_vectors.json": js, "ttp_vectors.rs": rs, "ttp_vectors.h": h}


def main():
    files = render(vectors())
    check = "--check" in sys.argv[1:]
    stale = []
    for name, text in files.items():
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        print("stale: " + ", ".join(stale) + " (run python3 tests/vectors/ttp_vectors.py)")
        return 1
    print("ttp vectors " + ("up to date" if check else "written") + ": " + ", ".join(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
