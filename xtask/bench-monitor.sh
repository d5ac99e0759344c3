#!/bin/sh
# The daily monitoring run end to end over a simulated book read from the store: `xtask/bench-monitor.sh BIN PRESET
# [postgres]` simulates PRESET (seed 7) into $AGRIRISK_BENCH_DIR (default /tmp/bench-monitor), ingests it, and
# times `agririsk monitor run --as-of DAY` for a first day (the book loaded, every detector over every borrower,
# the alerts written) and the next day, then `agririsk portfolio report --as-of DAY` (classification, PAR, ECL with
# the PD models). With `postgres` the store is the cluster `xtask/pg.sh` started (its AGRIRISK_TEST_POSTGRES_URL, given to
# every command as AGRIRISK_DATABASE_URL).
# Prints one line per step with its wall time and the book's size.
set -eu
bin=$1 preset=$2 engine=${3:-sqlite} day=${4:-}
dir=${AGRIRISK_BENCH_DIR:-/tmp/bench-monitor}
rm -rf "$dir" && mkdir -p "$dir"
data="$dir/data"
if [ "$engine" = postgres ]; then
    AGRIRISK_DATABASE_URL=${AGRIRISK_TEST_POSTGRES_URL:?run under xtask/pg.sh run} && export AGRIRISK_DATABASE_URL
fi
a() { "$bin" --data-dir "$data" "$@"; }
timed() {
    label=$1; shift
    start=$(date +%s.%N)
    "$@" >"$dir/out" 2>"$dir/err" || { cat "$dir/err" >&2; exit 1; }
    end=$(date +%s.%N)
    printf '%-44s %8.1f s\n' "$label" "$(echo "$end - $start" | bc)"
}
timed "simulate $preset" a simulate --preset "$preset" --seed 7 --quiet --format csv --out "$dir/files"
a keys generate --out "$dir/keys" >/dev/null
timed "ingest ($engine)" a ingest --all "$dir/files" --key-file "$dir/keys" --quiet
# Without DAY: the middle of the data's horizon, when most loans are on the book.
if [ -z "$day" ]; then
    first=$(tail -n +2 "$dir/files/loans.csv" | cut -d, -f7 | sort | head -1)
    last=$(tail -n +2 "$dir/files/repayments.csv" | cut -d, -f2 | sort | tail -1)
    mid=$(( ($(date -d "$first" +%s) + $(date -d "$last" +%s)) / 2 ))
    day=$(date -d "@$mid" +%F)
fi
timed "monitor run --as-of $day (first day)" a monitor run --as-of "$day" --format json
sed -n 's/.*"active_loans": *\([0-9]*\).*/active loans on the day: \1/p' "$dir/out"
sed -n 's/.*"raised": *\([0-9]*\).*/alerts raised: \1/p' "$dir/out" | head -1
next=$(date -d "$day + 1 day" +%F)
timed "monitor run --as-of $next (next day)" a monitor run --as-of "$next" --format json
timed "portfolio report --as-of $day" a portfolio report --as-of "$day" --format json
wc -l "$dir/files/loans.csv" "$dir/files/repayments.csv" | sed 's/^/rows: /'
