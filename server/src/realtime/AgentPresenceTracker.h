#pragma once
// Presence of agents kept apart from sockets: counts the realtime connections of each agent and,
// when the last one goes, waits out the grace period before reporting the agent lost. Several
// connections of one agent (two windows) count as one presence; a reconnect within the grace
// period cancels the timer, so nothing visible happens.
//
// Several nodes (issue 20): with a PresenceDirectory (setDirectory), connections are also counted
// there, and a grace period that runs out asks it first: the agent is lost only when no live node
// holds a connection of it, and only on the one node that claims it. Directory calls block, so they
// run on the directory executor given with it, never here; the answer comes back to the executor.
//
// Not thread-safe by itself: every call must run on the executor given to the constructor (the
// hub's strand), which is also where the timers complete.

#include "app/PresenceDirectory.h"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::server {

class AgentPresenceTracker {
public:
    using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;
    // Called on the executor when an agent's grace period has run out with no connection. It must
    // not block: the handler hands the store write (ChatService::markAgentLost) to another thread.
    using LostHandler = std::function<void(const std::string& agentId)>;

    // A running grace period; destroying it cancels it (its expiry may still arrive, and is then
    // ignored).
    class GraceTimer {
    public:
        virtual ~GraceTimer() = default;
    };
    // Starts a grace period that calls onExpiry on the executor after `after`. The default runs an
    // Asio steady_timer; tests pass one driven by a manual clock.
    using TimerFactory = std::function<std::unique_ptr<GraceTimer>(std::chrono::steady_clock::duration after,
                                                                   std::function<void()> onExpiry)>;

    AgentPresenceTracker(Executor executor, std::chrono::steady_clock::duration grace, LostHandler onLost,
                         TimerFactory timers = {});

    // Several nodes: shares presence through the directory; its calls run on directoryExecutor
    // (one thread: they keep their order). Before the first call; both must outlive this.
    void setDirectory(PresenceDirectory* directory, boost::asio::any_io_executor directoryExecutor);

    void connected(const std::string& agentId);
    void disconnected(const std::string& agentId);
    // After a (re)start nobody is connected yet: agents the store still has online (or holding
    // chats) get the same grace period to come back as if their last connection had just closed.
    void startGrace(const std::vector<std::string>& agentIds);
    // An agent that went online, or got a chat, with no connection here (over REST only, or
    // connected to another node): the grace period runs unless one is running already.
    void watch(const std::string& agentId);
    // Cancels every grace timer (server shutdown: nobody is lost because we stop).
    void stop();

    int connectionCount(const std::string& agentId) const;
    bool graceRunning(const std::string& agentId) const;

private:
    struct State {
        int connections = 0;
        std::unique_ptr<GraceTimer> grace; // set while the grace period runs
        std::uint64_t generation = 0;      // identifies the running grace period
    };
    void armGrace(const std::string& agentId, State& state);
    void graceExpired(const std::string& agentId, std::uint64_t generation);
    bool isCurrentGrace(const std::string& agentId, std::uint64_t generation) const;
    void directoryVerdict(const std::string& agentId, std::uint64_t generation,
                          PresenceDirectory::Verdict verdict);

    Executor m_executor;
    std::chrono::steady_clock::duration m_grace;
    LostHandler m_onLost;
    TimerFactory m_timers;
    std::unordered_map<std::string, State> m_agents;
    std::uint64_t m_nextGeneration = 1;
    bool m_stopped = false;
    PresenceDirectory* m_directory = nullptr;
    boost::asio::any_io_executor m_directoryExecutor;
};

} // namespace parley::server
