#!/usr/bin/env bash
# Host benchmark (not a test): nanodtls-server (the endpoint API) under a
# burst of N new PSK clients, all started at once from one process, each
# from its own loopback address 127.0.x.y (bench/host/endpoint_load.c).
# One fresh server per run (--peers PEERS --echo --stats); each client
# does the handshake, one echo round trip and close_notify within the
# deadline. Prints one table; never fails on a number.
#
#   scripts/bench-endpoint.sh                  N = 50, 200, 500 (peers = N),
#                                              then 200 and 500 with fewer slots
#   scripts/bench-endpoint.sh 200 500:100      N[:PEERS] runs of your choice
#   DEADLINE_MS=60000 scripts/bench-endpoint.sh
#
# DEADLINE_MS (default 45000) is per client. A client retransmits its
# ClientHello at 1, 3, 7, 15, 31 and 63 s (1 s initial timer, doubling), so
# for completion 45 s counts the same as 60 s, and one run stays under a
# minute.
#
# Columns: completed/N = handshake + echo within the deadline;
# handshakes/s = connected clients / time from the first start to the last
# CONNECTED; p50/p90/max = time to CONNECTED; retrans = client flight
# retransmissions (all clients); server CPU = utime+stime of the server
# during the run (/proc/PID/stat); HVR = HelloVerifyRequests sent,
# hvr_busy / no_slot = ClientHellos the endpoint dropped because its
# HelloVerifyRequest queue (4) was full / no slot was free, reclaimed =
# slots taken over from closed peers (nanodtls-server --stats); sock drops
# = datagrams the kernel dropped at the server socket (/proc/net/udp).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
OUT="$BUILD/bench-endpoint"
DEADLINE_MS=${DEADLINE_MS:-45000}
PSK_ID=bench
PSK=000102030405060708090a0b0c0d0e0f
if [ "$#" -gt 0 ]; then RUNS=("$@"); else RUNS=(50 200 500 200:50 500:100); fi
for r in "${RUNS[@]}"; do
    [[ "$r" =~ ^[0-9]+(:[0-9]+)?$ ]] || { echo "bad run '$r' (N or N:PEERS)" >&2; exit 2; }
done

mkdir -p "$OUT"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j 2 --target nanodtls-server nanodtls-endpoint-load >/dev/null
SERVER="$BUILD/c-examples/posix/nanodtls-server"
LOAD="$BUILD/bench/host/nanodtls-endpoint-load"

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT

# key=value from a line of "k=v k=v ..."
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

ROWS=()
for r in "${RUNS[@]}"; do
    n=${r%%:*}
    peers=$n
    [[ "$r" == *:* ]] && peers=${r#*:}
    : >"$OUT/server.err"
    # Started directly (no `timeout` wrapper): $! is the server, whose CPU
    # time the load generator reads.
    "$SERVER" --host 127.0.0.1 --port 0 --psk-id "$PSK_ID" --psk "$PSK" --echo --stats --peers "$peers" \
        >"$OUT/server.out" 2>"$OUT/server.err" </dev/null &
    SERVER_PID=$!
    port=""
    for _ in $(seq 1 100); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$OUT/server.err")
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { cat "$OUT/server.err" >&2; echo "nanodtls-server did not start" >&2; exit 1; }
    echo "== N=$n peers=$peers deadline=${DEADLINE_MS} ms" >&2
    "$LOAD" --host 127.0.0.1 --port "$port" --psk-id "$PSK_ID" --psk "$PSK" -n "$n" \
        --deadline-ms "$DEADLINE_MS" --server-pid "$SERVER_PID" | tee "$OUT/load-$n-$peers.out" >&2
    stop_server
    res=$(sed -n 's/^RESULT //p' "$OUT/load-$n-$peers.out")
    st=$(sed -n 's/^STATS //p' "$OUT/server.err")
    echo "   server: ${st:-no STATS line}" >&2
    ROWS+=("$(printf '| %s | %s | %s/%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' \
        "$n" "$peers" "$(kv "$res" completed)" "$n" "$(kv "$res" hs_per_s)" \
        "$(kv "$res" p50_ms)" "$(kv "$res" p90_ms)" "$(kv "$res" max_ms)" "$(kv "$res" retrans)" \
        "$(kv "$res" server_cpu_s)" "$(kv "$st" hello_verify_requests)" "$(kv "$st" dropped_hvr_busy)" \
        "$(kv "$st" dropped_no_slot)" "$(kv "$st" slots_reclaimed)" "$(kv "$res" sock_drops)")")
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "nanodtls-server under a burst of N PSK clients (TLS_PSK_WITH_AES_128_CCM_8), loopback,"
echo "one echo per client, per-client deadline ${DEADLINE_MS} ms"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'),"\
    "$(uname -sr), $(nproc) cores (${cpu:-unknown CPU})"
echo "command: scripts/bench-endpoint.sh${*:+ $*}"
echo
echo "| N | peers | completed | handshakes/s | p50 ms | p90 ms | max ms | client retrans | server CPU s | HVR sent | hvr_busy | no_slot | reclaimed | sock drops |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
