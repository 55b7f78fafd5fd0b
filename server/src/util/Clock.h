#pragma once
// Time source for everything that depends on "now": token expiry, grace periods, rate limits.
// Tests inject a ManualClock (like KeePassXC's MockClock) instead of sleeping.

#include <atomic>
#include <chrono>

namespace parley::server {

class Clock {
public:
    using time_point = std::chrono::system_clock::time_point;
    virtual ~Clock() = default;
    virtual time_point now() const = 0;
    // A monotonic reading for durations (rate limits, grace periods).
    virtual std::chrono::steady_clock::time_point steadyNow() const = 0;
};

class SystemClock final : public Clock {
public:
    time_point now() const override { return std::chrono::system_clock::now(); }
    std::chrono::steady_clock::time_point steadyNow() const override {
        return std::chrono::steady_clock::now();
    }
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(time_point start = std::chrono::system_clock::now())
        : m_offset(0)
        , m_start(start)
        , m_steadyStart(std::chrono::steady_clock::now()) {}
    time_point now() const override { return m_start + std::chrono::milliseconds(m_offset.load()); }
    std::chrono::steady_clock::time_point steadyNow() const override {
        return m_steadyStart + std::chrono::milliseconds(m_offset.load());
    }
    void advance(std::chrono::milliseconds d) { m_offset += d.count(); }

private:
    std::atomic<long long> m_offset;
    time_point m_start;
    std::chrono::steady_clock::time_point m_steadyStart;
};

} // namespace parley::server
