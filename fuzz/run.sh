#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (default 300), then merges what found new coverage into the kept
# corpus fuzz/corpus/<target>/ (libFuzzer -merge=1 keeps only inputs that add coverage, so it stays small).
# Crashes land in fuzz/artifacts/<target>/; copy each reproducer to fuzz/regressions/<target>/ once fixed.
# Usage: bash fuzz/run.sh <target> [seconds] [extra libFuzzer flags...]
# Targets: csv_import vcard_import condition expression filter export ffi_json
set -euo pipefail
cd "$(dirname "$0")"
t=${1:?target}; secs=${2:-300}; shift $(( $# > 1 ? 2 : 1 ))
TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
bin=target/$TRIPLE/release/$t
[ -x "$bin" ] || bash build.sh "$t"
mkdir -p "corpus-work/$t" "artifacts/$t" "corpus/$t"
case $t in csv_import|vcard_import) max_len=65536 ;; *) max_len=8192 ;; esac
# -rss_limit_mb / -malloc_limit_mb: "unbounded memory" is a crash; -timeout: a hang is a crash.
"$bin" "corpus-work/$t" "corpus/$t" -max_total_time="$secs" -max_len=$max_len -timeout=10 \
  -rss_limit_mb=2048 -malloc_limit_mb=1024 -artifact_prefix="artifacts/$t/" -print_final_stats=1 "$@" 2>&1 \
  | tee "artifacts/$t.log" | grep -E "^#[0-9]+.*(pulse|DONE)|stat::|ERROR|SUMMARY|Test unit" || true
"$bin" -merge=1 "corpus/$t" "corpus-work/$t" -max_len=$max_len -timeout=10 2>&1 | grep -E "MERGE-OUTER: [0-9]+ new files" || true
