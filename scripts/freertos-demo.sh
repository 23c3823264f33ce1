#!/usr/bin/env bash
# FreeRTOS demo: build c-examples/freertos against a FreeRTOS kernel
# checkout (POSIX port: tasks run as host threads), start nanodtls-server
# (c-examples/posix) on loopback, run the FreeRTOS client task against it
# and check that the handshake completes and the echo comes back.
#
#   scripts/freertos-demo.sh                     the kernel in ../shared/freertos-kernel
#   FREERTOS_KERNEL_PATH=/path/to/FreeRTOS-Kernel scripts/freertos-demo.sh
#   scripts/freertos-demo.sh /path/to/FreeRTOS-Kernel
#
# The kernel is never part of this repository: the argument, else
# FREERTOS_KERNEL_PATH, else the team's copy in ../shared/freertos-kernel
# beside the repository (read-only: everything is built in
# target/freertos-demo). Without any of them the script prints SKIP and
# exits 0. Exit status: 0 OK (or skipped), 1 failure.
set -euo pipefail

ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/embedded-common.sh
. "$ND_ROOT/scripts/lib/embedded-common.sh"

SHARED_KERNEL="$ND_ROOT/../shared/freertos-kernel"
KERNEL=${1:-${FREERTOS_KERNEL_PATH:-}}
if [ -z "$KERNEL" ]; then
    if [ ! -d "$SHARED_KERNEL" ]; then
        echo "freertos-demo: SKIP (no FreeRTOS kernel: FREERTOS_KERNEL_PATH is not set and" \
            "$(realpath -m "$SHARED_KERNEL") is absent)"
        exit 0
    fi
    KERNEL=$SHARED_KERNEL
fi
if [ ! -f "$KERNEL/tasks.c" ] || [ ! -d "$KERNEL/portable/ThirdParty/GCC/Posix" ]; then
    echo "freertos-demo: SKIP ($KERNEL is not a FreeRTOS-Kernel checkout with the POSIX port)"
    exit 0
fi
KERNEL=$(cd "$KERNEL" && pwd)
case "$KERNEL/" in
    "$ND_ROOT"/*) nd_die "the FreeRTOS kernel must live outside the repository ($KERNEL)" ;;
esac

command -v cmake >/dev/null 2>&1 || nd_apt_ensure cmake
command -v cc >/dev/null 2>&1 || nd_apt_ensure gcc libc6-dev
command -v make >/dev/null 2>&1 || command -v ninja >/dev/null 2>&1 || nd_apt_ensure make
command -v cargo >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/cargo" ] || nd_die "cargo is missing: install a Rust toolchain"

PSK_ID="freertos-client"
PSK="000102030405060708090a0b0c0d0e0f"
MESSAGE="hello from FreeRTOS"
OUT="$ND_ROOT/target/freertos-demo"
mkdir -p "$OUT"

# --- Build: the real server tool, then the FreeRTOS example -----------------
SERVER="$ND_ROOT/build/c-examples/posix/nanodtls-server"
if ! cmake -S "$ND_ROOT" -B "$ND_ROOT/build" >"$OUT/server-build.log" 2>&1 ||
    ! cmake --build "$ND_ROOT/build" --target nanodtls-server >>"$OUT/server-build.log" 2>&1 ||
    [ ! -x "$SERVER" ]; then
    tail -n 20 "$OUT/server-build.log" >&2
    nd_die "building nanodtls-server failed (log: $OUT/server-build.log)"
fi
# The example links the library cargo built for nanodtls-server just now
# (one cargo build: the same command line, in the same target directory).
if ! cmake -S "$ND_ROOT/c-examples/freertos" -B "$OUT/build" -DFREERTOS_KERNEL_PATH="$KERNEL" \
    -DNANODTLS_CARGO_DIR="$ND_ROOT/build/nanodtls-cargo" >"$OUT/build.log" 2>&1 ||
    ! cmake --build "$OUT/build" >>"$OUT/build.log" 2>&1; then
    tail -n 25 "$OUT/build.log" >&2
    nd_die "building the FreeRTOS example failed (log: $OUT/build.log)"
fi
CLIENT="$OUT/build/nanodtls-freertos-client"

# --- Run ---------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nanodtls-freertos.XXXXXX")
# shellcheck source=lib/loopback-server.sh
. "$ND_ROOT/scripts/lib/loopback-server.sh"
cleanup() {
    nd_server_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nd_server_start "$WORK" 60 "$SERVER" --psk-id "$PSK_ID" --psk "$PSK" --echo --once
PORT=$ND_SERVER_PORT
[ -n "$PORT" ] || { cat "$WORK/server.err" >&2; nd_die "nanodtls-server did not start"; }

CLIENT_RC=0
timeout 40 "$CLIENT" --host 127.0.0.1 --port "$PORT" --psk-id "$PSK_ID" --psk "$PSK" \
    --send "$MESSAGE" --timeout-ms 20000 >"$WORK/client.out" 2>"$WORK/client.err" </dev/null || CLIENT_RC=$?

# --once: the server exits by itself after the client's close_notify.
nd_server_wait 50
SERVER_RC=$ND_SERVER_RC

ok=1
grep -q '^HANDSHAKE OK TLS_PSK' "$WORK/client.out" || { echo "FAIL: the FreeRTOS client did not complete the handshake"; ok=0; }
grep -qxF "RECV $MESSAGE" "$WORK/client.out" || { echo "FAIL: the FreeRTOS client did not get the echo"; ok=0; }
grep -q "^HANDSHAKE OK TLS_PSK.* $PSK_ID\$" "$WORK/server.out" || { echo "FAIL: nanodtls-server saw no handshake"; ok=0; }
[ "$CLIENT_RC" -eq 0 ] || { echo "FAIL: client exit status $CLIENT_RC"; ok=0; }
[ "${SERVER_RC:-x}" = 0 ] || { echo "FAIL: server exit status ${SERVER_RC:-none (still running)}"; ok=0; }

if [ $ok = 1 ]; then
    echo "freertos-demo: OK ($(grep -m1 '^HANDSHAKE OK' "$WORK/client.out"), echo received; FreeRTOS $(sed -n 's/.*on FreeRTOS \([^,]*\),.*/\1/p' "$WORK/client.out"))"
    exit 0
fi
echo "--- client (exit $CLIENT_RC) ---"
cat "$WORK/client.out" "$WORK/client.err"
echo "--- server (exit ${SERVER_RC:-running}) ---"
cat "$WORK/server.out" "$WORK/server.err"
echo "freertos-demo: FAILED"
exit 1
