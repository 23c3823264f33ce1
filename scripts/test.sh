#!/usr/bin/env bash
# The whole test suite: what CI runs (.ci/run calls this script).
#
#   scripts/test.sh                 everything
#   scripts/test.sh rust c          only some stages (names below)
#
# Stages: deps rust c demo interop embedded fuzz
#   deps      install what the rest needs (scripts/install-deps.sh, idempotent)
#   rust      rustfmt, the module layering (scripts/check-layers.py: calls go
#             down, no import cycle), clippy (no warnings), cargo test for the default build
#             (PSK + ECC + trust anchor modes), the PSK-only profile and PSK +
#             DerivedKey, header freshness, the trust anchor vectors
#             (tests/vectors/ttp_vectors.py --check), the ECDHE_PSK vectors
#             (tests/vectors/ecdhe_psk_vectors.py --check), the P-256
#             vectors (tests/vectors/p256_vectors.py --check), the cached_info
#             vectors (tests/vectors/cached_info_vectors.py --check); the single-role
#             (client-only, server-only) builds
#   c         CMake build, ctest in Release and in Debug with ASan/UBSan,
#             valgrind over the C harness, the CMake package (install +
#             find_package, add_subdirectory), client-only and server-only
#             tools against the full ones (scripts/role-test.sh), endpoint
#             slots through the tools: a burst of 20 clients, crashed peers,
#             half-open handshakes sending junk (scripts/endpoint-exhaustion-test.sh,
#             ~5 s); DerivedKey end to end: nanodtls-ta derive, our client
#             and OpenSSL's s_client against nanodtls-server --ta, replay,
#             window and restart (scripts/ttp-test.sh, ~20 s); cached_info
#             through the tools: kept chain, hash form, stale file
#             (scripts/cached-info-test.sh, ~2 s); client certificate
#             URLs through the tools: fetched from a directory, hash
#             mismatch 114, missing file 111, a fetch delayed past a
#             retransmission (scripts/cert-url-test.sh, ~6 s); the NSS key
#             log: tshark, given nanodtls-client --keylog's file, decrypts
#             a capture of it talking to s_server in a private network
#             namespace (scripts/keylog-test.sh, ~10 s; SKIP without tshark
#             or namespaces)
#             window and restart (scripts/ttp-test.sh, ~20 s); the host
#             benchmark built against the CMake library, one tiny round
#             (scripts/bench-host.sh --quick, ~5 s)
#   demo      scripts/demo.sh (our client and server over loopback)
#   interop   tests/interop/run.py against OpenSSL, GnuTLS, Mbed TLS 2.28 and
#             3.6.6 (built from ../shared, SKIP without it), tinydtls, libcoap
#   embedded  cross builds (Cortex-M0+/M4/M33, RISC-V; PSK-only and full)
#             linked into images, the CMake target mapping, a Cortex-M0+
#             install consumed through find_package, the Zephyr
#             module check, the FreeRTOS demo against the real kernel
#             (scripts/freertos-demo.sh: FREERTOS_KERNEL_PATH, else
#             ../shared/freertos-kernel; SKIP where there is none)
#   fuzz      replay of fuzz/regressions and a short cargo-fuzz run of every
#             target (scripts/fuzz-smoke.sh; longer: scripts/fuzz-long.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TERM_COLOR=never

ALL=(deps rust c demo interop embedded fuzz)
if [ "$#" -gt 0 ]; then STAGES=("$@"); else STAGES=("${ALL[@]}"); fi
for s in "${STAGES[@]}"; do
    case " ${ALL[*]} " in *" $s "*) ;; *) echo "unknown stage '$s' (stages: ${ALL[*]})" >&2; exit 2 ;; esac
done

RESULTS=()
T0=$(date +%s)
run_stage() {
    local name="$1"; shift
    local t=$(date +%s)
    echo
    echo "=================== $name ==================="
    # A subshell with -e that is not itself a condition, so a failing
    # command inside the stage function stops the stage.
    local rc
    set +e
    ( set -e; "$@" )
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        RESULTS+=("$(printf '%-9s ok    %4ss' "$name" $(( $(date +%s) - t )))")
    else
        RESULTS+=("$(printf '%-9s FAIL  %4ss' "$name" $(( $(date +%s) - t )))")
        summary
        exit 1
    fi
}
summary() {
    echo
    echo "=================== summary ($(( $(date +%s) - T0 ))s) ==================="
    printf '%s\n' "${RESULTS[@]}"
}

stage_deps() {
    local args=()
    case " ${STAGES[*]} " in *" embedded "*) ;; *) args+=(--no-embedded) ;; esac
    case " ${STAGES[*]} " in *" fuzz "*) ;; *) args+=(--no-fuzz) ;; esac
    scripts/install-deps.sh "${args[@]}"
}

stage_rust() {
    cargo fmt --check
    python3 scripts/check-layers.py
    cargo clippy --quiet --all-targets -- -D warnings
    cargo clippy --quiet --all-targets --no-default-features --features psk -- -D warnings
    cargo test --quiet
    cargo test --quiet --no-default-features --features psk
    # The table AES (feature aes-tables): the FIPS 197 / SP 800-38C /
    # Wycheproof vectors and the aes/ccm crate cross-checks of src/crypto
    # against it, and a PSK-only build with the AES/CCM hook.
    cargo clippy --quiet --all-targets --no-default-features --features psk,aes-tables -- -D warnings
    cargo test --quiet --lib --features aes-tables crypto::
    cargo test --quiet --no-default-features --features psk,aes-hook,tickets --lib --test aes_hook
    # The trust anchor modes in a firmware-like profile (PSK + DerivedKey),
    # and the known-answer vectors still what their script computes.
    cargo clippy --quiet --all-targets --no-default-features --features psk,derived-key -- -D warnings
    cargo test --quiet --no-default-features --features psk,derived-key --lib --test ttp
    # AuthzCert on the full firmware profile (ECC), without DerivedKey.
    cargo clippy --quiet --all-targets --no-default-features --features psk,ecc,authz-cert -- -D warnings
    cargo test --quiet --no-default-features --features psk,ecc,authz-cert --lib --test authz
    python3 tests/vectors/ttp_vectors.py --check
    python3 tests/vectors/ecdhe_psk_vectors.py --check
    python3 tests/vectors/p256_vectors.py --check
    python3 tests/vectors/cached_info_vectors.py --check
    python3 tests/vectors/cert_url_vectors.py --check
    # Single-role libraries: lint-clean, and the other role is refused.
    local f
    for f in psk,client psk,ecc,server; do
        cargo clippy --quiet --lib --no-default-features --features "$f" -- -D warnings
        cargo test --quiet --lib --no-default-features --features "$f" roles_of_this_build
    done
    RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps
}

stage_c() {
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j 2 >/dev/null || cmake --build build
    ctest --test-dir build --output-on-failure
    cmake -S . -B build-debug -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-debug -j 2 >/dev/null || cmake --build build-debug
    ctest --test-dir build-debug --output-on-failure
    # valgrind over the Release harness (ASan and valgrind do not mix).
    local t
    for t in build/tests/c/test_*; do
        [ -x "$t" ] || continue
        valgrind --quiet --error-exitcode=99 --leak-check=full "$t" >/tmp/nanodtls-valgrind.log 2>&1 ||
            { cat /tmp/nanodtls-valgrind.log; return 1; }
    done
    echo "valgrind: clean"
    # find_package() after install, add_subdirectory() (host).
    scripts/cmake-package-test.sh host
    # Client-only and server-only libraries against the full tools.
    scripts/role-test.sh
    # Slot exhaustion and recovery through nanodtls-server / -client.
    scripts/endpoint-exhaustion-test.sh
    # DerivedKey through nanodtls-ta, nanodtls-client, s_client and nanodtls-server --ta.
    scripts/ttp-test.sh
    # cached_info (RFC 7924): nanodtls-client --cached-info against nanodtls-server.
    scripts/cached-info-test.sh
    scripts/cert-url-test.sh
    # The NSS key log: tshark decrypts our client's talk with s_server.
    scripts/keylog-test.sh
    # The host benchmark's drivers still build and work (one tiny round,
    # every check, no figures worth reading; ~5 s).
    NANODTLS_LIB=build/nanodtls-cargo/default/release/libnanodtls.a scripts/bench-host.sh --quick
}

stage_demo() { scripts/demo.sh; }

stage_interop() {
    [ -x build/c-examples/posix/nanodtls-client ] || stage_c_build_only
    python3 tests/interop/run.py
}
stage_embedded() {
    scripts/cross-build.sh
    scripts/cross-cmake-test.sh
    scripts/cmake-package-test.sh cross
    scripts/check-zephyr-module.sh
    scripts/freertos-demo.sh
}

stage_fuzz() { scripts/fuzz-smoke.sh; }

stage_c_build_only() {
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build -j 2 >/dev/null
}

for s in "${STAGES[@]}"; do
    run_stage "$s" "stage_$s"
done
summary
echo "ALL TESTS PASSED"
