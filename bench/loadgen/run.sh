#!/usr/bin/env bash
# The service benchmark: durable leads/s and latency over loopback at
# concurrency 1, 16 and 64, on SQLite, PostgreSQL (one node) and PostgreSQL
# (two nodes on one database), with the bundled example policy and leads.
#
#   bench/loadgen/run.sh                 # all three set-ups
#   PG=postgres://postgres@127.0.0.1:5432 bench/loadgen/run.sh
#
# Prints one line per run (leads/s, p50/p99/max, server CPU, load average).
# Leads the example's schema rejects (18 of every 600) are answered 422 and
# counted as "rejected", not as errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
PG="${PG:-postgres://postgres@127.0.0.1:5432}"
LEADS="${LEADS:-20000}"
cargo build --release -q -p leadroute -p leadroute-loadgen
BIN=target/release/leadroute
GEN=target/release/leadroute-loadgen
WORK=$(mktemp -d)
trap 'pkill -INT -f "leadroute serve .*--listen 127.0.0.1:1909" || true; rm -rf "$WORK"' EXIT

start() { # port db [state]
    "$BIN" serve examples/inbound.route --db "$2" --listen "127.0.0.1:$1" ${3:+--state "$3"} \
        --clock 2026-11-24T15:00:00Z >"$WORK/serve-$1.out" 2>"$WORK/serve-$1.err" &
    for _ in $(seq 1 100); do grep -q listening "$WORK/serve-$1.out" 2>/dev/null && break; sleep 0.1; done
    pgrep -f "listen 127.0.0.1:$1" | head -1
}
stop() { pkill -INT -f "leadroute serve .*--listen 127.0.0.1:1909" || true; sleep 1; }
fresh_pg() {
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS lr_bench" -c "CREATE DATABASE lr_bench" 2>/dev/null
}
runs() { # label urls pids
    for c in 1 16 64; do
        n=$LEADS; [ "$c" = 1 ] && n=$((LEADS / 5))
        echo -n "$1: "
        "$GEN" --url "$2" --leads "$n" --concurrency "$c" --server-pid "$3" --template examples/leads.ndjson --prefix "$1-$c"
    done
}

echo "# $(nproc) cores; $(date -u +%FT%TZ)"
P=$(start 19091 "$WORK/leadroute.db" examples/state.json)
runs "sqlite      " http://127.0.0.1:19091 "$P"
stop

fresh_pg
P=$(start 19092 "$PG/lr_bench" examples/state.json)
runs "postgres x1 " http://127.0.0.1:19092 "$P"
stop

fresh_pg
P1=$(start 19093 "$PG/lr_bench" examples/state.json)
P2=$(start 19094 "$PG/lr_bench")
runs "postgres x2 " http://127.0.0.1:19093,http://127.0.0.1:19094 "$P1,$P2"
stop
