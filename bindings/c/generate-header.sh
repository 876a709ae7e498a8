#!/usr/bin/env bash
# Regenerates include/dram.h with the pinned cbindgen, installing it (cargo install --locked)
# into cargo's bin directory first if it is missing or of another version.
# Usage: generate-header.sh [OUTPUT] (default: include/dram.h).
set -euo pipefail
cd "$(dirname "$0")"
CBINDGEN_VERSION=0.29.4
# Cargo's own bin directory, not whatever `cbindgen` comes first on PATH (say, a distro's).
cbindgen="${CARGO_HOME:-$HOME/.cargo}/bin/cbindgen"

if [[ "$("$cbindgen" --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]]; then
    echo "installing cbindgen $CBINDGEN_VERSION" >&2
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --force --quiet
fi

output="${1:-include/dram.h}"
"$cbindgen" --quiet --config cbindgen.toml --crate dram-c --output "$output" .
