#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (what CI runs).
# Usage: scripts/test.sh [extra ctest arguments, e.g. -R api]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
build="${PARLEY_BUILD_DIR:-build}"
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_WERROR=ON
cmake --build "$build" -j"$(nproc)"
cd "$build"
# Tests start their own servers on free ports; two at a time fits a 2-core machine.
ctest --output-on-failure -j2 --timeout 900 "$@"
