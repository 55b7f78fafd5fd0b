#!/bin/sh
# The saturation sweep on one machine twice: parley-server pinned to 2 cores, then to all but 2,
# the load generator on the cores the server does not have (issue 17: "the server pinned to 14
# cores saturates at >= 4x the rate it reaches pinned to 2"). Builds nothing: the binaries come
# from --build-dir (default build/) or are named one by one. See bench/README.md.
#
#   bench/sweep-cores.sh [--build-dir DIR] [--server PATH] [--bare PATH] [--sweep PATH]
#                        [--budget SECONDS] [--out DIR] [--quick] [-- EXTRA SERVER FLAGS]
#
# --budget: seconds for each of the two sweeps, set-up included (default 210: on 16 cores the
# whole script takes about 7 minutes, at most about 8). --quick: the sweep's smoke run (1,000
# idle sockets, short steps), for a small machine. CSVs and logs go to --out (default a new
# directory under ${TMPDIR:-/tmp}).
set -eu

build=build
server=
bare=
sweep=
budget=210
out=
quick=
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --bare) bare=$2; shift 2 ;;
    --sweep) sweep=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quick) quick=--quick; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sweep-cores.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
: "${server:=$build/server/parley-server}"
: "${bare:=$build/bench/parley-bench-bare}"
: "${sweep:=$build/bench/parley-bench-sweep}"
for f in "$server" "$bare" "$sweep"; do
  [ -x "$f" ] || { echo "sweep-cores.sh: $f is not an executable (build it, or name it)" >&2; exit 2; }
done
[ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/parley-sweep-cores-XXXXXX")
mkdir -p "$out"

# The CPUs this script may use, as a list of numbers.
cpus=$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status |
  awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-"); a = r[1]; b = (n == 2) ? r[2] : r[1];
             for (c = a; c <= b; c++) printf "%d ", c } }')
count=$(echo $cpus | wc -w)
pick() { echo $cpus | tr ' ' '\n' | sed -n "$1,$2p" | paste -sd, -; } # CPUs number $1..$2 (1-based)

if [ "$count" -ge 4 ]; then
  small_server=$(pick 1 2); small_load=$(pick 3 "$count"); small_label="2 cores"
  large_server=$(pick 1 $((count - 2))); large_load=$(pick $((count - 1)) "$count")
  large_label="$((count - 2)) cores"
else # a small machine: only a test of this script, the figures compare nothing
  small_server=$(pick 1 1); small_load=$(pick "$count" "$count"); small_label="1 core"
  large_server=$(pick 1 "$count"); large_load=$(pick 1 "$count"); large_label="$count cores, shared with the load"
fi

echo "sweep-cores.sh: $count CPUs; $small_label (server CPUs $small_server, load $small_load), then" \
     "$large_label (server CPUs $large_server, load $large_load); budget ${budget} s each; output in $out"
start=$(date +%s)
run_config() { # label server-cpus load-cpus csv [extra server flags]
  label=$1 scpus=$2 lcpus=$3 csv=$4
  shift 4
  "$sweep" $quick --server "$server" --bare "$bare" --server-cpus "$scpus" --load-cpus "$lcpus" \
    --time-budget "$budget" --drain-timeout 15 --label "$label" --csv "$csv" -- "$@" 2>&1 |
    tee "$csv.log"
}
rm -f "$out/small.csv" "$out/large.csv"
run_config "$small_label" "$small_server" "$small_load" "$out/small.csv" "$@"
run_config "$large_label" "$large_server" "$large_load" "$out/large.csv" "$@"
"$sweep" --compare "$out/small.csv" "$out/large.csv"
echo
echo "sweep-cores.sh: $(($(date +%s) - start)) s in all; CSVs and logs in $out"
