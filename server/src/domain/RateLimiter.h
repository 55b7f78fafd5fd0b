#pragma once
// Token bucket per key (a customer session): `burst` messages at once, refilled at
// `perMinute`. Thread-safe. Time comes from the injectable Clock.

#include "domain/SharedLimits.h"
#include "util/Clock.h"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parley::server {

class RateLimiter final : public CustomerRateLimit {
public:
    struct Options {
        double burst = 20;
        double perMinute = 60;
    };
    RateLimiter(const Clock& clock, Options options);

    // nullopt: allowed (one token taken). Otherwise the whole seconds to wait before retrying.
    std::optional<int> tryConsume(const std::string& key) override;

    static constexpr std::size_t kSweepThreshold = 100000; // buckets before full ones are dropped
    std::size_t buckets() const {
        std::lock_guard lock(m_mutex);
        return m_buckets.size();
    }
    int sweeps() const {
        std::lock_guard lock(m_mutex);
        return m_sweeps;
    }

private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point at;
    };
    void refill(Bucket& b, std::chrono::steady_clock::time_point now) const;

    const Clock& m_clock;
    Options m_options;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Bucket> m_buckets;
    std::size_t m_sweepAt = kSweepThreshold;
    int m_sweeps = 0;
};

} // namespace parley::server
