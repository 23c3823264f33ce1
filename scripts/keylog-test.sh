#!/usr/bin/env bash
# The NSS key log (cargo feature `keylog`) proved the way a user would:
# our client (nanodtls-client --keylog FILE) talks to OpenSSL's s_server
# over loopback inside a private network namespace (unshare -rn), tshark
# captures the datagrams, and tshark given the key log decrypts the
# application data of both directions to its plaintext, in a full and in
# a resumed (session ID) handshake. Without the key log the plaintext must
# not appear (so the check can fail), and SSLKEYLOGFILE must work as
# --keylog does. The other role too: s_client talks to our server
# (nanodtls-server --keylog, an endpoint), whose key log decrypts both
# directions. Our client's lines must equal those s_server -keylogfile
# writes for the same connections.
#
#   scripts/keylog-test.sh [BUILD_DIR]      (default: build)
#
# Prints SKIP with the reason where tshark, openssl or namespaces are
# missing. tshark 4.0 (Debian 12) decrypts DTLS 1.2 AES-128-CCM-8 (the
# RFC 7925 suites) with a key log: the cases use PSK-AES128-CCM8 and
# ECDHE-ECDSA-AES128-CCM8.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
CLIENT="$BUILD/c-examples/posix/nanodtls-client"
PORT=4433
PSK=000102030405060708090a0b0c0d0e0f

skip() { echo "keylog-test: SKIP: $*"; exit 0; }
fail() { echo "keylog-test: FAIL: $*" >&2; exit 1; }

if [ "${ND_KEYLOG_NETNS:-}" != 1 ]; then
    command -v tshark >/dev/null || skip "tshark not installed (Debian package tshark; scripts/install-deps.sh)"
    command -v openssl >/dev/null || skip "openssl not installed"
    [ -x "$CLIENT" ] || fail "$CLIENT not built (cmake --build build)"
    probe="$("$CLIENT" --keylog /dev/null --host 127.0.0.1 --port 1 --psk-id x --psk 00 --timeout-ms 1 --send x 2>&1 || true)"
    case "$probe" in *"without the \`keylog\` feature"*) skip "nanodtls built without the keylog feature" ;; esac
    unshare -rn true 2>/dev/null || skip "no private network namespace (unshare -rn failed: needs root or user namespaces)"
    exec unshare -rn env ND_KEYLOG_NETNS=1 "$0" "$BUILD"
fi

# In the private namespace: only our loopback, no other traffic.
ip link set lo up
W="$(mktemp -d /tmp/nanodtls-keylog.XXXXXX)"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT

# ECDHE-ECDSA: a P-256 key and self-signed certificate for s_server.
openssl ecparam -name prime256v1 -genkey -noout -out "$W/server.key" 2>/dev/null
openssl req -new -x509 -key "$W/server.key" -subj /CN=keylog-test -days 2 -out "$W/server.crt" 2>/dev/null

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# run NAME SUITE KEYLOG_MODE: one capture of a full and a resumed handshake.
run() {
    local name="$1" suite="$2" mode="$3"
    local d="$W/$name" text="keylog-$name-plaintext-$$" reply="reply-from-openssl-$name-$$"
    mkdir -p "$d"
    tshark -i lo -f "udp port $PORT" -w "$d/cap.pcapng" >"$d/tshark.out" 2>"$d/tshark.err" &
    local tp=$!
    PIDS+=("$tp")
    local i
    for i in $(seq 50); do grep -qs "Capturing on" "$d/tshark.err" && break; sleep 0.1; done
    grep -q "Capturing on" "$d/tshark.err" || fail "$name: tshark did not start: $(cat "$d/tshark.err")"

    local sargs=(-dtls1_2 -accept "127.0.0.1:$PORT" -naccept 2 -cipher "$suite" -no_ticket
                 -keylogfile "$d/openssl-keys.log")
    local cargs=(--host 127.0.0.1 --port "$PORT" --suite "$suite" --send "$text" --resume --timeout-ms 5000)
    case "$suite" in
        PSK-*) sargs+=(-nocert -psk "$PSK" -psk_identity keylog-client)
               cargs+=(--psk-id keylog-client --psk "$PSK") ;;
        *)     sargs+=(-cert "$W/server.crt" -key "$W/server.key" -groups P-256 -sigalgs ECDSA+SHA256)
               cargs+=(--rpk-peer "$W/server.crt") ;;
    esac
    # s_server sends what it reads on stdin: a FIFO we answer through.
    mkfifo "$d/in"
    exec 7<>"$d/in"
    openssl s_server "${sargs[@]}" >"$d/server.out" 2>&1 <"$d/in" &
    local sp=$!
    PIDS+=("$sp")
    for i in $(seq 50); do grep -qs "^ACCEPT" "$d/server.out" && break; sleep 0.1; done
    grep -q "^ACCEPT" "$d/server.out" || fail "$name: s_server did not start: $(cat "$d/server.out")"

    local keylog="$d/keys.log"
    if [ "$mode" = env ]; then
        SSLKEYLOGFILE="$keylog" "$CLIENT" "${cargs[@]}" >"$d/client.out" 2>"$d/client.err" &
    else
        "$CLIENT" --keylog "$keylog" "${cargs[@]}" >"$d/client.out" 2>"$d/client.err" &
    fi
    local cp=$!
    # Answer each of the two connections once its text has arrived.
    local k
    for k in 1 2; do
        for i in $(seq 100); do [ "$(grep -c -- "$text" "$d/server.out")" -ge "$k" ] && break; sleep 0.05; done
        echo "$reply" >&7
    done
    wait "$cp" || fail "$name: client failed: $(cat "$d/client.out" "$d/client.err" "$d/server.out")"
    exec 7>&-
    grep -q "resumed=1" "$d/client.out" || fail "$name: the second handshake did not resume: $(cat "$d/client.out")"
    wait "$sp" 2>/dev/null || true
    sleep 0.3
    kill -INT "$tp"
    wait "$tp" 2>/dev/null || true

    [ "$(grep -c '^CLIENT_RANDOM [0-9a-f]\{64\} [0-9a-f]\{96\}$' "$keylog")" = 2 ] ||
        fail "$name: want 2 CLIENT_RANDOM lines (full, resumed) in the key log: $(cat "$keylog")"
    [ "$(stat -c %a "$keylog")" = 600 ] || fail "$name: key log mode $(stat -c %a "$keylog"), want 600"
    # OpenSSL's own key log of the same connections has the same lines.
    if ! diff <(grep '^CLIENT_RANDOM' "$keylog" | sort) <(grep '^CLIENT_RANDOM' "$d/openssl-keys.log" | sort) >/dev/null; then
        fail "$name: our key log differs from s_server's -keylogfile: $(cat "$keylog" "$d/openssl-keys.log")"
    fi

    # Every application_data record, decrypted: its plaintext as hex.
    local fields=(-d "udp.port==$PORT,dtls" -Y "dtls.record.content_type == 23" -T fields -e data.data)
    tshark -r "$d/cap.pcapng" -o "tls.keylog_file:$keylog" "${fields[@]}" >"$d/decrypted" 2>"$d/decrypt.err"
    tshark -r "$d/cap.pcapng" "${fields[@]}" >"$d/without" 2>/dev/null
    local up down
    up="$(hexof "$text")"
    down="$(hexof "$reply")"
    local n_up n_down
    n_up="$(grep -c "$up" "$d/decrypted" || true)"
    n_down="$(grep -c "$down" "$d/decrypted" || true)"
    [ "$n_up" = 2 ] && [ "$n_down" = 2 ] ||
        fail "$name: tshark with the key log: client->server plaintext in $n_up records, server->client in $n_down (want 2 each: full and resumed): $(cat "$d/decrypted" "$d/decrypt.err")"
    if grep -q -e "$up" -e "$down" "$d/without"; then
        fail "$name: the plaintext shows without the key log"
    fi
    echo "keylog-test: $name: $suite, key log via $mode (the same lines as s_server -keylogfile): tshark decrypts '$text' and '$reply' (full + resumed handshake)"
}

# run_server: the other role. OpenSSL's s_client talks to our server
# (nanodtls-server --keylog FILE --echo, a server endpoint); tshark with
# our server's key log decrypts the line and its echo.
run_server() {
    local d="$W/server-role" text="plaintext-for-our-server-$$"
    local server="$BUILD/c-examples/posix/nanodtls-server"
    mkdir -p "$d"
    tshark -i lo -f "udp port $PORT" -w "$d/cap.pcapng" >"$d/tshark.out" 2>"$d/tshark.err" &
    local tp=$!
    PIDS+=("$tp")
    local i
    for i in $(seq 50); do grep -qs "Capturing on" "$d/tshark.err" && break; sleep 0.1; done
    grep -q "Capturing on" "$d/tshark.err" || fail "server role: tshark did not start: $(cat "$d/tshark.err")"
    "$server" --host 127.0.0.1 --port "$PORT" --psk-id keylog-client --psk "$PSK" --suite PSK-AES128-CCM8 \
        --echo --once --keylog "$d/keys.log" >"$d/server.out" 2>"$d/server.err" &
    local sp=$!
    PIDS+=("$sp")
    for i in $(seq 50); do grep -qs "listening on" "$d/server.err" && break; sleep 0.1; done
    (echo "$text"; sleep 1) | timeout 10 openssl s_client -dtls1_2 -connect "127.0.0.1:$PORT" \
        -psk "$PSK" -psk_identity keylog-client -cipher PSK-AES128-CCM8 -nocommands >"$d/client.out" 2>&1 ||
        fail "server role: s_client failed: $(tail -5 "$d/client.out")"
    for i in $(seq 50); do kill -0 "$sp" 2>/dev/null || break; sleep 0.1; done
    kill "$sp" 2>/dev/null || true
    grep -q "^RECV $text" "$d/server.out" || fail "server role: our server did not receive the line: $(cat "$d/server.out")"
    sleep 0.3
    kill -INT "$tp"
    wait "$tp" 2>/dev/null || true
    [ "$(grep -c '^CLIENT_RANDOM [0-9a-f]\{64\} [0-9a-f]\{96\}$' "$d/keys.log")" = 1 ] ||
        fail "server role: want 1 CLIENT_RANDOM line: $(cat "$d/keys.log")"
    local fields=(-d "udp.port==$PORT,dtls" -Y "dtls.record.content_type == 23" -T fields -e data.data)
    tshark -r "$d/cap.pcapng" -o "tls.keylog_file:$d/keys.log" "${fields[@]}" >"$d/decrypted" 2>/dev/null
    tshark -r "$d/cap.pcapng" "${fields[@]}" >"$d/without" 2>/dev/null
    local n
    n="$(grep -c "$(hexof "$text")" "$d/decrypted" || true)"
    [ "$n" = 2 ] || fail "server role: the plaintext in $n decrypted records (want 2: the line and its echo): $(cat "$d/decrypted")"
    if grep -q "$(hexof "$text")" "$d/without"; then fail "server role: the plaintext shows without the key log"; fi
    echo "keylog-test: server role: s_client -> nanodtls-server --keylog: tshark decrypts '$text' both ways"
}

run psk PSK-AES128-CCM8 option
run ecdhe ECDHE-ECDSA-AES128-CCM8 env
run_server
echo "keylog-test: ok"
