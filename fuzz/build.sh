#!/usr/bin/env bash
# Builds the libFuzzer targets on STABLE Rust (no nightly, no cargo-fuzz needed): SanitizerCoverage is
# switched on with stable codegen flags, the same ones cargo-fuzz passes (minus -Zsanitizer=address).
# --target is explicit so that build scripts and proc macros are built without instrumentation.
# Usage: bash fuzz/build.sh [target...]   (binaries land in fuzz/target/x86_64-unknown-linux-gnu/release/)
set -euo pipefail
cd "$(dirname "$0")"
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
 -Cdebug-assertions -Coverflow-checks"
bins=()
for t in "$@"; do bins+=(--bin "$t"); done
cargo build --release --target "$TRIPLE" "${bins[@]}"
