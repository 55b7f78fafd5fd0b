#!/usr/bin/env bash
# Builds release packages: parley-server_<v>_<arch>.deb, parley-console_<v>_<arch>.deb and
# parley-<v>-linux-<arch>.tar.gz (both, paths as installed), in BUILD_DIR (default build-release),
# compiled with Debian's hardening flags (stack protector, fortify, relro, bindnow).
# Usage: installers/build-packages.sh [BUILD_DIR]
# Any other build dir packs as it is, without a rebuild:  cd build && cpack
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
bash "$src/scripts/install-deps.sh" build # with dpkg-dev (dpkg-buildflags, dpkg-shlibdeps) and file
build="${1:-$src/build-release}"
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
cxxflags="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
ldflags="$(dpkg-buildflags --get LDFLAGS)"
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPARLEY_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags"
cmake --build "$build" -j"${PARLEY_BUILD_JOBS:-$(nproc)}"
cd "$build"
cpack -G "DEB;TGZ"
ls -1 "$build"/*.deb "$build"/*.tar.gz
