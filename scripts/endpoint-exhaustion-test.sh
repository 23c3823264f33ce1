#!/usr/bin/env bash
# End-to-end checks of the endpoint's slot handling through the POSIX
# tools over loopback (a few seconds; part of the c stage of
# scripts/test.sh):
#
#   burst      20 clients at once (nanodtls-endpoint-load, 127.0.x.y):
#              all complete handshake + echo, and no HelloVerifyRequest
#              is dropped (nanodtls-server polls after every datagram)
#   crashed    nanodtls-server --peers 4 --idle-timeout-ms 2000; four
#              clients connect and are killed with SIGKILL (no
#              close_notify); a client right after finds no slot; a
#              fifth client connects once the idle timeout has passed
#   half-open  nanodtls-server --peers 4 --half-open-timeout-ms 2000; four
#              handshakes stall after the ClientHello with cookie and keep
#              sending 1-byte datagrams from their addresses every 100 ms;
#              a client right after finds no slot; a fifth client
#              connects once the half-open timeout has passed (junk does
#              not count as activity)
#
#   scripts/endpoint-exhaustion-test.sh     (needs ./build, or builds it)
#
# Prints one line per check and "N passed, M failed". Logs in
# target/endpoint-exhaustion/.
set -euo pipefail
ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
. "$ND_ROOT/scripts/lib/checks.sh"
# shellcheck source=lib/loopback-server.sh
. "$ND_ROOT/scripts/lib/loopback-server.sh"
W="$ND_ROOT/target/endpoint-exhaustion"
BIN="$ND_ROOT/build/c-examples/posix"
LOAD="$ND_ROOT/build/bench/host/nanodtls-endpoint-load"
PSK_ID=client1
PSK=000102030405060708090a0b0c0d0e0f
rm -rf "$W"
mkdir -p "$W"

if [ ! -x "$BIN/nanodtls-server" ] || [ ! -x "$BIN/nanodtls-client" ] || [ ! -x "$LOAD" ]; then
    cmake -S "$ND_ROOT" -B "$ND_ROOT/build" -DCMAKE_BUILD_TYPE=Release >"$W/build.log" 2>&1
    cmake --build "$ND_ROOT/build" -j 2 >>"$W/build.log" 2>&1
fi

# On exit: stop the server and whatever background job of ours still runs.
cleanup() {
    nd_server_stop
    local p
    for p in $(jobs -p); do
        kill -9 "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT

ms() { date +%s%3N; }

# STATS counter of the stopped server in DIR.
stat_of() { sed -n 's/^STATS //p' "$1/server.err" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# client LOG TIMEOUT_MS: one PSK client with --send; its exit status.
client() {
    timeout 30 "$BIN/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --psk-id "$PSK_ID" --psk "$PSK" \
        --timeout-ms "$2" --send "fifth" >"$1" 2>&1 </dev/null
}

# wait_lines FILE PATTERN COUNT TENTHS: wait until FILE has COUNT lines matching PATTERN.
wait_lines() {
    local _ n
    for _ in $(seq 1 "$4"); do
        n=$(grep -c "$2" "$1" 2>/dev/null || true)
        [ "${n:-0}" -ge "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

# no_slot_then_fifth DIR NAME: a client at once must fail (all 4 slots
# taken), a client with 8 s must then connect; then the server is stopped.
no_slot_then_fifth() {
    local d=$1 name=$2 t0 t1
    if client "$d/early.log" 900; then
        nd_bad "$name: a client before the timeout finds no free slot (it connected)" "$d/early.log"
    else
        nd_ok "$name: a client before the timeout finds no free slot"
    fi
    t0=$(ms)
    if client "$d/fifth.log" 8000 && grep -q '^RECV fifth' "$d/fifth.log"; then
        t1=$(ms)
        nd_ok "$name: a fifth client connects after the timeout ($((t1 - t0)) ms)"
    else
        nd_bad "$name: a fifth client connects after the timeout" "$d/fifth.log"
    fi
}

# ---- burst ------------------------------------------------------------------
d="$W/burst"
mkdir -p "$d"
nd_server_start "$d" 30 "$BIN/nanodtls-server" --psk-id "$PSK_ID" --psk "$PSK" --echo --stats --peers 20
if [ -z "$ND_SERVER_PORT" ]; then
    nd_bad "burst: server start" "$d/server.err"
else
    if "$LOAD" --host 127.0.0.1 --port "$ND_SERVER_PORT" --psk-id "$PSK_ID" --psk "$PSK" -n 20 \
        --deadline-ms 10000 --require-all >"$d/load.log" 2>&1; then
        nd_ok "burst: 20 clients from 127.0.1.1-20 at once all connect and echo"
    else
        nd_bad "burst: 20 clients at once all connect and echo" "$d/load.log"
    fi
    nd_server_stop
    busy=$(stat_of "$d" dropped_hvr_busy)
    if [ "${busy:-x}" = 0 ]; then
        nd_ok "burst: no HelloVerifyRequest dropped (dropped_hvr_busy=0)"
    else
        cat "$d/server.err" >>"$d/load.log"
        nd_bad "burst: no HelloVerifyRequest dropped (dropped_hvr_busy=${busy:-?})" "$d/load.log"
    fi
fi

# ---- crashed peers ----------------------------------------------------------
d="$W/crashed"
mkdir -p "$d"
nd_server_start "$d" 60 "$BIN/nanodtls-server" --psk-id "$PSK_ID" --psk "$PSK" --echo --stats --peers 4 \
    --idle-timeout-ms 2000
if [ -z "$ND_SERVER_PORT" ]; then
    nd_bad "crashed: server start" "$d/server.err"
else
    # Interactive clients (stdin: a FIFO nobody writes to) stay connected
    # until they are killed.
    mkfifo "$d/stdin"
    exec 3<>"$d/stdin"
    pids=()
    for i in 1 2 3 4; do
        "$BIN/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --psk-id "$PSK_ID" --psk "$PSK" \
            <"$d/stdin" >"$d/client$i.log" 2>&1 &
        pids+=($!)
    done
    ok=1
    for i in 1 2 3 4; do
        wait_lines "$d/client$i.log" '^HANDSHAKE OK' 1 50 || ok=0
    done
    for p in "${pids[@]}"; do
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    exec 3>&-
    if [ "$ok" = 1 ]; then
        nd_ok "crashed: 4 clients connected, then killed with SIGKILL (no close_notify)"
        no_slot_then_fifth "$d" crashed
    else
        nd_bad "crashed: 4 clients connect" "$d/client1.log"
    fi
    nd_server_stop
    echo "     server: $(sed -n 's/^STATS //p' "$d/server.err")"
fi

# ---- half-open handshakes sending junk -------------------------------------
d="$W/half-open"
mkdir -p "$d"
# A handshake deadline far beyond the test: only the half-open timeout can
# free the slots.
nd_server_start "$d" 60 "$BIN/nanodtls-server" --psk-id "$PSK_ID" --psk "$PSK" --echo --stats --peers 4 \
    --half-open-timeout-ms 2000 --handshake-timeout-ms 600000
if [ -z "$ND_SERVER_PORT" ]; then
    nd_bad "half-open: server start" "$d/server.err"
else
    "$LOAD" --host 127.0.0.1 --port "$ND_SERVER_PORT" --psk-id "$PSK_ID" --psk "$PSK" -n 4 --first-addr 2.1 \
        --half-open --junk-ms 100 --hold-ms 20000 --deadline-ms 20000 >"$d/load.log" 2>&1 &
    load_pid=$!
    if wait_lines "$d/load.log" '^HALF-OPEN' 4 50; then
        nd_ok "half-open: 4 handshakes (127.0.2.1-4) hold a slot and send 1-byte junk every 100 ms"
        no_slot_then_fifth "$d" half-open
        if kill -0 "$load_pid" 2>/dev/null; then
            nd_ok "half-open: the junk senders were still running"
        else
            nd_bad "half-open: the junk senders were still running" "$d/load.log"
        fi
    else
        nd_bad "half-open: 4 handshakes hold a slot" "$d/load.log"
    fi
    kill "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
    nd_server_stop
    echo "     server: $(sed -n 's/^STATS //p' "$d/server.err")"
    echo "     junk: $(sed -n 's/^half-open: //p' "$d/load.log")"
fi
nd_summary
