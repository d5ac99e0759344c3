#!/bin/sh
# Benchmark of `agririsk serve`: submit-and-decide with the decision durably stored before the answer (SQLite WAL;
# the decision writer's synchronous mode per --decision-durability: FULL for power-loss, NORMAL for process-crash).
# Prepares a data directory (tiny simulated county, keys, ingest, the shipped decision model registered and
# promoted, the default policy submitted, approved and activated), then for each durability starts the release
# binary on a fresh copy of it, on loopback, and runs wrk with a Lua script that posts a distinct request id per
# request, each with the API key of a core banking system (`Authorization: Bearer`), as a caller must.
#
# Tool: wrk (Debian package: apt-get install wrk) with a Lua script, because every request must carry its own
# request id (oha and ab send one fixed body, which would only measure idempotent replays). Two runs per
# durability:
#   1. paced: CONNECTIONS connections, each pausing after every response for a random time, exponentially
#      distributed with mean PAUSE ms (wrk's delay()), so requests arrive unsynchronised, as from many clients;
#      the offered rate is about CONNECTIONS / (PAUSE + response time); wrk prints the rate achieved and the
#      latency percentiles (--latency). The defaults (48 connections, 20 ms) offer about 2,200 requests/s;
#   2. saturation: CONNECTIONS connections with no pause: the throughput the server sustains.
#
# usage: xtask/bench-serve.sh [SECONDS] [CONNECTIONS] [PAUSE_MS] [DURABILITY...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${AGRIRISK_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/agririsk}
secs=${1:-15}
conns=${2:-48}
pause=${3:-20}
shift $(($# < 3 ? $# : 3))
durabilities=${*:-power-loss process-crash}
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
data=$work/data
. "$root/xtask/prepare-county.sh"
prepare_county "$bin" "$data" "$work" "$root"
. "$root/xtask/wrk-post.sh"
post_lua "$work/post.lua" "$work/key-system" bench
echo "machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)"
for durability in $durabilities; do
    rm -rf "$work/run" && cp -r "$data" "$work/run"
    # One core banking system's key from one address: the rate limits are off, as they would be for it.
    "$bin" --data-dir "$work/run" serve --listen 127.0.0.1:0 --decision-durability "$durability" \
        --rate-limit 0 --address-rate-limit 0 \
        >"$work/serve.log" 2>"$work/requests.log" &
    pid=$!
    while ! grep -q listening "$work/serve.log"; do sleep 0.1; done
    url=$(sed -n 's/listening on //p' "$work/serve.log")
    echo "== $durability, paced: $conns connections, exponential pauses of mean ${pause} ms after each response"
    wrk -t 2 -c "$conns" -d "${secs}s" --latency -s "$work/post.lua" "$url" -- "$pause"
    echo "== $durability, saturation: $conns connections, no pause"
    wrk -t 2 -c "$conns" -d "${secs}s" --latency -s "$work/post.lua" "$url" -- 0
    kill "$pid" && wait "$pid" 2>/dev/null || true
done
