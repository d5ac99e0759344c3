#!/bin/sh
# schemathesis (PyPI) against a running `agririsk serve`: every operation of `/openapi.json` is fed requests
# generated from the document, with all of schemathesis's checks (enabled in schemathesis.toml) (valid requests accepted, invalid ones refused,
# every status and body as documented, undeclared methods answered 405). The exceptions are in schemathesis.toml
# at the repository root, each with its reason.
#
# Prepares a data directory like the end-to-end tests (tiny simulated county, keys, ingest, the shipped decision
# model promoted, the default policy active), serves it on loopback as of 2025-10-12 (inside the county's data) and
# stops the server when done. The seed is fixed so a run is reproducible; exit status is schemathesis's.
#
# usage: xtask/schemathesis.sh [MAX_EXAMPLES] [SEED]     (AGRIRISK_BIN overrides the binary; default debug build)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${AGRIRISK_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/agririsk}
examples=${1:-40}
seed=${2:-20261206}
command -v st >/dev/null 2>&1 || { echo "schemathesis.sh: st (schemathesis) is not installed" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
data=$work/data
. "$root/xtask/prepare-county.sh"
prepare_county "$bin" "$data" "$work" "$root"
# The server's stdin stays open on a pipe that the EXIT trap's kill ends; its first line is the address.
mkfifo "$work/in"
# Made before the server starts, so the loop below never reads a file the server's shell has not opened yet.
: >"$work/out"
sleep 100000 >"$work/in" &
holder=$!
RUST_LOG=warn "$bin" --data-dir "$data" serve --listen 127.0.0.1:0 --today 2025-10-12 --stop-on-eof \
    --rate-limit 0 --address-rate-limit 0 \
    <"$work/in" >"$work/out" 2>"$work/log" &
pid=$!
trap 'kill "$pid" "$holder" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    addr=$(sed -n 's|^listening on \(http://.*\)$|\1|p' "$work/out")
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "${addr:-}" ] || { echo "schemathesis.sh: the server did not start" >&2; cat "$work/log" >&2; exit 1; }
cd "$root"
# Each operation as a caller whose role grants it: the core banking system's key for the operations of loans and
# decisions, the risk manager's for policies, rosters and the review queue, the administrator's for officers. The
# sign-in route is public; its refusals are documented. Every run must pass.
run() {
    st run "$addr/openapi.json" --max-examples "$examples" --seed "$seed" --workers 1 \
        --generation-deterministic --no-color -H "Authorization: Bearer $(cat "$work/$1")" "$2" "$3"
}
status=0
run key-system --exclude-path-regex '^/v1/(policies|villages|review-queue|officers)|/review$' || status=1
run key-risk --include-path-regex '^/v1/(policies|villages|review-queue)' || status=1
run key-admin --include-path-regex '^/v1/officers' || status=1
# A review and a claim on the queue are a signed-in officer's: officer.li is registered as the officer of branch
# 990101 (the administrator's key), then signs in for the session's cookie and CSRF token.
curl --silent --fail -o /dev/null -H "Authorization: Bearer $(cat "$work/key-admin")" -H 'content-type: application/json' \
    -d '{"officer_id": "officer.li", "name": "Li", "branch": "990101", "authority_yuan": "50000.00"}' \
    "$addr/v1/officers" || { echo "schemathesis.sh: officer.li could not be registered" >&2; exit 1; }
login=$(curl --silent --include -H 'content-type: application/json' \
    -d "{\"username\": \"officer.li\", \"password\": \"$(cat "$work/password")\"}" "$addr/v1/session")
cookie=$(printf '%s\n' "$login" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\);.*/\1/p')
csrf=$(printf '%s\n' "$login" | sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p')
[ -n "$cookie" ] && [ -n "$csrf" ] || { echo "schemathesis.sh: the officer could not sign in" >&2; exit 1; }
# schemathesis fills the cookie of the document's `session` scheme itself: it is given the session's token there.
{ cat schemathesis.toml; printf '\n[auth.openapi.session]\napi_key = "%s"\n' "${cookie#*=}"; } >"$work/st-session.toml"
st --config-file "$work/st-session.toml" run "$addr/openapi.json" --max-examples "$examples" --seed "$seed" \
    --workers 1 --generation-deterministic --no-color -H "x-csrf-token: $csrf" --include-path-regex '/review$|^/v1/review-queue/claims' ||
    status=1
exit $status
