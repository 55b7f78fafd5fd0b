#pragma once
// Percentiles of a set of durations (milliseconds).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace parley::bench {

struct Dist {
    std::vector<double> v;
    bool sorted = true;
    void add(double x) {
        v.push_back(x);
        sorted = false;
    }
    void merge(const Dist& o) {
        v.insert(v.end(), o.v.begin(), o.v.end());
        sorted = false;
    }
    std::size_t size() const { return v.size(); }
    // Nearest rank; NaN when empty.
    double pct(double p) {
        if (v.empty())
            return NAN;
        if (!sorted) {
            std::sort(v.begin(), v.end());
            sorted = true;
        }
        const auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
        return v[std::clamp<std::size_t>(i, 1, v.size()) - 1];
    }
    std::string line() {
        char b[256];
        std::snprintf(b, sizeof b, "p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms  (n=%zu)", pct(50),
                      pct(90), pct(99), pct(99.9), pct(100), v.size());
        return b;
    }
};

} // namespace parley::bench
