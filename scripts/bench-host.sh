#!/usr/bin/env bash
# Host benchmark (not a test): nanodtls side by side with OpenSSL (libssl)
# and Mbed TLS (Debian's libmbedtls-dev) in one run, client and server of
# each stack in one thread, in-memory datagrams, cookie exchange on
# (bench/host/host_bench.c and its stack_*.c drivers):
#   - TLS_PSK_WITH_AES_128_CCM_8 full handshakes per second,
#   - 1 KiB application records: seal MB/s and open MB/s, same suite,
#   - ECDHE-ECDSA (P-256, CCM-8, mutual authentication) handshake time.
# nanodtls three times: the default build (its own constant-time bitsliced
# AES), the same library with the AES/CCM hook on libcrypto's EVP
# aes-128-ccm registered (bench/host/libcrypto_aes_hook.c: AES-NI, what a
# Linux gateway registers), and a library built with the cargo feature
# aes-tables (table AES, NOT constant-time on a host), linked beside the
# first with its symbols renamed (ld -r, objcopy).
# Rounds interleave the stacks (the nanodtls builds, OpenSSL, Mbed TLS for
# each measurement), so load from other processes falls on all of them; the
# table gives median (min-max) over the rounds and the load average.
# Never fails on a number; fails if a handshake fails or a record does
# not decrypt to what was sent.
#
#   scripts/bench-host.sh                 51 rounds (~5 s of CPU time, longer under load)
#   scripts/bench-host.sh --rounds 101    more rounds
#   scripts/bench-host.sh --quick         build, one tiny round (a smoke check)
#   scripts/bench-host.sh --wall          time on the wall clock, not CPU time
#   scripts/bench-host.sh --no-tables     no aes-tables build (and column)
#   scripts/bench-host.sh --aes-ref       then also the AES-NI reference: CCM-8
#                                         over 1 KiB with RustCrypto's aes + ccm
#                                         crates, no record layer, opt-level s
#                                         and 3 (bench/host/aes-ref)
#
# nanodtls is the release static library (cargo's release profile: LTO,
# opt-level "s"), as firmware and the CMake build get it;
# NANODTLS_OPT_LEVEL=3 scripts/bench-host.sh builds it with opt-level 3
# instead (CARGO_PROFILE_RELEASE_OPT_LEVEL), for a host-tuned figure.
# NANODTLS_LIB=path/libnanodtls.a uses a library already built with the
# default features (the CMake build's: scripts/test.sh c runs --quick so);
# then there is no aes-tables build either.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/bench-host"
ARGS=()
AES_REF=0
QUICK=""
TABLES=1
for a in "$@"; do
    case "$a" in
        --quick) ARGS+=("$a"); QUICK=1 ;;
        --wall | --rounds | [0-9]*) ARGS+=("$a") ;;
        --aes-ref) AES_REF=1 ;;
        --no-tables) TABLES=0 ;;
        *) echo "usage: $0 [--rounds N] [--quick] [--wall] [--aes-ref] [--no-tables]" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
for p in libssl-dev libmbedtls-dev openssl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "bench-host: apt-get install ${missing[*]}" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
          $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi
# The release library (LTO staticlib).
OPT="${NANODTLS_OPT_LEVEL:-}"
CFLAGS_NOTE=()
[ -z "$OPT" ] || CFLAGS_NOTE=(-DNANODTLS_BUILD_NOTE="\"opt-level $OPT\"")
if [ -n "${NANODTLS_LIB:-}" ]; then
    [ -z "$OPT" ] || { echo "bench-host: NANODTLS_LIB and NANODTLS_OPT_LEVEL exclude each other" >&2; exit 2; }
    LIB="$NANODTLS_LIB"
    [ -f "$LIB" ] || { echo "bench-host: $LIB: no such library" >&2; exit 1; }
else
    TARGET_DIR="$OUT/cargo${OPT:+-O$OPT}"
    env ${OPT:+CARGO_PROFILE_RELEASE_OPT_LEVEL=$OPT} CARGO_TARGET_DIR="$TARGET_DIR" \
        cargo rustc --quiet --release --lib --crate-type staticlib --manifest-path "$ROOT/Cargo.toml"
    LIB="$TARGET_DIR/release/libnanodtls.a"
fi
[ -z "${NANODTLS_LIB:-}" ] || TABLES=0
B="$ROOT/bench/host"
TABLES_CC=()
if [ "$TABLES" = 1 ]; then
    # The aes-tables library as one relocatable object whose nanodtls_*
    # functions are renamed tables_nanodtls_* and every other symbol made
    # local, so that it links beside the default library; a second copy of
    # the nanodtls driver calls it through a header of #defines.
    T="$OUT/aes-tables${OPT:+-O$OPT}"
    mkdir -p "$T"
    env ${OPT:+CARGO_PROFILE_RELEASE_OPT_LEVEL=$OPT} CARGO_TARGET_DIR="$OUT/cargo-aes-tables${OPT:+-O$OPT}" \
        cargo rustc --quiet --release --lib --crate-type staticlib --features aes-tables --manifest-path "$ROOT/Cargo.toml"
    ld -r --whole-archive "$OUT/cargo-aes-tables${OPT:+-O$OPT}/release/libnanodtls.a" -o "$T/all.o"
    readelf -sW "$T/all.o" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $8 ~ /^nanodtls_/ { print $8 }' |
        sort -u >"$T/syms"
    [ -s "$T/syms" ] || { echo "bench-host: no nanodtls_* symbols in the aes-tables library" >&2; exit 1; }
    awk '{ print $1 " tables_" $1 }' "$T/syms" >"$T/redefine"
    sed 's/^/tables_/' "$T/syms" >"$T/keep"
    awk '{ print "#define " $1 " tables_" $1 }' "$T/syms" >"$T/rename.h"
    objcopy --redefine-syms="$T/redefine" "$T/all.o" "$T/renamed.o"
    objcopy --keep-global-symbols="$T/keep" "$T/renamed.o" "$T/nanodtls-aes-tables.o"
    cc -O2 -std=c99 -Wall -Wextra -Werror "${CFLAGS_NOTE[@]}" -DBENCH_NANODTLS_TABLES -include "$T/rename.h" \
        -I "$ROOT/include" -I "$B" -c "$B/stack_nanodtls.c" -o "$T/stack_nanodtls_tables.o"
    TABLES_CC=(-DBENCH_HAVE_TABLES "$T/stack_nanodtls_tables.o" "$T/nanodtls-aes-tables.o")
fi
# OpenSSL and Mbed TLS need certificates: throwaway P-256 keys, self-signed.
for who in server client; do
    [ -f "$OUT/$who.key" ] || openssl ecparam -name prime256v1 -genkey -noout -out "$OUT/$who.key" 2>/dev/null
    [ -f "$OUT/$who.crt" ] || openssl req -new -x509 -key "$OUT/$who.key" -subj "/CN=$who.example" -days 3650 \
        -out "$OUT/$who.crt" 2>/dev/null
done
cc -O2 -std=c99 -Wall -Wextra -Werror "${CFLAGS_NOTE[@]}" -I "$ROOT/include" "$B/host_bench.c" "$B/stack_nanodtls.c" \
    "$B/libcrypto_aes_hook.c" "$B/stack_openssl.c" "$B/stack_mbedtls.c" "${TABLES_CC[@]}" "$LIB" \
    -lssl -lcrypto -lmbedtls -lmbedx509 -lmbedcrypto \
    -o "$OUT/host_bench${OPT:+-O$OPT}"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
aes=no
grep -qw aes /proc/cpuinfo && aes=yes
VARIANTS="default, + libcrypto CCM hook"
[ "$TABLES" = 0 ] || VARIANTS="$VARIANTS, aes-tables"
echo "nanodtls ($VARIANTS) vs OpenSSL vs Mbed TLS on the host: client + server in one thread, in-memory datagrams, cookies on"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'),"\
    "$(uname -sr), $(nproc) cores (${cpu:-unknown CPU}; AES-NI: $aes)"
echo "command: ${OPT:+NANODTLS_OPT_LEVEL=$OPT }scripts/bench-host.sh${*:+ $*}"
echo
"$OUT/host_bench${OPT:+-O$OPT}" "${ARGS[@]}" "$OUT/server.crt" "$OUT/server.key" "$OUT/client.crt" "$OUT/client.key"

if [ "$AES_REF" = 1 ]; then
    echo
    echo "AES-NI reference (bench/host/aes-ref): AES-128-CCM-8 over 1 KiB, 13-byte AAD, no record layer,"
    echo "median (min-max) of 21 rounds of 4096 records, thread CPU time"
    for o in s 3; do
        env CARGO_PROFILE_RELEASE_OPT_LEVEL=$o AES_REF_OPT=$o CARGO_TARGET_DIR="$OUT/aes-ref-O$o" \
            cargo build --quiet --release --manifest-path "$B/aes-ref/Cargo.toml"
        "$OUT/aes-ref-O$o/release/nanodtls-aes-ref" ${QUICK:+--quick}
    done
fi
