#!/bin/sh
# Stops the test cluster of tests/pg/start.sh (a CTest FIXTURES_CLEANUP) and removes it:
# nothing is left running.
# Usage: stop.sh DIR
set -eu
dir=$1
bin=${PARLEY_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ "$(id -u)" = 0 ]; then as_pg="runuser -u postgres --"; else as_pg=""; fi
if [ -f "$dir/data/postmaster.pid" ]; then
  $as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
fi
rm -rf "$dir"
