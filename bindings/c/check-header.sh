#!/usr/bin/env bash
# Fails when include/dram.h differs from what the pinned cbindgen generates from the sources.
set -euo pipefail
cd "$(dirname "$0")"
fresh="$(mktemp "${TMPDIR:-/tmp}/dram.h.XXXXXX")"
trap 'rm -f "$fresh"' EXIT
./generate-header.sh "$fresh"
if ! diff -u include/dram.h "$fresh"; then
    echo "include/dram.h is stale: run bindings/c/generate-header.sh and commit the result" >&2
    exit 1
fi
echo "include/dram.h is up to date"
