#!/usr/bin/env bash
# Fuzzing in CI. By default only the replay of the kept corpora and crash reproducers (stable Rust, part of
# `cargo test --workspace` anyway; ~10 s once built): building the instrumented libFuzzer binaries takes
# longer than the 3-minute budget on 2 cores (a full instrumented release build of crm-core, rusqlite's
# bundled SQLite and libFuzzer's C++ sources; see fuzz/README.md for the measured time).
# With FUZZ_CI_RUN=1 it also builds every target and runs each for FUZZ_SECONDS (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p crm-core --test fuzz_corpus
cargo test -p crm-ffi --test fuzz_corpus
if [ "${FUZZ_CI_RUN:-0}" = 1 ]; then
  bash fuzz/build.sh
  TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
  for t in csv_import vcard_import condition expression filter export ffi_json; do
    mkdir -p "fuzz/corpus-work/$t" "fuzz/artifacts/$t"
    "fuzz/target/$TRIPLE/release/$t" "fuzz/corpus-work/$t" "fuzz/corpus/$t" -max_total_time="${FUZZ_SECONDS:-15}" \
      -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -artifact_prefix="fuzz/artifacts/$t/" 2>&1 | tail -n 3
  done
fi
