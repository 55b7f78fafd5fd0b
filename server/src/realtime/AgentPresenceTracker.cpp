#include "realtime/AgentPresenceTracker.h"

#include "util/Log.h"

#include <boost/asio/post.hpp>

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

void AgentPresenceTracker::setDirectory(PresenceDirectory* directory,
                                        boost::asio::any_io_executor directoryExecutor) {
    m_directory = directory;
    m_directoryExecutor = std::move(directoryExecutor);
}

void AgentPresenceTracker::connected(const std::string& agentId) {
    if (m_directory && !m_stopped)
        net::post(m_directoryExecutor, [dir = m_directory, agentId] { dir->connected(agentId); });
    auto& state = m_agents[agentId];
    ++state.connections;
    if (state.grace) // back within the grace period: the agent was never reported lost
        state.grace.reset();
}

void AgentPresenceTracker::disconnected(const std::string& agentId) {
    auto it = m_agents.find(agentId);
    if (it == m_agents.end() || it->second.connections == 0)
        return;
    if (m_directory && !m_stopped)
        net::post(m_directoryExecutor, [dir = m_directory, agentId] { dir->disconnected(agentId); });
    if (--it->second.connections == 0)
        armGrace(agentId, it->second);
}

void AgentPresenceTracker::startGrace(const std::vector<std::string>& agentIds) {
    for (const auto& id : agentIds)
        watch(id);
}

void AgentPresenceTracker::watch(const std::string& agentId) {
    auto& state = m_agents[agentId];
    if (state.connections == 0 && !state.grace)
        armGrace(agentId, state);
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

bool AgentPresenceTracker::isCurrentGrace(const std::string& agentId, std::uint64_t generation) const {
    auto it = m_agents.find(agentId);
    return !m_stopped && it != m_agents.end() && it->second.grace && it->second.generation == generation &&
           it->second.connections == 0;
}

void AgentPresenceTracker::graceExpired(const std::string& agentId, std::uint64_t generation) {
    if (!isCurrentGrace(agentId, generation))
        return;
    if (m_directory) {
        // Connected on another node? Asked off the strand; the grace stays "running" until the
        // answer is back, so a reconnect meanwhile makes the answer stale (generation).
        net::post(m_directoryExecutor, [this, agentId, generation] {
            auto verdict = PresenceDirectory::Verdict::Unknown;
            try {
                verdict = m_directory->claimLost(agentId);
            } catch (const std::exception& e) {
                log::error("presence: claimLost(" + agentId + ") failed: " + e.what());
            }
            net::post(m_executor, [this, agentId, generation, verdict] {
                directoryVerdict(agentId, generation, verdict);
            });
        });
        return;
    }
    m_agents.erase(agentId);
    m_onLost(agentId);
}

void AgentPresenceTracker::directoryVerdict(const std::string& agentId, std::uint64_t generation,
                                            PresenceDirectory::Verdict verdict) {
    if (!isCurrentGrace(agentId, generation))
        return; // back here meanwhile (its connect cleared any claim in the directory)
    switch (verdict) {
    case PresenceDirectory::Verdict::Lost:
        m_agents.erase(agentId);
        m_onLost(agentId);
        break;
    case PresenceDirectory::Verdict::ConnectedElsewhere: // that node runs its grace when it goes
        m_agents.erase(agentId);
        break;
    case PresenceDirectory::Verdict::Unknown: // the directory is away: wait another grace period
        log::warn("presence: cannot tell whether agent " + agentId +
                  " is connected elsewhere; waiting longer");
        armGrace(agentId, m_agents[agentId]);
        break;
    }
}

} // namespace parley::server
