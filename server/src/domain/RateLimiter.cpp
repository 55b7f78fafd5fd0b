#include "domain/RateLimiter.h"

#include <algorithm>
#include <cmath>

namespace parley::server {

RateLimiter::RateLimiter(const Clock& clock, Options options)
    : m_clock(clock)
    , m_options(options) {}

void RateLimiter::refill(Bucket& b, std::chrono::steady_clock::time_point now) const {
    const double seconds = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(m_options.burst, b.tokens + seconds * m_options.perMinute / 60.0);
    b.at = now;
}

std::optional<int> RateLimiter::tryConsume(const std::string& key) {
    const auto now = m_clock.steadyNow();
    std::lock_guard lock(m_mutex);
    // Keep memory bounded: full buckets carry no information and can be forgotten. The next sweep
    // waits until the map has doubled again: sweeping on every call while more than the threshold
    // were still draining made each call O(n) under the lock (100,000 sessions that had just sent
    // a message slowed every customer's send until their buckets were full again).
    if (m_buckets.size() > m_sweepAt) {
        for (auto it = m_buckets.begin(); it != m_buckets.end();) {
            refill(it->second, now);
            it = it->second.tokens >= m_options.burst ? m_buckets.erase(it) : std::next(it);
        }
        m_sweepAt = std::max(kSweepThreshold, 2 * m_buckets.size());
        ++m_sweeps;
    }
    auto [it, inserted] = m_buckets.try_emplace(key, Bucket{m_options.burst, now});
    Bucket& b = it->second;
    refill(b, now);
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    if (m_options.perMinute <= 0)
        return 60;
    const double wait = (1.0 - b.tokens) * 60.0 / m_options.perMinute;
    return std::max(1, static_cast<int>(std::ceil(wait)));
}

} // namespace parley::server
