#!/usr/bin/env bash
# Short smoke run of every cargo-fuzz target (see fuzz/README.md): builds
# them, replays fuzz/regressions/, runs the fuzz crate's own tests, then fuzzes each target for a few
# seconds from its committed corpus and prints the executions per target.
# Exits non-zero if a target crashes (panic, ASan report, timeout, OOM) or
# a regression input fails. Runs from any directory.
#
#   scripts/fuzz-smoke.sh                 # ~8 s per target (FUZZ_SMOKE_SECONDS)
#   FUZZ_SMOKE_SECONDS=20 scripts/fuzz-smoke.sh
#   NANODTLS_FUZZ_ALLOW= scripts/fuzz-smoke.sh   # strict: known bugs fail too
set -euo pipefail
# shellcheck source=lib/fuzz-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/fuzz-common.sh"

SECS="${FUZZ_SMOKE_SECONDS:-8}"
fz_build
fz_known_bugs
[ -n "${NANODTLS_FUZZ_ALLOW:-}" ] && echo "fuzz: tolerating known bugs: $NANODTLS_FUZZ_ALLOW (fuzz/known-bugs.txt)"
status=0
fz_replay_regressions || status=1
# The fuzz crate's own tests: each world setup (certificate mode included)
# does what the targets assume, e.g. both chains validate.
echo "fuzz: the fuzz crate's own tests (cargo test --lib)"
mkdir -p "$FZ_DIR/target/logs"
if ! (cd "$FZ_DIR" && cargo test -q --lib > "$FZ_DIR/target/logs/lib-tests.log" 2>&1); then
    tail -30 "$FZ_DIR/target/logs/lib-tests.log"
    echo "fuzz: FAIL the fuzz crate's own tests ($FZ_DIR/target/logs/lib-tests.log)"
    status=1
fi
echo "fuzz smoke: ${SECS}s per target"
passed=0 failed=0
for t in $FZ_TARGETS_ALL; do
    if fz_run "$t" "$SECS" "$FZ_DIR/target/logs/smoke-$t.log"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        status=1
    fi
done
echo "fuzz smoke: $passed passed, $failed failed"
exit $status
