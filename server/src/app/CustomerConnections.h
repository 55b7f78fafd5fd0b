#pragma once
// Which shoppers have a WebSocket open, and when the others last had one (issue 21, reply mail:
// a shopper who is there reads the reply in the widget and gets no mail). The realtime hub reports
// attach and detach; the mail job asks. Thread-safe; in memory only (after a restart nobody is
// connected, and the mail job counts its own start as the last time anyone was).

#include "util/Clock.h"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parley::server {

class CustomerConnections {
public:
    explicit CustomerConnections(const Clock& clock)
        : m_clock(clock) {}

    void connected(const std::string& sessionId) {
        std::lock_guard lock(m_mutex);
        ++m_sessions[sessionId].open;
    }
    void disconnected(const std::string& sessionId) {
        const auto now = m_clock.now();
        std::lock_guard lock(m_mutex);
        auto& s = m_sessions[sessionId];
        if (s.open > 0)
            --s.open;
        s.lastSeen = now;
        // Forget sessions gone long ago, now and then: memory stays bounded by recent shoppers.
        if (++m_disconnects % kPruneEvery == 0)
            prune(now - kRemember);
    }
    // Now when the session has a connection open; else when its last one closed (nullopt: none
    // since the start, or too long ago to remember).
    std::optional<Clock::time_point> lastSeen(const std::string& sessionId) const {
        std::lock_guard lock(m_mutex);
        const auto it = m_sessions.find(sessionId);
        if (it == m_sessions.end())
            return std::nullopt;
        if (it->second.open > 0)
            return m_clock.now();
        return it->second.lastSeen;
    }

private:
    static constexpr unsigned kPruneEvery = 1024;
    static constexpr std::chrono::hours kRemember{24};
    struct Session {
        int open = 0;
        std::optional<Clock::time_point> lastSeen;
    };
    void prune(Clock::time_point before) {
        std::erase_if(m_sessions, [&](const auto& kv) {
            return kv.second.open == 0 && kv.second.lastSeen && *kv.second.lastSeen < before;
        });
    }

    const Clock& m_clock;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Session> m_sessions;
    unsigned m_disconnects = 0;
};

} // namespace parley::server
