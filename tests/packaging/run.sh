#!/usr/bin/env bash
# Packaging test (CTest "packaging"). Packs the given build dir as it is (cpack, DEB and TGZ,
# into a scratch dir: nothing is recompiled), then checks:
#  - the three artifacts, their Depends (from dpkg-shlibdeps) and control files;
#  - both .debs unpacked with dpkg-deb -x into a fresh root: the expected files, no RPATH;
#  - the unpacked server, started from that root on free loopback ports with a new data dir and
#    no --web-root: /healthz, /widget.js (the packaged file), a customer session, the generated
#    admin password printed once (it signs in; a restart does not print it again);
#  - the unpacked console's --version, the .tar.gz unpacked elsewhere finds its own widget files;
#  - lintian: no E: tag on either .deb (warnings are printed); systemd-analyze verify if present.
# Usage: run.sh BUILD_DIR. Env: PARLEY_VERSION_EXPECTED, PARLEY_SERVER_BINARY, PARLEY_CONSOLE_BINARY.
set -euo pipefail
build="$(cd "$1" && pwd)"
version="${PARLEY_VERSION_EXPECTED:?}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/parley-packaging.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== [${SECONDS}s] $*"; }

for b in "${PARLEY_SERVER_BINARY:?}" "${PARLEY_CONSOLE_BINARY:?}"; do
  [ -x "$b" ] || fail "$b is not built (cmake --build $build --target parley-server parley-console)"
done
for tool in cpack dpkg-deb dpkg-shlibdeps lintian curl readelf; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/install-deps.sh test)"
done

# --- Pack.
step "cpack -G DEB;TGZ from $build"
out="$tmp/out"
if ! cpack --config "$build/CPackConfig.cmake" -B "$out" -G "DEB;TGZ" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log"
  fail "cpack failed"
fi
shopt -s nullglob
server_debs=("$out"/parley-server_"$version"_*.deb)
console_debs=("$out"/parley-console_"$version"_*.deb)
tgzs=("$out"/parley-"$version"-linux-*.tar.gz)
shopt -u nullglob
[ ${#server_debs[@]} = 1 ] && [ ${#console_debs[@]} = 1 ] && [ ${#tgzs[@]} = 1 ] || {
  ls -l "$out"
  fail "expected parley-server_${version}_*.deb, parley-console_${version}_*.deb and parley-${version}-linux-*.tar.gz"
}
server_deb="${server_debs[0]}" console_deb="${console_debs[0]}" tgz="${tgzs[0]}"
ls -l "$server_deb" "$console_deb" "$tgz"

# --- Control data.
step "control fields"
need_depends() { # deb, package names that its Depends must list
  local deb="$1" depends
  shift
  depends="$(dpkg-deb -f "$deb" Depends)"
  echo "$(basename "$deb"): Depends: $depends"
  for p in "$@"; do
    tr ',|' '\n\n' <<<"$depends" | sed 's/^ *//; s/[ (].*//' | grep -qxF "$p" ||
      fail "$(basename "$deb") does not depend on $p"
  done
}
need_depends "$server_deb" libc6 libstdc++6 libsqlite3-0 libssl3
need_depends "$console_deb" libc6 libstdc++6 libqt6core6 libqt6gui6 libqt6widgets6 libqt6network6 \
  libqt6websockets6 libqt6svg6
[ "$(dpkg-deb -f "$server_deb" Package Version)" = "Package: parley-server
Version: $version" ] || fail "server package name or version"
dpkg-deb -e "$server_deb" "$tmp/control"
grep -qx /etc/default/parley-server "$tmp/control/conffiles" || fail "/etc/default/parley-server is no conffile"
for s in postinst prerm postrm; do
  [ -x "$tmp/control/$s" ] || fail "server package has no executable $s"
done

# --- Unpack both .debs into a fresh root.
step "dpkg-deb -x into a fresh root"
root="$tmp/root"
mkdir "$root"
dpkg-deb -x "$server_deb" "$root"
dpkg-deb -x "$console_deb" "$root"
unit="usr/lib/systemd/system/parley-server.service"
for f in usr/bin/parley-server usr/bin/parley-console; do
  [ -x "$root/$f" ] || fail "/$f missing or not executable"
  ! readelf -d "$root/$f" | grep -Eq 'RPATH|RUNPATH' || fail "/$f has an RPATH"
done
for f in usr/share/parley/web/widget.js usr/share/parley/web/index.html usr/share/parley/web/assets/logo.svg \
  "$unit" etc/default/parley-server usr/share/man/man1/parley-server.1.gz \
  usr/share/doc/parley-server/copyright \
  usr/share/applications/parley-console.desktop \
  usr/share/icons/hicolor/scalable/apps/parley-console.svg usr/share/man/man1/parley-console.1.gz \
  usr/share/doc/parley-console/copyright; do
  [ -f "$root/$f" ] || fail "/$f missing"
done
grep -q '^EnvironmentFile=-/etc/default/parley-server$' "$root/$unit" || fail "unit does not read /etc/default/parley-server"
grep -q '^StateDirectory=parley$' "$root/$unit" || fail "unit has no StateDirectory=parley"
grep -q '^PARLEY_SERVER_ARGS=' "$root/etc/default/parley-server" || fail "/etc/default/parley-server sets no PARLEY_SERVER_ARGS"

# --- Both binaries' --version.
step "--version"
[ "$("$root/usr/bin/parley-server" --version)" = "parley-server $version" ] || fail "parley-server --version"
console_version="$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/parley-console" --version)"
[ "$console_version" = "parley-console $version" ] || fail "parley-console --version said: $console_version"

# --- The unpacked server, run from the fresh root.
step "run the unpacked server"
# (--help into a variable first: `grep -q` stops reading at its match, and with pipefail the
# server's SIGPIPE on the rest of a help text longer than one stdio buffer would fail the test.)
help="$("$root/usr/bin/parley-server" --help)"
grep -qF "now $root/usr/share/parley/web)" <<<"$help" ||
  fail "the unpacked server does not default to its own widget files: $(grep -A2 -- --web-root <<<"$help")"
data="$tmp/data"
# The server picks its own port (--http-port 0) and names it in --ports-file once it listens, as
# for every other test (tests/support/ServerLauncher): nothing here guesses a free port.
start_server() { # log file; sets server_pid, http_port, ws_port
  local log="$1" ports="$tmp/ports" i
  rm -f "$ports"
  env -u PARLEY_ADMIN_PASSWORD "$root/usr/bin/parley-server" --host 127.0.0.1 --http-port 0 \
    --ports-file "$ports" --data-dir "$data" >"$log" 2>&1 &
  server_pid=$!
  for i in $(seq 300); do # written (renamed into place) once the server listens
    [ -f "$ports" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log"; fail "the unpacked server exited during start-up"; }
    sleep 0.05
  done
  [ -f "$ports" ] || { cat "$log"; fail "the server did not start within 15 s"; }
  http_port="$(sed -n 's/.*http=\([0-9]*\).*/\1/p' "$ports")"
  ws_port="$(sed -n 's/.*ws=\([0-9]*\).*/\1/p' "$ports")"
  grep -q "^parley-server listening http=$http_port ws=$ws_port$" "$log" ||
    { cat "$log"; fail "the server did not print its ports on stdout"; }
}
stop_server() {
  kill -TERM "$server_pid"
  local rc=0
  wait "$server_pid" || rc=$?
  server_pid=""
  [ "$rc" = 0 ] || fail "the server exited with $rc on SIGTERM"
}
http() { # method path [json body]; prints the status, the body goes to $tmp/body
  local args=(-s -o "$tmp/body" -w '%{http_code}' -X "$1" "http://127.0.0.1:$http_port$2")
  [ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' --data "$3")
  curl "${args[@]}"
}

start_server "$tmp/server1.log"
echo "server on 127.0.0.1:$http_port (ws $ws_port)"
[ "$(http GET /healthz)" = 200 ] && [ "$(tr -d ' \n' <"$tmp/body")" = '{"status":"ok"}' ] ||
  fail "/healthz: $(cat "$tmp/body")"
[ "$(http GET /widget.js)" = 200 ] || fail "GET /widget.js"
cmp -s "$tmp/body" "$root/usr/share/parley/web/widget.js" || fail "/widget.js is not the packaged file"
grep -q "parley-widget" "$tmp/body" || fail "/widget.js is not the widget"
[ "$(http GET /)" = 200 ] && grep -q 'widget.js' "$tmp/body" || fail "GET / (demo store)"
[ "$(http POST /api/v1/customer/session '{}')" = 201 ] || fail "customer session: $(cat "$tmp/body")"
grep -Eq '"token" *: *"[^"]+"' "$tmp/body" || fail "customer session without a token: $(cat "$tmp/body")"

password="$(sed -n 's/^Created agent "admin" with the generated password: \([^ ]*\)$/\1/p' "$tmp/server1.log")"
[ -n "$password" ] || { cat "$tmp/server1.log"; fail "no generated admin password printed on first start"; }
status="$(http POST /api/v1/agent/login "{\"username\":\"admin\",\"password\":\"$password\"}")"
[ "$status" = 200 ] || fail "admin cannot sign in with the printed password: $status $(cat "$tmp/body")"
stop_server

step "restart on the same data dir"
start_server "$tmp/server2.log"
! grep -q "password" "$tmp/server2.log" || fail "the admin password was printed again: $(cat "$tmp/server2.log")"
status="$(http POST /api/v1/agent/login "{\"username\":\"admin\",\"password\":\"$password\"}")"
[ "$status" = 200 ] || fail "admin cannot sign in after a restart: $status $(cat "$tmp/body")"
stop_server

# --- The .tar.gz: both packages' files, and a server unpacked anywhere finds its widget files.
step ".tar.gz"
mkdir "$tmp/tgz"
tar -xzf "$tgz" -C "$tmp/tgz"
top="$tmp/tgz/$(basename "$tgz" .tar.gz)"
for f in usr/bin/parley-server usr/bin/parley-console usr/share/parley/web/widget.js etc/default/parley-server \
  "$unit" usr/share/applications/parley-console.desktop; do
  [ -f "$top/$f" ] || fail "$(basename "$tgz") has no $f"
done
help="$("$top/usr/bin/parley-server" --help)"
grep -qF "now $top/usr/share/parley/web)" <<<"$help" ||
  fail "the server from the .tar.gz does not default to its own widget files"

# --- The systemd unit, where systemd-analyze exists: it checks the unit with ExecStart pointing
# at the unpacked binary (verify wants it to exist), and its hardening (exposure 0.0-10.0: at
# most 2.0; "OK" starts at 3.9).
if command -v systemd-analyze >/dev/null; then
  step "systemd-analyze verify, security"
  sed "s#/usr/bin/parley-server#$root/usr/bin/parley-server#" "$root/$unit" >"$tmp/parley-server.service"
  systemd-analyze verify --man=no "$tmp/parley-server.service" || fail "systemd-analyze verify $unit"
  systemd-analyze security --offline=true --threshold=20 "$tmp/parley-server.service" >"$tmp/security.log" 2>&1 ||
    { cat "$tmp/security.log"; fail "the unit's exposure is above 2.0"; }
  tail -1 "$tmp/security.log"
fi

# --- lintian: errors fail, warnings are shown.
step "lintian"
lintian "$server_deb" "$console_deb" >"$tmp/lintian.log" 2>&1 || true
cat "$tmp/lintian.log"
! grep -q '^E: ' "$tmp/lintian.log" || fail "lintian reports errors"
grep -Eq '^(W|E): ' "$tmp/lintian.log" || echo "lintian: no errors, no warnings"

step "packaging test passed"
