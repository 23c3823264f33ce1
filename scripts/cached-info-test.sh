#!/usr/bin/env bash
# cached_info (RFC 7924, docs/cached_info.md) through the POSIX tools:
# nanodtls-client --cached-info FILE against nanodtls-server (an endpoint)
# in certificate mode, three times over loopback:
#   1. FILE missing: a full handshake (CACHED-INFO used=0), FILE written;
#   2. FILE kept: the server sends the hash (CACHED-INFO used=1), fewer
#      bytes from the server, FILE unchanged;
#   3. FILE stale (another server's chain): the chain again (used=0) and
#      FILE replaced by this server's.
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

# One handshake; prints the client's CACHED-INFO line.
run() {
    nd_server_start "$WORK" 30 "$TOOLS/nanodtls-server" --key "$WORK/server.key" --cert "$WORK/server.chain.crt" \
        --echo --once
    [ -n "$ND_SERVER_PORT" ] || { cat "$WORK/server.err" >&2; die "the server did not start"; }
    timeout 20 "$TOOLS/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --ca "$WORK/root.crt" \
        --verify-name server.example --cached-info "$WORK/cache.bin" --send hi --timeout-ms 5000 --verbose \
        >"$WORK/client.out" 2>"$WORK/client.err" </dev/null || { cat "$WORK/client.err" >&2; die "client failed"; }
    nd_server_wait 50
    [ "${ND_SERVER_RC:-x}" = 0 ] || die "server exit ${ND_SERVER_RC:-none}"
    grep -qxF "RECV hi" "$WORK/client.out" || die "no echo"
    grep -qx "PEER-NAME server.example" "$WORK/client.out" || die "no PEER-NAME"
    grep '^CACHED-INFO ' "$WORK/client.out"
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
echo "cached-info-test: the client received $full bytes with the chain, $cached with the hash"
if [ "$full" -gt 0 ] && [ "$cached" -ge "$full" ]; then
    echo "FAIL: the hash form saved nothing"
    ok=0
fi
[ "$ok" -eq 1 ] && { echo "cached-info-test: OK"; exit 0; }
echo "cached-info-test: FAILED"
exit 1
