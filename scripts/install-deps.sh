#!/usr/bin/env bash
# Installs what the test command (scripts/test.sh) needs beyond Rust's stable toolchain, on
# Debian or Ubuntu. scripts/test.sh runs it every time, so it is idempotent and quick when
# nothing is missing: each part checks first and installs only what is absent.
#
#   system packages (apt): clang (the Swift binding's header checks), cmake, a C and C++
#       compiler (the C suite), a JDK 17+ and Maven (the Kotlin suite). Needs root: it runs
#       apt-get as root, else through sudo when sudo needs no password, else it prints the
#       exact command to run and fails.
#   Python packages (pip): onnx, numpy, onnxruntime (tools' ONNX Runtime agreement tests and
#       the third-party teacher test).
#   weights: all-MiniLM-L6-v2 into data/minilm (scripts/fetch-minilm.sh; the BERT reference
#       test).
#   fuzzing: Rust's nightly toolchain and cargo-fuzz (scripts/fuzz.sh).
#
# Any install that fails makes the script fail: a test suite never runs without what it checks.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1; }

# ---- system packages -------------------------------------------------------------------------
# The header uniffi generates for Swift (DramFFI.h) uses clang's `_Nullable`/`_Nonnull`, which
# gcc rejects; bindings/swift/test.sh compiles it with clang (any version; Debian 12 has 14).
packages=()
have clang || have clang-14 || packages+=(clang-14)
have cmake || packages+=(cmake)
have cc || packages+=(gcc)
have c++ || packages+=(g++)
# The JUnit suite is compiled by Maven's kotlin-maven-plugin; Maven downloads the plugins and
# test libraries from Maven Central into ~/.m2 on first use.
have javac || packages+=(openjdk-17-jdk-headless)
have mvn || packages+=(maven)
have python3 || packages+=(python3 python3-pip)

if [[ ${#packages[@]} -gt 0 ]]; then
    apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
    if [[ "$(id -u)" -eq 0 ]]; then
        sudo=()
    elif have sudo && sudo -n true 2>/dev/null; then
        sudo=(sudo)
    else
        echo "install-deps.sh: missing ${packages[*]}, and installing them needs root. Run:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}" >&2
        echo "then run the test command again." >&2
        exit 1
    fi
    echo "-- apt-get install ${packages[*]}"
    "${sudo[@]}" "${apt[@]}" update -q
    "${sudo[@]}" "${apt[@]}" install -y -q --no-install-recommends "${packages[@]}"
fi

# ---- Python: onnx + numpy (third-party teacher test), onnxruntime (agreement checks) ---------
if ! python3 -c "import onnx, numpy, onnxruntime" >/dev/null 2>&1; then
    echo "-- python3 -m pip install onnx numpy onnxruntime"
    if ! python3 -m pip install --quiet --disable-pip-version-check onnx numpy onnxruntime; then
        echo "install-deps.sh: pip could not install onnx, numpy and onnxruntime for $(command -v python3)." >&2
        echo "On a system Python that refuses pip installs (PEP 668), use a virtual environment:" >&2
        echo "  python3 -m venv .venv && . .venv/bin/activate && ./scripts/test.sh" >&2
        exit 1
    fi
    python3 -c "import onnx, numpy, onnxruntime"
fi

# ---- weights: all-MiniLM-L6-v2 (tools/tests/bert_reference.rs) --------------------------------
scripts/fetch-minilm.sh >/dev/null

# ---- fuzzing: nightly Rust and cargo-fuzz (scripts/fuzz.sh) -------------------------------------
if ! rustup toolchain list | grep -q '^nightly'; then
    echo "-- rustup toolchain install nightly"
    rustup toolchain install nightly --profile minimal
fi
if ! have cargo-fuzz; then
    echo "-- cargo install cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
