#!/usr/bin/env bash
# Runs every fuzz target of core/fuzz for a bounded time and prints, per target, the executions
# and the crashes found. Not part of ./scripts/test.sh (it needs nightly and minutes of CPU).
#
#   ./scripts/fuzz.sh                  # every target, 60 s each
#   FUZZ_SECONDS=600 ./scripts/fuzz.sh model_bytes history_bytes
#
# Each target starts from its committed seeds in core/fuzz/corpus/TARGET and keeps what it
# discovers in core/fuzz/work/TARGET (git-ignored). Crashing inputs land in
# core/fuzz/artifacts/TARGET; turn each into a regression test (see docs/security.md), then
# replay it with `cargo +nightly fuzz run TARGET ARTIFACT` from core/.
# Environment: FUZZ_SECONDS (default 60), FUZZ_RSS_MB (memory limit per input, default 2048).
set -euo pipefail
cd "$(dirname "$0")/../core"
seconds="${FUZZ_SECONDS:-60}"
rss_mb="${FUZZ_RSS_MB:-2048}"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh needs the nightly toolchain: rustup toolchain install nightly" >&2
    exit 1
fi
if ! command -v cargo-fuzz >/dev/null; then
    echo "-- installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

echo "-- building ${targets[*]} (nightly, AddressSanitizer, debug assertions)"
# Own target directory (core/fuzz/target): the sanitizer build never disturbs ../target.
cargo +nightly fuzz build --debug-assertions

summary=()
failed=0
for target in "${targets[@]}"; do
    work="fuzz/work/$target"
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$work" "$artifacts" "fuzz/corpus/$target"
    log="fuzz/work/$target.log"
    before=$(find "$artifacts" -type f | wc -l)
    echo "-- $target: ${seconds}s"
    set +e
    cargo +nightly fuzz run --debug-assertions "$target" "$work" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=20 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1
    status=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
    summary+=("$(printf '%-24s executions %10s   new crashes %3d   exit %d' "$target" "${runs:-?}" "$crashes" "$status")")
    if [[ $status -ne 0 || $crashes -ne 0 ]]; then
        failed=1
        grep -E 'ERROR|panicked|SUMMARY' "$log" | head -n 5 || true
    fi
done

echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit "$failed"
