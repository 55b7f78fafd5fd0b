#!/bin/bash
# Starts parley-server with the arguments given, then moves the threads whose name matches
# FIFO_THREADS (an extended regex, e.g. '^(ws-io|http-worker)$') to SCHED_FIFO priority 1; the
# others keep the server's own policy. For parley-bench-ws --server, to measure which threads
# need real time:
#   FIFO_THREADS='^ws-io$' ./build/bench/parley-bench-ws --server bench/fifo_threads.sh
# PARLEY_SERVER (default: build/server/parley-server beside this script's repository).
set -u
server=${PARLEY_SERVER:-$(dirname "$0")/../build/server/parley-server}
pid=$$
(
  # The HTTP workers start last, all in one loop; the benchmark's set-up takes seconds more
  # before any traffic, so a fifth of a second after the first one is in time.
  for _ in $(seq 1 400); do
    grep -qx http-worker /proc/$pid/task/*/comm 2>/dev/null && break
    sleep 0.05
  done
  sleep 0.2
  for task in /proc/$pid/task/*; do
    [[ $(cat "$task/comm") =~ ${FIFO_THREADS:-^$} ]] && chrt -f -p 1 "${task##*/}" >/dev/null
  done
) &
exec "$server" "$@"
