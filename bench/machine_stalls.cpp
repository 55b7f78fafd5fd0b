// parley-bench-stalls: how long this machine takes each CPU away from a running program, with
// nothing of Parley running. One thread per CPU, pinned, reads the clock in a tight loop; a gap
// between two reads longer than --min-us means the thread was not running (the kernel, another
// task or the hypervisor had the CPU). Prints, per CPU, the gaps over 0.5 and 2 ms, the time lost
// and the largest gap, how many long gaps hit both CPUs at once, and the period that fits the
// long gaps best. Run it on an otherwise idle machine: it keeps every CPU busy for --seconds.
// See bench/README.md (where the time goes).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Gap {
    double at = 0; // seconds since start
    double ms = 0;
};

std::vector<Gap> watch(int cpu, Clock::time_point start, double seconds, double minMs) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    std::vector<Gap> gaps;
    gaps.reserve(100000);
    const auto end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    auto prev = Clock::now();
    while (prev < end) {
        const auto now = Clock::now();
        const double ms = std::chrono::duration<double, std::milli>(now - prev).count();
        if (ms > minMs && gaps.size() < gaps.capacity())
            gaps.push_back({std::chrono::duration<double>(prev - start).count(), ms});
        prev = now;
    }
    return gaps;
}

// Period (0.3..2 s) whose phase lines the gap start times up best, and how well (0..1).
std::pair<double, double> bestPeriod(const std::vector<double>& starts) {
    std::pair<double, double> best{0, 0};
    for (int ms = 300; ms <= 2000; ++ms) {
        const double period = ms / 1000.0;
        double x = 0, y = 0;
        for (double s : starts) {
            x += std::cos(2 * M_PI * s / period);
            y += std::sin(2 * M_PI * s / period);
        }
        const double strength = std::hypot(x, y) / std::max<std::size_t>(starts.size(), 1);
        if (strength > best.second)
            best = {period, strength};
    }
    return best;
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 10, minUs = 100;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc)
            seconds = std::atof(argv[++i]);
        else if (a == "--min-us" && i + 1 < argc)
            minUs = std::atof(argv[++i]);
        else {
            std::fprintf(stderr, "Usage: parley-bench-stalls [--seconds S (10)] [--min-us US (100)]\n");
            return a == "--help" ? 0 : 2;
        }
    }
    if (!(seconds > 0 && seconds <= 600 && minUs > 0)) {
        std::fprintf(stderr, "parley-bench-stalls: --seconds must be in (0, 600], --min-us above 0\n");
        return 2;
    }
    const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    std::vector<std::vector<Gap>> gaps(static_cast<std::size_t>(cpus));
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < cpus; ++c)
        threads.emplace_back(
            [&, c] { gaps[static_cast<std::size_t>(c)] = watch(c, start, seconds, minUs / 1000); });
    for (auto& t : threads)
        t.join();

    std::printf(
        "parley-bench-stalls: %d CPUs watched for %.0f s (gaps over %.0f us between two clock reads)\n", cpus,
        seconds, minUs);
    std::vector<double> longStarts;
    for (int c = 0; c < cpus; ++c) {
        const auto& g = gaps[static_cast<std::size_t>(c)];
        int over05 = 0, over2 = 0;
        double lost = 0, worst = 0;
        for (const auto& x : g) {
            lost += x.ms;
            worst = std::max(worst, x.ms);
            over05 += x.ms > 0.5;
            over2 += x.ms > 2;
            if (x.ms > 2)
                longStarts.push_back(x.at);
        }
        std::printf("cpu%d: %d gaps > 0.5 ms, %d > 2 ms; %.1f ms lost (%.2f%%), largest %.2f ms\n", c, over05,
                    over2, lost, 100 * lost / (seconds * 1000), worst);
    }
    // Long gaps on two CPUs at once: the whole machine stopped (the hypervisor), not one CPU.
    int together = 0, longOnFirst = 0;
    if (cpus >= 2)
        for (const auto& a : gaps[0]) {
            if (a.ms <= 2)
                continue;
            ++longOnFirst;
            for (const auto& b : gaps[1])
                if (b.ms > 2 && a.at < b.at + b.ms / 1000 && b.at < a.at + a.ms / 1000) {
                    ++together;
                    break;
                }
        }
    if (cpus >= 2)
        std::printf("gaps > 2 ms on cpu0 that overlap one on cpu1: %d of %d\n", together, longOnFirst);
    std::sort(longStarts.begin(), longStarts.end());
    if (longStarts.size() >= 5) {
        const auto [period, strength] = bestPeriod(longStarts);
        std::printf("gaps > 2 ms: best-fitting period %.3f s (strength %.2f; 0 = none, 1 = exact)\n", period,
                    strength);
    }
    return 0;
}
