#!/usr/bin/env bash
# Measures `leadroute check` (and fmt / build on the 10 MB file) on the
# generated territory policies of docs/performance.md, "Checking many
# territories": CPU seconds (user + sys) and peak RSS from /usr/bin/time -v.
#
#   bench/analysis-scale.sh [LEADROUTE_BINARY]
#
# Builds the release binary and the generator unless a binary is given.
# Inputs go to ${SCALE_DIR:-/tmp/leadroute-scale}; each command is cut off
# after ${SCALE_TIMEOUT:-120} s and ${SCALE_MEM_KB:-8000000} KB of memory.
set -u
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
# One build for both binaries (building them apart unifies features differently and rebuilds the world).
cargo build --release -p leadroute -p leadroute-bench --bins >&2 || exit 1
bin=${1:-$target/release/leadroute}
gen=$target/release/gen-policy
dir=${SCALE_DIR:-/tmp/leadroute-scale}
mkdir -p "$dir"
"$gen" disjoint 10000 > "$dir/disjoint-10k.route"
"$gen" disjoint-sets 10000 > "$dir/disjoint-sets-10k.route"
"$gen" combos 10000 > "$dir/combos-10k.route"
"$gen" identical 2000 > "$dir/identical-2k.route"
"$gen" identical 5000 --no-handler > "$dir/identical-5k-nohandler.route"
"$gen" nested 2000 > "$dir/nested-2k.route"
"$gen" chain 3000 > "$dir/chain-3k.route"
"$gen" pathological 10000000 > "$dir/pathological-10mb.route"
"$gen" realistic 10000 > "$dir/realistic-10k.route"
"$gen" realistic 50000 > "$dir/realistic-50k.route"

run() { # name, command...
  local name=$1; shift
  local out
  ( ulimit -v "${SCALE_MEM_KB:-8000000}"; /usr/bin/time -v -o "$dir/time.txt" timeout "${SCALE_TIMEOUT:-120}" "$@" > "$dir/last.out" 2> "$dir/last.err" )
  out=$(cat "$dir/time.txt")
  local user sys rss code
  user=$(grep "User time" <<<"$out" | awk '{print $NF}')
  sys=$(grep "System time" <<<"$out" | awk '{print $NF}')
  rss=$(grep "Maximum resident" <<<"$out" | awk '{print $NF}')
  code=$(grep "Exit status" <<<"$out" | awk '{print $NF}')
  grep -q "Command terminated by signal" <<<"$out" && code="killed ($(grep -o 'signal [0-9]*' <<<"$out"))"
  printf '| %s | %.2f | %d | %s | %s |\n' "$name" "$(echo "$user + $sys" | bc)" "$((rss / 1024))" "$code" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "| input | CPU s | max RSS MB | exit | load |"
echo "| --- | ---: | ---: | ---: | --- |"
for f in disjoint-10k disjoint-sets-10k combos-10k identical-2k identical-5k-nohandler nested-2k chain-3k pathological-10mb realistic-10k realistic-50k; do
  run "check $f" "$bin" check --format json "$dir/$f.route"
done
run "fmt pathological-10mb" "$bin" fmt --check "$dir/pathological-10mb.route"
run "build pathological-10mb" "$bin" build "$dir/pathological-10mb.route" -o "$dir/out.json"
run "fmt disjoint-10k" "$bin" fmt --check "$dir/disjoint-10k.route"
run "build disjoint-10k" "$bin" build "$dir/disjoint-10k.route" -o "$dir/out.json"
run "test pathological-10mb" "$bin" test "$dir/pathological-10mb.route"
run "check --each pathological-10mb" "$bin" check --each --format json "$dir/pathological-10mb.route"
# The server's own CPU and RSS are in last.out (the table's figures include the client).
for f in pathological-10mb disjoint-10k; do
  run "lsp open $f" python3 bench/lsp-open.py "$bin" "$dir/$f.route" none
  echo "<!-- lsp open $f: $(cat "$dir/last.out") -->"
  run "lsp open + outline + tokens $f" python3 bench/lsp-open.py "$bin" "$dir/$f.route"
  echo "<!-- lsp open + outline + tokens $f: $(cat "$dir/last.out") -->"
done
