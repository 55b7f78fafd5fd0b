#include "domain/LoginThrottle.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace parley::server {

LoginThrottle::LoginThrottle(const Clock& clock, Options options)
    : m_clock(clock)
    , m_options(options)
    , m_lastSweep(clock.steadyNow()) {}

std::string LoginThrottle::keyOf(const std::string& username) {
    std::string key = username;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return key;
}

bool LoginThrottle::isExpired(const Entry& e, TimePoint now) const {
    return now >= e.lockedUntil && now - e.lastFailure >= m_options.forgetAfter;
}

std::optional<int> LoginThrottle::lockedFor(const std::string& username) {
    const auto now = m_clock.steadyNow();
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(keyOf(username));
    if (it == m_entries.end() || it->second.lockedUntil <= now)
        return std::nullopt;
    const auto wait = std::chrono::ceil<std::chrono::seconds>(it->second.lockedUntil - now).count();
    return static_cast<int>(std::max<long long>(1, wait));
}

void LoginThrottle::failed(const std::string& username, bool accountExists) {
    const auto now = m_clock.steadyNow();
    std::lock_guard lock(m_mutex);
    // A sweep at most every quarter of forgetAfter keeps each failure O(1) on average.
    if (now - m_lastSweep >= m_options.forgetAfter / 4) {
        forgetExpired(now);
        m_lastSweep = now;
    }
    auto [it, inserted] = m_entries.try_emplace(keyOf(username));
    auto& e = it->second;
    if (!inserted && !e.accountExists)
        --m_unknown;
    if (!accountExists)
        ++m_unknown;
    if (!inserted && isExpired(e, now))
        e = Entry{};
    e.accountExists = accountExists;
    e.lastFailure = now;
    if (++e.count >= m_options.failuresBeforeLock) {
        const int exponent = std::min(e.count - m_options.failuresBeforeLock, 30);
        const auto lockFor =
            std::min<std::chrono::seconds>(std::chrono::seconds(1LL << exponent), m_options.maxLock);
        e.lockedUntil = now + lockFor;
    }
    if (m_unknown > m_options.maxUnknownEntries) {
        forgetExpired(now);
        m_lastSweep = now;
        if (m_unknown > m_options.maxUnknownEntries)
            dropOldestUnknown();
    }
}

void LoginThrottle::succeeded(const std::string& username) {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(keyOf(username));
    if (it == m_entries.end())
        return;
    if (!it->second.accountExists)
        --m_unknown;
    m_entries.erase(it);
}

std::size_t LoginThrottle::entries() const {
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

void LoginThrottle::forgetExpired(TimePoint now) {
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (!isExpired(it->second, now)) {
            ++it;
            continue;
        }
        if (!it->second.accountExists)
            --m_unknown;
        it = m_entries.erase(it);
    }
}

// Drops the tenth of the unknown usernames' entries whose last failure is oldest: one O(n) pass
// per maxUnknownEntries / 10 new usernames, so a spray costs O(1) per attempt on average.
void LoginThrottle::dropOldestUnknown() {
    std::vector<TimePoint> times;
    times.reserve(m_unknown);
    for (const auto& [key, e] : m_entries)
        if (!e.accountExists)
            times.push_back(e.lastFailure);
    const std::size_t keep = m_options.maxUnknownEntries - m_options.maxUnknownEntries / 10;
    if (times.size() <= keep)
        return;
    const std::size_t drop = times.size() - keep;
    std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(drop - 1), times.end());
    const auto cutoff = times[drop - 1];
    std::size_t dropped = 0;
    for (auto it = m_entries.begin(); it != m_entries.end() && dropped < drop;) {
        if (!it->second.accountExists && it->second.lastFailure <= cutoff) {
            it = m_entries.erase(it);
            --m_unknown;
            ++dropped;
        } else {
            ++it;
        }
    }
}

} // namespace parley::server
