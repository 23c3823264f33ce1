#!/usr/bin/env python3
"""Known answers for client certificate URLs (RFC 6066 section 5),
computed independently of the library with hashlib: the SHA-1 of each
DER certificate of a test chain (tests/pki/client-eui.der, tests/pki/int.der)
and the whole CertificateURL body (type individual_certs, each URLAndHash
= url<1..2^16-1>, padding 0x01, SHA1Hash[20]) for the URLs below.
tests/cert_url.rs checks the library's SHA-1 and CertificateURL writer
against cert_url_vectors.txt.

  python3 tests/vectors/cert_url_vectors.py           # write the .txt
  python3 tests/vectors/cert_url_vectors.py --check   # recompute, compare: exit 1 on mismatch
"""

import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = os.path.join(HERE, "..", "pki")
CHAIN = [("client-eui.der", "http://certs.example/client-eui.der"),
         ("int.der", "file:///certs/int.der")]


def compute():
    lines = ["# Client certificate URL known answers: tests/vectors/cert_url_vectors.py"]
    entries = b""
    for name, url in CHAIN:
        der = open(os.path.join(PKI, name), "rb").read()
        h = hashlib.sha1(der).digest()
        lines.append("sha1 %s = %s" % (name, h.hex()))
        u = url.encode()
        entries += len(u).to_bytes(2, "big") + u + b"\x01" + h
    body = b"\x00" + len(entries).to_bytes(2, "big") + entries
    for _, url in CHAIN:
        lines.append("url = %s" % url)
    lines.append("certificate_url = %s" % body.hex())
    return "\n".join(lines) + "\n"


def main():
    out = os.path.join(HERE, "cert_url_vectors.txt")
    text = compute()
    if "--check" in sys.argv[1:]:
        if open(out).read() != text:
            print("cert_url_vectors.txt differs from what the script computes")
            return 1
        print("cert_url vectors: ok")
        return 0
    open(out, "w").write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
