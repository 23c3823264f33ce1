#!/usr/bin/env bash
# Client certificate URLs (RFC 6066 5, docs/cert_url.md) through the POSIX
# tools: nanodtls-client --cert-url (one per certificate of its --cert
# chain) against nanodtls-server --client-auth --ca --cert-url-dir DIR (an
# endpoint; it pauses the handshake and reads DIR/<basename>), over
# loopback:
#   1. the URLs served from DIR: the handshake completes (CERT-URL fetched 2,
#      PEER-EUI64 printed by the server), data echoed;
#   2. DIR serves another intermediate: bad_certificate_hash_value (114);
#   3. a file missing: certificate_unobtainable (111);
#   4. the fetch delayed past the client's first retransmission timeout
#      (--cert-url-delay-ms 1500, the client retransmits at 1 s): the pause
#      survives the retransmitted flight and the handshake completes.
# Needs the tools built in build/ (scripts/test.sh c does that) and openssl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${NANODTLS_TOOLS:-$ROOT/build/c-examples/posix}"
PKI="$ROOT/tests/pki"
die() { printf 'cert-url-test: %s\n' "$*" >&2; exit 1; }
[ -x "$TOOLS/nanodtls-server" ] && [ -x "$TOOLS/nanodtls-client" ] || die "tools not built in $TOOLS"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nanodtls-cert-url.XXXXXX")"
# shellcheck source=lib/loopback-server.sh
. "$ROOT/scripts/lib/loopback-server.sh"
cleanup() {
    nd_server_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

pem() { openssl x509 -inform DER -in "$PKI/$1.der"; }
pem root >"$WORK/root.crt"
{ pem server; pem int; } >"$WORK/server.chain.crt"
{ pem client-eui; pem int; } >"$WORK/client.chain.crt"
openssl pkey -inform DER -in "$PKI/server.key.der" -out "$WORK/server.key" 2>/dev/null
openssl pkey -inform DER -in "$PKI/client-eui.key.der" -out "$WORK/client.key" 2>/dev/null
mkdir -p "$WORK/good" "$WORK/wrong" "$WORK/missing"
cp "$PKI/client-eui.der" "$WORK/good/client-eui.der"
cp "$PKI/int.der" "$WORK/good/int.der"
cp "$PKI/client-eui.der" "$WORK/wrong/client-eui.der"
cp "$PKI/int1.der" "$WORK/wrong/int.der"
cp "$PKI/client-eui.der" "$WORK/missing/client-eui.der"

# One handshake with the URLs served from $1 (extra server options after it);
# leaves the outputs in $WORK; returns the client's exit status.
run() {
    local dir="$1"
    shift
    nd_server_start "$WORK" 30 "$TOOLS/nanodtls-server" --key "$WORK/server.key" --cert "$WORK/server.chain.crt" \
        --client-auth --ca "$WORK/root.crt" --cert-url-dir "$WORK/$dir" --echo --once "$@"
    [ -n "$ND_SERVER_PORT" ] || { cat "$WORK/server.err" >&2; die "the server did not start"; }
    local rc=0
    timeout 20 "$TOOLS/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --ca "$WORK/root.crt" \
        --verify-name server.example --key "$WORK/client.key" --cert "$WORK/client.chain.crt" \
        --cert-url http://certs.example/certs/client-eui.der --cert-url file:///certs/int.der \
        --send hi --timeout-ms 8000 --verbose >"$WORK/client.out" 2>"$WORK/client.err" </dev/null || rc=$?
    nd_server_wait 80
    return "$rc"
}

ok=1
if run good; then
    grep -qxF "RECV hi" "$WORK/client.out" || { echo "FAIL: no echo"; ok=0; }
    grep -qxF "CERT-URL fetched 2" "$WORK/server.out" || { echo "FAIL: the server did not fetch"; ok=0; }
    grep -qx "PEER-EUI64 00-11-22-33-44-55-66-77" "$WORK/server.out" || { echo "FAIL: no PEER-EUI64"; ok=0; }
    [ "${ND_SERVER_RC:-x}" = 0 ] || { echo "FAIL: server exit ${ND_SERVER_RC:-none}"; ok=0; }
    echo "cert-url-test: URLs fetched from a directory: $(grep '^PEER-EUI64' "$WORK/server.out")"
else
    cat "$WORK/client.err" "$WORK/server.err" >&2
    echo "FAIL: the handshake with URLs failed"
    ok=0
fi
if run wrong; then
    echo "FAIL: a certificate with another hash was accepted"
    ok=0
else
    grep -q "alert bad_certificate_hash_value received" "$WORK/client.err" ||
        { cat "$WORK/client.err" >&2; echo "FAIL: no bad_certificate_hash_value (114)"; ok=0; }
fi
if run missing; then
    echo "FAIL: a missing certificate was accepted"
    ok=0
else
    grep -q "^CERT-URL refused" "$WORK/server.out" || { echo "FAIL: the server did not refuse"; ok=0; }
    grep -q "alert certificate_unobtainable received" "$WORK/client.err" ||
        { cat "$WORK/client.err" >&2; echo "FAIL: no certificate_unobtainable (111)"; ok=0; }
fi
if run good --cert-url-delay-ms 1500; then
    grep -qxF "RECV hi" "$WORK/client.out" || { echo "FAIL: no echo after the delayed fetch"; ok=0; }
    grep -qE "retransmi" "$WORK/client.err" || { echo "FAIL: the client did not retransmit while paused"; ok=0; }
else
    cat "$WORK/client.err" "$WORK/server.err" >&2
    echo "FAIL: the pause did not survive the retransmitted flight"
    ok=0
fi
[ "$ok" -eq 1 ] && { echo "cert-url-test: OK"; exit 0; }
echo "cert-url-test: FAILED"
exit 1
