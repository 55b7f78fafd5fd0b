#!/usr/bin/env bash
# Builds the Parley packages: parley-server_<v>_<arch>.deb, parley-console_<v>_<arch>.deb and
# parley-<v>-linux-<arch>.tar.gz (both, paths as installed), in BUILD_DIR (default build-deb).
# Usage: installers/build-packages.sh [BUILD_DIR]
# Needs: scripts/install-deps.sh (dpkg-dev for dpkg-shlibdeps and dpkg-buildflags).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build-deb}"
generator=(); command -v ninja >/dev/null && generator=(-G Ninja)
# Debian's hardening flags (stack protector, fortify, relro), as a Debian build would use.
cxxflags="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
ldflags="$(dpkg-buildflags --get LDFLAGS)"
cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPARLEY_BUILD_TESTS=OFF -DPARLEY_INSTALLED_WEB_ROOT=/usr/share/parley/web \
  -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags"
cmake --build "$build" -j"${PARLEY_BUILD_JOBS:-$(nproc)}"
cd "$build"
cpack -G DEB
cpack -G TGZ
ls -1 "$build"/*.deb "$build"/*.tar.gz
