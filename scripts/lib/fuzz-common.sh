# shellcheck shell=bash
# Shared helpers for scripts/fuzz-smoke.sh and scripts/fuzz-long.sh.
# Source it; it defines variables and functions only.

FZ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FZ_DIR="$FZ_ROOT/fuzz"
FZ_TARGETS_ALL="record handshake_msgs client server ops x509 tickets ttp cached_info cert_url"
FZ_TRIPLE="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
FZ_TRIPLE="${FZ_TRIPLE:-x86_64-unknown-linux-gnu}"
FZ_BIN="$FZ_DIR/target/$FZ_TRIPLE/release"

fz_die() {
    echo "fuzz: error: $*" >&2
    exit 2
}

# Pick the toolchain: nightly when rustup has one, else the stable one
# with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs -Zsanitizer). Sets FZ_CARGO.
fz_toolchain() {
    if cargo +nightly --version >/dev/null 2>&1; then
        FZ_CARGO=(cargo +nightly)
    else
        echo "fuzz: no nightly toolchain; using $(rustc --version) with RUSTC_BOOTSTRAP=1" >&2
        export RUSTC_BOOTSTRAP=1
        FZ_CARGO=(cargo)
    fi
}

# Install cargo-fuzz from crates.io when it is missing.
fz_ensure_cargo_fuzz() {
    if ! cargo fuzz --help >/dev/null 2>&1; then
        echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)..." >&2
        cargo install cargo-fuzz --locked >&2 || fz_die "cannot install cargo-fuzz"
    fi
}

# Build every fuzz target (instrumented, ASan, release with debug info,
# debug assertions and overflow checks: the cargo-fuzz default without -O).
fz_build() {
    fz_toolchain
    fz_ensure_cargo_fuzz
    (cd "$FZ_DIR" && "${FZ_CARGO[@]}" fuzz build) >&2 || fz_die "cargo fuzz build failed"
}

# Known, still unfixed engine bugs the harness tolerates while fuzzing
# (fuzz/known-bugs.txt: one id per line, '#' comments). Exported as
# NANODTLS_FUZZ_ALLOW unless the caller set it (set it to "" to be strict).
fz_known_bugs() {
    if [ -z "${NANODTLS_FUZZ_ALLOW+x}" ]; then
        NANODTLS_FUZZ_ALLOW="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$FZ_DIR/known-bugs.txt" 2>/dev/null | { grep -v '^$' || true; } | paste -sd, -)"
        export NANODTLS_FUZZ_ALLOW
    fi
}

# fz_replay_regressions: run every saved regression input once. With the
# known bugs tolerated they must all pass; each one is also run strictly to
# say whether its bug still reproduces (informational). Returns non-zero
# if an input crashes with the tolerance on.
fz_replay_regressions() {
    local t f rc=0 out
    for t in $FZ_TARGETS_ALL; do
        [ -d "$FZ_DIR/regressions/$t" ] || continue
        for f in "$FZ_DIR/regressions/$t"/*; do
            [ -f "$f" ] || continue
            case "$f" in *.md|*.txt) continue ;; esac
            if ! out="$("$FZ_BIN/$t" -runs=1 "$f" 2>&1)"; then
                echo "REGRESSION FAILS  $t/$(basename "$f")" >&2
                echo "$out" | grep -m3 -E "panicked|ERROR|SUMMARY" >&2 || true
                rc=1
            elif [ -z "${NANODTLS_FUZZ_ALLOW:-}" ]; then
                echo "regression ok     $t/$(basename "$f")" >&2
            elif NANODTLS_FUZZ_ALLOW="" "$FZ_BIN/$t" -runs=1 "$f" >/dev/null 2>&1; then
                echo "regression ok     $t/$(basename "$f") (its bug no longer reproduces: drop it from known-bugs.txt?)" >&2
            else
                echo "regression ok     $t/$(basename "$f") (known bug still reproduces when strict)" >&2
            fi
        done
    done
    return $rc
}

# fz_run TARGET SECONDS LOGFILE: fuzz one target for SECONDS on one core,
# starting from the committed corpus (read-only) plus a work corpus under
# fuzz/target/work-corpus/TARGET (new inputs go there). Crash inputs go to
# fuzz/artifacts/TARGET/. Prints "TARGET EXECS STATUS". Returns libFuzzer's status.
fz_run() {
    local t="$1" secs="$2" log="$3" work="$FZ_DIR/target/work-corpus/$1" rc execs cov
    mkdir -p "$work" "$FZ_DIR/artifacts/$t" "$(dirname "$log")"
    set +e
    "$FZ_BIN/$t" "$work" "$FZ_DIR/corpus/$t" \
        -max_total_time="$secs" -print_final_stats=1 -timeout=20 -rss_limit_mb=2560 \
        -max_len=4096 -artifact_prefix="$FZ_DIR/artifacts/$t/" >"$log" 2>&1
    rc=$?
    set -e
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)"
    printf '%-15s %12s execs  %-22s %s\n' "$t" "${execs:-?}" "${cov:-}" "$([ $rc -eq 0 ] && echo ok || echo "CRASH (exit $rc, see $log)")"
    if [ $rc -ne 0 ]; then
        grep -m5 -E "panicked at|^thread|ERROR: |SUMMARY|Test unit written" "$log" | sed 's/^/    /'
    fi
    return $rc
}
