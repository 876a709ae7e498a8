#!/usr/bin/env bash
# Regenerates ios/Sources/Dram/Dram.swift, the committed Swift bindings, from the host build of
# dram-swift. Run it after changing the exported API in bindings/swift/src, then commit the
# result; bindings/swift/test.sh fails while the committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-$(pwd)/target}"
# The whole workspace's feature set, as `cargo test --workspace` uses (dev-dependencies included): building one package
# alone unifies dependency features differently and recompiles tract.
cargo build --workspace --all-targets --locked
case "$(uname -s)" in
    Darwin) lib="$target/debug/libdram_ffi.dylib" ;;
    *) lib="$target/debug/libdram_ffi.so" ;;
esac
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# --no-format: the committed file must not depend on whether swift-format is installed.
"$target/debug/uniffi-bindgen" generate --library "$lib" --language swift --out-dir "$out" --no-format >/dev/null
mkdir -p ios/Sources/Dram
cp "$out/Dram.swift" ios/Sources/Dram/Dram.swift
echo "wrote ios/Sources/Dram/Dram.swift"
