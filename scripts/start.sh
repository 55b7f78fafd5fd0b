#!/usr/bin/env bash
# Installs what is missing, builds Parley and starts it: the server (REST, WebSocket, widget and
# demo store) and, where a display exists, the agent console. Ctrl+C stops everything.
# Environment: PARLEY_HOST (127.0.0.1), PARLEY_HTTP_PORT (8080; it serves the WebSocket at /ws too),
# PARLEY_WS_PORT (unset: no separate WebSocket port), PARLEY_DATA_DIR (./parley-data),
# PARLEY_ADMIN_PASSWORD (generated and printed on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
build="${PARLEY_BUILD_DIR:-build}"
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_BUILD_TESTS=OFF
cmake --build "$build" -j"$(nproc)" --target parley-server parley-console

host="${PARLEY_HOST:-127.0.0.1}"
http_port="${PARLEY_HTTP_PORT:-8080}"
ws_args=(); [ -z "${PARLEY_WS_PORT:-}" ] || ws_args=(--ws-port "$PARLEY_WS_PORT")
"$build/server/parley-server" --host "$host" --http-port "$http_port" "${ws_args[@]}" \
  --data-dir "${PARLEY_DATA_DIR:-./parley-data}" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 100); do
  curl -fs "http://$host:$http_port/healthz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "parley-server did not start" >&2; exit 1; }
  sleep 0.1
done
echo
echo "Parley is running."
echo "  Demo store with the chat widget: http://$host:$http_port/"
echo "  Agent console: $build/agent-console/parley-console (server http://$host:$http_port, user admin)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$build/agent-console/parley-console" ]; then
  "$build/agent-console/parley-console" &
fi
wait $server
