#pragma once
// "at most one typing signal per sender and conversation per second is forwarded": a map from
// (sender, conversation) to the time of the last forwarded signal. Bounded: once full, entries
// older than the interval (they restrict nothing any more) are dropped, at most once per interval;
// while it is still full of recent entries, new pairs are refused (typing is best effort, so
// dropping a signal is always allowed, forwarding too many never is). Thread-safe; time is passed
// in, so tests need no sleeping.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::server {

class TypingThrottle {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    struct Options {
        std::chrono::milliseconds interval{1000};
        std::size_t maxEntries = 100000;
    };

    explicit TypingThrottle(Options options);
    TypingThrottle()
        : TypingThrottle(Options{}) {}

    // Whether this signal is forwarded (and then it counts as the pair's last one).
    bool admit(std::string_view sender, std::string_view conversationId, TimePoint now);
    std::size_t size() const;

private:
    void pruneIfFull(TimePoint now);

    Options m_options;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, TimePoint> m_last;
    TimePoint m_lastPrune{};
};

} // namespace parley::server
