#!/usr/bin/env bash
# Test the CMake packaging: the library consumed by another project through
# find_package() after `cmake --install` (relocated prefix, version checks)
# and through add_subdirectory(), for the host and for a Cortex-M0+ build.
#
#   scripts/cmake-package-test.sh [host] [cross]     (default: both)
#
# host   reuses ./build (the c stage's Release tree) for the install; the
#        consumer (tests/cmake-package/) builds and runs the C harness's
#        in-memory handshake and size tests against the installed package,
#        then again with add_subdirectory() of this repository
# cross  configures this repository with cmake/toolchains/arm-none-eabi-
#        cortex-m0plus.cmake (PSK-only), installs it, and links
#        embedded/linktest into an image through find_package()
#
# Prints one line per check and "N passed, M failed". Work trees go to
# target/cmake-package/.
set -euo pipefail
ND_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/embedded-common.sh
. "$ND_ROOT/scripts/lib/embedded-common.sh"
# shellcheck source=lib/checks.sh
. "$ND_ROOT/scripts/lib/checks.sh"
command -v cmake >/dev/null 2>&1 || nd_apt_ensure cmake

MODES=("$@")
[ ${#MODES[@]} -eq 0 ] && MODES=(host cross)
W="$ND_ROOT/target/cmake-package"
CONSUMER="$ND_ROOT/tests/cmake-package"
mkdir -p "$W"

# check NAME LOG command...  (the command's output goes to LOG)
check() {
    local name=$1 log=$2
    shift 2
    if "$@" >"$log" 2>&1; then nd_ok "$name"; else nd_bad "$name" "$log"; fi
}
# check_fails NAME LOG PATTERN command...  (must fail and print PATTERN)
check_fails() {
    local name=$1 log=$2 pattern=$3
    shift 3
    if "$@" >"$log" 2>&1; then
        nd_bad "$name (succeeded, must fail)" "$log"
    elif grep -q -- "$pattern" "$log"; then
        nd_ok "$name"
    else
        nd_bad "$name (failed without '$pattern')" "$log"
    fi
}

consume() { # build-dir cmake-args... : configure, build, and run ctest (host)
    local b=$1
    shift
    rm -rf "$b"
    cmake -S "$CONSUMER" -B "$b" -DCMAKE_BUILD_TYPE=Release "$@" &&
        cmake --build "$b" -j 2 &&
        { [ -f "$b/CTestTestfile.cmake" ] || return 0; ctest --test-dir "$b" --output-on-failure; }
}

installed_files() { # prefix: the four files an install must produce
    local p=$1 f
    for f in lib/libnanodtls.a include/nanodtls.h lib/cmake/nanodtls/nanodtlsConfig.cmake \
        lib/cmake/nanodtls/nanodtlsConfigVersion.cmake; do
        [ -f "$p/$f" ] || { echo "missing $p/$f"; return 1; }
    done
    # The installed header is the one the library was built with.
    cmp "$p/include/nanodtls.h" "$2"
}

host() {
    local b="$ND_ROOT/build" p="$W/host-prefix" moved="$W/host-prefix-moved"
    if [ ! -f "$b/CMakeCache.txt" ]; then
        cmake -S "$ND_ROOT" -B "$b" -DCMAKE_BUILD_TYPE=Release >"$W/host-configure.log" 2>&1
    fi
    cmake --build "$b" -j 2 >"$W/host-build.log" 2>&1 || { nd_bad "host build" "$W/host-build.log"; return; }
    rm -rf "$p" "$moved"
    check "host install ($(basename "$p"))" "$W/host-install.log" \
        sh -c "cmake --install '$b' --prefix '$p' && $(declare -f installed_files); installed_files '$p' '$ND_ROOT/include/nanodtls.h'"
    # The package is relocatable: consume it from somewhere else.
    mv "$p" "$moved"
    check "host find_package(nanodtls 0.1) from a moved prefix: handshake + size tests" "$W/host-consumer.log" \
        consume "$W/host-consumer" -DCMAKE_PREFIX_PATH="$moved" -DEXPECT_VERSION=0.1
    check_fails "host find_package(nanodtls 0.2) is refused (0.x: same minor only)" "$W/host-consumer-0.2.log" \
        "compatible with requested version \"0.2\"" consume "$W/host-consumer-0.2" -DCMAKE_PREFIX_PATH="$moved" -DEXPECT_VERSION=0.2
    check_fails "host find_package(nanodtls 1.0) is refused" "$W/host-consumer-1.0.log" \
        "compatible with requested version \"1.0\"" consume "$W/host-consumer-1.0" -DCMAKE_PREFIX_PATH="$moved" -DEXPECT_VERSION=1.0
    # A cross-compiling project with a compiler of the host's pointer width
    # (the version file cannot tell) gets the package's own message.
    check_fails "a cross-compiling project refuses the host package" "$W/host-on-cross.log" \
        "package was built for the host" consume "$W/host-on-cross" \
        -DCMAKE_PREFIX_PATH="$moved" -DCMAKE_SYSTEM_NAME=Generic -DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY
    check "host add_subdirectory(nanodtls): handshake + size tests, no examples/tests targets" \
        "$W/subdir-consumer.log" consume "$W/subdir-consumer" -DNANODTLS_VIA=subdir
}

cross() {
    nd_apt_ensure gcc-arm-none-eabi libnewlib-arm-none-eabi
    local tc="$ND_ROOT/cmake/toolchains/arm-none-eabi-cortex-m0plus.cmake"
    local b="$W/m0plus-build" p="$W/m0plus-prefix"
    rm -rf "$b" "$p"
    check "cross (Cortex-M0+, PSK-only) configure + build + install" "$W/m0plus-install.log" \
        sh -c "cmake -S '$ND_ROOT' -B '$b' --toolchain '$tc' -DNANODTLS_CARGO_NO_DEFAULT_FEATURES=ON \
                 -DNANODTLS_CARGO_FEATURES=psk && cmake --build '$b' -j 2 && cmake --install '$b' --prefix '$p' &&
               ! test -e '$b/c-examples' && ! test -e '$b/tests' &&
               grep -q 'NANODTLS_RUST_TARGET \"thumbv6m-none-eabi\"' '$p/lib/cmake/nanodtls/nanodtlsConfig.cmake'"
    [ -f "$p/lib/libnanodtls.a" ] || return 0
    check "cross find_package(nanodtls) links embedded/linktest for Cortex-M0+" "$W/m0plus-consumer.log" \
        sh -c "$(declare -f consume); CONSUMER='$CONSUMER'; consume '$W/m0plus-consumer' --toolchain '$tc' \
                 -Dnanodtls_DIR='$p/lib/cmake/nanodtls' && arm-none-eabi-size '$W/m0plus-consumer/linktest.elf'"
    # (The version file's pointer-size check answers first here; the
    # config's own target check covers same-width mismatches.)
    check_fails "a host project refuses the Cortex-M0+ package" "$W/m0plus-on-host.log" \
        "version: 0.1.0 (32bit)" consume "$W/m0plus-on-host" -Dnanodtls_DIR="$p/lib/cmake/nanodtls"
}

for m in "${MODES[@]}"; do
    case $m in
    host) host ;;
    cross) cross ;;
    *) nd_die "unknown mode '$m' (host, cross)" ;;
    esac
done
nd_summary
