#!/usr/bin/env python3
"""Independent computation of the TLS 1.2 PSK key schedule used by the
known-answer test in src/keys.rs (RFC 5246 PRF with SHA-256, RFC 4279 PSK
premaster, RFC 7627 extended master secret). Prints one line:
master client_key server_key client_salt server_salt client_verify_data ems
"""
import hashlib
import hmac


def p_sha256(secret, seed, n):
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + seed, hashlib.sha256).digest()
    return out[:n]


def prf(secret, label, seed, n):
    return p_sha256(secret, label + seed, n)


psk = bytes(range(16))
pms = len(psk).to_bytes(2, "big") + bytes(len(psk)) + len(psk).to_bytes(2, "big") + psk
cr, sr = b"\x11" * 32, b"\x22" * 32
ms = prf(pms, b"master secret", cr + sr, 48)
kb = prf(ms, b"key expansion", sr + cr, 40)
vd = prf(ms, b"client finished", b"\x33" * 32, 12)
ems = prf(pms, b"extended master secret", b"\x44" * 32, 48)
print(" ".join(x.hex() for x in (ms, kb[0:16], kb[16:32], kb[32:36], kb[36:40], vd, ems)))
