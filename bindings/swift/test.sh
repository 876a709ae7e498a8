#!/usr/bin/env bash
# The Swift binding's checks that run without a Swift compiler (Linux CI):
#   1. the crate's Rust tests run with the workspace (`cargo test`); this script does the rest:
#   2. generate Dram.swift, DramFFI.h and DramFFI.modulemap from the built library with
#      uniffi-bindgen (library mode, as ios/build-xcframework.sh does);
#   3. the committed ios/Sources/Dram/Dram.swift must equal the generated one (regenerate
#      with bindings/swift/generate.sh);
#   4. the header compiles with clang as C11, as C++17, and as a Clang module (C and
#      Objective-C `@import DramFFI`); gcc rejects its `_Nullable` annotations;
#   5. every function the header declares is exported by the library (nm);
#   6. tests/ffi_smoke.c, linked against the library, checks the contract version and API
#      checksums the committed Dram.swift expects, and makes raw ABI calls.
# The XCTest suite in ios/Tests needs macOS and Xcode: see docs/ffi.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"

find_clang() { command -v clang || command -v clang-14 || true; }
clang=$(find_clang)
if [[ -z "$clang" && "${CI:-}" == true ]]; then
    echo "-- clang not found: CI installs it with scripts/install-deps.sh"
    scripts/install-deps.sh
    clang=$(find_clang)
fi
if [[ -z "$clang" ]]; then
    echo "bindings/swift/test.sh: clang not found; install it with scripts/install-deps.sh" >&2
    echo "(on Debian/Ubuntu: apt-get install clang-14)" >&2
    exit 1
fi

echo "-- build dram-swift (library and uniffi-bindgen)"
# The whole workspace's feature set, as `cargo test --workspace` uses (dev-dependencies included): building one package
# alone unifies dependency features differently and recompiles tract.
cargo build --workspace --all-targets --locked
case "$(uname -s)" in
    Darwin) lib="$target/debug/libdram_ffi.dylib"; exports() { nm -gU "$1" | awk '{print $3}' | sed 's/^_//'; } ;;
    *) lib="$target/debug/libdram_ffi.so"; exports() { nm -D --defined-only "$1" | awk '{print $3}'; } ;;
esac

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "-- generate the Swift bindings"
"$target/debug/uniffi-bindgen" generate --library "$lib" --language swift --out-dir "$out" --no-format >/dev/null
for f in Dram.swift DramFFI.h DramFFI.modulemap; do
    [[ -s "$out/$f" ]] || { echo "uniffi-bindgen did not write $f" >&2; exit 1; }
done

echo "-- committed ios/Sources/Dram/Dram.swift is current"
if ! diff -u ios/Sources/Dram/Dram.swift "$out/Dram.swift" >"$out/swift.diff"; then
    head -40 "$out/swift.diff" >&2
    echo "ios/Sources/Dram/Dram.swift is stale: run bindings/swift/generate.sh and commit it" >&2
    exit 1
fi

echo "-- DramFFI.h compiles with $("$clang" --version | head -1)"
printf '#include "DramFFI.h"\n' >"$out/include.c"
"$clang" -x c -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$out" "$out/include.c"
"$clang" -x c++ -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I"$out" "$out/include.c"
module_flags=(-fmodules -fmodules-cache-path="$out/module-cache" -fmodule-map-file="$out/DramFFI.modulemap")
"$clang" -x c -std=c11 -Wall -Werror -fsyntax-only "${module_flags[@]}" "$out/include.c"
printf '@import DramFFI;\nstatic RustBuffer unused;\n' >"$out/import.m"
"$clang" -x objective-c -Wall -Wno-unused-variable -Werror -fsyntax-only "${module_flags[@]}" "$out/import.m"

echo "-- every declared function is exported by $(basename "$lib")"
"$clang" -x c -fsyntax-only -fno-color-diagnostics -Xclang -ast-dump "$out/DramFFI.h" 2>/dev/null \
    | sed -nE "s/^.*FunctionDecl .* ([A-Za-z_][A-Za-z0-9_]*) '.*$/\1/p" | sort -u >"$out/declared"
exports "$lib" | sort -u >"$out/exported"
declared=$(wc -l <"$out/declared")
if [[ "$declared" -lt 20 ]]; then
    echo "found only $declared function declarations in DramFFI.h" >&2
    exit 1
fi
missing=$(comm -23 "$out/declared" "$out/exported")
if [[ -n "$missing" ]]; then
    echo "declared in DramFFI.h but not exported by $lib:" >&2
    echo "$missing" >&2
    exit 1
fi
echo "$declared functions declared, all exported"

echo "-- raw ABI smoke test (bindings/swift/tests/ffi_smoke.c)"
swift=ios/Sources/Dram/Dram.swift
contract=$(sed -nE 's/.*let bindings_contract_version = ([0-9]+).*/\1/p' "$swift")
sed -nE 's/.*if \((uniffi_[a-z0-9_]+)\(\) != ([0-9]+)\).*/CHECKSUM(\1, \2)/p' "$swift" >"$out/checksums.inc"
"$clang" -std=c11 -D_GNU_SOURCE -DBINDINGS_CONTRACT_VERSION="${contract:?no contract version in $swift}" -Wall -Wextra -Werror -I"$out" bindings/swift/tests/ffi_smoke.c \
    -L"$(dirname "$lib")" -ldram_ffi -Wl,-rpath,"$(dirname "$lib")" -o "$out/ffi_smoke"
"$out/ffi_smoke" tests/vectors/models/ranker.onnx

echo "-- Swift binding checks passed"
