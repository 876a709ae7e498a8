#!/usr/bin/env bash
# Per-call overhead of the Kotlin API: `rank` timed from Kotlin (through JNI) and the same call
# timed directly on dram-core, both against release builds, on the same model and candidates.
# Prints both timings and their ratio. Not part of the test run; takes a release build of
# tract the first time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

cargo build --release -p dram-jni --locked --manifest-path "$root/Cargo.toml"
rust_out="$(cargo run --release -q -p dram-jni --example rank_direct --locked --manifest-path "$root/Cargo.toml")"
cd "$here"
kotlin_out="$(mvn -q -B test -Pbench -Dtest=RankOverheadBench -Ddram.lib="$target/release/libdram_jni.so" \
  -Ddram.vectors="$root/tests/vectors" | grep -o 'BENCH.*')"
printf '%s\n%s\n' "$rust_out" "$kotlin_out"
for n in 6 100; do
  r="$(printf '%s\n' "$rust_out" | sed -n "s/^BENCH rust rank $n candidates: \([0-9.]*\).*/\1/p")"
  k="$(printf '%s\n' "$kotlin_out" | sed -n "s/^BENCH kotlin rank $n candidates: \([0-9.]*\).*/\1/p")"
  awk -v n="$n" -v r="$r" -v k="$k" 'BEGIN { printf "%s candidates: Kotlin/Rust = %.3f (%.2f us of binding overhead per call)\n", n, k / r, k - r }'
done
