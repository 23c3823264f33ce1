#!/bin/sh
# Regenerate include/nanodtls.h (cbindgen, run by build.rs) for the default
# knobs and features. A unit test fails when the committed header is stale.
set -eu
cd "$(dirname "$0")/.."
NANODTLS_HEADER_OUT="$PWD/include/nanodtls.h" cargo build --quiet --lib
echo "include/nanodtls.h regenerated"
