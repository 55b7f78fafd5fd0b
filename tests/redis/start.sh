#!/bin/sh
# Starts a throw-away Redis 7 for the cluster test suites (a CTest FIXTURES_SETUP): a unix socket
# in DIR (no TCP port), no persistence. tests/redis/stop.sh stops it and removes DIR.
# Usage: start.sh DIR
set -eu
dir=$1
bin=${PARLEY_REDIS_BIN:-/usr/bin/redis-server}
# A server left by an interrupted run is stopped first.
if [ -f "$dir/redis.pid" ]; then
  kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
fi
rm -rf "$dir"
mkdir -p "$dir"
"$bin" --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --save '' --appendonly no \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
  --maxclients 1000
# Daemonized: wait for the socket (bounded).
i=0
while [ ! -S "$dir/redis.sock" ]; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then cat "$dir/redis.log"; exit 1; fi
  sleep 0.1
done
echo "Redis test server running, socket $dir/redis.sock"
