#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 180), one at a time, on its
# seeded corpus; logs go to fuzz/logs/TARGET.log, crashes to fuzz/artifacts/TARGET/.
# Build first: RUSTC_BOOTSTRAP=1 cargo fuzz build -s none
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${SECONDS_EACH:-180}"
targets=("${@:-parse_check fmt lead_json policy_load lsp_messages}")
mkdir -p "$here/logs"
for t in ${targets[@]}; do
  bin="$(ls "$here"/target/*/release/"$t" | head -n1)"
  mkdir -p "$here/corpus/$t" "$here/artifacts/$t"
  "$bin" "$here/corpus/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$here/artifacts/$t/" > "$here/logs/$t.log" 2>&1
  echo "$t: exit $? $(grep -E '^stat::number_of_executed_units' "$here/logs/$t.log")"
done
