#!/usr/bin/env bash
# Cross-build the nanodtls static library for microcontroller targets and
# prove that each one links into a bare-metal image.
#
#   scripts/cross-build.sh [--targets "T1 T2 ..."] [--profiles "psk full"]
#       (also: full-ecdhe-psk, full-x509, full-x509-cached-info, full-x509-cert-url, psk-derived-key, full-derived-key, full-authz-cert)
#
# For every target x profile (psk = --no-default-features --features psk,
# full = --no-default-features --features psk,ecc: everything but the debug
# log, which firmware profiles leave out) it:
#   1. builds the release staticlib with cargo, with rustup's target when
#      installed, else Debian's rustc-web + rust-web-src and
#      -Zbuild-std=core (see scripts/lib/embedded-common.sh; NANODTLS_BUILD_STD
#      overrides the choice);
#   2. links embedded/linktest/linktest.c (a client calling init, set_psk,
#      [set_own_key, get_own_spki, add_trusted_key,] connect, poll, feed,
#      read, write, timeout, close, deinit ...) with the generated header
#      into a bare-metal image with the target's GCC (arm-none-eabi-gcc +
#      newlib-nano; riscv64-unknown-elf-gcc + picolibc), so any undefined
#      symbol fails the link;
#   3. reports the archive size and what the library contributes to the
#      linked image (from the link map).
#
# Missing tools are installed with apt-get (Debian). Everything goes to
# target/cross/ (override with NANODTLS_CROSS_DIR). Quiet unless something
# fails; prints a markdown table at the end. Exit status 1 if any FAIL.
set -euo pipefail

ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/embedded-common.sh
. "$ND_ROOT/scripts/lib/embedded-common.sh"

TARGETS="thumbv6m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf"
PROFILES="psk full"
while [ $# -gt 0 ]; do
    case "$1" in
        --targets) TARGETS=$2; shift 2 ;;
        --profiles) PROFILES=$2; shift 2 ;;
        -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
        *) nd_die "unknown argument: $1 (see --help)" ;;
    esac
done

OUT=${NANODTLS_CROSS_DIR:-$ND_ROOT/target/cross}
CARGO_DIR="$OUT/cargo"
mkdir -p "$OUT"
EMB="$ND_ROOT/embedded"

command -v cargo >/dev/null 2>&1 || [ -x /usr/bin/cargo ] || nd_die "no cargo found (install rustup or Debian's cargo)"

# C toolchains for the link test.
need_arm=0 need_rv=0
for t in $TARGETS; do
    case "$t" in
        thumb*) need_arm=1 ;;
        riscv32*) need_rv=1 ;;
        *) nd_die "unsupported target $t (thumbv*-none-eabi[hf], riscv32*-unknown-none-elf)" ;;
    esac
done
[ $need_arm = 1 ] && nd_apt_ensure gcc-arm-none-eabi libnewlib-arm-none-eabi
RV_LINK=gcc
if [ $need_rv = 1 ]; then
    # Debian ships a RISC-V bare-metal GCC and picolibc; fall back to an
    # archive-level check if they cannot be had.
    if ! (nd_apt_ensure gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf) 2>"$OUT/rv-apt.log"; then
        echo "warning: no RISC-V GCC/picolibc ($(tail -n 1 "$OUT/rv-apt.log")); RISC-V is checked with nm -u only" >&2
        RV_LINK="nm"
    fi
fi

# How each target is compiled and linked (GCC flags for the C side).
cflags_for() {
    case "$1" in
        thumbv6m-none-eabi) echo "-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft" ;;
        thumbv7m-none-eabi) echo "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft" ;;
        thumbv7em-none-eabi) echo "-mcpu=cortex-m4 -mthumb -mfloat-abi=soft" ;;
        thumbv7em-none-eabihf) echo "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16" ;;
        thumbv8m.main-none-eabi) echo "-mcpu=cortex-m33 -mthumb -mfloat-abi=soft" ;;
        thumbv8m.main-none-eabihf) echo "-mcpu=cortex-m33 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16" ;;
        riscv32imac-unknown-none-elf) echo "-march=rv32imac -mabi=ilp32 -mcmodel=medany" ;;
        riscv32imc-unknown-none-elf) echo "-march=rv32imc -mabi=ilp32 -mcmodel=medany" ;;
        *) return 1 ;;
    esac
}

# Symbols the archive may leave undefined: the C library's memory
# functions and the ARM EABI helpers of libgcc / libc.
ALLOWED_UNDEF='^(memcpy|memmove|memset|memcmp|bcmp|__aeabi_mem(cpy|move|set|clr)[48]?|__aeabi_[a-z0-9_]+)$'

ROWS=()
FAILS=0
start_all=$(date +%s)
for t in $TARGETS; do
    cflags=$(cflags_for "$t") || nd_die "no C flags known for $t"
    for p in $PROFILES; do
        case "$p" in
            psk) feat=(--no-default-features --features psk) ; def=() ;;
            full) feat=(--no-default-features --features psk,ecc) ; def=(-DLINKTEST_ECC) ;;
            # full + ECDHE_PSK (RFC 8442): its flash cost is the difference to full.
            full-ecdhe-psk) feat=(--no-default-features --features psk,ecc,ecdhe-psk) ; def=(-DLINKTEST_ECC) ;;
            full-x509) feat=(--no-default-features --features psk,ecc,x509) ; def=(-DLINKTEST_ECC) ;;
            # + cached_info (RFC 7924): its flash cost is the difference to full-x509.
            full-x509-cached-info) feat=(--no-default-features --features psk,ecc,x509,cached-info) ; def=(-DLINKTEST_ECC) ;;
            # + client certificate URLs (RFC 6066 5): the difference to full-x509.
            full-x509-cert-url) feat=(--no-default-features --features psk,ecc,x509,cert-url) ; def=(-DLINKTEST_ECC) ;;
            # The trusted-third-party modes (docs/ttp.md), each on its own:
            # their flash cost is the difference to psk / full.
            psk-derived-key) feat=(--no-default-features --features psk,derived-key) ; def=() ;;
            full-derived-key) feat=(--no-default-features --features psk,ecc,derived-key) ; def=(-DLINKTEST_ECC) ;;
            full-authz-cert) feat=(--no-default-features --features psk,ecc,authz-cert) ; def=(-DLINKTEST_ECC) ;;
            *) nd_die "unknown profile $p (psk, full, full-ecdhe-psk, full-x509, full-x509-cached-info, full-x509-cert-url, psk-derived-key, full-derived-key, full-authz-cert)" ;;
        esac
        dir="$OUT/$t/$p"
        mkdir -p "$dir"
        result=OK note=""
        asize="-" ltext="-" lro="-" lram="-" iflash="-"
        if ! a=$(nd_cargo_staticlib "$t" "$CARGO_DIR" "$dir/cargo.log" "${feat[@]}"); then
            result=FAIL note="cargo build failed ($dir/cargo.log)"
        else
            cp "$a" "$dir/libnanodtls.a"
            h=$(nd_header_for "$a") || { result=FAIL; note="generated header not found"; }
            [ "$result" = OK ] && cp "$h" "$dir/nanodtls.h"
            asize=$(wc -c <"$dir/libnanodtls.a" | tr -d ' ')
        fi
        if [ "$result" = OK ]; then
            # Symbols the archive needs from outside (informational when the
            # link test runs, the check itself when no RISC-V linker exists).
            # readelf, not nm: nm's LTO plugin chokes on the embedded bitcode.
            readelf -sW "$dir/libnanodtls.a" 2>/dev/null | awk '
                $1 ~ /^[0-9]+:$/ && ($5 == "GLOBAL" || $5 == "WEAK") {
                    if ($7 == "UND") und[$8] = 1; else def[$8] = 1 }
                END { for (s in und) if (!(s in def) && s != "") print s }' |
                sort >"$dir/undefined.txt" || true
            bad=$(grep -Ev "$ALLOWED_UNDEF" "$dir/undefined.txt" || true)
            case "$t" in
                thumb*) CC=arm-none-eabi-gcc; LD="$EMB/common/cortex-m.ld"; START="$EMB/common/cm_startup.c"
                    LIBC=(--specs=nano.specs) ;;
                *) CC=riscv64-unknown-elf-gcc; LD="$EMB/common/riscv32.ld"; START="$EMB/common/rv_startup.S"
                    LIBC=(--specs=picolibc.specs) ;;
            esac
            if [ "${t#riscv}" != "$t" ] && [ "$RV_LINK" = nm ]; then
                if [ -n "$bad" ]; then
                    result=FAIL note="unexpected undefined symbols: $(echo "$bad" | tr '\n' ' ')"
                else
                    result=OK note="nm -u only (no RISC-V GCC)"
                fi
            else
                # shellcheck disable=SC2086
                if ! "$CC" $cflags -Os -std=c99 -Wall -Wextra -Werror -ffunction-sections -fdata-sections \
                    "${def[@]}" -I"$dir" -I"$EMB/common" "${LIBC[@]}" -nostartfiles -T "$LD" \
                    -Wl,--gc-sections -Wl,-z,noexecstack -Wl,-Map="$dir/linktest.map" \
                    "$START" "$EMB/linktest/linktest.c" "$dir/libnanodtls.a" \
                    -o "$dir/linktest.elf" >"$dir/link.log" 2>&1; then
                    result=FAIL note="link failed: $(grep -m1 -E 'undefined reference|error' "$dir/link.log" || tail -n 1 "$dir/link.log")"
                    sed 's/^/    /' "$dir/link.log" | head -n 20 >&2
                else
                    read -r ltext lro ldata lbss lother < <(awk -v lib=libnanodtls.a -f "$EMB/common/mapsize.awk" \
                        "$dir/linktest.map" | sed 's/[a-z]*=//g')
                    lro=$((lro + lother))
                    lram=$((ldata + lbss))
                    SIZE=${CC%gcc}size
                    iflash=$("$SIZE" -A "$dir/linktest.elf" | awk '$1 ~ /^\.(vectors|text|rodata|ARM\.ex|data)/ {s += $2} END {print s}')
                fi
            fi
        fi
        [ "$result" = OK ] || FAILS=$((FAILS + 1))
        if [ "$ltext" != "-" ]; then lsum=$((ltext + lro)); else lsum="-"; fi
        ROWS+=("| $t | $p | $asize | $ltext | $lro | $lsum | $lram | $iflash | $result${note:+ ($note)} |")
    done
done
elapsed=$(($(date +%s) - start_all))

echo
echo "nanodtls cross build (release, opt-level s, LTO) - $elapsed s"
echo
echo "| target | profile | .a bytes | lib .text | lib .rodata | lib .text+.rodata | lib .data+.bss | image flash | link |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "lib = input sections from libnanodtls.a in embedded/linktest (a PSK client;"
echo "full also sets an own key and a trusted raw public key); image flash = whole"
echo "link-test image incl. start-up and C library. Artifacts: $OUT/<target>/<profile>/"
[ "$FAILS" -eq 0 ] || { echo "$FAILS build(s) FAILED" >&2; exit 1; }
