#pragma once
// The customer rate limit and the login throttle of domain/SharedLimits.h kept in Redis, so they
// hold across nodes (issue 20). Same rules as the in-process RateLimiter and LoginThrottle; every
// check is one Lua script, atomic in Redis, timed by Redis's clock (TIME) so the nodes' clocks
// need not agree. State forgets itself by key expiry (a full bucket, a lock-out past forgetAfter).
// When Redis cannot be reached the call answers 503 overloaded (Retry-After 1): the request is
// not served unlimited, and nothing is written.

#include "bus/RedisClient.h"
#include "domain/LoginThrottle.h"
#include "domain/RateLimiter.h"
#include "domain/SharedLimits.h"

namespace parley::server {

class RedisCustomerRateLimit final : public CustomerRateLimit {
public:
    RedisCustomerRateLimit(RedisClient& redis, RateLimiter::Options options, std::string prefix = "parley:");
    std::optional<int> tryConsume(const std::string& key) override;
    bool isRemote() const override { return true; }

private:
    RedisClient& m_redis;
    RateLimiter::Options m_options;
    std::string m_prefix;
};

class RedisLoginLimit final : public LoginLimit {
public:
    RedisLoginLimit(RedisClient& redis, LoginThrottle::Options options, std::string prefix = "parley:");
    std::optional<int> lockedFor(const std::string& username) override;
    void failed(const std::string& username, bool accountExists) override;
    void succeeded(const std::string& username) override;

private:
    std::string keyOf(const std::string& username) const;
    RedisClient& m_redis;
    LoginThrottle::Options m_options;
    std::string m_prefix;
};

} // namespace parley::server
