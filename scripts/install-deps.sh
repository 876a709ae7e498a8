#!/usr/bin/env bash
# Installs the system packages the test suites need on Debian or Ubuntu (CI's kind of machine).
# Idempotent: each section installs only what is missing. Run as root (or with sudo).
# Each part of the project appends its own clearly marked section.
set -euo pipefail

# ---- Swift binding (bindings/swift/test.sh): clang ------------------------------------------
# The header uniffi generates for Swift (DramFFI.h) uses clang's `_Nullable`/`_Nonnull`, which
# gcc rejects; test.sh compiles it as C11, C++17 and a Clang module with clang.
if ! command -v clang >/dev/null 2>&1 && ! command -v clang-14 >/dev/null 2>&1; then
    sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo=sudo
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang-14
fi
# ---- end Swift binding ----------------------------------------------------------------------

# ---- Kotlin binding (bindings/kotlin/test.sh): a JDK (17+) and Maven --------------------------
# The JUnit suite is compiled by Maven's kotlin-maven-plugin; Maven downloads the plugins and
# test libraries from Maven Central into ~/.m2 on first use.
if ! command -v mvn >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
    sudo=""
    [[ "$(id -u)" -eq 0 ]] || sudo=sudo
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        openjdk-17-jdk-headless maven
fi
# ---- end Kotlin binding ---------------------------------------------------------------------

# ---- Python: onnx + numpy (third-party teacher test), onnxruntime (interop and peer checks) --
# tools/tests/third_party_teacher.rs builds a teacher with the `onnx` package; without it the
# test is skipped with a message.
if ! python3 -c "import onnx, numpy, onnxruntime" >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check onnx numpy onnxruntime \
        || echo "warning: could not pip install onnx/numpy/onnxruntime; the tests that need them will skip"
fi
# ---- end Python ------------------------------------------------------------------------------
