# A nanodtls-server on a free loopback port, for the scripts that run a
# client against it (demo.sh, freertos-demo.sh, role-test.sh). Source it.
#
#   nd_server_start DIR SECONDS SERVER [ARGS...]
#       runs `timeout SECONDS SERVER --host 127.0.0.1 --port 0 ARGS...` in
#       the background, stdout/stderr to DIR/server.out and DIR/server.err;
#       sets ND_SERVER_PID, and ND_SERVER_PORT to the port it reports on
#       stderr ("listening on 127.0.0.1:<port>"), or to "" if it did not
#       start within 5 s.
#   nd_server_wait TENTHS
#       waits up to TENTHS x 0.1 s for it to exit (a --once server exits
#       after the client's close_notify); sets ND_SERVER_RC to its exit
#       status ("" if it is still running) and clears ND_SERVER_PID.
#   nd_server_stop
#       kills it if it still runs (for an EXIT trap).

nd_server_start() {
    local dir=$1 secs=$2
    shift 2
    # Create the files first: the background job opens them only after it
    # has forked, and the loop below reads them right away.
    : >"$dir/server.out"
    : >"$dir/server.err"
    timeout "$secs" "$@" --host 127.0.0.1 --port 0 >"$dir/server.out" 2>"$dir/server.err" </dev/null &
    ND_SERVER_PID=$!
    ND_SERVER_PORT=""
    local _
    for _ in $(seq 1 100); do
        ND_SERVER_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$dir/server.err")
        [ -n "$ND_SERVER_PORT" ] && break
        kill -0 "$ND_SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
}

nd_server_wait() {
    local _
    ND_SERVER_RC=""
    for _ in $(seq 1 "$1"); do
        if ! kill -0 "$ND_SERVER_PID" 2>/dev/null; then
            ND_SERVER_RC=0
            wait "$ND_SERVER_PID" || ND_SERVER_RC=$?
            ND_SERVER_PID=""
            return 0
        fi
        sleep 0.1
    done
}

nd_server_stop() {
    if [ -n "${ND_SERVER_PID:-}" ] && kill -0 "$ND_SERVER_PID" 2>/dev/null; then
        kill "$ND_SERVER_PID" 2>/dev/null || true
        wait "$ND_SERVER_PID" 2>/dev/null || true
    fi
    ND_SERVER_PID=""
}
