#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (what CI runs).
# Usage: scripts/test.sh [extra ctest arguments, e.g. -R api]
# A full run (no arguments) with CI=true, or PARLEY_SLOW_CHECKS=1, then also runs the API, realtime
# and crash suites against a server built with ASan+UBSan, and each libFuzzer target of fuzz/ for a
# short while (both from build-sanitize/, clang). README, "Tests".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
build="${PARLEY_BUILD_DIR:-build}"
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
launcher=(); [ -n "${CCACHE_DIR:-}" ] && command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# The tests named at configure time: start.sh configures the same build dir without them.
cmake -S . -B "$build" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_WERROR=ON \
  -DPARLEY_BUILD_TESTS=ON
cmake --build "$build" -j"$(nproc)"
# Tests start their own servers on free ports; two at a time fits a 2-core machine. A run that
# finds no test fails rather than passing on nothing.
(cd "$build" && ctest --output-on-failure -j2 --timeout 900 --no-tests=error "$@")

# A full run in CI (CI=true, no arguments), or any run with PARLEY_SLOW_CHECKS=1, then builds the
# server, its sanitizer suites and the fuzzers once more with clang, ASan and UBSan (build-sanitize/)
# and runs both.
slow="${PARLEY_SLOW_CHECKS:-}"
[ -z "$slow" ] && [ "${CI:-}" = true ] && [ $# -eq 0 ] && slow=1
[ "$slow" = 1 ] || exit 0

# One instrumented build for both: every library of ours is compiled once, with
# -fsanitize=address,undefined and the fuzzers' coverage (-fsanitize=fuzzer-no-link).
sanitize="${PARLEY_SANITIZE_BUILD_DIR:-build-sanitize}"
CXX=clang++-14 cmake -S . -B "$sanitize" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPARLEY_WERROR=ON -DPARLEY_SANITIZE=address,undefined -DPARLEY_BUILD_FUZZERS=ON \
  -DPARLEY_BUILD_CONSOLE=OFF -DPARLEY_BUILD_BENCH=OFF
mapfile -t sanitize_tests < <(cd "$sanitize" && ctest -N -L sanitize | awk '/Test +#/ {print $3}')
fuzzers=(fuzz_request_body fuzz_token fuzz_ws_frame fuzz_faq)
cmake --build "$sanitize" -j"$(nproc)" --target parley-server "${sanitize_tests[@]}" "${fuzzers[@]}"

# --- Sanitizers: the API, realtime and crash suites (label `sanitize`) start the server of their
# own build dir, so here they drive the instrumented one. Any report, in a suite or in a server it
# started (written to sanitizer-logs/ by log_path), fails the run.
logs="$PWD/$sanitize/sanitizer-logs"
rm -rf "$logs" && mkdir -p "$logs"
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer" UBSAN_SYMBOLIZER_PATH="$symbolizer"
status=0
(cd "$sanitize" && ctest --output-on-failure -j2 --timeout 1800 -L sanitize) || status=$?
if compgen -G "$logs/*" >/dev/null; then
  echo "test.sh: sanitizer reports:" >&2
  cat "$logs"/* >&2
  status=1
fi
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
[ "$status" = 0 ] || exit "$status"

# --- libFuzzer: each target of fuzz/ over its seed corpus for PARLEY_FUZZ_SECONDS (default 20).
# New inputs go to <build-sanitize>/corpus/<target>, crashes to <build-sanitize>/artifacts/.
mkdir -p "$sanitize/artifacts"
for t in "${fuzzers[@]}"; do
  mkdir -p "$sanitize/corpus/$t"
  echo "test.sh: fuzzing $t for ${PARLEY_FUZZ_SECONDS:-20} s"
  "$sanitize/fuzz/$t" -max_total_time="${PARLEY_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$sanitize/artifacts/$t-" "$sanitize/corpus/$t" "fuzz/corpus/$t"
done
