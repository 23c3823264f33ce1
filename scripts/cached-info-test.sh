#!/usr/bin/env bash
# cached_info (RFC 7924, docs/cached_info.md) through the POSIX tools:
# nanodtls-client --cached-info FILE against nanodtls-server (an endpoint)
# in certificate mode, three times over loopback:
#   1. FILE missing: a full handshake (CACHED-INFO used=0), FILE written;
#   2. FILE kept: the server sends the hash (CACHED-INFO used=1), fewer
#      bytes from the server, FILE unchanged;
#   3. FILE stale (another server's chain): the chain again (used=0) and
#      FILE replaced by this server's;
#   4. FILE kept, the server started with --no-cached-info: the offer is
#      ignored, the full chain (used=0), FILE rewritten unchanged;
#   5. client authentication with --cached-request REQ: REQ missing, the
#      full CertificateRequest (CACHED-REQUEST used=0), REQ written; then
#      REQ kept: the server sends its hash (used=1), the client still
#      authenticates (the server prints its EUI-64).
# Needs the tools built in build/ (scripts/test.sh c does that) and openssl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${NANODTLS_TOOLS:-$ROOT/build/c-examples/posix}"
PKI="$ROOT/tests/pki"
die() { printf 'cached-info-test: %s\n' "$*" >&2; exit 1; }
[ -x "$TOOLS/nanodtls-server" ] && [ -x "$TOOLS/nanodtls-client" ] || die "tools not built in $TOOLS"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nanodtls-cached-info.XXXXXX")"
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
openssl pkey -inform DER -in "$PKI/server.key.der" -out "$WORK/server.key" 2>/dev/null
{ pem client-eui; pem int; } >"$WORK/client.chain.crt"
openssl pkey -inform DER -in "$PKI/client-eui.key.der" -out "$WORK/client.key" 2>/dev/null
# Extra arguments of the next run's server and client.
SARGS=()
CARGS=()

# One handshake; prints the client's CACHED-INFO line.
run() {
    nd_server_start "$WORK" 30 "$TOOLS/nanodtls-server" --key "$WORK/server.key" --cert "$WORK/server.chain.crt" \
        --echo --once "${SARGS[@]}"
    [ -n "$ND_SERVER_PORT" ] || { cat "$WORK/server.err" >&2; die "the server did not start"; }
    timeout 20 "$TOOLS/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --ca "$WORK/root.crt" \
        --verify-name server.example --cached-info "$WORK/cache.bin" --send hi --timeout-ms 5000 --verbose "${CARGS[@]}" \
        >"$WORK/client.out" 2>"$WORK/client.err" </dev/null || { cat "$WORK/client.err" >&2; die "client failed"; }
    nd_server_wait 50
    [ "${ND_SERVER_RC:-x}" = 0 ] || die "server exit ${ND_SERVER_RC:-none}"
    grep -qxF "RECV hi" "$WORK/client.out" || die "no echo"
    grep -qx "PEER-NAME server.example" "$WORK/client.out" || die "no PEER-NAME"
    grep '^CACHED-INFO ' "$WORK/client.out"
    grep '^CACHED-REQUEST ' "$WORK/client.out" || true
}
# Bytes the server sent (the client's --verbose log of received datagrams).
rx_bytes() { awk '$1 == "<-" && $3 == "bytes" { s += $2 } END { print s + 0 }' "$WORK/client.err"; }

ok=1
[ "$(run)" = "CACHED-INFO used=0" ] || { echo "FAIL: first handshake did not send the chain"; ok=0; }
[ -s "$WORK/cache.bin" ] || die "the server Certificate was not written"
full=$(rx_bytes)
cp "$WORK/cache.bin" "$WORK/first.bin"
[ "$(run)" = "CACHED-INFO used=1" ] || { echo "FAIL: second handshake did not use the hash"; ok=0; }
cached=$(rx_bytes)
cmp -s "$WORK/cache.bin" "$WORK/first.bin" || { echo "FAIL: the kept Certificate changed"; ok=0; }
# A stale file: the body of another chain (server3 <- int2 <- int1).
python3 - "$PKI" "$WORK/cache.bin" <<'PY'
import sys, pathlib
pki = pathlib.Path(sys.argv[1])
e = b"".join(len(c).to_bytes(3, "big") + c for c in ((pki / f"{n}.der").read_bytes() for n in ("server3", "int2", "int1")))
pathlib.Path(sys.argv[2]).write_bytes(len(e).to_bytes(3, "big") + e)
PY
[ "$(run)" = "CACHED-INFO used=0" ] || { echo "FAIL: a stale hash did not get the chain"; ok=0; }
cmp -s "$WORK/cache.bin" "$WORK/first.bin" || { echo "FAIL: the stale file was not replaced"; ok=0; }
# 4. The server does not answer: the kept chain is offered, ignored.
SARGS=(--no-cached-info)
[ "$(run)" = "CACHED-INFO used=0" ] || { echo "FAIL: --no-cached-info: the offer was not ignored"; ok=0; }
cmp -s "$WORK/cache.bin" "$WORK/first.bin" || { echo "FAIL: --no-cached-info: another chain was written"; ok=0; }
ignored=$(rx_bytes)
[ "$ignored" -gt "$cached" ] || { echo "FAIL: --no-cached-info: not the full chain ($ignored bytes)"; ok=0; }
# 5. The CertificateRequest, with client authentication.
SARGS=(--client-auth --ca "$WORK/root.crt")
CARGS=(--key "$WORK/client.key" --cert "$WORK/client.chain.crt" --cached-request "$WORK/req.bin")
got=$(run | tr '\n' ' ')
[ "$got" = "CACHED-INFO used=1 CACHED-REQUEST used=0 " ] || { echo "FAIL: first request: $got"; ok=0; }
printf '\001\100\000\002\004\003\000\000' >"$WORK/want-req.bin"
cmp -s "$WORK/req.bin" "$WORK/want-req.bin" || { echo "FAIL: the CertificateRequest was not written"; ok=0; }
got=$(run | tr '\n' ' ')
[ "$got" = "CACHED-INFO used=1 CACHED-REQUEST used=1 " ] || { echo "FAIL: kept request: $got"; ok=0; }
grep -q 'PEER-EUI64 ' "$WORK/server.out" ||
    { echo "FAIL: the server did not report the client's EUI-64"; ok=0; }
echo "cached-info-test: the client received $full bytes with the chain, $cached with the hash, $ignored from a --no-cached-info server"
if [ "$full" -gt 0 ] && [ "$cached" -ge "$full" ]; then
    echo "FAIL: the hash form saved nothing"
    ok=0
fi
[ "$ok" -eq 1 ] && { echo "cached-info-test: OK"; exit 0; }
echo "cached-info-test: FAILED"
exit 1
