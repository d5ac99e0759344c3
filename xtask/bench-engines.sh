#!/bin/sh
# Benchmark of `agririsk serve` on both engines in one run, side by side (issue 15): submit-and-decide with the
# decision committed before the answer, on the embedded SQLite file and on PostgreSQL (a throwaway cluster of this
# script's own, `xtask/pg.sh`, `synchronous_commit = on`, its default), then two replicas on the one PostgreSQL
# database. The same county, keys, model and policy on each (xtask/prepare-county.sh), the release binary, loopback,
# wrk with the Lua script of xtask/bench-serve.sh (a distinct request id per request, a core banking system's key).
#
# For each set-up: a paced run (CONNECTIONS connections, exponential pauses of mean PAUSE ms: about 2,000 requests/s
# with the defaults) for the latency percentiles, and a saturation run (no pause) for the throughput. Two replicas
# are loaded by two wrk processes at once, one per replica, each with half the connections; their rates add up.
# The CPU time every process used in each saturation run (servers, PostgreSQL, wrk) is printed from /proc, so what
# a 2-core machine can show is read from the split, not guessed.
#
# Then the ingest of a simulated county into PostgreSQL (rows per second, from the command's own report) and the
# point-in-time features of every borrower built from it.
#
# Each wrk process gives its requests ids of its own (a prefix per process), so replicas never race on one id.
#
# usage: xtask/bench-engines.sh [SECONDS] [CONNECTIONS] [PAUSE_MS] [INGEST_PRESET|none]
#        xtask/bench-engines.sh ingest [PRESET] [RUNS] [AS_OF]
#
# The second form measures data integration alone (issue 15): the PRESET (default county) simulated once with seed 7
# (or the simulator's output in AGRIRISK_BENCH_DIR), then RUNS (default 3) fresh `ingest --all` runs into
# PostgreSQL and into SQLite, alternating, each printing its time, rows per second and the CPU seconds of the
# command and of PostgreSQL's processes; PostgreSQL's per-file times come from each load's commit timestamp
# (`track_commit_timestamp`). Then `features build` as of AS_OF (default 2025-06-30, with the 12-month label) from
# the last load on each engine.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${AGRIRISK_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/agririsk}

# CPU seconds (user + system) used so far by this script's PostgreSQL cluster: its postmaster with the children it
# has reaped (backends that have exited), and its live children (other clusters on the machine are not counted).
pg_cpu() {
    ticks=$(getconf CLK_TCK)
    postmaster=$(head -n 1 "$(sed -n 's/^dir=//p' "$AGRIRISK_PG_STATE")/data/postmaster.pid")
    total=0
    for p in $postmaster $(pgrep -P "$postmaster" 2>/dev/null || true); do
        t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)
        total=$((total + t))
    done
    echo "scale=2; $total / $ticks" | bc
}

# `ingest`: one fresh load into a new data directory (DATA) and, for PostgreSQL, a new database (DB, else SQLite);
# prints the command's summary line, its wall and CPU seconds, PostgreSQL's CPU seconds meanwhile.
ingest_once() {
    data=$1 db=$2
    before=$(pg_cpu)
    if [ -n "$db" ]; then
        psql -X -q -d "$pg" -c "CREATE DATABASE $db"
        url=$(printf '%s' "$pg" | sed "s|/agririsk\$|/$db|")
        start=$(date +%s.%N)
        AGRIRISK_DATABASE_URL=$url /usr/bin/time -f '%U %S' -o "$work/time" "$bin" --data-dir "$data" ingest --all \
            "$big" --key-file "$work/keys" --as-of 2026-11-28 --quiet >"$work/out"
    else
        start=$(date +%s.%N)
        /usr/bin/time -f '%U %S' -o "$work/time" "$bin" --data-dir "$data" ingest --all "$big" \
            --key-file "$work/keys" --as-of 2026-11-28 --quiet >"$work/out"
    fi
    end=$(date +%s.%N)
    after=$(pg_cpu)
    printf '%s; wall %.2f s; agririsk CPU %s s (user sys); PostgreSQL CPU %.2f s\n' \
        "$(grep ' rows in ' "$work/out")" "$(echo "$end - $start" | bc)" "$(cat "$work/time")" \
        "$(echo "$after - $before" | bc)"
    if [ -n "$db" ]; then
        # Each file is one transaction: the gaps between commits are the files' load times.
        psql -X -At -F ' ' -d "$url" -c "SELECT source, rows_read,
            round(extract(epoch FROM pg_xact_commit_timestamp(xmin)) - $start, 2) FROM loads ORDER BY load_id" |
            awk '{ t = $3 - last; last = $3; printf "  %-18s %9d rows %7.2f s %9.0f rows/s\n", $1, $2, t, (t > 0 ? $2 / t : 0) }'
    fi
}

# `features build` from DATA (on the database in AGRIRISK_DATABASE_URL when set): wall seconds.
features_once() {
    start=$(date +%s.%N)
    "$bin" --data-dir "$1" features build --as-of "$as_of" --out "$work/features.csv" --quiet
    end=$(date +%s.%N)
    printf 'features build: %s rows written (labelled population) in %.2f s\n' "$(($(wc -l <"$work/features.csv") - 1))" "$(echo "$end - $start" | bc)"
}

if [ "${1:-}" = ingest ]; then
    preset=${2:-county} runs=${3:-3} as_of=${4:-2025-06-30}
    work=$(mktemp -d)
    AGRIRISK_PG_STATE=$work/pg-cluster.env
    export AGRIRISK_PG_STATE
    trap 'bash "$root/xtask/pg.sh" stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
    pg=$(bash "$root/xtask/pg.sh" start)
    psql -X -q -d "$pg" -c "ALTER SYSTEM SET track_commit_timestamp = on"
    # The setting needs a restart; pg.sh restarts a stopped cluster only (an empty one recovers at once).
    bash "$root/xtask/pg.sh" crash
    bash "$root/xtask/pg.sh" restart
    echo "machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ); PostgreSQL $(psql -X -At -d "$pg" -c 'show server_version'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$bin" keys generate --out "$work/keys" >/dev/null
    big=${AGRIRISK_BENCH_DIR:-$work/big}
    [ -n "${AGRIRISK_BENCH_DIR:-}" ] || "$bin" simulate --preset "$preset" --seed 7 --quiet --format csv --out "$big" >/dev/null
    for run in $(seq 1 "$runs"); do
        echo "== run $run, PostgreSQL"
        ingest_once "$work/pg-$run" "ingest_$run"
        echo "== run $run, SQLite"
        ingest_once "$work/sqlite-$run" ""
        [ "$run" -eq "$runs" ] || rm -rf "$work/sqlite-$run"
    done
    echo "== features as of $as_of, PostgreSQL then SQLite"
    (AGRIRISK_DATABASE_URL=$(printf '%s' "$pg" | sed "s|/agririsk\$|/ingest_$runs|") && export AGRIRISK_DATABASE_URL &&
        features_once "$work/pg-$runs")
    features_once "$work/sqlite-$runs"
    exit 0
fi
secs=${1:-15}
conns=${2:-48}
pause=${3:-20}
preset=${4:-county}
work=$(mktemp -d)
AGRIRISK_PG_STATE=$work/pg-cluster.env
export AGRIRISK_PG_STATE
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    bash "$root/xtask/pg.sh" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
pg=$(bash "$root/xtask/pg.sh" start)
. "$root/xtask/prepare-county.sh"

# The SQLite data directory, and the same county on PostgreSQL (AGRIRISK_DATABASE_URL: every command of the
# preparation goes there).
mkdir -p "$work/sqlite" "$work/postgres"
# In subshells: prepare_county sets variables of its own (work, data, bin) that would replace this script's.
(prepare_county "$bin" "$work/sqlite/data" "$work/sqlite" "$root")
(AGRIRISK_DATABASE_URL=$pg && export AGRIRISK_DATABASE_URL && prepare_county "$bin" "$work/postgres/data" "$work/postgres" "$root")

. "$root/xtask/wrk-post.sh"

# Starts a server; sets $url and adds its pid to $pids.
serve() {
    log=$1
    shift
    "$@" serve --listen 127.0.0.1:0 --rate-limit 0 --address-rate-limit 0 >"$log" 2>"$log.requests" &
    last=$!
    pids="$pids $last"
    while ! grep -q listening "$log"; do sleep 0.1; done
    url=$(sed -n 's/listening on //p' "$log")
}

# CPU seconds (user + system) used so far by the servers and by PostgreSQL's processes.
cpu_of() {
    ticks=$(getconf CLK_TCK)
    for name in agririsk postgres; do
        total=0
        for p in $(pgrep -x "$name" 2>/dev/null || true); do
            t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
            total=$((total + t))
        done
        printf '%s=%s ' "$name" "$(echo "scale=1; $total / $ticks" | bc)"
    done
}

echo "machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ); PostgreSQL $(psql -X -At -d "$pg" -c 'show server_version')"
run=0
for setup in sqlite postgres postgres-2; do
    run=$((run + 1))
    case $setup in
    sqlite)
        serve "$work/s1.log" "$bin" --data-dir "$work/sqlite/data"
        urls=$url key=$work/sqlite/key-system
        ;;
    postgres)
        serve "$work/p1.log" env AGRIRISK_DATABASE_URL="$pg" "$bin" --data-dir "$work/postgres/data"
        urls=$url key=$work/postgres/key-system
        ;;
    postgres-2)
        serve "$work/p2a.log" env AGRIRISK_DATABASE_URL="$pg" "$bin" --data-dir "$work/postgres/data"
        first=$url
        serve "$work/p2b.log" env AGRIRISK_DATABASE_URL="$pg" "$bin" --data-dir "$work/postgres/data"
        urls="$first $url" key=$work/postgres/key-system
        ;;
    esac
    post_lua "$work/post-$run.lua" "$key" "bench$run"
    n=$(echo "$urls" | wc -w)
    per=$((conns / n))
    echo "== $setup, paced: $conns connections in all, exponential pauses of mean ${pause} ms"
    w= i=0
    for u in $urls; do
        i=$((i + 1))
        wrk -t 1 -c "$per" -d "${secs}s" --latency -s "$work/post-$run.lua" "$u" -- "$pause" "p$i" >"$work/paced-$run-$(echo "$u" | tr -dc 0-9).txt" &
        w="$w $!"
    done
    wait $w
    for f in "$work"/paced-$run-*.txt; do
        sed -n '/Latency Distribution/,/^Requests\/sec/p' "$f" | grep -E '50%|90%|99%|Requests/sec'
    done
    echo "== $setup, saturation: $conns connections in all, no pause"
    before=$(cpu_of)
    w= i=0
    for u in $urls; do
        i=$((i + 1))
        wrk -t 1 -c "$per" -d "${secs}s" --latency -s "$work/post-$run.lua" "$u" -- 0 "s$i" >"$work/sat-$run-$(echo "$u" | tr -dc 0-9).txt" &
        w="$w $!"
    done
    wait $w
    after=$(cpu_of)
    for f in "$work"/sat-$run-*.txt; do
        grep -E 'Requests/sec|Non-2xx' "$f" || true
    done
    echo "cpu seconds before: $before"
    echo "cpu seconds after:  $after"
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    pids=
    sleep 1
done

[ "$preset" != none ] || exit 0
echo "== ingest of the $preset preset into PostgreSQL (release build)"
AGRIRISK_DATABASE_URL=$(printf '%s' "$pg" | sed 's|/agririsk$|/ingest|')
psql -X -q -d "$pg" -c "CREATE DATABASE ingest"
export AGRIRISK_DATABASE_URL
"$bin" simulate --preset "$preset" --seed 7 --quiet --format csv --out "$work/big" >/dev/null
echo "into PostgreSQL: $("$bin" --data-dir "$work/big-data" ingest --all "$work/big" --key-file "$work/sqlite/keys" --as-of 2026-11-28 --quiet | grep ' rows in ')"
start=$(date +%s.%N)
"$bin" --data-dir "$work/big-data" features build --as-of 2025-12-31 --no-label --out "$work/features.csv" --quiet
end=$(date +%s.%N)
echo "features of $(($(wc -l <"$work/features.csv") - 1)) borrowers in $(echo "$end - $start" | bc) s"
unset AGRIRISK_DATABASE_URL
echo "into SQLite: $("$bin" --data-dir "$work/big-sqlite" ingest --all "$work/big" --key-file "$work/sqlite/keys" --as-of 2026-11-28 --quiet | grep ' rows in ')"
start=$(date +%s.%N)
"$bin" --data-dir "$work/big-sqlite" features build --as-of 2025-12-31 --no-label --out "$work/features-sqlite.csv" --quiet
end=$(date +%s.%N)
echo "features on SQLite in $(echo "$end - $start" | bc) s"
