#!/usr/bin/env bash
# Stripped x86-64 size of dram's C library (bindings/c, libdram.so) and of the smallest Rust
# app using dram (bench/size-probe: load a model, rank), under a sequence of release-profile
# steps applied with CARGO_PROFILE_RELEASE_* variables (so no Cargo.toml changes). Writes
# bench/size.json (read by scripts/bench.sh) and prints a table; docs/size.md discusses it.
# Each step rebuilds tract from scratch in target/size: ~17 min per step on 2 busy cores.
# SIZE_STEPS="0 1" runs only those steps (indices into the list below).
set -euo pipefail
cd "$(dirname "$0")/.."
target=target/size
model=tests/vectors/models/ranker.onnx
steps=(
    "release (opt-level 3, 16 codegen units, unwind)|"
    "+ fat LTO, codegen-units = 1, opt-level = z|CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z"
    "+ panic = abort (Rust binary only: the C library must catch panics)|CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_PANIC=abort"
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
    vars=${entry#*|}
    echo "== $name" >&2
    c_size=null
    if [[ $vars != *PANIC=abort* ]]; then
        env $vars nice -n 10 cargo build --release -p dram-c --target-dir $target >&2
        c_size=$(stripped_size $target/release/libdram.so)
    fi
    env $vars nice -n 10 cargo build --release --manifest-path bench/size-probe/Cargo.toml --target-dir $target >&2
    $target/release/dram-size-probe $model >/dev/null
    bin_size=$(stripped_size $target/release/dram-size-probe)
    printf '%-70s C library %10s B   Rust binary %10s B\n' "$name" "$c_size" "$bin_size"
    json+="$sep{\"step\": \"$name\", \"env\": \"$vars\", \"c_library\": $c_size, \"rust_binary\": $bin_size}"
    sep=", "
done
echo "$json]}" > bench/size.json
echo "wrote bench/size.json" >&2
