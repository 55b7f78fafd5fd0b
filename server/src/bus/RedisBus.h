#pragma once
// What --bus gives one node (issue 20): the Redis connection and the state shared through it,
// the customer rate limit, the login throttle and agent presence. Built by the composition root;
// ChatService and RealtimeServer are handed its parts.

#include "bus/RedisClient.h"
#include "bus/RedisLimits.h"
#include "bus/RedisPresenceDirectory.h"

#include <string>

namespace parley::server {

class RedisBus {
public:
    // keyPrefix: "parley:<cluster>:", one per database, so clusters that share a Redis (or test
    // suites that share one) never see each other's keys.
    RedisBus(const std::string& url, const std::string& nodeId, const std::string& keyPrefix,
             RateLimiter::Options customerRate, LoginThrottle::Options loginThrottle)
        : m_client(url)
        , m_customerRate(m_client, customerRate, keyPrefix)
        , m_loginLimit(m_client, loginThrottle, keyPrefix)
        , m_presence(m_client, nodeId, presenceOptions(keyPrefix)) {}

    RedisClient& client() { return m_client; }
    CustomerRateLimit& customerRate() { return m_customerRate; }
    LoginLimit& loginLimit() { return m_loginLimit; }
    PresenceDirectory& presence() { return m_presence; }
    // For GET /healthz: why the last call to Redis failed, or nothing. Cheap.
    std::optional<std::string> unavailableReason() const { return m_client.unavailableReason(); }

private:
    static RedisPresenceDirectory::Options presenceOptions(const std::string& keyPrefix) {
        RedisPresenceDirectory::Options o;
        o.prefix = keyPrefix;
        return o;
    }
    RedisClient m_client;
    RedisCustomerRateLimit m_customerRate;
    RedisLoginLimit m_loginLimit;
    RedisPresenceDirectory m_presence;
};

} // namespace parley::server
