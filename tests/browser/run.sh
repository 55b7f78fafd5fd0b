#!/usr/bin/env bash
# Runs the browser tests of the customer widget (CTest's browser_widget calls this).
# Installs playwright-core with `npm ci` into PARLEY_NPM_DIR (default: this directory) when it
# is missing or the lock file changed, then runs node's test runner. Needs PARLEY_SERVER_BINARY.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
work="${PARLEY_NPM_DIR:-$src}"
: "${PARLEY_SERVER_BINARY:?set PARLEY_SERVER_BINARY to the parley-server binary}"
chromium="${PARLEY_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "browser tests: $chromium not found (scripts/install-deps.sh installs Debian's chromium)" >&2
  exit 1
fi
mkdir -p "$work"
if [ ! -d "$work/node_modules/playwright-core" ] || ! cmp -s "$src/package-lock.json" "$work/package-lock.json"; then
  if [ "$work" != "$src" ]; then cp "$src/package.json" "$src/package-lock.json" "$work/"; fi
  (cd "$work" && npm ci --no-audit --no-fund)
fi
export NODE_PATH="$work/node_modules"
export PARLEY_CHROMIUM="$chromium"
cd "$src"
exec node --test --test-concurrency=1 --test-reporter=spec "$src"/*.test.js
