#!/usr/bin/env python3
"""Known-answer vectors for cached_info (RFC 7924), computed independently
of the library with hashlib: the SHA-256 of the TLS form of a handshake
message (msg_type, 3-byte length, body; docs/cached_info.md "The hash
reading") for

  - the Certificate message carrying tests/pki's server chain (server.der,
    int.der: leaf first, each entry a 3-byte length and the DER), and the
    3-level chain (server3.der, int2.der, int1.der);
  - our server's CertificateRequest (ecdsa_sign; ecdsa_secp256r1_sha256;
    no certificate_authorities);
  - a CertificateRequest that names tests/pki's root as its one CA
    (the DER of the root's subject Name, as OpenSSL's -client_CAfile sends).

Writes tests/vectors/cached_info_vectors.txt (`name hex-body-sha256
hex-hash` lines); --check recomputes and compares (exit 1 on a mismatch).
tests/cached_info.rs (`known_answer_vectors`) checks the library against
the file.
"""
import hashlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
PKI = HERE.parent / "pki"
OUT = HERE / "cached_info_vectors.txt"


def u24(n):
    return n.to_bytes(3, "big")


def message_hash(msg_type, body):
    return hashlib.sha256(bytes([msg_type]) + u24(len(body)) + body).hexdigest()


def certificate_body(names):
    entries = b"".join(u24(len(c)) + c for c in ((PKI / f"{n}.der").read_bytes() for n in names))
    return u24(len(entries)) + entries


def der_len(data, at):
    """(length, offset of the content) of the DER element at `at`."""
    first = data[at + 1]
    if first < 0x80:
        return first, at + 2
    n = first & 0x7F
    return int.from_bytes(data[at + 2 : at + 2 + n], "big"), at + 2 + n


def subject_name(cert):
    """The DER of a certificate's subject Name (tbsCertificate's 6th field,
    the 5th without the optional [0] version)."""
    _, tbs_at = der_len(cert, 0)  # Certificate SEQUENCE -> tbsCertificate
    _, at = der_len(cert, tbs_at)  # inside tbsCertificate
    fields = []
    while len(fields) < 7:
        n, content = der_len(cert, at)
        fields.append(cert[at : content + n])
        at = content + n
    if fields[0][0] == 0xA0:
        fields = fields[1:]
    # serial, signature, issuer, validity, subject
    return fields[4]


def request_body(ca_names):
    types = bytes([1, 64])  # ecdsa_sign
    algs = bytes([0, 2, 4, 3])  # ecdsa_secp256r1_sha256
    cas = b"".join(len(n).to_bytes(2, "big") + n for n in ca_names)
    return types + algs + len(cas).to_bytes(2, "big") + cas


def vectors():
    root = (PKI / "root.der").read_bytes()
    out = []
    for name, msg_type, body in [
        ("certificate-server-int", 11, certificate_body(["server", "int"])),
        ("certificate-server3-int2-int1", 11, certificate_body(["server3", "int2", "int1"])),
        ("request-ours", 13, request_body([])),
        ("request-root-ca", 13, request_body([subject_name(root)])),
    ]:
        out.append(f"{name} {len(body)} {body.hex() if msg_type == 13 else hashlib.sha256(body).hexdigest()} "
                   f"{message_hash(msg_type, body)}")
    return "\n".join(out) + "\n"


def main():
    text = vectors()
    if "--check" in sys.argv[1:]:
        if OUT.read_text() != text:
            print("cached_info_vectors.txt is stale: run tests/vectors/cached_info_vectors.py", file=sys.stderr)
            return 1
        print("cached_info vectors: OK")
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
