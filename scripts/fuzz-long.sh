#!/usr/bin/env bash
# Longer fuzzing: every target (or those named) in turn, one core each,
# for SECONDS per target (default 600), from the committed corpus plus a
# persistent work corpus (fuzz/target/work-corpus/). Prints the executions
# per target; crash inputs land in fuzz/artifacts/<target>/. Exits
# non-zero if any target crashed. Runs from any directory.
#
#   scripts/fuzz-long.sh [SECONDS] [TARGET...]
#   scripts/fuzz-long.sh 3600 client server
set -euo pipefail
# shellcheck source=lib/fuzz-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/fuzz-common.sh"

SECS="${1:-600}"
[ $# -gt 0 ] && shift
TARGETS="${*:-$FZ_TARGETS_ALL}"
case "$SECS" in '' | *[!0-9]*) fz_die "usage: scripts/fuzz-long.sh [SECONDS] [TARGET...]" ;; esac
fz_build
fz_known_bugs
[ -n "${NANODTLS_FUZZ_ALLOW:-}" ] && echo "fuzz: tolerating known bugs: $NANODTLS_FUZZ_ALLOW (fuzz/known-bugs.txt)"
stamp="$(date +%Y%m%d-%H%M%S)"
echo "fuzz long: ${SECS}s per target: $TARGETS (logs in fuzz/target/logs/long-$stamp-*.log)"
status=0 passed=0 failed=0
for t in $TARGETS; do
    if fz_run "$t" "$SECS" "$FZ_DIR/target/logs/long-$stamp-$t.log"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        status=1
    fi
done
echo "fuzz long: $passed passed, $failed failed"
exit $status
