#!/usr/bin/env bash
# Regenerate the committed seed corpora: examples/gen_corpus.rs writes
# inputs from our own handshakes and from fuzz/interop/*.txt (captured by
# tools/capture_interop.py) into a scratch directory, then libFuzzer's
# merge keeps the inputs that add coverage, into fuzz/corpus/<target>/
# (emptied first).
#
#   fuzz/tools/regen-corpus.sh [TARGET...]
set -euo pipefail
# shellcheck source=../../scripts/lib/fuzz-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/fuzz-common.sh"

TARGETS="${*:-$FZ_TARGETS_ALL}"
fz_build
fz_known_bugs
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$FZ_DIR" && "${FZ_CARGO[@]}" run -q --release --example gen_corpus -- "$tmp/gen")
for t in $TARGETS; do
    rm -rf "$FZ_DIR/corpus/$t"
    mkdir -p "$FZ_DIR/corpus/$t"
    "$FZ_BIN/$t" -merge=1 -timeout=20 -rss_limit_mb=2560 "$FZ_DIR/corpus/$t" "$tmp/gen/$t" >"$tmp/merge-$t.log" 2>&1 ||
        { tail -20 "$tmp/merge-$t.log"; fz_die "merge of $t failed"; }
    echo "$t: $(find "$FZ_DIR/corpus/$t" -type f | wc -l) files, $(du -sb "$FZ_DIR/corpus/$t" | cut -f1) bytes (from $(find "$tmp/gen/$t" -type f | wc -l) generated)"
done
