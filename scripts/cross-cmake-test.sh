#!/usr/bin/env bash
# Test cmake/nanodtls-cross.cmake: configure embedded/cmake-cross-test with
# the toolchain files in cmake/toolchains/ (and a few overrides) and check
# the Rust target and build route it picks; then build the library and the
# link test through CMake for one target (Cortex-M0+, PSK profile).
#
#   scripts/cross-cmake-test.sh [--no-build]
#
# Prints "N passed, M failed". Uses target/cross-cmake-test/ for its build
# trees and shares cargo's target directory with scripts/cross-build.sh.
set -euo pipefail
ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/embedded-common.sh
. "$ND_ROOT/scripts/lib/embedded-common.sh"

BUILD=1
[ "${1:-}" = "--no-build" ] && BUILD=0
command -v cmake >/dev/null 2>&1 || nd_apt_ensure cmake
nd_apt_ensure gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf

W="$ND_ROOT/target/cross-cmake-test"
SRC="$ND_ROOT/embedded/cmake-cross-test"
TC="$ND_ROOT/cmake/toolchains"
mkdir -p "$W"
pass=0 fail=0
# Which route AUTO must choose for a triple here.
expect_std() { if [ "$(NANODTLS_BUILD_STD='' nd_route "$1")" = build-std ]; then echo ON; else echo OFF; fi; }

# check NAME EXPECTED_TRIPLE EXPECTED_BUILD_STD cmake-args...
check() {
    local name=$1 triple=$2 std=$3
    shift 3
    local b="$W/$name"
    rm -rf "$b"
    if cmake -S "$SRC" -B "$b" -DEXPECT_TARGET="$triple" -DEXPECT_BUILD_STD="$std" "$@" >"$W/$name.log" 2>&1; then
        pass=$((pass + 1))
        echo "ok   $name -> $triple (build-std $std)"
    else
        fail=$((fail + 1))
        echo "FAIL $name (expected $triple, build-std $std):"
        grep -E "RESULT|CHECK FAILED|Error|error" "$W/$name.log" | sed 's/^/     /' | head -n 12
    fi
}

# check_refused NAME MESSAGE cmake-args...: configuring must fail with MESSAGE.
check_refused() {
    local name=$1 msg=$2
    shift 2
    local b="$W/$name"
    rm -rf "$b"
    if cmake -S "$SRC" -B "$b" "$@" >"$W/$name.log" 2>&1; then
        fail=$((fail + 1))
        echo "FAIL $name: configured, expected an error ($msg)"
    elif tr -s ' \n' ' ' <"$W/$name.log" | grep -q "$msg"; then
        pass=$((pass + 1))
        echo "ok   $name -> refused ($msg)"
    else
        fail=$((fail + 1))
        echo "FAIL $name: failed without '$msg':"
        tail -n 8 "$W/$name.log" | sed 's/^/     /'
    fi
}

check m0plus thumbv6m-none-eabi "$(expect_std thumbv6m-none-eabi)" --toolchain "$TC/arm-none-eabi-cortex-m0plus.cmake"
check m4 thumbv7em-none-eabihf "$(expect_std thumbv7em-none-eabihf)" --toolchain "$TC/arm-none-eabi-cortex-m4.cmake"
check m33 thumbv8m.main-none-eabihf "$(expect_std thumbv8m.main-none-eabihf)" --toolchain "$TC/arm-none-eabi-cortex-m33.cmake"
check rv32imac riscv32imac-unknown-none-elf "$(expect_std riscv32imac-unknown-none-elf)" --toolchain "$TC/riscv64-unknown-elf-rv32imac.cmake"
# Flags override the toolchain file's defaults.
check m4-softfp thumbv7em-none-eabi "$(expect_std thumbv7em-none-eabi)" --toolchain "$TC/arm-none-eabi-cortex-m4.cmake" \
    "-DCMAKE_C_FLAGS=-mcpu=cortex-m4 -mthumb -mfloat-abi=softfp -mfpu=fpv4-sp-d16"
check m7-hard thumbv7em-none-eabihf "$(expect_std thumbv7em-none-eabihf)" --toolchain "$TC/arm-none-eabi-cortex-m4.cmake" \
    "-DCMAKE_C_FLAGS=-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16"
check m3 thumbv7m-none-eabi "$(expect_std thumbv7m-none-eabi)" --toolchain "$TC/arm-none-eabi-cortex-m0plus.cmake" \
    "-DCMAKE_C_FLAGS=-mcpu=cortex-m3 -mthumb"
check m33-soft thumbv8m.main-none-eabi "$(expect_std thumbv8m.main-none-eabi)" --toolchain "$TC/arm-none-eabi-cortex-m33.cmake" \
    "-DCMAKE_C_FLAGS=-mcpu=cortex-m33+nodsp -mthumb -mfloat-abi=soft"
check march-v8m thumbv8m.main-none-eabihf "$(expect_std thumbv8m.main-none-eabihf)" --toolchain "$TC/arm-none-eabi-cortex-m33.cmake" \
    "-DCMAKE_C_FLAGS=-march=armv8-m.main+fp -mthumb -mfloat-abi=hard"
check rv32imc riscv32imc-unknown-none-elf "$(expect_std riscv32imc-unknown-none-elf)" --toolchain "$TC/riscv64-unknown-elf-rv32imac.cmake" \
    "-DCMAKE_C_FLAGS=-march=rv32imc_zicsr -mabi=ilp32"
check rv32imafc riscv32imafc-unknown-none-elf "$(expect_std riscv32imafc-unknown-none-elf)" --toolchain "$TC/riscv64-unknown-elf-rv32imac.cmake" \
    "-DCMAKE_C_FLAGS=-march=rv32imafc -mabi=ilp32f"
# The float ABI decides, not the ISA: an FPU with the soft-float ABI gets a
# soft-float target (objects of different float ABIs do not link).
check rv32imafc-softabi riscv32imac-unknown-none-elf "$(expect_std riscv32imac-unknown-none-elf)" --toolchain "$TC/riscv64-unknown-elf-rv32imac.cmake" \
    "-DCMAKE_C_FLAGS=-march=rv32imafc -mabi=ilp32"
check rv64gc-lp64d riscv64gc-unknown-none-elf "$(expect_std riscv64gc-unknown-none-elf)" --toolchain "$TC/riscv64-unknown-elf-rv32imac.cmake" \
    "-DCMAKE_C_FLAGS=-march=rv64gc -mabi=lp64d"
check rv32emc riscv32emc-unknown-none-elf "$(expect_std riscv32emc-unknown-none-elf)" --toolchain "$TC/riscv64-unknown-elf-rv32imac.cmake" \
    "-DCMAKE_C_FLAGS=-march=rv32emc -mabi=ilp32e"
# No Rust target has the double-float RV32 ABI: an error, not a library
# that fails to link later.
check_refused rv32imafdc-ilp32d "no Rust bare-metal target" --toolchain "$TC/riscv64-unknown-elf-rv32imac.cmake" \
    "-DCMAKE_C_FLAGS=-march=rv32imafdc -mabi=ilp32d"
# Explicit overrides.
check override thumbv7m-none-eabi "$(expect_std thumbv7m-none-eabi)" --toolchain "$TC/arm-none-eabi-cortex-m4.cmake" \
    -DNANODTLS_RUST_TARGET=thumbv7m-none-eabi
check force-std thumbv7em-none-eabihf ON --toolchain "$TC/arm-none-eabi-cortex-m4.cmake" -DNANODTLS_BUILD_STD=ON
check force-plain thumbv7em-none-eabihf OFF --toolchain "$TC/arm-none-eabi-cortex-m4.cmake" -DNANODTLS_BUILD_STD=OFF
# A normal variable set by the includer (zephyr/CMakeLists.txt does this).
check normal-var thumbv8m.base-none-eabi "$(expect_std thumbv8m.base-none-eabi)" \
    --toolchain "$TC/arm-none-eabi-cortex-m4.cmake" -DNORMAL_VAR_TARGET=thumbv8m.base-none-eabi
# Host build: no triple, no extra arguments.
check host "" OFF
# A triple rustup has installed (the host's) takes the plain route.
host_triple=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
[ -n "$host_triple" ] && check installed-triple "$host_triple" "$(expect_std "$host_triple")" \
    -DNANODTLS_RUST_TARGET="$host_triple"
# Together with cmake/nanodtls.cmake (included after this file).
check with-main thumbv7em-none-eabihf "$(expect_std thumbv7em-none-eabihf)" --toolchain "$TC/arm-none-eabi-cortex-m4.cmake" \
    -DWITH_NANODTLS_CMAKE=ON

if [ $BUILD = 1 ]; then
    b="$W/build-m0plus"
    rm -rf "$b"
    if cmake -S "$SRC" -B "$b" --toolchain "$TC/arm-none-eabi-cortex-m0plus.cmake" -DTEST_BUILD=ON \
        -DTEST_CARGO_TARGET_DIR="$ND_ROOT/target/cross/cargo" >"$W/build-m0plus.log" 2>&1 &&
        cmake --build "$b" >>"$W/build-m0plus.log" 2>&1 &&
        arm-none-eabi-size "$b/linktest.elf" >>"$W/build-m0plus.log" 2>&1; then
        pass=$((pass + 1))
        echo "ok   build-m0plus: cargo via CMake + link test image ($(arm-none-eabi-size "$b/linktest.elf" | awk 'NR==2 {print $1 " B text"}'))"
    else
        fail=$((fail + 1))
        echo "FAIL build-m0plus (see $W/build-m0plus.log):"
        tail -n 15 "$W/build-m0plus.log" | sed 's/^/     /'
    fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
