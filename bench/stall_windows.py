#!/usr/bin/env python3
"""Where the slow messages of a parley-bench-ws run are: spread out, or in short windows.

Reads the CSV of `parley-bench-ws --samples FILE`. A *stall window* is a burst of at least
--min-burst messages slower than --slow ms whose send times are less than 50 ms apart. Prints
how many windows there are, their most likely period (the machine's periodic work shows up as a
strong period), and the delivery percentiles of the messages sent outside the windows: what the
server achieves when the machine leaves it alone. An estimate, not a measurement of the server
alone: the windows are found from the slow messages themselves. It also counts the windows in
which the load generator itself ran late (a send more than --slow ms behind its schedule, from 20
ms before the window to its end): the bench's timer does not depend on the server, so a late send
means the bench process was not running either. --per-second also prints how many slow messages
were sent in each whole second of the run, which shows slow messages that bunch at a longer
period than the windows (the idle sockets' pings every 15 s did, before they were spread).

    python3 bench/stall_windows.py samples.csv [--column socket_ms] [--per-second]
"""
import argparse
import csv
import math


def percentile(sorted_values, q):
    return sorted_values[int(q * (len(sorted_values) - 1))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("samples")
    ap.add_argument("--slow", type=float, default=2.0, help="slow means above this many ms (2)")
    ap.add_argument("--min-burst", type=int, default=5, help="slow messages that make a window (5)")
    ap.add_argument("--column", default="delivery_ms",
                    help="the latency to look at: delivery_ms (read by the recipient, the default) or "
                         "socket_ms (in the recipient's socket: the server's part)")
    ap.add_argument("--per-second", action="store_true",
                    help="also print the slow messages sent in each whole second of the run")
    args = ap.parse_args()

    table = [
        (float(r["monotonic_s"]), float(r[args.column]), float(r["send_lag_ms"]))
        for r in csv.DictReader(open(args.samples))
    ]
    table.sort()
    rows = [(t, d) for t, d, _ in table]
    slow = [(t, d) for t, d in rows if d > args.slow]
    bursts = []
    for t, d in slow:
        if bursts and t - bursts[-1][-1][0] < 0.05:
            bursts[-1].append((t, d))
        else:
            bursts.append([(t, d)])
    windows = [(b[0][0] - 0.005, b[-1][0] + 0.005) for b in bursts if len(b) >= args.min_burst]

    # The period that lines the window starts up best (mean resultant length of their phases).
    best = (0.0, None)
    starts = [w[0] for w in windows]
    for ms in range(300, 2001):  # from 0.3 s: a fraction of the period would fit as well
        period = ms / 1000
        x = sum(math.cos(2 * math.pi * s / period) for s in starts)
        y = sum(math.sin(2 * math.pi * s / period) for s in starts)
        strength = math.hypot(x, y) / max(len(starts), 1)
        if strength > best[0]:
            best = (strength, period)

    outside, i = [], 0
    for t, d in rows:
        while i < len(windows) and windows[i][1] < t:
            i += 1
        if not (i < len(windows) and windows[i][0] <= t <= windows[i][1]):
            outside.append(d)
    everything = sorted(d for _, d in rows)
    outside.sort()
    span = rows[-1][0] - rows[0][0]
    print(f"messages {len(rows)} over {span:.1f} s; slower than {args.slow} ms: {len(slow)} "
          f"({100 * len(slow) / len(rows):.2f}%)")
    print(f"all:     p50 {percentile(everything, .5):.3f}  p99 {percentile(everything, .99):.3f}  "
          f"p99.9 {percentile(everything, .999):.3f} ms")
    print(f"stall windows (>= {args.min_burst} slow messages within 50 ms): {len(windows)}, "
          f"{sum(len(b) for b in bursts if len(b) >= args.min_burst)} of the slow messages")
    if best[1]:
        print(f"their best-fitting period: {best[1]:.3f} s (strength {best[0]:.2f}; 0 = none, 1 = exact)")
    late = sum(1 for a, b in windows if any(a - 0.02 <= t <= b and lag > args.slow for t, _, lag in table))
    print(f"windows in which the load generator itself sent late (> {args.slow} ms): {late} of {len(windows)}")
    print(f"outside the windows ({100 * len(outside) / len(rows):.1f}% of the messages): "
          f"p50 {percentile(outside, .5):.3f}  p99 {percentile(outside, .99):.3f}  "
          f"p99.9 {percentile(outside, .999):.3f} ms")
    if args.per_second:
        counts = [0] * (int(span) + 1)
        for t, _ in slow:
            counts[int(t - rows[0][0])] += 1
        print("slow messages per second (second: count): " + " ".join(f"{i}:{n}" for i, n in enumerate(counts)))


if __name__ == "__main__":
    main()
