#!/usr/bin/env bash
# The cluster's systemd template unit (installers/cluster/parley-server@.service), checked as the
# packaging test checks the single-node unit: systemd-analyze verify on an instance of it with
# ExecStart pointing at the built binary (verify wants it to exist), and its hardening exposure
# at most 2.0. Skipped (exit 77) where systemd-analyze is missing.
# Usage: check_units.sh SOURCE_DIR SERVER_BINARY
set -euo pipefail
src="$1"
binary="$2"
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/parley-cluster-units.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
unit="$src/installers/cluster/parley-server@.service"
grep -q '^ExecStart=/usr/bin/parley-server ' "$unit" || { echo "FAIL: $unit: ExecStart changed shape"; exit 1; }
sed "s#/usr/bin/parley-server#$binary#" "$unit" >"$tmp/parley-server@1.service"
(cd "$tmp" && systemd-analyze verify --man=no ./parley-server@1.service) || { echo "FAIL: systemd-analyze verify"; exit 1; }
(cd "$tmp" && systemd-analyze security --offline=true --threshold=20 ./parley-server@1.service) >"$tmp/security.log" 2>&1 ||
  { cat "$tmp/security.log"; echo "FAIL: the unit's exposure is above 2.0"; exit 1; }
tail -1 "$tmp/security.log"
