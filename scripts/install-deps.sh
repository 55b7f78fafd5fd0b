#!/usr/bin/env bash
# Installs what Parley needs from Debian 12 packages. Idempotent and fast when all is there.
# Usage: scripts/install-deps.sh [build|test|all]   (default: test = build + test tools)
set -euo pipefail
what="${1:-test}"

build_pkgs=(build-essential cmake pkg-config ninja-build git
  libcpp-httplib-dev nlohmann-json3-dev libsqlite3-dev libssl-dev libboost-dev zlib1g-dev
  libstemmer-dev libutf8proc-dev  # the FAQ bot: Snowball stemmers, Unicode folding
  libhowardhinnant-date-dev tzdata  # business hours in IANA time zones (date/tz.h, system tzdata)
  libpq-dev  # the PostgreSQL store (issue 20)
  libhiredis-dev  # several nodes: presence, limits and the node heartbeats in Redis (--bus)
  libcurl4-openssl-dev  # reply mail: the SMTP client (server/src/mail)
  libjemalloc-dev  # for -DPARLEY_JEMALLOC=ON (docs/ARCHITECTURE.md, "Memory")
  qt6-base-dev qt6-websockets-dev qt6-multimedia-dev libgl-dev
  qt6-charts-dev libqt6opengl6-dev  # the console's reports (Qt Charts, whose CMake config needs Qt6OpenGL)
  libqt6svg6   # the SVG image/icon plugins: the console's window and tray icon
  dpkg-dev file)  # cpack's .deb dependency scan (installers/build-packages.sh)
test_pkgs=(chromium nodejs npm lintian xauth xvfb curl procps
  postgresql-15 postgresql-contrib util-linux  # the `pg` suites' own server (unaccent; runuser)
  redis-server nginx-light  # the cluster suites: their own Redis, and nginx in front of the nodes
  python3-aiosmtpd  # the SMTP server the reply-mail tests send to
  clang-14 libclang-rt-14-dev llvm-14)  # fuzz/ (libFuzzer, sanitizer runtimes) and llvm-symbolizer for reports

pkgs=("${build_pkgs[@]}")
[ "$what" = build ] || pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian (a preinstalled toolchain): accept them if present.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#pkgs[@]} packages present"
fi
