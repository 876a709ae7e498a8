#!/usr/bin/env bash
# The Kotlin binding's tests on the desktop JVM: builds the JNI library (host, debug), then runs
# the JUnit suite (shared vectors, hostile input, threads) under -Xcheck:jni with Maven.
# Maven uses the default local repository (~/.m2); a fresh machine downloads the plugins and
# test libraries from Maven Central once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
  if [[ "${CI:-}" == true ]]; then
    echo "-- Maven or a JDK not found: CI installs them with scripts/install-deps.sh"
    "$root/scripts/install-deps.sh"
  else
    echo "bindings/kotlin/test.sh: needs a JDK 17+ and Maven; install them with scripts/install-deps.sh" >&2
    exit 1
  fi
fi

# Build with the whole workspace's feature set, as `cargo test --workspace` does
# (dev-dependencies included): building one package alone unifies dependency features
# differently and recompiles tract.
cargo build --workspace --all-targets --locked --manifest-path "$root/Cargo.toml"
case "$(uname -s)" in
  Darwin) lib="$target/debug/libdram_jni.dylib" ;;
  *) lib="$target/debug/libdram_jni.so" ;;
esac
test -f "$lib" || { echo "expected the JNI library at $lib" >&2; exit 1; }

cd "$here"
rm -rf target/surefire-reports
# -q prints only failures (with Surefire's "Tests run: N, Failures: F" summary); on success the
# summary below is the one line.
mvn -q -B -Dstyle.color=never test -Ddram.lib="$lib" -Ddram.vectors="$root/tests/vectors" "$@"

# -Xcheck:jni reports problems it does not treat as fatal (a local reference table overflow,
# for one) on the test JVM's native stdout, which Surefire saves as *.dumpstream without failing
# any test. The suite writes nothing there itself, so any such file is a failure.
if compgen -G "target/surefire-reports/*.dumpstream" >/dev/null; then
  echo "bindings/kotlin/test.sh: the test JVM wrote to its native stdout (-Xcheck:jni warnings?):" >&2
  sed -n "s/.*Stream '\(.*\)'.*/  \1/p" target/surefire-reports/*.dumpstream | head -n 40 >&2
  exit 1
fi

# One closing line in the plain "N passed, N failed" form, from Surefire's reports.
awk -F'"' '/<testsuite / {
    for (i = 1; i < NF; i++) {
      if ($i ~ / tests=$/) t += $(i + 1); if ($i ~ / failures=$/) f += $(i + 1)
      if ($i ~ / errors=$/) f += $(i + 1); if ($i ~ / skipped=$/) s += $(i + 1)
    }
  } END { printf "kotlin: %d passed, %d failed, %d skipped\n", t - f - s, f, s }' target/surefire-reports/TEST-*.xml
