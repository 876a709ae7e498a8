#!/usr/bin/env bash
# Stripped x86-64 size of dram's C library (bindings/c, libdram.so) and of the smallest Rust
# app using dram (bench/size-probe: load a model, rank), under a sequence of release-profile
# steps (lab/src/size.rs lists them), merged into bench/size.json (read by dram-bench) and
# printed as a table; docs/size.md discusses it. Each step rebuilds tract from scratch in
# target/size: ~17 min per step on 2 busy cores. SIZE_STEPS="0 1" runs only those steps.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p dram-lab --bin dram-lab
steps=${SIZE_STEPS:-}
target/debug/dram-lab size --root . ${steps:+--steps "${steps// /,}"}
