#include "realtime/AgentPresenceTracker.h"

namespace parley::server {

namespace net = boost::asio;

namespace {

class AsioGraceTimer final : public AgentPresenceTracker::GraceTimer {
public:
    AsioGraceTimer(AgentPresenceTracker::Executor executor, std::chrono::steady_clock::duration after,
                   std::function<void()> onExpiry)
        : m_timer(executor, after) {
        m_timer.async_wait([onExpiry = std::move(onExpiry)](const boost::system::error_code& ec) {
            if (!ec)
                onExpiry();
        });
    }
    ~AsioGraceTimer() override { m_timer.cancel(); }

private:
    net::steady_timer m_timer;
};

} // namespace

AgentPresenceTracker::AgentPresenceTracker(Executor executor, std::chrono::steady_clock::duration grace,
                                           LostHandler onLost, TimerFactory timers)
    : m_executor(std::move(executor))
    , m_grace(grace)
    , m_onLost(std::move(onLost))
    , m_timers(std::move(timers)) {
    if (!m_timers)
        m_timers = [this](std::chrono::steady_clock::duration after, std::function<void()> onExpiry) {
            return std::make_unique<AsioGraceTimer>(m_executor, after, std::move(onExpiry));
        };
}

void AgentPresenceTracker::connected(const std::string& agentId) {
    auto& state = m_agents[agentId];
    ++state.connections;
    if (state.grace) // back within the grace period: the agent was never reported lost
        state.grace.reset();
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
    m_agents.clear(); // cancels every grace timer
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
    // An expiry already queued when a reconnect cancelled the timer may still arrive; the
    // generation tells such a stale expiry from the current grace period.
    const auto generation = m_nextGeneration++;
    state.generation = generation;
    state.grace = m_timers(m_grace, [this, agentId, generation] { graceExpired(agentId, generation); });
}

void AgentPresenceTracker::graceExpired(const std::string& agentId, std::uint64_t generation) {
    if (m_stopped)
        return;
    auto it = m_agents.find(agentId);
    if (it == m_agents.end() || !it->second.grace || it->second.generation != generation ||
        it->second.connections > 0)
        return;
    m_agents.erase(it);
    m_onLost(agentId);
}

} // namespace parley::server
