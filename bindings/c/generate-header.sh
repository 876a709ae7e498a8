#!/usr/bin/env bash
# Regenerates include/dram.h with the pinned cbindgen, installing it first if it is missing
# or of another version. Usage: generate-header.sh [OUTPUT] (default: include/dram.h).
set -euo pipefail
cd "$(dirname "$0")"
CBINDGEN_VERSION=0.29.4

if [[ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]]; then
    echo "installing cbindgen $CBINDGEN_VERSION" >&2
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
fi

output="${1:-include/dram.h}"
cbindgen --quiet --config cbindgen.toml --crate dram-c --output "$output" .
