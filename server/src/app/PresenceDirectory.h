#pragma once
// Several nodes (issue 20): where agent presence is shared between nodes. The realtime side's
// AgentPresenceTracker keeps its own node's connections and grace timers and tells the directory
// about them; a grace period that runs out asks the directory whether the agent is connected on
// any live node, and only one node wins the right to mark it lost. Without --bus there is no
// directory and presence is this process's alone.
//
// Every call blocks on the network (bounded by timeouts): never call it on the hub's strand.
// Calls are made from one thread at a time (the realtime side's directory thread).

#include <string>
#include <vector>

namespace parley::server {

class PresenceDirectory {
public:
    virtual ~PresenceDirectory() = default;

    // One more / one fewer connection of the agent on this node. A failure to reach the directory
    // is not thrown: the directory catches up on its next heartbeat.
    virtual void connected(const std::string& agentId) = 0;
    virtual void disconnected(const std::string& agentId) = 0;

    enum class Verdict {
        Lost,               // no live node holds a connection, and this node alone may mark it lost
        ConnectedElsewhere, // a live node holds one, or another node is already marking it lost
        Unknown             // the directory cannot be reached: try again later
    };
    // Called when this node's grace period of the agent has run out with no connection here.
    virtual Verdict claimLost(const std::string& agentId) = 0;
    // Marking the agent lost failed after claimLost said Lost: another node may try again.
    virtual void releaseLost(const std::string& agentId) = 0;

    // Keeps this node alive in the directory; call every heartbeatInterval(). Returns the agents
    // whose only connections were on nodes that have died since: their grace period starts here.
    virtual std::vector<std::string> heartbeat() = 0;
    virtual int heartbeatIntervalMs() const = 0;
};

} // namespace parley::server
