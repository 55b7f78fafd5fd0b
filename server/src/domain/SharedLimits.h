#pragma once
// The limits that must hold across nodes (issue 20): the customer rate limit and the login
// throttle. ChatService asks these interfaces; one node uses the in-process RateLimiter and
// LoginThrottle, a cluster (--bus) a Redis implementation outside the domain (server/src/bus/)
// with the same rules. The domain stays free of Redis.

#include <optional>
#include <string>

namespace parley::server {

class CustomerRateLimit {
public:
    virtual ~CustomerRateLimit() = default;
    // nullopt: allowed (one token taken). Otherwise the whole seconds to wait before retrying.
    virtual std::optional<int> tryConsume(const std::string& key) = 0;
    // Whether tryConsume goes over the network (and may wait): then it is not asked inside a write.
    virtual bool isRemote() const { return false; }
};

class LoginLimit {
public:
    virtual ~LoginLimit() = default;
    // The whole seconds the username is still locked for, or nullopt when it may try.
    virtual std::optional<int> lockedFor(const std::string& username) = 0;
    // A failed attempt; accountExists: the username belongs to an agent.
    virtual void failed(const std::string& username, bool accountExists) = 0;
    virtual void succeeded(const std::string& username) = 0;
};

} // namespace parley::server
