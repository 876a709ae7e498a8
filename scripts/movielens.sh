#!/usr/bin/env bash
# Reproduces the MovieLens-100K distillation table: teacher, student trained alone and
# distilled student, pruned two ways and quantized for each deployment profile, all scored by
# dram-core on the test split (per-user time split: last 5 ratings of each user test, the 5
# before validation; label = rating >= 4). The steps are `dram` commands run by
# `dram-lab movielens` (lab/src/movielens.rs).
# Output: out/movielens/{teacher,student,distilled,pruned,sparse,...}.onnx, *.jsonl logs,
# latency.json and results.json (lab/src/results.rs: the rows dram-bench reads).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/fetch-data.sh
# The dev profile optimises every crate that does numeric work (see Cargo.toml) and shares
# its build with the test suite.
cargo build --workspace --locked --bin dram --bin dram-lab
target/debug/dram-lab movielens --data data/movielens --out out/movielens "$@"
