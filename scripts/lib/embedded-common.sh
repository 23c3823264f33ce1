# shellcheck shell=bash
# Shared helpers for scripts/cross-build.sh, scripts/bench-embedded.sh and
# scripts/freertos-demo.sh. Source it; it defines functions only.
#
# Rust toolchain route for a bare-metal target T (same rule as
# cmake/nanodtls-cross.cmake):
#   - NANODTLS_BUILD_STD=0/OFF forces the plain route, =1/ON the build-std route;
#   - otherwise the plain route (`cargo build --target T`) is taken when
#     `rustup target list --installed` lists T (or rustc's sysroot has T);
#   - else the build-std route: a cargo/rustc pair whose sysroot carries
#     the library sources (see nd_setup_build_std), RUSTC_BOOTSTRAP=1 and
#     -Zbuild-std=core.

nd_die() {
    echo "error: $*" >&2
    exit 1
}

nd_note() {
    [ -n "${ND_QUIET:-}" ] || echo "$*" >&2
}

# nd_apt_ensure PKG... : install the Debian packages that are not installed
# yet (non-interactive; apt-get update only when something is missing).
nd_apt_ensure() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 ||
        nd_die "missing packages (${missing[*]}) and no apt-get to install them; install them by hand"
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || nd_die "installing ${missing[*]} needs root (no sudo found)"
        sudo=(sudo)
    fi
    local log
    log=$(mktemp)
    nd_note "installing Debian packages: ${missing[*]}"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
        ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        nd_die "apt-get install ${missing[*]} failed"
    fi
    rm -f "$log"
}

# nd_is_on VALUE : true for 1/ON/YES/TRUE/Y (any case).
nd_is_on() {
    case "$(echo "${1:-}" | tr '[:lower:]' '[:upper:]')" in
        1 | ON | YES | TRUE | Y) return 0 ;;
        *) return 1 ;;
    esac
}

# nd_route TRIPLE : prints "plain" or "build-std".
nd_route() {
    local t=$1
    if [ -n "${NANODTLS_BUILD_STD:-}" ]; then
        if nd_is_on "$NANODTLS_BUILD_STD"; then echo build-std; else echo plain; fi
        return
    fi
    if command -v rustup >/dev/null 2>&1; then
        if rustup target list --installed 2>/dev/null | grep -qxF "$t"; then
            echo plain
            return
        fi
    elif command -v rustc >/dev/null 2>&1; then
        local sysroot
        sysroot=$(rustc --print sysroot 2>/dev/null || true)
        if [ -n "$sysroot" ] && [ -d "$sysroot/lib/rustlib/$t/lib" ]; then
            echo plain
            return
        fi
    fi
    echo build-std
}

# nd_setup_build_std : pick the cargo/rustc pair for the build-std route
# and set ND_BS_CARGO / ND_BS_RUSTC: NANODTLS_BUILD_STD_CARGO/_RUSTC if
# given, else the cargo on PATH when its rustc has the library sources
# (rustup component add rust-src), else Debian's /usr/bin/cargo and
# /usr/bin/rustc (installing rustc-web, cargo-web and rust-web-src when
# missing). Same rule as cmake/nanodtls-cross.cmake.
nd_setup_build_std() {
    ND_BS_CARGO=${NANODTLS_BUILD_STD_CARGO:-}
    ND_BS_RUSTC=${NANODTLS_BUILD_STD_RUSTC:-}
    if [ -n "$ND_BS_CARGO" ] && [ -z "$ND_BS_RUSTC" ]; then ND_BS_RUSTC="$(dirname "$ND_BS_CARGO")/rustc"; fi
    if [ -n "$ND_BS_RUSTC" ] && [ -z "$ND_BS_CARGO" ]; then ND_BS_CARGO="$(dirname "$ND_BS_RUSTC")/cargo"; fi
    local sysroot
    if [ -z "$ND_BS_CARGO" ] && command -v cargo >/dev/null 2>&1 && command -v rustc >/dev/null 2>&1; then
        sysroot=$(cd "$ND_ROOT" && rustc --print sysroot 2>/dev/null || true)
        if [ -n "$sysroot" ] && [ -f "$sysroot/lib/rustlib/src/rust/library/core/Cargo.toml" ]; then
            ND_BS_CARGO=$(command -v cargo)
            ND_BS_RUSTC=$(command -v rustc)
        fi
    fi
    if [ -z "$ND_BS_CARGO" ]; then
        nd_apt_ensure rustc-web cargo-web rust-web-src
        ND_BS_CARGO=/usr/bin/cargo
        ND_BS_RUSTC=/usr/bin/rustc
    fi
    [ -x "$ND_BS_CARGO" ] || nd_die "build-std route: cargo not found at $ND_BS_CARGO"
    [ -x "$ND_BS_RUSTC" ] || nd_die "build-std route: rustc not found at $ND_BS_RUSTC"
    sysroot=$(cd "$ND_ROOT" && "$ND_BS_RUSTC" --print sysroot) || nd_die "$ND_BS_RUSTC --print sysroot failed"
    [ -f "$sysroot/lib/rustlib/src/rust/library/core/Cargo.toml" ] ||
        nd_die "build-std route: $ND_BS_RUSTC has no library sources in $sysroot/lib/rustlib/src/rust/library (rustup target add the target, or install rust-src / Debian's rust-web-src)"
}

# nd_cargo_staticlib TRIPLE CARGO_TARGET_DIR LOG [cargo args...]
# Builds the release staticlib for TRIPLE (cargo rustc --crate-type
# staticlib: see cmake/nanodtls.cmake for why not `cargo build`). Output
# goes to LOG; on failure the log's tail is printed and 1 returned.
# Prints the path of the archive on success.
nd_cargo_staticlib() {
    local t=$1 tdir=$2 log=$3
    shift 3
    local route
    route=$(nd_route "$t")
    local -a cmd
    if [ "$route" = build-std ]; then
        nd_setup_build_std
        # The Debian toolchain must see its own rustc, not rustup's shims.
        cmd=(env -u RUSTUP_TOOLCHAIN "PATH=$(dirname "$ND_BS_RUSTC"):$PATH" "RUSTC=$ND_BS_RUSTC"
            RUSTC_BOOTSTRAP=1 "CARGO_TARGET_DIR=$tdir"
            "$ND_BS_CARGO" rustc -Zbuild-std=core)
    else
        cmd=(env "CARGO_TARGET_DIR=$tdir" cargo rustc)
    fi
    cmd+=(--release --lib --crate-type staticlib --target "$t"
        --manifest-path "$ND_ROOT/Cargo.toml" "$@")
    {
        echo "route: $route"
        echo "+ ${cmd[*]}"
    } >"$log"
    if ! "${cmd[@]}" >>"$log" 2>&1; then
        echo "error: cargo failed for $t ($*); last lines of $log:" >&2
        tail -n 25 "$log" >&2
        return 1
    fi
    echo "$tdir/$t/release/libnanodtls.a"
}

# nd_header_for ARCHIVE : the nanodtls.h generated by the build that made
# ARCHIVE (found through cargo's dep-info file, which names OUT_DIR).
nd_header_for() {
    local a=$1 d out
    d="${a%.a}.d"
    [ -f "$d" ] || return 1
    out=$(tr ' ' '\n' <"$d" | grep -m1 '/out/sizes\.rs$' || true)
    [ -n "$out" ] || return 1
    out="$(dirname "$out")/nanodtls.h"
    [ -f "$out" ] || return 1
    echo "$out"
}
