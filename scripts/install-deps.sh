#!/usr/bin/env bash
# Install everything the test command needs, idempotently (a second run
# takes seconds). Debian packages via apt-get (root or sudo), Python peers
# via pip (tests/interop/install_peers.sh), cargo-fuzz via cargo.
#
#   scripts/install-deps.sh [--no-embedded] [--no-fuzz]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EMBEDDED=1
FUZZ=1
for a in "$@"; do
    case "$a" in
        --no-embedded) EMBEDDED=0 ;;
        --no-fuzz) FUZZ=0 ;;
        *) echo "usage: $0 [--no-embedded] [--no-fuzz]" >&2; exit 2 ;;
    esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PKGS=(cmake make gcc g++ libc6-dev valgrind iproute2 util-linux
      gnutls-bin libcoap3-bin autoconf automake libtool pkg-config
      libssl-dev libmbedtls-dev) # libssl-dev also for tests/c/test_aes_hook.c (an AES hook on libcrypto)
if [ "$EMBEDDED" = 1 ]; then
    PKGS+=(rustc-web cargo-web rust-web-src gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
fi
# tests/vectors/ecdhe_psk_vectors.py --check (rust stage) needs Python's
# `cryptography` (any install of it will do: only asked for when absent).
python3 -c "import cryptography" 2>/dev/null || PKGS+=(python3-cryptography)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: apt-get install ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "install-deps: cargo (rustup) is required" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt

"$ROOT/tests/interop/install_peers.sh"

if [ "$FUZZ" = 1 ]; then
    cargo fuzz --help >/dev/null 2>&1 || cargo install --quiet --locked cargo-fuzz
fi
echo "install-deps: ok"
