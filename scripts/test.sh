#!/usr/bin/env bash
# Every test of the project: the Rust workspace (unit, integration, doc tests), the C suite
# (also under AddressSanitizer), the Kotlin suite on the desktop JVM, and the Swift binding
# generation checks. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# On CI (a fresh machine) install what the suites need; locally, run it once by hand.
# CI builds once, so incremental-compilation caches would only cost disk.
if [[ "${CI:-}" == "true" ]]; then
    ./scripts/install-deps.sh
    export CARGO_INCREMENTAL=0
fi

echo "== Rust workspace"
cargo test --workspace --locked

echo "== C binding"
bindings/c/test.sh

echo "== Kotlin binding"
bindings/kotlin/test.sh

echo "== Swift binding"
bindings/swift/test.sh

echo "== all tests passed"
