#!/bin/sh
# Benchmark of `agririsk serve`: submit-and-decide with the decision durably stored (WAL, synchronous = FULL).
# Prepares a data directory (tiny simulated county, keys, ingest, the shipped decision model registered and
# promoted, the default policy submitted, approved and activated), starts the release binary on loopback and
# runs wrk with a Lua script that posts a distinct request id per request.
#
# Tool: wrk (Debian package: apt-get install wrk) with a Lua script, because every request must carry its own
# request id (oha and ab send one fixed body, which would only measure idempotent replays). Three runs:
#   1. paced: CONNECTIONS connections, each pausing 1000 * CONNECTIONS / RATE ms after every response (wrk's
#      delay()), so at most RATE requests/s are offered (fewer by the response time: each connection waits for
#      its answer before pausing); wrk prints the rate it achieved and the latency percentiles (--latency);
#   2. paced with a fifth more connections and the same pause, so that the rate achieved reaches about RATE;
#   3. saturation: CONNECTIONS connections with no pause: the throughput the server sustains.
#
# usage: xtask/bench-serve.sh [DURATION_SECONDS] [CONNECTIONS] [RATE]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${AGRIRISK_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/agririsk}
secs=${1:-20}
conns=${2:-40}
rate=${3:-2000}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
data=$work/data
a() { "$bin" --data-dir "$data" "$@"; }
a simulate --preset tiny --seed 1 --quiet --format csv --out "$work/county" >/dev/null
a keys generate --out "$work/keys" >/dev/null
a ingest --all "$work/county" --key-file "$work/keys" --as-of 2026-11-28 --quiet >/dev/null
a model register --model "$root/models/decision-scorecard.json" >/dev/null
model=$(a model list --format json | sed -n 's/.*"id": *"\([0-9a-f]\{64\}\)".*/\1/p' | head -1)
a model promote --id "$model" --to champion --reason bench --by risk.li >/dev/null
policy=$(a policy submit "$root/policies/default/rural-microcredit.json" --name rural-microcredit --version 1 \
    --effective-from 2020-01-01 --by risk.zhang | sed -n 's/.* as \([0-9a-f]\{64\}\).*/\1/p')
a policy move "$policy" --to approved --by chief.wang --reason bench >/dev/null
a policy move "$policy" --to active --by chief.wang --reason bench >/dev/null
"$bin" --data-dir "$data" serve --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
pid=$!
while ! grep -q listening "$work/serve.log"; do sleep 0.1; done
url=$(sed -n 's/listening on //p' "$work/serve.log")
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
local thread_id = 0
local pause = 0
init = function(args) if args[1] then pause = tonumber(args[1]) end end
delay = function() return pause end
setup = function(thread) thread:set("tid", thread_id); thread_id = thread_id + 1 end
request = function()
  n = n + 1
  local household = string.format("H%07d", (n % 400) + 1)
  local body = string.format('{"request_id": "bench-%d-%d", "application_id": "A%d", "household_id": "%s", '
    .. '"applied_on": "2025-10-05", "product": "crop", "purpose": "crop-inputs", "amount_yuan": "7400.00", '
    .. '"term_months": 9, "consent": true, "blacklisted": false}', tid, n, n, household)
  return wrk.format(nil, "/v1/applications", nil, body)
end
LUA
echo "machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ)"
pause=$((1000 * conns / rate))
echo "== paced: $conns connections, ${pause} ms pause after each response (offered ~${rate} req/s)"
wrk -t 2 -c "$conns" -d "${secs}s" --latency -s "$work/post.lua" "$url" -- "$pause"
more=$((conns * 6 / 5))
echo "== paced: $more connections, ${pause} ms pause after each response"
wrk -t 2 -c "$more" -d "${secs}s" --latency -s "$work/post.lua" "$url" -- "$pause"
echo "== saturation: $conns connections, no pause"
wrk -t 2 -c "$conns" -d "${secs}s" --latency -s "$work/post.lua" "$url" -- 0
