#!/bin/sh
# Delivery p99 of two parley-server builds at 1,000 msg/s with 10,000 idle sockets, in
# alternating runs of parley-bench-ws (A, B, A, B, ...), and the median of each (issue 17: "p99
# delivery at 1,000 msg/s with 10,000 idle sockets no worse than today's default, median of 5
# runs, alternating with the current main's build"). Builds nothing. See bench/README.md.
#
#   bench/ab-p99.sh [--bench PATH] [--runs N] A_SERVER B_SERVER [-- parley-bench-ws flags]
#
# --bench: parley-bench-ws (default build/bench/parley-bench-ws); --runs: runs of each (default 5).
# The p99 is read from the summary line every version of parley-bench-ws prints, so --bench may be
# an older build, e.g. the one from before issue 17 (d5c5297), the only one that drives both.
set -eu

bench=build/bench/parley-bench-ws
runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) bench=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: bench/ab-p99.sh [--bench PATH] [--runs N] A_SERVER B_SERVER [-- flags]" >&2; exit 2; }
a=$1 b=$2
shift 2
[ "${1:-}" = "--" ] && shift
for f in "$bench" "$a" "$b"; do
  [ -x "$f" ] || { echo "ab-p99.sh: $f is not an executable" >&2; exit 2; }
done
out=$(mktemp -d "${TMPDIR:-/tmp}/parley-ab-p99-XXXXXX")
i=1
while [ "$i" -le "$runs" ]; do
  for side in A B; do
    server=$a
    [ "$side" = B ] && server=$b
    "$bench" --server "$server" "$@" > "$out/run-$i-$side.txt" 2>&1 || true
    line=$(grep -E '^  all ' "$out/run-$i-$side.txt" || echo "  all (no result: see $out/run-$i-$side.txt)")
    echo "run $i $side: $line"
    echo "$line" | awk -v s="$side" '{ for (f = 1; f < NF; f++) if ($f == "p99") print s, $(f + 1) }' >> "$out/p99"
  done
  i=$((i + 1))
done
# The median of a side's p99s; an even count takes the mean of the middle two.
median() {
  awk -v s="$1" '$1 == s { print $2 }' "$out/p99" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
                              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ma=$(median A)
mb=$(median B)
echo
echo "A = $a"
echo "B = $b"
echo "delivery p99, median of $runs alternating runs: A $ma ms, B $mb ms;" \
     "B no worse than A: $(awk -v a="$ma" -v b="$mb" 'BEGIN { print (b <= a) ? "met" : "MISSED" }')"
echo "every run's output: $out"
