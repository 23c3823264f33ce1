#!/usr/bin/env bash
# End-to-end checks of DerivedKey (docs/ttp.md) through the POSIX tools over
# loopback (~15 s; part of the c stage of scripts/test.sh):
#
#   derive     nanodtls-ta derive -> nanodtls-client (an ordinary PSK client
#              with the nonce and the key) -> nanodtls-server --ta: the
#              handshake and an echo work, and the server prints the trust
#              anchor, client id and seq; a client id with '.' and a
#              32-byte key (--ta ID:KEY:32, --key-len 32) too
#   replay     the same nonce again is refused (also with another client
#              id: the seq is what counts); the server's TA-STATS say
#              refused_replayed
#   window     after seq 1000, seq 1000-64 is left of the window
#              (refused_too_old) and 1000-63 still gets in
#   unknown    a nonce of an unknown trust anchor, a malformed nonce:
#              refused (refused_unknown_ta, refused_malformed)
#   restart    the server is stopped and started again with the same
#              --ta-state file: the used nonce is still refused, a new
#              seq gets in
#   openssl    OpenSSL's s_client as the DerivedKey client (psk_identity =
#              nonce, psk = key): in once, never twice, not after a restart
#              (skipped if openssl is not installed)
#   authz      AuthzCert: nanodtls-ta authz -> nanodtls-client --authz-cert
#              --key --rpk-peer -> nanodtls-server --ta --key: our client
#              gets in (the server prints the trust anchor, the client's key
#              hash and the seq), the same MacCert again and a forged one are
#              refused (refused_replayed, refused_bad_mac), a wrong pinned
#              server key fails, an ordinary raw-public-key client still gets
#              in, and after a restart with --ta-state the used MacCert is
#              still refused while a new seq gets in
#
#   scripts/ttp-test.sh     (needs ./build, or builds it)
#
# Prints one line per check and "N passed, M failed". Logs in target/ttp-test/.
set -euo pipefail
ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/checks.sh
. "$ND_ROOT/scripts/lib/checks.sh"
# shellcheck source=lib/loopback-server.sh
. "$ND_ROOT/scripts/lib/loopback-server.sh"
W="$ND_ROOT/target/ttp-test"
BIN="$ND_ROOT/build/c-examples/posix"
K1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
K2=f0e1d2c3b4a5968778695a4b3c2d1e0f
rm -rf "$W"
mkdir -p "$W"

if [ ! -x "$BIN/nanodtls-server" ] || [ ! -x "$BIN/nanodtls-client" ] || [ ! -x "$BIN/nanodtls-ta" ]; then
    cmake -S "$ND_ROOT" -B "$ND_ROOT/build" -DCMAKE_BUILD_TYPE=Release >"$W/build.log" 2>&1
    cmake --build "$ND_ROOT/build" -j 2 >>"$W/build.log" 2>&1
fi

cleanup() { nd_server_stop; }
trap cleanup EXIT

STATE="$W/ta.state"
server() { # DIR: a server with trust anchors ta1 (16-byte keys) and ta2 (32-byte keys)
    mkdir -p "$1"
    nd_server_start "$1" 120 "$BIN/nanodtls-server" --ta "ta1:$K1" --ta "ta2:$K2:32" --ta-state "$STATE" \
        --echo --stats --handshake-timeout-ms 3000
    [ -n "$ND_SERVER_PORT" ] || { nd_bad "server start" "$1/server.err"; nd_summary; exit 1; }
}

# derive TA KEY CLIENT SEQ [LEN]: sets NONCE and KEY
derive() {
    local out
    out=$("$BIN/nanodtls-ta" derive --ta-id "$1" --ta-key "$2" --client-id "$3" --seq "$4" --key-len "${5:-16}")
    NONCE=$(printf '%s\n' "$out" | sed -n 's/^NONCE //p')
    KEY=$(printf '%s\n' "$out" | sed -n 's/^KEY //p')
}

# client LOG TIMEOUT_MS: nanodtls-client with $NONCE / $KEY and --send; its status
client() {
    timeout 20 "$BIN/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --psk-id "$NONCE" --psk "$KEY" \
        --send "ttp-echo" --timeout-ms "$2" >"$1" 2>&1 </dev/null
}

# must_connect NAME LOG: the client got in and its data came back
must_connect() {
    if client "$2" 8000 && grep -q '^RECV ttp-echo' "$2"; then nd_ok "$1"; else nd_bad "$1" "$2"; fi
}

# must_fail NAME LOG: the client did not get in
must_fail() {
    if client "$2" 1500; then nd_bad "$1 (it connected)" "$2"; else nd_ok "$1"; fi
}

# ta_stat DIR NAME: a TA-STATS counter of the stopped server in DIR
ta_stat() { sed -n 's/^TA-STATS //p' "$1/server.err" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# expect_stat DIR NAME: the counter is at least 1
expect_stat() {
    local v
    v=$(ta_stat "$1" "$2")
    if [ "${v:-0}" -ge 1 ]; then nd_ok "  server counted $2=$v"; else nd_bad "  server counted $2 (${v:-none})" "$1/server.err"; fi
}

# wait_line FILE PATTERN: up to 2 s for the server to print a line
wait_line() {
    local _
    for _ in $(seq 1 20); do
        grep -q "$2" "$1" && return 0
        sleep 0.1
    done
    return 1
}

# ---- first run --------------------------------------------------------------
d="$W/run1"
server "$d"
derive ta1 "$K1" sensor-42 7
must_connect "derive: nanodtls-ta derive -> nanodtls-client (nonce $NONCE) -> nanodtls-server --ta" "$d/c1.log"
if wait_line "$d/server.out" '^TRUST-ANCHOR DK ta=ta1 client=sensor-42 seq=7$'; then
    nd_ok "derive: the server prints 'TRUST-ANCHOR DK ta=ta1 client=sensor-42 seq=7'"
else
    nd_bad "derive: the server prints the trust anchor, client id and seq" "$d/server.out"
fi
derive ta2 "$K2" maint.alice 0 32
must_connect "derive: client id with '.', 32-byte derived key (--ta ta2:KEY:32, --key-len 32)" "$d/c2.log"
wait_line "$d/server.out" 'client=maint.alice seq=0$' && nd_ok "derive: ta2 client=maint.alice seq=0 reported" ||
    nd_bad "derive: ta2 client=maint.alice seq=0 reported" "$d/server.out"
derive ta1 "$K1" sensor-42 7
must_fail "replay: the same nonce again is refused" "$d/c3.log"
derive ta1 "$K1" other-client 7
must_fail "replay: the same seq with another client id is refused" "$d/c4.log"
derive ta1 "$K1" sensor-42 1000
must_connect "window: seq 1000 gets in" "$d/c5.log"
derive ta1 "$K1" sensor-42 936
must_fail "window: seq 936 (1000-64, left of the window) is refused" "$d/c6.log"
derive ta1 "$K1" sensor-42 937
must_connect "window: seq 937 (1000-63, in the window, unused) gets in" "$d/c7.log"
NONCE="DK.ta9.sensor-42.1"
KEY=$K2
must_fail "unknown: a nonce of an unknown trust anchor is refused" "$d/c8.log"
NONCE="DK.ta1.sensor-42.01"
must_fail "unknown: a malformed nonce (leading zero) is refused" "$d/c9.log"
nd_server_stop
for c in refused_replayed refused_too_old refused_unknown_ta refused_malformed; do expect_stat "$d" "$c"; done
acc=$(ta_stat "$d" accepted)
[ "${acc:-0}" = 4 ] && nd_ok "  server counted accepted=4" || nd_bad "  server counted accepted=4 (${acc:-none})" "$d/server.err"
if [ -s "$STATE" ] && [ "$(wc -l <"$STATE")" = 2 ]; then
    nd_ok "restart: --ta-state holds one window per trust anchor"
else
    nd_bad "restart: --ta-state holds one window per trust anchor" "$d/server.err"
fi

# ---- restart with the saved windows -------------------------------------------
d="$W/run2"
server "$d"
derive ta1 "$K1" sensor-42 7
must_fail "restart: seq 7, used before the restart, is still refused" "$d/c1.log"
derive ta2 "$K2" maint.alice 0 32
must_fail "restart: ta2 seq 0, used before the restart, is still refused" "$d/c2.log"
derive ta1 "$K1" sensor-42 1001
must_connect "restart: a new seq gets in" "$d/c3.log"
nd_server_stop
expect_stat "$d" refused_replayed

# ---- OpenSSL s_client as the DerivedKey client ---------------------------------
if command -v openssl >/dev/null 2>&1; then
    # LOG: s_client with $NONCE / $KEY; 0 if the handshake completed. s_client
    # prints its session summary ("New, TLSv1.2, Cipher is ...") also when
    # the server ended the handshake with an alert (decrypt_error at the
    # server's deadline): a refusal shows as an ":error:" line.
    ossl() {
        (
            echo ossl-echo
            sleep 1
        ) | timeout 8 openssl s_client -dtls1_2 -connect "127.0.0.1:$ND_SERVER_PORT" -psk_identity "$NONCE" \
            -psk "$KEY" -cipher PSK-AES128-CCM8 >"$1" 2>&1 || true
        grep -q 'New, TLSv1.2, Cipher is PSK-AES128-CCM8' "$1" && ! grep -q ':error:' "$1"
    }
    # ossl_refused LOG: refused (the alert the server sent at its deadline)
    ossl_refused() {
        ! ossl "$1" && grep -q 'alert decrypt error' "$1"
    }
    d="$W/openssl"
    server "$d"
    derive ta1 "$K1" openssl 5000
    if ossl "$d/o1.log" && wait_line "$d/server.out" 'client=openssl seq=5000$'; then
        nd_ok "openssl: s_client with the nonce and derived key gets in"
    else
        nd_bad "openssl: s_client with the nonce and derived key gets in" "$d/o1.log"
    fi
    if ossl_refused "$d/o2.log"; then
        nd_ok "openssl: the same nonce a second time is refused (decrypt_error)"
    else
        nd_bad "openssl: the same nonce a second time is refused (decrypt_error)" "$d/o2.log"
    fi
    nd_server_stop
    d="$W/openssl-restart"
    server "$d"
    if ossl_refused "$d/o3.log"; then
        nd_ok "openssl: the same nonce after a restart is refused (decrypt_error)"
    else
        nd_bad "openssl: the same nonce after a restart is refused (decrypt_error)" "$d/o3.log"
    fi
    derive ta1 "$K1" openssl 5001
    if ossl "$d/o4.log" && wait_line "$d/server.out" 'client=openssl seq=5001$'; then
        nd_ok "openssl: the next seq gets in after the restart"
    else
        nd_bad "openssl: the next seq gets in after the restart" "$d/o4.log"
    fi
    nd_server_stop
    n=$(cat "$W"/openssl*/server.out | grep -c '^TRUST-ANCHOR DK ta=ta1 client=openssl' || true)
    [ "$n" = 2 ] && nd_ok "openssl: the servers let s_client in exactly twice (seq 5000, 5001)" ||
        nd_bad "openssl: the servers let s_client in exactly twice ($n)" "$d/server.out"
else
    echo "skip openssl: not installed"
fi

# ---- AuthzCert: our client with a MacCert --------------------------------------
PKI="$ND_ROOT/tests/pki"
AZSTATE="$W/authz.state"
server_az() { # DIR: trust anchor ta1, our key (tests/pki/server.*), its own window file
    mkdir -p "$1"
    nd_server_start "$1" 120 "$BIN/nanodtls-server" --ta "ta1:$K1" --key "$PKI/server.key.der" \
        --ta-state "$AZSTATE" --echo --stats --handshake-timeout-ms 3000
    [ -n "$ND_SERVER_PORT" ] || { nd_bad "server start" "$1/server.err"; nd_summary; exit 1; }
}
# maccert SEQ OUT: a MacCert of ta1 for the client key of tests/pki/client-cn
maccert() {
    "$BIN/nanodtls-ta" authz --ta-id ta1 --ta-key "$K1" --seq "$1" --spki "$PKI/client-cn.der" --out "$2"
}
# az_client LOG MACCERT [PINNED]: nanodtls-client --authz-cert; its status
az_client() {
    timeout 20 "$BIN/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --authz-cert "$2" \
        --key "$PKI/client-cn.key.der" --rpk-peer "${3:-$PKI/server.der}" --send "ttp-echo" --timeout-ms 6000 \
        >"$1" 2>&1 </dev/null
}
az_must_connect() {
    if az_client "$2" "$3" && grep -q '^RECV ttp-echo' "$2"; then nd_ok "$1"; else nd_bad "$1" "$2"; fi
}
az_must_fail() {
    if az_client "$2" "$3" "${4:-}"; then nd_bad "$1 (it connected)" "$2"; else nd_ok "$1"; fi
}
d="$W/authz"
server_az "$d"
maccert 20 "$W/az20.bin"
az_must_connect "authz: nanodtls-ta authz -> nanodtls-client --authz-cert -> nanodtls-server --ta --key" "$d/a1.log" \
    "$W/az20.bin"
if wait_line "$d/server.out" '^TRUST-ANCHOR AUTHZ ta=ta1 client=[0-9a-f]\{64\} seq=20$'; then
    nd_ok "authz: the server prints 'TRUST-ANCHOR AUTHZ ta=ta1 client=<key SHA-256> seq=20'"
else
    nd_bad "authz: the server prints the trust anchor, key hash and seq" "$d/server.out"
fi
kh=$(sed -n 's/^PEER-KEY-SHA256 //p' "$d/server.out" | head -1)
ch=$(sed -n 's/^TRUST-ANCHOR AUTHZ .*client=\([0-9a-f]*\) .*/\1/p' "$d/server.out" | head -1)
[ -n "$kh" ] && [ "$kh" = "$ch" ] && nd_ok "authz: client= is the SHA-256 of the client's key" ||
    nd_bad "authz: client= is the SHA-256 of the client's key ($kh / $ch)" "$d/server.out"
az_must_fail "authz: the same MacCert again is refused" "$d/a2.log" "$W/az20.bin"
maccert 21 "$W/az21.bin"
cp "$W/az21.bin" "$W/az21-forged.bin"
last=$(($(stat -c %s "$W/az21-forged.bin") - 1))
printf '%02x' $(($(od -An -tu1 -j "$last" -N1 "$W/az21-forged.bin") ^ 1)) | xxd -r -p |
    dd of="$W/az21-forged.bin" bs=1 seek="$last" conv=notrunc status=none
az_must_fail "authz: a forged MacCert (one MAC bit) is refused" "$d/a3.log" "$W/az21-forged.bin"
az_must_fail "authz: a wrong pinned server key fails" "$d/a4.log" "$W/az21.bin" "$PKI/client-cn.der"
az_must_connect "authz: the genuine seq 21 still gets in (the refusals marked nothing)" "$d/a5.log" "$W/az21.bin"
if timeout 20 "$BIN/nanodtls-client" --host 127.0.0.1 --port "$ND_SERVER_PORT" --rpk-peer "$PKI/server.der" \
    --send "ttp-echo" --timeout-ms 6000 >"$d/a6.log" 2>&1 </dev/null && grep -q '^RECV ttp-echo' "$d/a6.log"; then
    nd_ok "authz: the same server still serves an ordinary ECDHE-ECDSA client (raw public key)"
else
    nd_bad "authz: the same server still serves an ordinary ECDHE-ECDSA client (raw public key)" "$d/a6.log"
fi
nd_server_stop
for c in refused_replayed refused_bad_mac; do expect_stat "$d" "$c"; done
acc=$(ta_stat "$d" accepted)
[ "${acc:-0}" = 2 ] && nd_ok "  server counted accepted=2" || nd_bad "  server counted accepted=2 (${acc:-none})" "$d/server.err"
d="$W/authz-restart"
server_az "$d"
az_must_fail "authz restart: the MacCert used before the restart is still refused" "$d/a1.log" "$W/az20.bin"
maccert 22 "$W/az22.bin"
az_must_connect "authz restart: a new seq gets in" "$d/a2.log" "$W/az22.bin"
nd_server_stop
expect_stat "$d" refused_replayed
nd_summary
