#include "bus/RedisLimits.h"

#include "app/ApiError.h"

#include <algorithm>
#include <cctype>

namespace parley::server {

namespace {

// KEYS[1] the bucket; ARGV burst, per minute. Returns 0 (allowed, a token taken) or the whole
// seconds to wait. The bucket expires once it would be full again: a full bucket says nothing.
const std::string kTokenBucket = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local burst = tonumber(ARGV[1])
local perSecond = tonumber(ARGV[2]) / 60
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * perSecond)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
elseif perSecond <= 0 then
  wait = 60
else
  wait = math.max(1, math.ceil((1 - tokens) / perSecond))
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
local ttl = 60
if perSecond > 0 then ttl = math.ceil((burst - tokens) / perSecond) + 1 end
redis.call('EXPIRE', KEYS[1], math.max(1, ttl))
return wait
)lua";

// KEYS[1] the username's entry. Returns the whole seconds it is still locked for, 0 when it may try.
const std::string kLockedFor = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0') or 0
if untilMs <= now then return 0 end
return math.max(1, math.ceil((untilMs - now) / 1000))
)lua";

// KEYS[1] the username's entry; ARGV failures before a lock, longest lock (ms), forget after (ms).
// After the lock has passed the entry lives forgetAfter past its last failure, as in LoginThrottle.
const std::string kFailed = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local before = tonumber(ARGV[1])
local maxLock = tonumber(ARGV[2])
local forget = tonumber(ARGV[3])
local count = redis.call('HINCRBY', KEYS[1], 'count', 1)
local lock = 0
if count >= before then
  lock = math.min(math.pow(2, math.min(count - before, 30)) * 1000, maxLock)
  redis.call('HSET', KEYS[1], 'locked_until', string.format('%d', now + lock))
end
redis.call('PEXPIRE', KEYS[1], string.format('%d', math.max(lock, forget)))
return count
)lua";

[[noreturn]] void busDown() {
    // The contract's 503: the client retries after a second; nothing was written.
    throw ApiError::overloaded(1);
}

} // namespace

RedisCustomerRateLimit::RedisCustomerRateLimit(RedisClient& redis, RateLimiter::Options options,
                                               std::string prefix)
    : m_redis(redis)
    , m_options(options)
    , m_prefix(std::move(prefix)) {}

std::optional<int> RedisCustomerRateLimit::tryConsume(const std::string& key) {
    RedisReply reply;
    try {
        reply = m_redis.eval(kTokenBucket, {m_prefix + "rate:" + key},
                             {std::to_string(m_options.burst), std::to_string(m_options.perMinute)});
    } catch (const RedisUnavailable&) {
        busDown();
    }
    if (reply.type != RedisReply::Type::Integer)
        throw std::runtime_error("Redis rate limit script: " + reply.text);
    if (reply.integer <= 0)
        return std::nullopt;
    return static_cast<int>(reply.integer);
}

RedisLoginLimit::RedisLoginLimit(RedisClient& redis, LoginThrottle::Options options, std::string prefix)
    : m_redis(redis)
    , m_options(options)
    , m_prefix(std::move(prefix)) {}

std::string RedisLoginLimit::keyOf(const std::string& username) const {
    std::string key = username; // usernames are case-insensitive
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return m_prefix + "login:" + key;
}

std::optional<int> RedisLoginLimit::lockedFor(const std::string& username) {
    RedisReply reply;
    try {
        reply = m_redis.eval(kLockedFor, {keyOf(username)}, {});
    } catch (const RedisUnavailable&) {
        busDown();
    }
    if (reply.type != RedisReply::Type::Integer)
        throw std::runtime_error("Redis login throttle script: " + reply.text);
    if (reply.integer <= 0)
        return std::nullopt;
    return static_cast<int>(reply.integer);
}

// Memory: an entry lives forgetAfter (15 minutes) past its last failure at most, whether the
// username exists or not (accountExists only bounds the in-process map by count).
void RedisLoginLimit::failed(const std::string& username, bool) {
    RedisReply reply;
    try {
        reply = m_redis.eval(kFailed, {keyOf(username)},
                             {std::to_string(m_options.failuresBeforeLock),
                              std::to_string(std::chrono::milliseconds(m_options.maxLock).count()),
                              std::to_string(std::chrono::milliseconds(m_options.forgetAfter).count())});
    } catch (const RedisUnavailable&) {
        busDown();
    }
    if (reply.type == RedisReply::Type::Error)
        throw std::runtime_error("Redis login throttle script: " + reply.text);
}

void RedisLoginLimit::succeeded(const std::string& username) {
    try {
        m_redis.command({"DEL", keyOf(username)});
    } catch (const RedisUnavailable&) {
        busDown();
    }
}

} // namespace parley::server
