#!/usr/bin/env bash
# Stripped x86-64 size of dram's C library (bindings/c, libdram.so) and of the smallest Rust
# app using dram (bench/size-probe: load a model, rank), under a sequence of release-profile
# steps applied with CARGO_PROFILE_RELEASE_* variables (so no Cargo.toml changes). Writes
# bench/size.json (read by scripts/bench.sh) and prints a table; docs/size.md discusses it.
# Each step rebuilds tract from scratch in target/size: ~17 min per step on 2 busy cores.
# SIZE_STEPS="0 1" runs only those steps (indices into the list below); a step may add cargo
# arguments (features) as a third field, and a fourth replaces `build` for the C library (its
# crate also builds staticlib and rlib, and rustc's fat LTO of the cdylib among several crate
# types keeps more code than of the cdylib alone).
set -euo pipefail
cd "$(dirname "$0")/.."
target=target/size
model=tests/vectors/models/ranker.onnx
steps=(
    "release (opt-level 3, 16 codegen units, unwind)|"
    "+ fat LTO, codegen-units = 1, opt-level = z|CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z"
    "+ panic = abort (Rust binary only: the C library must catch panics)|CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_PANIC=abort"
    "fat LTO, z, dram's direct import only (tract-onnx, tract-hir, tract-nnef not linked)|CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z|--no-default-features"
    "+ the C library built as a cdylib alone (the size-first option)|CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z|--no-default-features|rustc --crate-type cdylib"
    "the same at opt-level 2 (the mobile profile of android/build-native.sh: z is 1.7x slower)|CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=2|--no-default-features|rustc --crate-type cdylib"
)
stripped_size() {
    local copy
    copy=$(mktemp)
    strip --strip-all -o "$copy" "$1"
    stat -c %s "$copy"
    rm -f "$copy"
}
json="{\"target\": \"x86_64-unknown-linux-gnu\", \"tract\": \"0.23.9\", \"steps\": ["
sep=""
for index in ${SIZE_STEPS:-${!steps[@]}}; do
    entry=${steps[$index]}
    name=${entry%%|*}
    rest=${entry#*|}
    vars=${rest%%|*}
    # Optional third and fourth fields: cargo arguments (features) for both builds, and the
    # cargo subcommand for the C library.
    args=""
    c_command="build"
    [[ $rest == *"|"* ]] && args=${rest#*|}
    if [[ $args == *"|"* ]]; then
        c_command=${args#*|}
        args=${args%%|*}
    fi
    echo "== $name" >&2
    c_size=null
    if [[ $vars != *PANIC=abort* ]]; then
        # shellcheck disable=SC2086
        env $vars nice -n 10 cargo $c_command --release -p dram-c $args --target-dir $target >&2
        c_size=$(stripped_size $target/release/libdram.so)
    fi
    env $vars nice -n 10 cargo build --release --manifest-path bench/size-probe/Cargo.toml $args --target-dir $target >&2
    $target/release/dram-size-probe $model >/dev/null
    bin_size=$(stripped_size $target/release/dram-size-probe)
    printf '%-70s C library %10s B   Rust binary %10s B\n' "$name" "$c_size" "$bin_size"
    json+="$sep{\"step\": \"$name\", \"env\": \"$vars $args\", \"c_library\": $c_size, \"rust_binary\": $bin_size}"
    sep=", "
done
# A partial run (SIZE_STEPS) replaces only its own steps in an existing bench/size.json.
echo "$json]}" | python3 -c '
import json, os, sys
new = json.load(sys.stdin)
path = "bench/size.json"
old = json.load(open(path)) if os.path.exists(path) else {"steps": []}
order = [s["step"] for s in old["steps"]] + [s["step"] for s in new["steps"] if s["step"] not in [o["step"] for o in old["steps"]]]
steps = {s["step"]: s for s in old["steps"] + new["steps"]}
new["steps"] = [steps[name] for name in order]
json.dump(new, open(path, "w"))
'
echo "wrote bench/size.json" >&2
