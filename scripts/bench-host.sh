#!/usr/bin/env bash
# Host benchmark (not a test): ECDHE-ECDSA handshake time, nanodtls vs
# OpenSSL, median of 20 in one run (bench/host/handshake_bench.c).
#
#   scripts/bench-host.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/bench-host"
mkdir -p "$OUT"
dpkg-query -W -f='${Status}' libssl-dev 2>/dev/null | grep -q "install ok installed" ||
    { ${SUDO:-} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev >/dev/null; }
# The release library (LTO staticlib), as firmware gets it.
CARGO_TARGET_DIR="$OUT/cargo" cargo rustc --quiet --release --lib --crate-type staticlib --manifest-path "$ROOT/Cargo.toml"
LIB="$OUT/cargo/release/libnanodtls.a"
# OpenSSL needs certificates: throwaway P-256 keys, self-signed.
for who in server client; do
    [ -f "$OUT/$who.key" ] || openssl ecparam -name prime256v1 -genkey -noout -out "$OUT/$who.key" 2>/dev/null
    [ -f "$OUT/$who.crt" ] || openssl req -new -x509 -key "$OUT/$who.key" -subj "/CN=$who.example" -days 30 \
        -out "$OUT/$who.crt" 2>/dev/null
done
cc -O2 -std=c99 -Wall -Wextra -I "$ROOT/include" "$ROOT/bench/host/handshake_bench.c" "$LIB" -lssl -lcrypto \
    -o "$OUT/handshake_bench"
"$OUT/handshake_bench" "$OUT/server.crt" "$OUT/server.key" "$OUT/client.crt" "$OUT/client.key"
