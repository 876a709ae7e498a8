#!/usr/bin/env bash
# The C binding's checks: builds libdram with cargo, fails if include/dram.h is stale, builds
# and runs the C suite (shared library, -Wall -Wextra -Werror) and again under AddressSanitizer
# and LeakSanitizer (static library), then builds and runs examples/c/rank.c exactly as its
# comment tells native developers to.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
lib_dir="$target_dir/debug"
build_root="$target_dir/c-tests"
jobs="$(nproc 2>/dev/null || echo 2)"

for tool in cmake ctest cc c++; do
    command -v "$tool" >/dev/null || { echo "bindings/c/test.sh needs $tool (Debian: apt-get install cmake gcc g++)" >&2; exit 1; }
done

# Build with the whole workspace's feature set, as `cargo test --workspace` does (dev-dependencies included): building one
# package alone unifies dependency features differently and recompiles tract.
echo "-- cargo build --workspace --all-targets"
cargo build --workspace --all-targets --locked

echo "-- header"
bindings/c/check-header.sh

# Configured afresh each run (a few seconds), so a stale cache from another checkout never matters.
rm -rf "$build_root"

run_suite() {
    local name="$1"
    shift
    echo "-- C tests ($name)"
    cmake -S bindings/c -B "$build_root/$name" -DDRAM_LIB_DIR="$lib_dir" "$@" >/dev/null
    cmake --build "$build_root/$name" --parallel "$jobs" >/dev/null
    ctest --test-dir "$build_root/$name" --output-on-failure
}

run_suite shared
run_suite asan -DDRAM_ASAN=ON -DDRAM_LINK_STATIC=ON

echo "-- examples/c/rank.c (as documented in the file)"
example="$build_root/rank-example"
cc -Wall -Wextra -Werror -std=c11 -I bindings/c/include examples/c/rank.c \
    -L "$lib_dir" -ldram -Wl,-rpath,"$lib_dir" -o "$example"
rm -f "$build_root/rank-example-history.bin"
"$example" tests/vectors/models/ranker.onnx "$build_root/rank-example-history.bin"
# Second run: the history saved by the first is read back.
"$example" tests/vectors/models/ranker.onnx "$build_root/rank-example-history.bin" >/dev/null

echo "-- C binding: all checks passed"
