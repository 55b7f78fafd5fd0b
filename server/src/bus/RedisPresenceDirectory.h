#pragma once
// Cluster-wide agent presence in Redis (issue 20).
// Keys (after the prefix, "parley:<cluster>:" in parley-server):
//   node:<node>          this node's heartbeat: "1" with a TTL (nodeTtl), refreshed every
//                        heartbeatInterval; a node whose key has expired is dead
//   nodes                set of the nodes that have announced themselves
//   agent:<id>:conns     hash node -> number of the agent's connections on that node
//   node:<node>:agents   set of the agents with a connection on that node
//   node:<node>:grace    set of the agents whose grace period runs on that node
//   agent:<id>:lost      claim of the node that marks the agent lost (SET NX, with a TTL)
//   born                 when the keys were found empty (Redis new or restarted): claims wait a
//                        node ttl from then, until every live node has written its counts back
// Only nodes whose heartbeat key exists count. Every step that reads and writes is one Lua script.
//
// Not thread-safe: the realtime side calls it from its one directory thread.

#include "app/PresenceDirectory.h"
#include "bus/RedisClient.h"

#include <chrono>
#include <string>
#include <unordered_map>

namespace parley::server {

class RedisPresenceDirectory final : public PresenceDirectory {
public:
    struct Options {
        std::chrono::milliseconds heartbeatInterval{2000};
        std::chrono::milliseconds nodeTtl{10000};
        // Long enough for the winner to commit markAgentLost; after it the database's own check
        // (an agent already offline is left alone) keeps a late repeat from doing anything.
        std::chrono::milliseconds lostClaimTtl{60000};
        std::string prefix = "parley:";
    };
    RedisPresenceDirectory(RedisClient& redis, std::string nodeId);
    RedisPresenceDirectory(RedisClient& redis, std::string nodeId, Options options);

    void connected(const std::string& agentId) override;
    void disconnected(const std::string& agentId) override;
    Verdict claimLost(const std::string& agentId) override;
    void releaseLost(const std::string& agentId) override;
    std::vector<std::string> heartbeat() override;
    int heartbeatIntervalMs() const override { return static_cast<int>(m_options.heartbeatInterval.count()); }

    const std::string& nodeId() const { return m_nodeId; }

private:
    void republish(); // replaces this node's counts in Redis with m_counts
    std::string key(const std::string& suffix) const { return m_options.prefix + suffix; }

    RedisClient& m_redis;
    std::string m_nodeId;
    Options m_options;
    // This node's truth: connections per agent, kept even while Redis is away, and written back
    // whole (republish) after Redis lost some update or this node's heartbeat expired.
    std::unordered_map<std::string, int> m_counts;
    bool m_dirty = true; // Redis may disagree with m_counts (start, or a failed update)
};

} // namespace parley::server
