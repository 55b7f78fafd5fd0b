#include "realtime/AgentPresenceTracker.h"

namespace parley::server {

namespace net = boost::asio;

AgentPresenceTracker::AgentPresenceTracker(Executor executor, std::chrono::steady_clock::duration grace,
                                           LostHandler onLost)
    : m_executor(std::move(executor))
    , m_grace(grace)
    , m_onLost(std::move(onLost)) {}

void AgentPresenceTracker::connected(const std::string& agentId) {
    auto& state = m_agents[agentId];
    ++state.connections;
    if (state.grace) {
        // Back within the grace period: the agent was never reported lost.
        state.grace->cancel();
        state.grace.reset();
    }
}

void AgentPresenceTracker::disconnected(const std::string& agentId) {
    auto it = m_agents.find(agentId);
    if (it == m_agents.end() || it->second.connections == 0)
        return;
    if (--it->second.connections == 0)
        armGrace(agentId, it->second);
}

void AgentPresenceTracker::startGrace(const std::vector<std::string>& agentIds) {
    for (const auto& id : agentIds) {
        auto& state = m_agents[id];
        if (state.connections == 0 && !state.grace)
            armGrace(id, state);
    }
}

void AgentPresenceTracker::stop() {
    m_stopped = true;
    for (auto& [id, state] : m_agents)
        if (state.grace)
            state.grace->cancel();
    m_agents.clear();
}

int AgentPresenceTracker::connectionCount(const std::string& agentId) const {
    auto it = m_agents.find(agentId);
    return it == m_agents.end() ? 0 : it->second.connections;
}

bool AgentPresenceTracker::graceRunning(const std::string& agentId) const {
    auto it = m_agents.find(agentId);
    return it != m_agents.end() && it->second.grace != nullptr;
}

void AgentPresenceTracker::armGrace(const std::string& agentId, State& state) {
    if (m_stopped)
        return;
    state.grace = std::make_unique<net::steady_timer>(m_executor, m_grace);
    // An expiry already queued when a reconnect cancelled the timer still completes without an
    // error; the generation tells such a stale expiry from the current grace period.
    const auto generation = m_nextGeneration++;
    state.generation = generation;
    state.grace->async_wait([this, agentId, generation](const boost::system::error_code& ec) {
        if (ec || m_stopped)
            return;
        auto it = m_agents.find(agentId);
        if (it == m_agents.end() || !it->second.grace || it->second.generation != generation ||
            it->second.connections > 0)
            return;
        m_agents.erase(it);
        m_onLost(agentId);
    });
}

} // namespace parley::server
