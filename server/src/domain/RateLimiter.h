#pragma once
// Token bucket per key (a customer session): `burst` messages at once, refilled at
// `perMinute`. Thread-safe. Time comes from the injectable Clock.

#include "util/Clock.h"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parley::server {

class RateLimiter {
public:
    struct Options {
        double burst = 20;
        double perMinute = 60;
    };
    RateLimiter(const Clock& clock, Options options);

    // nullopt: allowed (one token taken). Otherwise the whole seconds to wait before retrying.
    std::optional<int> tryConsume(const std::string& key);

private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point at;
    };
    void refill(Bucket& b, std::chrono::steady_clock::time_point now) const;

    const Clock& m_clock;
    Options m_options;
    std::mutex m_mutex;
    std::unordered_map<std::string, Bucket> m_buckets;
};

} // namespace parley::server
