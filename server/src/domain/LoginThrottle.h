#pragma once
// Failed agent sign-ins per username: after `failuresBeforeLock` failures the username is locked
// for 1 s, then 2, 4, ... up to `maxLock` per further failure. Thread-safe; time from the Clock.
//
// Memory stays bounded under a spray of made-up usernames. An entry is forgotten `forgetAfter`
// its last failure once its lock has passed. Entries of usernames that belong to an agent are
// bounded by the agents table and are never dropped for room, so a spray cannot lift a real
// lock-out. Entries of unknown usernames protect no account: there are at most
// `maxUnknownEntries` of them, and when they are full the oldest tenth is dropped.

#include "domain/SharedLimits.h"
#include "util/Clock.h"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace parley::server {

class LoginThrottle final : public LoginLimit {
public:
    struct Options {
        int failuresBeforeLock = 5;
        std::chrono::seconds maxLock{256};
        std::chrono::seconds forgetAfter{15 * 60};
        std::size_t maxUnknownEntries = 10000;
    };
    LoginThrottle(const Clock& clock, Options options);

    // The whole seconds the username is still locked for, or nullopt when it may try.
    std::optional<int> lockedFor(const std::string& username) override;
    // A failed attempt; accountExists: the username belongs to an agent.
    void failed(const std::string& username, bool accountExists) override;
    void succeeded(const std::string& username) override;

    std::size_t entries() const; // for tests

private:
    using TimePoint = std::chrono::steady_clock::time_point;
    struct Entry {
        int count = 0;
        TimePoint lockedUntil{};
        TimePoint lastFailure{};
        bool accountExists = false;
    };
    static std::string keyOf(const std::string& username); // usernames are case-insensitive
    bool isExpired(const Entry& e, TimePoint now) const;
    void forgetExpired(TimePoint now);
    void dropOldestUnknown();

    const Clock& m_clock;
    Options m_options;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Entry> m_entries;
    std::size_t m_unknown = 0; // entries with accountExists == false
    TimePoint m_lastSweep{};
};

} // namespace parley::server
