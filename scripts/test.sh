#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (what CI runs).
# Usage: scripts/test.sh [extra ctest arguments, e.g. -R api]
# A full run (no arguments) with CI=true then also runs each libFuzzer target of fuzz/ for a short
# while (build-fuzz/, clang). PARLEY_SLOW_CHECKS=1 adds, before that, the server and its API,
# realtime and crash suites built with ASan+UBSan (build-asan/). README, "Tests".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
build="${PARLEY_BUILD_DIR:-build}"
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
launcher=(); [ -n "${CCACHE_DIR:-}" ] && command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$build" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_WERROR=ON
cmake --build "$build" -j"$(nproc)"
# Tests start their own servers on free ports; two at a time fits a 2-core machine.
(cd "$build" && ctest --output-on-failure -j2 --timeout 900 "$@")

slow="${PARLEY_SLOW_CHECKS:-}"
fuzzing="$slow"
[ -z "$fuzzing" ] && [ "${CI:-}" = true ] && [ $# -eq 0 ] && fuzzing=1
[ "$fuzzing" = 1 ] || exit 0

if [ "$slow" = 1 ]; then

# --- Sanitizers: ASan+UBSan parley-server, driven by the suites labelled `sanitize`. The suites
# start the server of their own build dir, so here they run the instrumented one. Any report, in a
# suite or in a server it started (written to sanitizer-logs/ by log_path), fails the run.
asan="${PARLEY_ASAN_BUILD_DIR:-build-asan}"
cmake -S . -B "$asan" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_WERROR=ON \
  -DPARLEY_SANITIZE=address,undefined -DPARLEY_BUILD_CONSOLE=OFF -DPARLEY_BUILD_BENCH=OFF
mapfile -t sanitize_tests < <(cd "$asan" && ctest -N -L sanitize | awk '/Test +#/ {print $3}')
cmake --build "$asan" -j"$(nproc)" --target parley-server "${sanitize_tests[@]}"
logs="$PWD/$asan/sanitizer-logs"
rm -rf "$logs" && mkdir -p "$logs"
symbolizer=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || true)
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_init_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
[ -n "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer" UBSAN_SYMBOLIZER_PATH="$symbolizer"
status=0
(cd "$asan" && ctest --output-on-failure -j2 --timeout 1800 -L sanitize) || status=$?
if compgen -G "$logs/*" >/dev/null; then
  echo "test.sh: sanitizer reports:" >&2
  cat "$logs"/* >&2
  status=1
fi
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
[ "$status" = 0 ] || exit "$status"
fi

# --- libFuzzer: each target of fuzz/ over its seed corpus for PARLEY_FUZZ_SECONDS (default 20).
# New inputs go to <build-fuzz>/corpus/<target>, crashes to <build-fuzz>/artifacts/.
fuzz="${PARLEY_FUZZ_BUILD_DIR:-build-fuzz}"
CXX=clang++-14 cmake -S . -B "$fuzz" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPARLEY_BUILD_FUZZERS=ON -DPARLEY_SANITIZE=address,undefined -DPARLEY_BUILD_TESTS=OFF -DPARLEY_BUILD_CONSOLE=OFF
targets=(fuzz_request_body fuzz_token fuzz_ws_frame fuzz_faq)
cmake --build "$fuzz" -j"$(nproc)" --target "${targets[@]}"
mkdir -p "$fuzz/artifacts"
for t in "${targets[@]}"; do
  mkdir -p "$fuzz/corpus/$t"
  echo "test.sh: fuzzing $t for ${PARLEY_FUZZ_SECONDS:-20} s"
  "$fuzz/fuzz/$t" -max_total_time="${PARLEY_FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$fuzz/artifacts/$t-" "$fuzz/corpus/$t" "fuzz/corpus/$t"
done
