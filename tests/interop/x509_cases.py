"""Certificate mode interop cases (RFC 7925 4.4; run.py calls in here for
the cases with `x509` set): our tools validate the peer's X.509 chain to a
trust anchor (`--ca`, `--verify-name`, `--time`) and send their own chain
(`--cert` with a PEM chain, leaf first); the peers do the same with their
own options (OpenSSL `-CAfile -cert_chain -verify_return_error`, GnuTLS
`--x509cafile --x509certfile`, Mbed TLS 3.6.6 `ca_file crt_file`, libcoap
`-c -j -R`, with a CoAP GET over the session).

The PKI is tests/pki/ (tests/pki/gen.sh; DER in the repository, converted
to PEM into work/keys/x509/ on every run), plus ../shared/peers/certs-chain
for the "shared" chain (root -> intermediate -> leaf, the peer trusts its
root only: our chain must carry the intermediate).

Case.x509 names the chain the peer presents (a leaf of tests/pki, or
"shared"); ours is the matching positive chain of the same depth. A
must-fail case (Case.negative "x509") names the peer's bad chain and the
alert (Case.x509_alert) we must send, with our tool's "X509-REFUSED" line;
"x509-time-none" is the expired chain accepted with --time none;
"cached-info": our client offers cached_info (RFC 7924) with the hash of
the peer's chain, which a peer without the extension must ignore.

What each case checks beyond run.py's usual verdict: our tool printed
PEER-NAME server.example (our client) or PEER-EUI64 <eui> (our server) for
a positive case; for a must-fail case, our plaintext fatal alert on the
wire is the expected one and our tool printed X509-REFUSED.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PKI = ROOT / "tests" / "pki"

# leaf -> (its intermediates, leaf first order after it; the key's name)
CHAINS: dict[str, tuple[list[str], str]] = {
    "server": (["int"], "server"),
    "server3": (["int2", "int1"], "server3"),
    "server4": (["int3", "int2", "int1"], "server4"),
    "client-eui": (["int"], "client-eui"),
    "client-cn": (["int2", "int1"], "client-cn"),
    "client4": (["int3", "int2", "int1"], "client4"),
    "unknown-root": (["other-int"], "unknown-root"),
    "client-unknown-root": (["other-int"], "client-unknown-root"),
    "wildcard": (["int"], "wildcard"),
    "two-names": (["int"], "two-names"),
    "expired": (["int"], "expired"),
    "client-expired": (["int"], "client-expired"),
    "noca-leaf": (["int-noca"], "noca-leaf"),
    "client-noca": (["int-noca"], "client-noca"),
    "bad-sig": (["int"], "server"),
    "bad-sig-client": (["int"], "client-eui"),
    "client-auth-only": (["int"], "client-auth-only"),
    "client-server-eku": (["int"], "client-server-eku"),
    "critical-ext": (["int"], "critical-ext"),
    "client-critical": (["int"], "client-critical"),
}
EUI = {"client-eui": "00-11-22-33-44-55-66-77", "client-cn": "01-23-45-67-89-AB-CD-EF",
       "client-expired": "00-11-22-33-44-55-66-77", "client4": "00-11-22-33-44-55-66-77"}
NAME = "server.example"

# Must-fail cases: (case name, the chain a peer server presents, the one a
# peer client presents, alert, reason text our tool prints).
NEGATIVE = [
    ("unknown root", "unknown-root", "client-unknown-root", 48, "no trusted issuer"),
    ("wrong name", "server", None, 42, "server name does not match"),
    ("wildcard", "wildcard", None, 42, "wildcard"),
    ("two dNSNames", "two-names", None, 42, "more than one dNSName"),
    ("expired", "expired", "client-expired", 45, "certificate expired"),
    ("intermediate without cA", "noca-leaf", "client-noca", 48, "issuer is not a CA"),
    ("bad signature", "bad-sig", "bad-sig-client", 42, "signature does not verify"),
    ("wrong EKU", "client-auth-only", "client-server-eku", 43, "extendedKeyUsage"),
    ("unknown critical extension", "critical-ext", "client-critical", 43, "unknown critical extension"),
    ("chain one longer than the knob", "server4", "client4", 48, "chain too long"),
]


def d(keys) -> Path:
    return Path(keys.d) / "x509"


def make(keys) -> None:
    """PEM files of tests/pki in work/keys/x509/: NAME.crt (the leaf),
    NAME.inter.crt (its intermediates), NAME.chain.crt (both), NAME.key
    (PKCS#8 PEM), root.crt, other-root.crt."""
    out = d(keys)
    out.mkdir(parents=True, exist_ok=True)

    def pem(der: str) -> str:
        r = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", str(PKI / f"{der}.der")],
                           capture_output=True, text=True, check=True)
        return r.stdout

    (out / "root.crt").write_text(pem("root"))
    (out / "other-root.crt").write_text(pem("other-root"))
    for leaf, (inters, key) in CHAINS.items():
        leaf_pem = pem(leaf)
        inter_pem = "".join(pem(i) for i in inters)
        (out / f"{leaf}.crt").write_text(leaf_pem)
        (out / f"{leaf}.inter.crt").write_text(inter_pem)
        (out / f"{leaf}.chain.crt").write_text(leaf_pem + inter_pem)
        k = out / f"{leaf}.key"
        subprocess.run(["openssl", "pkey", "-inform", "DER", "-in", str(PKI / f"{key}.key.der"), "-out", str(k)],
                       capture_output=True, check=True)
        k.chmod(0o600)


def f(keys, name: str) -> str:
    return str(d(keys) / name)


def shared(case) -> bool:
    return case.x509 == "shared"


def leaves(case) -> tuple[str, str]:
    """(the server's leaf, the client's leaf) of a case."""
    if case.negative == "x509":
        if case.role == "client":       # the peer server presents the bad chain
            ours_client = "client-eui"
            return case.x509, ours_client
        return "server", case.x509
    if case.x509 == "3":
        return "server3", "client-cn"
    if case.feature == "x509-time-none":
        return ("expired", "client-eui") if case.role == "client" else ("server", "client-expired")
    return "server", "client-eui"


def certificate_body(names: list[str]) -> bytes:
    """The body of the Certificate message that carries the DER files
    `names` of tests/pki (what our client keeps for cached_info)."""
    entries = b"".join(len(c).to_bytes(3, "big") + c for c in (PKI.joinpath(f"{n}.der").read_bytes() for n in names))
    return len(entries).to_bytes(3, "big") + entries


def cached_info_args(case, keys) -> list[str]:
    """cached_info (RFC 7924): our client offers the hash of the peer's
    chain (kept in a fresh file per case); the peers here do not know the
    extension and must ignore it, sending the chain."""
    if case.feature != "cached-info":
        return []
    sv, _ = leaves(case)
    p = d(keys) / f"cached-{case.peer}-{case.role}.bin"
    p.write_bytes(certificate_body([sv, *CHAINS[sv][0]]))
    return ["--cached-info", str(p)]


def our_client_args(case, keys, certs_chain: Path) -> list[str]:
    """Our client: trust the root, check the server name, present our chain."""
    if shared(case):
        a = ["--ca", str(certs_chain / "root.crt"), "--verify-name", NAME]
        if case.mutual:
            a += ["--key", str(certs_chain / "client.key"), "--cert", str(certs_chain / "client-chain.crt")]
        return a
    _, cl = leaves(case)
    name = "other.example" if case.negative == "x509" and case.x509_name == "wrong name" else NAME
    a = ["--ca", f(keys, "root.crt"), "--verify-name", name]
    if case.feature == "x509-time-none":
        a += ["--time", "none"]
    if case.mutual:
        a += ["--key", f(keys, f"{cl}.key"), "--cert", f(keys, f"{cl}.chain.crt")]
    return a + cached_info_args(case, keys)


def our_server_args(case, keys, certs_chain: Path) -> list[str]:
    if shared(case):
        a = ["--key", str(certs_chain / "server.key"), "--cert", str(certs_chain / "server-chain.crt"),
             "--ca", str(certs_chain / "root.crt")]
        # The shared client certificate names client.example, no EUI-64.
        return a + (["--client-auth", "--any-client-identity"] if case.mutual else [])
    sv, _ = leaves(case)
    a = ["--key", f(keys, f"{sv}.key"), "--cert", f(keys, f"{sv}.chain.crt"), "--ca", f(keys, "root.crt")]
    if case.feature == "x509-time-none":
        a += ["--time", "none"]
    return a + (["--client-auth"] if case.mutual else [])


def peer_files(case, keys, certs_chain: Path, server: bool) -> tuple[str, str, str, str]:
    """The peer's (leaf, intermediates, key, CA file) for a case."""
    if shared(case):
        me = "server" if server else "client"
        return (str(certs_chain / f"{me}.crt"), str(certs_chain / "inter.crt"), str(certs_chain / f"{me}.key"),
                str(certs_chain / "root.crt"))
    sv, cl = leaves(case)
    leaf = sv if server else cl
    return f(keys, f"{leaf}.crt"), f(keys, f"{leaf}.inter.crt"), f(keys, f"{leaf}.key"), f(keys, "root.crt")


def openssl_args(case, keys, certs_chain: Path, server: bool) -> list[str]:
    leaf, inter, key, ca = peer_files(case, keys, certs_chain, server)
    a = ["-CAfile", ca, "-verify_return_error"]
    if server or case.mutual:
        a += ["-cert", leaf, "-key", key, "-cert_chain", inter]
    if server:
        return a + (["-Verify", "4"] if case.mutual else [])
    return a + ["-verify", "4", "-verify_hostname", NAME]


def gnutls_args(case, keys, certs_chain: Path, server: bool) -> list[str]:
    leaf, inter, key, ca = peer_files(case, keys, certs_chain, server)
    chain = str(Path(leaf).with_suffix("")) + ".chain.crt" if not shared(case) else str(
        certs_chain / ("server-chain.crt" if server else "client-chain.crt"))
    a = ["--x509cafile", ca]
    if server or case.mutual:
        a += ["--x509certfile", chain, "--x509keyfile", key]
    if server and case.mutual:
        a += ["--require-client-cert", "--verify-client-cert"]
    if not server:
        a += ["--verify-hostname", NAME]
    return a


def mbed3_args(case, keys, certs_chain: Path, server: bool) -> list[str]:
    leaf, inter, key, ca = peer_files(case, keys, certs_chain, server)
    chain = str(Path(leaf).with_suffix("")) + ".chain.crt" if not shared(case) else str(
        certs_chain / ("server-chain.crt" if server else "client-chain.crt"))
    a = [f"ca_file={ca}", f"auth_mode={'required' if case.mutual or not server else 'none'}"]
    if server or case.mutual:
        a += [f"crt_file={chain}", f"key_file={key}"]
    return a


def libcoap_args(case, keys, certs_chain: Path, server: bool) -> list[str]:
    """libcoap 4.3's PKI mode (coap-server-gnutls / coap-client-gnutls: the
    OpenSSL build sends only the leaf of a -c file, the GnuTLS build the
    whole PEM chain): -c chain (leaf first), -j key, -R the root it trusts
    (validates the peer's chain; coap-server then asks for a client
    certificate)."""
    leaf, _inter, key, ca = peer_files(case, keys, certs_chain, server)
    return ["-c", str(Path(leaf).with_suffix("")) + ".chain.crt", "-j", key, "-R", ca]


def our_output_problems(case, out: str, err: str) -> list[str]:
    """Positive: the identity line; must-fail: the refusal line."""
    if case.negative == "x509":
        if "X509-REFUSED" not in err:
            return [f"our tool printed no X509-REFUSED line (expected {case.x509_reason!r})"]
        if case.x509_reason not in err:
            m = re.search(r"^X509-REFUSED .*$", err, re.M)
            return [f"our tool refused for another reason: {m.group(0) if m else '?'} "
                    f"(expected {case.x509_reason!r})"]
        return []
    if case.role == "client":
        if not re.search(rf"^PEER-NAME {re.escape(NAME)}$", out, re.M):
            return [f"our client printed no 'PEER-NAME {NAME}'"]
        if case.feature == "cached-info":
            # Offered (the library's log), ignored: the chain came and was validated.
            if "cached_info: offering the hash" not in err:
                return ["our client did not offer cached_info"]
            if not re.search(r"^CACHED-INFO used=0$", out, re.M):
                return ["our client printed no 'CACHED-INFO used=0' (the peer must ignore the offer)"]
        return []
    if not case.mutual:
        return []
    if shared(case):
        return [] if re.search(r"^PEER-UNCHECKED$", out, re.M) else ["our server printed no PEER-UNCHECKED"]
    _, cl = leaves(case)
    want = EUI.get(cl, "")
    if not re.search(rf"^PEER-EUI64 {re.escape(want)}$", out, re.M):
        return [f"our server printed no 'PEER-EUI64 {want}'"]
    return []


def wire_problems(case, alerts_ours: list[tuple[int, int]]) -> list[str]:
    """A must-fail case: our plaintext fatal alert is the reason's."""
    if case.negative != "x509":
        return []
    ours = [desc for lvl, desc in alerts_ours if lvl == 2]
    if case.x509_alert not in ours:
        return [f"we sent no fatal alert {case.x509_alert} (our alerts: {alerts_ours})"]
    return []
