#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (or those named) in two steps and prints, per target, the
# executions and the crashes found:
#   1. the committed corpus (fuzz/corpus/TARGET) is replayed, each input once: a seed that
#      crashes is a regression;
#   2. the target fuzzes for FUZZ_SECONDS, starting from that corpus.
# scripts/test.sh runs it with 15 s per target, so every target keeps compiling and its corpus
# keeps passing; run it longer by hand to search for new crashes:
#
#   ./scripts/fuzz.sh                                  # every target, 60 s each
#   FUZZ_SECONDS=600 ./scripts/fuzz.sh model_bytes history_bytes
#
# New inputs the fuzzer keeps go to fuzz/work/TARGET (git-ignored); crashing inputs land in
# fuzz/artifacts/TARGET. Turn each into a regression test (see docs/security.md) and replay it
# with `cargo +nightly fuzz run --fuzz-dir fuzz TARGET ARTIFACT` from the repository root.
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_RSS_MB (memory limit per input, default 2048),
# FUZZ_SANITIZER (default address), FUZZ_PROFILE (release, the default, or dev).
#
# Build: nightly, with AddressSanitizer and debug assertions, in fuzz/'s own workspace and
# target directory (fuzz/target), so it never touches the main workspace's lock file or
# target/. ASan stays on in both profiles: what it catches lives in the bindings' `unsafe`,
# which the `c_load_from_memory` target drives through the C API. What the profile trades:
# an optimised (release) build of tract with ASan is slow to compile from cold, a quarter of
# an hour on two cores, while a dev build compiles in about three minutes but gets through ten
# to a hundred times fewer inputs in the same time. Searching for crashes wants the fast executions of release, so
# it is the default here; scripts/test.sh only needs the targets to compile, their corpus to
# pass and a short run, so it builds dev (docs/security.md has both builds' measured costs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
rss_mb="${FUZZ_RSS_MB:-2048}"
sanitizer="${FUZZ_SANITIZER:-address}"
profile="${FUZZ_PROFILE:-release}"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh needs the nightly toolchain: rustup toolchain install nightly (scripts/install-deps.sh does)" >&2
    exit 1
fi
if ! command -v cargo-fuzz >/dev/null; then
    echo "fuzz.sh needs cargo-fuzz: cargo install cargo-fuzz --locked (scripts/install-deps.sh does)" >&2
    exit 1
fi
fuzz=(cargo +nightly fuzz)
build_flags=(--fuzz-dir fuzz --debug-assertions --sanitizer "$sanitizer")
case "$profile" in
    release) ;;
    dev) build_flags+=(--dev) ;;
    *) echo "fuzz.sh: FUZZ_PROFILE is release or dev, not $profile" >&2; exit 1 ;;
esac

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <("${fuzz[@]}" list --fuzz-dir fuzz)
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz.sh: cargo fuzz list found no targets in fuzz/" >&2; exit 1; }

echo "-- building ${targets[*]} (nightly, $profile, sanitizer: $sanitizer, debug assertions)"
build_started=$SECONDS
"${fuzz[@]}" build "${build_flags[@]}"
echo "-- built in $((SECONDS - build_started)) s"

summary=()
failed=0
for target in "${targets[@]}"; do
    corpus="fuzz/corpus/$target"
    work="fuzz/work/$target"
    artifacts="fuzz/artifacts/$target"
    mkdir -p "$work" "$artifacts" "$corpus"
    log="fuzz/work/$target.log"
    before=$(find "$artifacts" -type f | wc -l)
    seeds=$(find "$corpus" -type f | wc -l)
    echo "-- $target: $seeds committed inputs, then ${seconds}s of fuzzing"
    set +e
    # -runs=0 executes each input of the given directories once and stops.
    "${fuzz[@]}" run "${build_flags[@]}" "$target" "$corpus" -- \
        -runs=0 -rss_limit_mb="$rss_mb" -timeout=20 -artifact_prefix="$artifacts/" >"$log" 2>&1
    replay=$?
    status=$replay
    if [[ $replay -eq 0 ]]; then
        "${fuzz[@]}" run "${build_flags[@]}" "$target" "$work" "$corpus" -- \
            -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=20 -print_final_stats=1 \
            -artifact_prefix="$artifacts/" >>"$log" 2>&1
        status=$?
    fi
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
    what="exit $status"
    [[ $replay -eq 0 ]] || what="a committed input fails (exit $replay)"
    summary+=("$(printf '%-22s seeds %3d   executions %9s   new crashes %2d   %s' "$target" "$seeds" "${runs:-?}" "$crashes" "$what")")
    if [[ $status -ne 0 || $crashes -ne 0 ]]; then
        failed=1
        grep -E 'ERROR|panicked|SUMMARY|error' "$log" | head -n 8 || true
        echo "   full log: $log"
    fi
done

echo "== fuzz summary (${seconds}s per target, $profile, sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
exit "$failed"
