#!/bin/sh
# Stops the test server of tests/redis/start.sh (a CTest FIXTURES_CLEANUP) and removes it:
# nothing is left running.
# Usage: stop.sh DIR
set -eu
dir=$1
if [ -f "$dir/redis.pid" ]; then
  pid=$(cat "$dir/redis.pid")
  kill "$pid" 2>/dev/null || true
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
fi
rm -rf "$dir"
