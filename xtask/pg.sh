#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory as an unprivileged user, started on a
# free loopback port (127.0.0.1 only, never a fixed port), with one database, `agririsk`; stopped and removed after.
#
# usage: xtask/pg.sh start          start a cluster and print its URL (postgres://agririsk@127.0.0.1:PORT/agririsk)
#        xtask/pg.sh url            print the running cluster's URL
#        xtask/pg.sh stop           stop the cluster and remove its directory
#        xtask/pg.sh run CMD ARG... start a cluster, run CMD with AGRIRISK_TEST_POSTGRES_URL and
#                                   AGRIRISK_REQUIRE_POSTGRES=1 exported, stop it (also on failure); CMD's exit status
#        xtask/pg.sh crash          stop the cluster the hard way (pg_ctl --mode=immediate: no checkpoint, as a crash)
#        xtask/pg.sh restart        start the stopped (or crashed) cluster again on its port; it recovers from its log
#        xtask/pg.sh standby        make a streaming standby of the running cluster (pg_basebackup over loopback,
#                                   hot standby on a port of its own) and print its URL; `stop` removes it too
#        xtask/pg.sh standby-stop   stop the standby (the primary goes on)
#
# AGRIRISK_PG_STATE names another state file, so a test can run a cluster of its own beside the shared one.
#
# PostgreSQL refuses to run as root: run as root (as CI does), the cluster belongs to the system user `agririsk-pg`,
# created if missing; run as anyone else, it is theirs. The binaries are found through PG_BIN, else the newest
# /usr/lib/postgresql/*/bin, else PATH. The running cluster is remembered in target/pg-cluster.env (per checkout,
# so two checkouts run two clusters). Authentication is `trust` on loopback: the cluster holds test data only.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${AGRIRISK_PG_STATE:-${CARGO_TARGET_DIR:-$root/target}/pg-cluster.env}
cluster_user=agririsk-pg
database=agririsk
role=agririsk

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

pg_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        echo "$PG_BIN"
        return
    fi
    local newest
    newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then
        echo "$newest"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    else
        die "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH; Debian: apt-get install postgresql-15)"
    fi
}

# Runs a command as the cluster's owner, from `/` (the owner may not be allowed into the current directory).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u "$cluster_user" -- "$@")
    else
        "$@"
    fi
}

ensure_owner() {
    [ "$(id -u)" -eq 0 ] || return 0
    id "$cluster_user" >/dev/null 2>&1 && return 0
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$cluster_user" ||
        die "could not create the system user $cluster_user"
}

# A port the kernel reports free on 127.0.0.1 now (another process may take it before the server binds: start
# retries on a new port).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
        echo $((20000 + RANDOM % 40000))
}

start() {
    local bin dir port url attempt
    bin=$(pg_bin)
    if [ -f "$state" ]; then
        dir=$(field dir)
        if [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" --pgdata="$dir/data" status >/dev/null 2>&1; then
            die "a cluster is running already ($(field url)); run: bash xtask/pg.sh stop"
        fi
        echo "pg.sh: forgetting a cluster that is no longer running ($dir)" >&2
        stop
    fi
    ensure_owner
    # Under /tmp, not $TMPDIR: the cluster's owner must be able to reach it, and a private TMPDIR may be closed to it.
    dir=$(mktemp -d /tmp/agririsk-pg.XXXXXX)
    chmod 700 "$dir"
    [ "$(id -u)" -ne 0 ] || chown "$cluster_user:" "$dir"
    as_owner "$bin/initdb" --pgdata="$dir/data" --username="$role" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300" \
            start >/dev/null; then
            break
        fi
        [ "$attempt" -lt 5 ] || { cat "$dir/server.log" >&2; rm -rf "$dir"; die "the server did not start"; }
    done
    as_owner "$bin/createdb" --host=127.0.0.1 --port="$port" --username="$role" "$database" ||
        { as_owner "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate stop >/dev/null || true; rm -rf "$dir"; die "createdb failed"; }
    url="postgres://$role@127.0.0.1:$port/$database"
    mkdir -p "$(dirname "$state")"
    printf 'dir=%s\nurl=%s\n' "$dir" "$url" >"$state"
    echo "pg.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') as $(as_owner id -un) in $dir, port $port" >&2
    echo "$url"
}

field() {
    [ -f "$state" ] || die "no cluster is running (no $state); run: bash xtask/pg.sh start"
    sed -n "s/^$1=//p" "$state"
}

stop() {
    [ -f "$state" ] || { echo "pg.sh: no cluster is running" >&2; return 0; }
    local dir
    dir=$(field dir)
    local data
    for data in "$dir/standby" "$dir/data"; do
        if [ -d "$data" ] && as_owner "$(pg_bin)/pg_ctl" --pgdata="$data" status >/dev/null 2>&1; then
            as_owner "$(pg_bin)/pg_ctl" --pgdata="$data" --mode=fast --wait stop >/dev/null ||
                echo "pg.sh: warning: pg_ctl stop failed (see $dir/server.log)" >&2
        fi
    done
    case "$dir" in
    */agririsk-pg.*) rm -rf "$dir" ;;
    *) die "refusing to remove $dir: not a directory this script made" ;;
    esac
    rm -f "$state"
}

port_of() {
    field url | sed -n 's|.*@127.0.0.1:\([0-9]*\)/.*|\1|p'
}

crash() {
    local dir
    dir=$(field dir)
    as_owner "$(pg_bin)/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null || die "pg_ctl stop failed"
}

restart() {
    local dir port
    dir=$(field dir)
    port=$(port_of)
    as_owner "$(pg_bin)/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout=60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300" \
        start >/dev/null || { tail -n 20 "$dir/server.log" >&2; die "the server did not start again"; }
}

standby() {
    local bin dir port primary_port url
    bin=$(pg_bin)
    dir=$(field dir)
    primary_port=$(port_of)
    [ ! -d "$dir/standby" ] || die "a standby exists already"
    # The initdb default pg_hba.conf trusts replication connections from loopback; -R writes primary_conninfo and
    # standby.signal, so the copy starts as a hot standby streaming from the primary.
    as_owner "$bin/pg_basebackup" --host=127.0.0.1 --port="$primary_port" --username="$role" \
        --pgdata="$dir/standby" --wal-method=stream -R >"$dir/basebackup.log" 2>&1 ||
        { cat "$dir/basebackup.log" >&2; die "pg_basebackup failed"; }
    port=$(free_port)
    as_owner "$bin/pg_ctl" --pgdata="$dir/standby" --log="$dir/standby.log" --wait --timeout=60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c hot_standby=on -c max_connections=300" \
        start >/dev/null || { cat "$dir/standby.log" >&2; die "the standby did not start"; }
    url="postgres://$role@127.0.0.1:$port/$database"
    echo "standby=$url" >>"$state"
    echo "$url"
}

case "${1:-}" in
standby-stop) as_owner "$(pg_bin)/pg_ctl" --pgdata="$(field dir)/standby" --mode=fast --wait stop >/dev/null ;;
start) start ;;
crash) crash ;;
restart) restart ;;
standby) standby ;;
url) field url ;;
stop) stop ;;
run)
    shift
    [ "$#" -gt 0 ] || die "usage: xtask/pg.sh run CMD [ARG...]"
    AGRIRISK_TEST_POSTGRES_URL=$(start)
    export AGRIRISK_TEST_POSTGRES_URL AGRIRISK_REQUIRE_POSTGRES=1
    trap stop EXIT
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
*) die "usage: xtask/pg.sh start | url | stop | crash | restart | standby | standby-stop | run CMD [ARG...]" ;;
esac
