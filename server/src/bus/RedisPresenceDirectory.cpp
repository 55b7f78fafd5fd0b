#include "bus/RedisPresenceDirectory.h"

#include "util/Log.h"

namespace parley::server {

namespace {

// KEYS conns hash, node's agents, node's grace set, lost claim; ARGV node, agent.
const std::string kConnected = R"lua(
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SREM', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[4])
return 1
)lua";

// KEYS conns hash, node's agents, node's grace set; ARGV node, agent. The grace set remembers the
// agent until the grace period ends, so a survivor runs it should this node die meanwhile.
const std::string kDisconnected = R"lua(
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[2])
end
return n
)lua";

// Shared Lua: whether a live node (heartbeat key present) holds a connection in the conns hash.
#define PARLEY_LIVE_FN                                                                                       \
    "local function liveConnection(prefix, conns)\n"                                                         \
    "  local f = redis.call('HGETALL', conns)\n"                                                             \
    "  for i = 1, #f, 2 do\n"                                                                                \
    "    if tonumber(f[i + 1]) > 0 and redis.call('EXISTS', prefix .. 'node:' .. f[i]) == 1 then\n"          \
    "      return true\n"                                                                                    \
    "    end\n"                                                                                              \
    "  end\n"                                                                                                \
    "  return false\n"                                                                                       \
    "end\n"

// Shared Lua: Redis's clock in milliseconds.
#define PARLEY_NOW_FN                                                                                        \
    "local function nowMs()\n"                                                                               \
    "  local t = redis.call('TIME')\n"                                                                       \
    "  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"                                   \
    "end\n"

// KEYS conns hash, lost claim, node's grace set, born; ARGV prefix, node, claim ttl ms, agent,
// settle ms. Returns 1: claimed, 0: connected on a live node (or claimed by another), 2: the
// directory is younger than settle ms (a new or emptied Redis: the live nodes may not have written
// their counts back yet), ask again later.
const std::string kClaimLost = PARLEY_LIVE_FN PARLEY_NOW_FN R"lua(
local now = nowMs()
local born = tonumber(redis.call('GET', KEYS[4]))
if not born then
  redis.call('SET', KEYS[4], now, 'NX')
  return 2
end
if now - born < tonumber(ARGV[5]) then return 2 end
redis.call('SREM', KEYS[3], ARGV[4])
if liveConnection(ARGV[1], KEYS[1]) then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0
)lua";

// ARGV prefix, node, ttl ms. Refreshes this node's heartbeat and clears away the nodes whose
// heartbeat has expired: their connections stop counting, and the agents left with no live
// connection (or in grace there) are returned, to this node alone. Returns {had heartbeat, agents}.
// The first heartbeat after Redis started empty notes when (born): claims wait a node ttl from then.
const std::string kHeartbeat = PARLEY_LIVE_FN PARLEY_NOW_FN R"lua(
local prefix, me = ARGV[1], ARGV[2]
redis.call('SET', prefix .. 'born', nowMs(), 'NX')
local had = redis.call('SET', prefix .. 'node:' .. me, '1', 'PX', ARGV[3], 'GET')
redis.call('SADD', prefix .. 'nodes', me)
local orphans = {}
for _, node in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  if node ~= me and redis.call('EXISTS', prefix .. 'node:' .. node) == 0 then
    local agents = redis.call('SUNION', prefix .. 'node:' .. node .. ':agents', prefix .. 'node:' .. node .. ':grace')
    for _, agent in ipairs(agents) do
      local conns = prefix .. 'agent:' .. agent .. ':conns'
      redis.call('HDEL', conns, node)
      if not liveConnection(prefix, conns) then table.insert(orphans, agent) end
    end
    redis.call('DEL', prefix .. 'node:' .. node .. ':agents', prefix .. 'node:' .. node .. ':grace')
    redis.call('SREM', prefix .. 'nodes', node)
  end
end
if had then return {1, orphans} end
return {0, orphans}
)lua";

// ARGV prefix, node, then agent, count pairs: this node's counts replaced by the given ones.
const std::string kRepublish = R"lua(
local prefix, me = ARGV[1], ARGV[2]
local agentsKey = prefix .. 'node:' .. me .. ':agents'
for _, agent in ipairs(redis.call('SMEMBERS', agentsKey)) do
  redis.call('HDEL', prefix .. 'agent:' .. agent .. ':conns', me)
end
redis.call('DEL', agentsKey)
for i = 3, #ARGV, 2 do
  redis.call('HSET', prefix .. 'agent:' .. ARGV[i] .. ':conns', me, ARGV[i + 1])
  redis.call('SADD', agentsKey, ARGV[i])
end
return 1
)lua";

} // namespace

RedisPresenceDirectory::RedisPresenceDirectory(RedisClient& redis, std::string nodeId)
    : RedisPresenceDirectory(redis, std::move(nodeId), Options{}) {}

RedisPresenceDirectory::RedisPresenceDirectory(RedisClient& redis, std::string nodeId, Options options)
    : m_redis(redis)
    , m_nodeId(std::move(nodeId))
    , m_options(std::move(options)) {}

void RedisPresenceDirectory::connected(const std::string& agentId) {
    ++m_counts[agentId];
    if (m_dirty)
        return; // the next heartbeat writes everything
    try {
        m_redis.eval(kConnected,
                     {key("agent:" + agentId + ":conns"), key("node:" + m_nodeId + ":agents"),
                      key("node:" + m_nodeId + ":grace"), key("agent:" + agentId + ":lost")},
                     {m_nodeId, agentId});
    } catch (const RedisUnavailable& e) {
        m_dirty = true;
        log::warn(std::string("presence: ") + e.what());
    }
}

void RedisPresenceDirectory::disconnected(const std::string& agentId) {
    auto it = m_counts.find(agentId);
    if (it == m_counts.end())
        return;
    if (--it->second <= 0)
        m_counts.erase(it);
    if (m_dirty)
        return;
    try {
        m_redis.eval(kDisconnected,
                     {key("agent:" + agentId + ":conns"), key("node:" + m_nodeId + ":agents"),
                      key("node:" + m_nodeId + ":grace")},
                     {m_nodeId, agentId});
    } catch (const RedisUnavailable& e) {
        m_dirty = true;
        log::warn(std::string("presence: ") + e.what());
    }
}

PresenceDirectory::Verdict RedisPresenceDirectory::claimLost(const std::string& agentId) {
    // Redis may still hold a connection of this node that this node has since closed (the update
    // failed): its answer would be "connected elsewhere" and nobody would try again. Wait for the
    // heartbeat that writes this node's counts back.
    if (m_dirty) {
        log::info("presence: this node's connection counts are not in Redis yet; agent " + agentId +
                  " is claimed later");
        return Verdict::Unknown;
    }
    try {
        const auto reply =
            m_redis.eval(kClaimLost,
                         {key("agent:" + agentId + ":conns"), key("agent:" + agentId + ":lost"),
                          key("node:" + m_nodeId + ":grace"), key("born")},
                         {m_options.prefix, m_nodeId, std::to_string(m_options.lostClaimTtl.count()), agentId,
                          std::to_string(m_options.nodeTtl.count())});
        if (reply.type != RedisReply::Type::Integer)
            throw std::runtime_error("presence claim script: " + reply.text);
        if (reply.integer == 2) {
            log::info("presence: Redis started empty a moment ago; agent " + agentId + " is claimed later");
            return Verdict::Unknown;
        }
        return reply.integer == 1 ? Verdict::Lost : Verdict::ConnectedElsewhere;
    } catch (const RedisUnavailable& e) {
        log::warn(std::string("presence: ") + e.what());
        return Verdict::Unknown;
    }
}

void RedisPresenceDirectory::releaseLost(const std::string& agentId) {
    try {
        m_redis.command({"DEL", key("agent:" + agentId + ":lost")});
    } catch (const RedisUnavailable& e) {
        log::warn(std::string("presence: ") + e.what()); // the claim expires by itself
    }
}

std::vector<std::string> RedisPresenceDirectory::heartbeat() {
    std::vector<std::string> orphans;
    try {
        const auto reply = m_redis.eval(
            kHeartbeat, {}, {m_options.prefix, m_nodeId, std::to_string(m_options.nodeTtl.count())});
        if (reply.type != RedisReply::Type::Array || reply.elements.size() != 2)
            throw std::runtime_error("presence heartbeat script: " + reply.text);
        if (reply.elements[0].integer == 0) // new, or expired while Redis was away: others dropped us
            m_dirty = true;
        for (const auto& agent : reply.elements[1].elements)
            orphans.push_back(agent.text);
        if (m_dirty)
            republish();
    } catch (const RedisUnavailable& e) {
        log::warn(std::string("presence heartbeat: ") + e.what());
    }
    return orphans;
}

void RedisPresenceDirectory::republish() {
    std::vector<std::string> args{m_options.prefix, m_nodeId};
    args.reserve(2 + 2 * m_counts.size());
    for (const auto& [agent, count] : m_counts) {
        args.push_back(agent);
        args.push_back(std::to_string(count));
    }
    const auto reply = m_redis.eval(kRepublish, {}, args); // RedisUnavailable: stays dirty
    if (reply.type == RedisReply::Type::Error)
        throw std::runtime_error("presence republish script: " + reply.text);
    m_dirty = false;
}

} // namespace parley::server
