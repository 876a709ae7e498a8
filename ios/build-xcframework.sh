#!/usr/bin/env bash
# Builds ios/DramFFI.xcframework, the binary half of the Swift package, and copies the shared
# test vectors into Tests/DramTests/vectors for the XCTest suite. Needs macOS with Xcode
# (xcodebuild, lipo) and rustup; run it before `swift build`, `swift test` or `xcodebuild`.
#
# Slices (each libdram_ffi.a with DramFFI.h and its module map):
#   ios-arm64                      aarch64-apple-ios                        devices
#   ios-arm64_x86_64-simulator     aarch64-apple-ios-sim + x86_64-apple-ios simulators (lipo)
#   macos-arm64_x86_64             aarch64-apple-darwin + x86_64-apple-darwin `swift test` on a Mac
#
# usage: ios/build-xcframework.sh [--debug]    (bash 3.2, as macOS ships it, is enough)
# Release builds use the profile and features of mobile/build.env, as Android's do.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
# The cargo profile and features come from mobile/build.env, which android/build-native.sh
# reads too: both phone libraries are built the same way. DRAM_ONNX_FALLBACK=1 keeps the
# tract-onnx fallback, for apps that load other ONNX graphs.
# shellcheck source=../mobile/build.env
. mobile/build.env
profile="$DRAM_MOBILE_PROFILE"
profile_dir="$profile"
if [[ "${1:-}" == "--debug" ]]; then
    profile=dev
    profile_dir=debug
fi
features="$DRAM_MOBILE_FEATURES"
if [[ "${DRAM_ONNX_FALLBACK:-0}" == 1 ]]; then features="${features:+$features,}onnx-fallback"; fi
cargo_flags=(--locked --profile "$profile" --no-default-features)
if [[ -n "$features" ]]; then cargo_flags+=(--features "$features"); fi

if [[ "$(uname -s)" != Darwin ]]; then
    echo "ios/build-xcframework.sh needs macOS with Xcode; on Linux, bindings/swift/test.sh checks the bindings" >&2
    exit 1
fi

# Keep in step with `platforms` in ios/Package.swift.
export IPHONEOS_DEPLOYMENT_TARGET=13.0
export MACOSX_DEPLOYMENT_TARGET=11.0

device=aarch64-apple-ios
simulator=(aarch64-apple-ios-sim x86_64-apple-ios)
macos=(aarch64-apple-darwin x86_64-apple-darwin)
rustup target add "$device" "${simulator[@]}" "${macos[@]}"
for target in "$device" "${simulator[@]}" "${macos[@]}"; do
    echo "-- libdram_ffi.a for $target ($profile)"
    cargo build -p dram-swift --lib "${cargo_flags[@]}" --target "$target"
done
lib() { echo "$target_dir/$1/$profile_dir/libdram_ffi.a"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- generate DramFFI.h from the device library"
cargo build -p dram-swift --bin uniffi-bindgen --locked
"$target_dir/debug/uniffi-bindgen" generate --library "$(lib "$device")" --language swift \
    --out-dir "$work/generated" --no-format >/dev/null
if ! cmp -s "$work/generated/Dram.swift" ios/Sources/Dram/Dram.swift; then
    echo "ios/Sources/Dram/Dram.swift is stale: run bindings/swift/generate.sh and commit it" >&2
    exit 1
fi
mkdir -p "$work/headers"
cp "$work/generated/DramFFI.h" "$work/headers/"
cp "$work/generated/DramFFI.modulemap" "$work/headers/module.modulemap"

echo "-- fat libraries for the simulator and macOS"
mkdir -p "$work/simulator" "$work/macos"
lipo -create "$(lib "${simulator[0]}")" "$(lib "${simulator[1]}")" -output "$work/simulator/libdram_ffi.a"
lipo -create "$(lib "${macos[0]}")" "$(lib "${macos[1]}")" -output "$work/macos/libdram_ffi.a"

echo "-- ios/DramFFI.xcframework"
rm -rf ios/DramFFI.xcframework
xcodebuild -create-xcframework \
    -library "$(lib "$device")" -headers "$work/headers" \
    -library "$work/simulator/libdram_ffi.a" -headers "$work/headers" \
    -library "$work/macos/libdram_ffi.a" -headers "$work/headers" \
    -output ios/DramFFI.xcframework

echo "-- test vectors into ios/Tests/DramTests/vectors"
rm -rf ios/Tests/DramTests/vectors
cp -R tests/vectors ios/Tests/DramTests/vectors

cat <<'DONE'
Built ios/DramFFI.xcframework. Next:
  cd ios && swift test                                   # XCTest on this Mac
  cd ios && xcodebuild test -scheme Dram \
      -destination 'platform=iOS Simulator,name=iPhone 16'  # XCTest in a simulator
DONE
