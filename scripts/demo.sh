#!/usr/bin/env bash
# nanodtls demo: build the C tools with CMake, start nanodtls-server on
# loopback (echo mode, one connection), run nanodtls-client against it and
# check that the handshake and the echoed message went through.
#
#   scripts/demo.sh            (from any directory)
#
# Installs cmake with apt-get when it is missing (needs root); the Rust
# toolchain (cargo) and a C compiler must already be there. Exits 0 on
# success, non-zero otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
TOOLS="$BUILD/c-examples/posix"
PSK_ID="client1"
PSK="000102030405060708090a0b0c0d0e0f"
MESSAGE="hello from nanodtls"

log() { printf '==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

# --- What we need -----------------------------------------------------------
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "$1 is missing and apt-get is not available: install $1"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "$1 is missing: install it (apt-get needs root)"
        sudo="sudo"
    fi
    log "installing $*"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
command -v cmake >/dev/null 2>&1 || apt_install cmake
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || apt_install gcc libc6-dev
command -v make >/dev/null 2>&1 || command -v ninja >/dev/null 2>&1 || apt_install make
command -v timeout >/dev/null 2>&1 || apt_install coreutils
command -v cargo >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/cargo" ] ||
    die "cargo is missing: install a Rust toolchain (e.g. with rustup)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/nanodtls-demo.XXXXXX")"
# shellcheck source=lib/loopback-server.sh
. "$ROOT/scripts/lib/loopback-server.sh"
cleanup() {
    nd_server_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Build --------------------------------------------------------------------
# CMake's and cargo's output (cargo writes its progress to stderr) go to a
# log, shown only when the build fails.
log "configuring and building in $BUILD"
if ! { cmake -S "$ROOT" -B "$BUILD" &&
    cmake --build "$BUILD" --target nanodtls-server nanodtls-client -j 2; } >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    die "build failed (output above)"
fi
[ -x "$TOOLS/nanodtls-server" ] && [ -x "$TOOLS/nanodtls-client" ] || die "tools not built"

# --- Run ------------------------------------------------------------------------
# Port 0: the kernel picks a free port; the server reports it on stderr.
log "starting nanodtls-server on 127.0.0.1 (free port, --echo --once)"
nd_server_start "$WORK" 30 "$TOOLS/nanodtls-server" --psk-id "$PSK_ID" --psk "$PSK" --echo --once
PORT=$ND_SERVER_PORT
[ -n "$PORT" ] || { cat "$WORK/server.err" >&2; die "the server did not start"; }
log "server listening on 127.0.0.1:$PORT"

log "running nanodtls-client --send \"$MESSAGE\""
CLIENT_RC=0
timeout 20 "$TOOLS/nanodtls-client" --host 127.0.0.1 --port "$PORT" \
    --psk-id "$PSK_ID" --psk "$PSK" --send "$MESSAGE" --timeout-ms 5000 \
    >"$WORK/client.out" 2>"$WORK/client.err" </dev/null || CLIENT_RC=$?

# With --once the server exits by itself after the client's close_notify.
nd_server_wait 50
SERVER_RC=$ND_SERVER_RC

echo
echo "--- client stdout (exit ${CLIENT_RC}) ---"
cat "$WORK/client.out"
if [ -s "$WORK/client.err" ]; then echo "--- client stderr ---"; cat "$WORK/client.err"; fi
echo "--- server stdout (exit ${SERVER_RC:-still running}) ---"
cat "$WORK/server.out"
echo "--- server stderr ---"
cat "$WORK/server.err"
echo

ok=1
grep -q '^HANDSHAKE OK TLS_' "$WORK/client.out" || { echo "FAIL: client did not print HANDSHAKE OK"; ok=0; }
grep -qxF "RECV $MESSAGE" "$WORK/client.out" || { echo "FAIL: client did not print RECV $MESSAGE"; ok=0; }
grep -q "^HANDSHAKE OK TLS_.* 127\.0\.0\.1:[0-9]* $PSK_ID\$" "$WORK/server.out" ||
    { echo "FAIL: server did not print HANDSHAKE OK"; ok=0; }
grep -qxF "RECV $MESSAGE" "$WORK/server.out" || { echo "FAIL: server did not print RECV $MESSAGE"; ok=0; }
[ "$CLIENT_RC" -eq 0 ] || { echo "FAIL: client exit code $CLIENT_RC"; ok=0; }
[ "${SERVER_RC:-x}" = "0" ] || { echo "FAIL: server exit code ${SERVER_RC:-none (still running)}"; ok=0; }

if [ "$ok" -eq 1 ]; then
    echo "demo: OK"
    exit 0
fi
echo "demo: FAILED"
exit 1
