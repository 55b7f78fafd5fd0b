#!/bin/sh
# Starts a throw-away PostgreSQL 15 for the `pg` test suites (a CTest FIXTURES_SETUP): a new
# cluster in DIR/data, listening only on a unix socket in DIR (no TCP port), owned by the
# `postgres` user because PostgreSQL refuses to run as root. tests/pg/stop.sh removes it.
# Usage: start.sh DIR
set -eu
dir=$1
bin=${PARLEY_PG_BIN:-/usr/lib/postgresql/15/bin}
# Run as postgres when we are root; as ourselves otherwise.
if [ "$(id -u)" = 0 ]; then as_pg="runuser -u postgres --"; else as_pg=""; fi

# A cluster left by an interrupted run is stopped and thrown away first.
if [ -f "$dir/data/postmaster.pid" ]; then
  $as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
fi
rm -rf "$dir"
mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
$as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log"; exit 1; }
# fsync off: the cluster is thrown away after the run. Enough connections for several servers at
# once, each with its pool.
$as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
  start >/dev/null || { cat "$dir/server.log"; exit 1; }
echo "PostgreSQL test cluster running, socket in $dir"
