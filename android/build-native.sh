#!/usr/bin/env bash
# Builds the JNI library (crate dram-jni) for Android into src/main/jniLibs/<abi>/libdram_jni.so
# for arm64-v8a, armeabi-v7a and x86_64, with cargo-ndk, linked for 16 KB memory pages (required
# for apps targeting Android 15+ on Google Play), then checks that alignment.
#
# Needs: an Android NDK (ANDROID_NDK_HOME, or Android Studio's default location; r27+ advised),
# `cargo install cargo-ndk`, and the Rust targets (added below when rustup is present).
# Usage: android/build-native.sh [--debug]
#
# The cargo profile and features come from mobile/build.env, which ios/build-xcframework.sh
# reads too: both phone libraries are built the same way. DRAM_ONNX_FALLBACK=1 keeps the
# tract-onnx fallback, for apps that load other ONNX graphs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/src/main/jniLibs"
# shellcheck source=../mobile/build.env
. "$root/mobile/build.env"
profile="$DRAM_MOBILE_PROFILE"
if [ "${1:-}" = "--debug" ]; then profile=dev; fi
features="$DRAM_MOBILE_FEATURES"
if [ "${DRAM_ONNX_FALLBACK:-0}" = 1 ]; then features="${features:+$features,}onnx-fallback"; fi

command -v cargo-ndk >/dev/null || { echo "cargo-ndk is missing: cargo install cargo-ndk" >&2; exit 1; }
if command -v rustup >/dev/null; then
  rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
fi

# Android 15 devices may use 16 KB pages: every LOAD segment must be aligned to 16 KB. NDK r28+
# does this by default; the flag makes older NDKs do it too. (RUSTFLAGS applies to the Android
# targets only, since cargo-ndk always passes --target.)
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,max-page-size=16384"

cd "$root"
build_flags=(build -p dram-jni --locked --profile "$profile" --no-default-features)
if [ -n "$features" ]; then build_flags+=(--features "$features"); fi
# --platform 21 matches minSdk in build.gradle.kts.
cargo ndk --platform 21 -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$out" "${build_flags[@]}"

# Check the alignment with the NDK's llvm-readelf (or any readelf on the PATH).
readelf="$(ls "${ANDROID_NDK_HOME:-/nonexistent}"/toolchains/llvm/prebuilt/*/bin/llvm-readelf 2>/dev/null | head -n 1 || true)"
readelf="${readelf:-$(command -v llvm-readelf || command -v readelf || true)}"
for abi in arm64-v8a armeabi-v7a x86_64; do
  so="$out/$abi/libdram_jni.so"
  test -f "$so" || { echo "missing $so" >&2; exit 1; }
  if [ -n "$readelf" ]; then
    # Each LOAD line ends with its alignment: 0x4000 (16 KB) or larger is what Android needs.
    for align in $("$readelf" -lW "$so" | awk '$1 == "LOAD" { print $NF }'); do
      if (( align < 16384 )); then echo "$so has a LOAD segment aligned to $align, expected 0x4000" >&2; exit 1; fi
    done
  fi
  echo "$so ($(wc -c <"$so") bytes)"
done
[ -n "$readelf" ] || echo "no readelf found: 16 KB alignment not checked" >&2
