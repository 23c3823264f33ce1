#!/usr/bin/env bash
# Single-role libraries (cargo feature `client` or `server` alone): build
# the POSIX tools against a client-only and a server-only library and run
# them against the full build's tools over loopback (PSK handshake +
# echo), and check that each refuses the role it does not have.
#
#   scripts/role-test.sh        (needs ./build from the c stage, or builds it)
#
# Prints one line per check and "N passed, M failed". Build trees go to
# target/role-test/.
set -euo pipefail
ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
. "$ND_ROOT/scripts/lib/checks.sh"
# shellcheck source=lib/loopback-server.sh
. "$ND_ROOT/scripts/lib/loopback-server.sh"
W="$ND_ROOT/target/role-test"
FULL="$ND_ROOT/build/c-examples/posix"
PSK_ID=client1
PSK=000102030405060708090a0b0c0d0e0f
mkdir -p "$W"

if [ ! -x "$FULL/nanodtls-server" ] || [ ! -x "$FULL/nanodtls-client" ]; then
    cmake -S "$ND_ROOT" -B "$ND_ROOT/build" -DCMAKE_BUILD_TYPE=Release >"$W/full-build.log" 2>&1
    cmake --build "$ND_ROOT/build" -j 2 >>"$W/full-build.log" 2>&1
fi

build_role() { # role -> tools in $W/<role>/c-examples/posix
    local role=$1 b="$W/$1"
    cmake -S "$ND_ROOT" -B "$b" -DCMAKE_BUILD_TYPE=Release -DNANODTLS_BUILD_TESTS=OFF \
        -DNANODTLS_CARGO_NO_DEFAULT_FEATURES=ON "-DNANODTLS_CARGO_FEATURES=psk;ecc;$role" >"$W/$role-build.log" 2>&1 &&
        cmake --build "$b" -j 2 >>"$W/$role-build.log" 2>&1
}

# run_pair NAME LOG SERVER CLIENT: server --echo --once on a free port,
# client sends a line; both must succeed and the echo must come back.
run_pair() {
    local name=$1 log=$2 server=$3 client=$4 port
    nd_server_start "$W" 30 "$server" --psk-id "$PSK_ID" --psk "$PSK" --echo --once
    port=$ND_SERVER_PORT
    if [ -z "$port" ]; then
        cat "$W/server.err" >"$log"
        nd_server_stop
        nd_bad "$name (server did not start)" "$log"
        return
    fi
    if timeout 30 "$client" --host 127.0.0.1 --port "$port" --psk-id "$PSK_ID" --psk "$PSK" \
        --send "role test" >"$log" 2>&1 && wait "$ND_SERVER_PID" &&
        grep -q '^HANDSHAKE OK TLS_PSK_WITH_AES_128_CCM_8' "$log" && grep -q '^RECV role test' "$log"; then
        nd_ok "$name"
    else
        nd_server_stop
        cat "$W/server.out" "$W/server.err" >>"$log"
        nd_bad "$name" "$log"
    fi
}

# refuses NAME LOG TOOL: the tool must fail with "not supported by this build".
refuses() {
    local name=$1 log=$2 tool=$3
    shift 3
    if timeout 10 "$tool" --host 127.0.0.1 --port 9 --psk-id "$PSK_ID" --psk "$PSK" "$@" >"$log" 2>&1 </dev/null; then
        nd_bad "$name (succeeded)" "$log"
    elif grep -q "not supported by this build" "$log"; then
        nd_ok "$name"
    else
        nd_bad "$name (failed for another reason)" "$log"
    fi
}

for role in client server; do
    if build_role $role; then nd_ok "build the tools against a $role-only library (psk,ecc,$role)"; else
        nd_bad "build $role-only" "$W/$role-build.log"
    fi
done
C="$W/client/c-examples/posix"
S="$W/server/c-examples/posix"
[ -x "$C/nanodtls-client" ] && run_pair "client-only client <-> full server" "$W/client-vs-full.log" \
    "$FULL/nanodtls-server" "$C/nanodtls-client"
[ -x "$S/nanodtls-server" ] && run_pair "full client <-> server-only server" "$W/full-vs-server.log" \
    "$S/nanodtls-server" "$FULL/nanodtls-client"
[ -x "$C/nanodtls-server" ] && refuses "a client-only library refuses the server role" "$W/client-as-server.log" \
    "$C/nanodtls-server" --once
[ -x "$S/nanodtls-client" ] && refuses "a server-only library refuses the client role" "$W/server-as-client.log" \
    "$S/nanodtls-client"
nd_summary
