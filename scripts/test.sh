#!/usr/bin/env bash
# Every test of the project, and what they need: this is the README's test command and what CI
# runs (.ci/run, .github/workflows/test.yml). On a fresh Debian or Ubuntu machine it installs
# what is missing first (scripts/install-deps.sh, every run; it is quick when nothing is).
#
#   1. install-deps: system packages, Python packages, the MiniLM weights, nightly + cargo-fuzz
#   2. scripts/check-tests.py: every test function asserts something; scripts/check-layers.py:
#      no module imports one in a higher layer, no two modules import each other
#   3. the Rust workspace (unit, integration, doc tests)
#   4. the Rust tests that need an outside dependency, which a plain `cargo test` lists as
#      ignored ("needs ..."): here their dependency is installed, so they run and must pass
#   5. the C suite (also under AddressSanitizer), the Kotlin suite on the desktop JVM, the Swift
#      binding's generation checks
#   6. every fuzz target, on its committed corpus and then for a few seconds (scripts/fuzz.sh)
#
# Environment: FUZZ_SECONDS (default 15 here) bounds each fuzz target's run; FUZZ_PROFILE
# (default dev here) is the fuzz build's profile.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
started=$SECONDS
step() { echo "== $1 ($((SECONDS - started)) s so far)"; }

# CI builds once, so incremental-compilation caches would only cost disk.
if [[ "${CI:-}" == "true" ]]; then
    export CARGO_INCREMENTAL=0
fi

step "dependencies (scripts/install-deps.sh)"
./scripts/install-deps.sh

step "every test asserts (scripts/check-tests.py)"
python3 scripts/check-tests.py

step "layers (scripts/check-layers.py: core, tools, lab)"
python3 scripts/check-layers.py

step "Rust workspace"
cargo test --workspace --locked

# The test files holding `#[ignore = "needs ..."]` tests; scripts/check-tests.py fails if a
# file with such a test is missing here. `--workspace` keeps the workspace's feature set (one
# package alone would unify features differently and recompile tract).
step "Rust tests with outside dependencies (--ignored)"
cargo test --workspace --locked \
    --test quantize --test word_piece_classifier --test third_party_teacher --test bert_reference \
    -- --ignored

step "C binding"
bindings/c/test.sh

step "Kotlin binding"
bindings/kotlin/test.sh

step "Swift binding"
bindings/swift/test.sh

# A dev build with AddressSanitizer: it compiles in minutes where the optimised one takes a
# quarter of an hour from cold (scripts/fuzz.sh says why the profile is the trade-off).
step "fuzz targets"
FUZZ_SECONDS="${FUZZ_SECONDS:-15}" FUZZ_PROFILE="${FUZZ_PROFILE:-dev}" scripts/fuzz.sh

step "all tests passed"
