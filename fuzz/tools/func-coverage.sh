#!/usr/bin/env bash
# Function- and edge-level coverage of the engine's sources (src/) by the
# fuzz corpora, without llvm-tools: runs every target once over its
# committed corpus and its work corpus (fuzz/target/work-corpus/) with
# libFuzzer's -print_coverage=1 and merges the per-function reports
# (a function counts as covered if any target reached it; edges: the best
# target per function). Prints a per-file table and the uncovered functions.
#
#   fuzz/tools/func-coverage.sh [TARGET...]
set -euo pipefail
# shellcheck source=../../scripts/lib/fuzz-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/fuzz-common.sh"
TARGETS="${*:-$FZ_TARGETS_ALL}"
fz_known_bugs
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for t in $TARGETS; do
    dirs=("$FZ_DIR/corpus/$t")
    [ -d "$FZ_DIR/target/work-corpus/$t" ] && dirs+=("$FZ_DIR/target/work-corpus/$t")
    "$FZ_BIN/$t" -runs=0 -print_coverage=1 -timeout=20 -rss_limit_mb=2560 "${dirs[@]}" >"$tmp/$t.log" 2>&1 || true
done
python3 - "$FZ_ROOT/src/" "$tmp"/*.log <<'PY'
import re, sys, collections
src, logs = sys.argv[1], sys.argv[2:]
rx = re.compile(r"^(UN)?COVERED_FUNC: hits: (\d+) edges: (\d+)/(\d+) (.*) (\S+):(\d+)$")
funcs = {}
for log in logs:
    for line in open(log, errors="replace"):
        m = rx.match(line.strip())
        if not m or src not in m.group(6):
            continue
        key = (m.group(6).replace(src, "src/"), int(m.group(7)), m.group(5))
        cov, tot = int(m.group(3)), int(m.group(4))
        old = funcs.get(key, (0, tot))
        funcs[key] = (max(old[0], cov), max(old[1], tot))
files = collections.defaultdict(lambda: [0, 0, 0, 0])
for (f, _, _), (c, t) in funcs.items():
    s = files[f]
    s[0] += c > 0; s[1] += 1; s[2] += c; s[3] += t
print(f"{'file':32} {'functions':>12} {'edges':>14}")
tf = [0, 0, 0, 0]
for f in sorted(files):
    s = files[f]
    tf = [a + b for a, b in zip(tf, s)]
    print(f"{f:32} {s[0]:5}/{s[1]:<5} {100*s[2]/max(s[3],1):5.1f}% {s[2]:4}/{s[3]:<5}")
print(f"{'total':32} {tf[0]:5}/{tf[1]:<5} {100*tf[2]/max(tf[3],1):5.1f}% {tf[2]:4}/{tf[3]:<5}")
print("\nuncovered functions (outside src/ffi):")
for (f, l, n), (c, t) in sorted(funcs.items()):
    if c == 0 and not f.startswith("src/ffi") and "fmt::Debug" not in n:
        print(f"  {f}:{l} {n}")
PY
