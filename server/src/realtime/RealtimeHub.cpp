#include "realtime/RealtimeHub.h"

#include "parley/protocol/Events.h"
#include "util/Log.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace parley::server {

namespace net = boost::asio;

namespace {
int newEventFd() {
    const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0)
        throw std::runtime_error(std::string("realtime hub: eventfd: ") + std::strerror(errno));
    return fd;
}
} // namespace

RealtimeHub::RealtimeHub(Executor strand, AgentPresenceTracker& presence)
    : m_strand(std::move(strand))
    , m_presence(presence)
    , m_wakeFd(newEventFd())
    , m_wake(m_strand, m_wakeFd) {
    waitForInbox();
}

RealtimeHub::~RealtimeHub() = default; // m_wake closes the eventfd

void RealtimeHub::enqueue(std::function<void()> fn) {
    bool signal = false;
    {
        std::lock_guard lock(m_inboxMutex);
        m_inbox.push_back(std::move(fn));
        signal = !m_inboxSignalled;
        m_inboxSignalled = true;
    }
    if (signal) {
        const std::uint64_t one = 1;
        if (::write(m_wakeFd, &one, sizeof one) != sizeof one)
            log::error(std::string("realtime hub: cannot wake the io thread: ") + std::strerror(errno));
    }
}

void RealtimeHub::waitForInbox() {
    m_wake.async_wait(net::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
        if (ec)
            return; // the io_context is stopping
        drainInbox();
        waitForInbox();
    });
}

// On the strand (m_wake's executor).
void RealtimeHub::drainInbox() {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto n = ::read(m_wakeFd, &count, sizeof count);
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(m_inboxMutex);
        batch.swap(m_inbox);
        m_inboxSignalled = false;
    }
    for (auto& fn : batch) {
        try {
            fn();
        } catch (const std::exception& e) { // one failing operation must not stop the others
            log::error(std::string("realtime hub: unexpected exception: ") + e.what());
        }
    }
}

std::shared_ptr<const std::string> RealtimeHub::serialize(const nlohmann::json& frame) {
    // Content is validated UTF-8 before it is stored; replace rather than throw just in case.
    return std::make_shared<const std::string>(
        frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void RealtimeHub::publish(std::vector<Event> events) {
    if (events.empty())
        return;
    enqueue([this, events = std::move(events)] { route(events); });
}

void RealtimeHub::post(std::function<void()> fn) {
    enqueue(std::move(fn));
}

void RealtimeHub::attachCustomer(std::shared_ptr<Subscriber> sub, std::string sessionId, Done done) {
    enqueue([this, sub = std::move(sub), sessionId = std::move(sessionId), done = std::move(done)] {
        const auto id = sub->subscriberId();
        auto& entry = m_subs[id];
        entry.sub = sub;
        entry.customerSessionId = sessionId;
        m_byCustomer[sessionId].push_back(id);
        if (m_customers)
            m_customers->connected(sessionId);
        if (done)
            done();
    });
}

void RealtimeHub::attachAgent(std::shared_ptr<Subscriber> sub, std::string agentId, Done done) {
    enqueue([this, sub = std::move(sub), agentId = std::move(agentId), done = std::move(done)] {
        const auto id = sub->subscriberId();
        auto& entry = m_subs[id];
        entry.sub = sub;
        entry.agentId = agentId;
        m_byAgent[agentId].push_back(id);
        m_agentConnections.insert(id);
        m_presence.connected(agentId);
        if (done)
            done();
    });
}

void RealtimeHub::watch(std::shared_ptr<Subscriber> sub, std::string conversationId, Done done) {
    enqueue([this, sub = std::move(sub), conversationId = std::move(conversationId), done = std::move(done)] {
        const auto id = sub->subscriberId();
        auto it = m_subs.find(id);
        // A connection that was detached meanwhile watches nothing; done still runs so the caller
        // can finish (its own state says it is closed).
        if (it != m_subs.end()) {
            it->second.watching.insert(conversationId);
            m_watchers[conversationId].insert(id);
        }
        if (done)
            done();
    });
}

void RealtimeHub::unwatch(std::uint64_t subscriberId, std::string conversationId) {
    enqueue([this, subscriberId, conversationId = std::move(conversationId)] {
        auto it = m_subs.find(subscriberId);
        if (it != m_subs.end())
            it->second.watching.erase(conversationId);
        auto w = m_watchers.find(conversationId);
        if (w != m_watchers.end()) {
            w->second.erase(subscriberId);
            if (w->second.empty())
                m_watchers.erase(w);
        }
    });
}

void RealtimeHub::detach(std::uint64_t subscriberId) {
    enqueue([this, subscriberId] {
        auto it = m_subs.find(subscriberId);
        if (it == m_subs.end())
            return;
        auto& entry = it->second;
        if (entry.customerSessionId) {
            removeFrom(m_byCustomer, *entry.customerSessionId, subscriberId);
            if (m_customers)
                m_customers->disconnected(*entry.customerSessionId);
        }
        if (entry.agentId) {
            removeFrom(m_byAgent, *entry.agentId, subscriberId);
            m_agentConnections.erase(subscriberId);
            m_presence.disconnected(*entry.agentId);
        }
        for (const auto& conversationId : entry.watching) {
            auto w = m_watchers.find(conversationId);
            if (w != m_watchers.end()) {
                w->second.erase(subscriberId);
                if (w->second.empty())
                    m_watchers.erase(w);
            }
        }
        m_subs.erase(it);
    });
}

void RealtimeHub::removeFrom(std::unordered_map<std::string, std::vector<std::uint64_t>>& index,
                             const std::string& key, std::uint64_t id) {
    auto it = index.find(key);
    if (it == index.end())
        return;
    std::erase(it->second, id);
    if (it->second.empty())
        index.erase(it);
}

// An agent online or holding chats with no connection here (it went online over REST, or it is
// connected to another node) gets the grace period, as one whose last connection closed does.
void RealtimeHub::watchPresence(const nlohmann::json& data) {
    const auto agent = data.find("agent");
    if (agent == data.end() || !agent->is_object() || agent->value("disabled", false))
        return;
    const auto id = agent->value("id", std::string());
    if (!id.empty() &&
        (agent->value("presence", std::string()) == "online" || agent->value("active_chats", 0) > 0))
        m_presence.watch(id);
}

void RealtimeHub::route(const std::vector<Event>& events) {
    // Frames per recipient for this batch: one post per connection and batch, in event order.
    std::unordered_map<std::uint64_t, std::vector<OutFrame>> out;
    std::vector<std::uint64_t> recipients;
    for (const auto& event : events) {
        recipients.clear();
        if (event.type == kOutboxGap) {
            // Some of the events every connection should have had are gone: none of them can
            // tell which, so each is closed and its client resumes (the widget and the console
            // reconnect by themselves).
            OutFrame frame;
            frame.missedEvents = true;
            for (const auto& sub : m_subs)
                out[sub.first].push_back(frame);
            continue;
        }
        if (event.type == protocol::events::kAgentPresenceChanged)
            watchPresence(event.data);
        const auto& a = event.audience;
        if (a.customerSessionId) {
            if (auto it = m_byCustomer.find(*a.customerSessionId); it != m_byCustomer.end())
                recipients.insert(recipients.end(), it->second.begin(), it->second.end());
        }
        if (a.allAgents) {
            recipients.insert(recipients.end(), m_agentConnections.begin(), m_agentConnections.end());
        } else {
            for (const auto& agentId : a.agentIds)
                if (auto it = m_byAgent.find(agentId); it != m_byAgent.end())
                    recipients.insert(recipients.end(), it->second.begin(), it->second.end());
        }
        if (a.watchersOf) {
            if (auto it = m_watchers.find(*a.watchersOf); it != m_watchers.end())
                recipients.insert(recipients.end(), it->second.begin(), it->second.end());
        }
        if (recipients.empty())
            continue;
        // A connection in several audiences of one event gets it once.
        std::sort(recipients.begin(), recipients.end());
        recipients.erase(std::unique(recipients.begin(), recipients.end()), recipients.end());

        OutFrame frame;
        if (event.type == kAgentSessionsEnded) {
            frame.endsAgentSessions = true;
            if (const auto keep = event.data.find("keep_session_id");
                keep != event.data.end() && keep->is_string())
                frame.keepSessionId = keep->get<std::string>();
            for (auto id : recipients)
                out[id].push_back(frame);
            continue;
        }
        if (event.type == kCustomerSessionEnded) {
            frame.endsCustomerSession = true;
            for (auto id : recipients)
                out[id].push_back(frame);
            continue;
        }
        try {
            frame.text = serialize(event.frame());
        } catch (const std::exception& e) {
            log::error(std::string("realtime: cannot serialise event ") + event.type + ": " + e.what());
            continue;
        }
        const bool isMessage = event.type == protocol::events::kMessageCreated && event.seq > 0;
        if (isMessage) {
            frame.conversationId = event.conversationId;
            frame.seq = event.seq;
        } else if (event.type == protocol::events::kChatClosed) {
            frame.conversationId = event.conversationId;
            if (frame.conversationId.empty() && event.data.contains("conversation"))
                frame.conversationId = event.data["conversation"].value("id", "");
            frame.closesConversation = !frame.conversationId.empty();
        }
        for (auto id : recipients)
            out[id].push_back(frame);
    }
    for (auto& [id, frames] : out) {
        auto it = m_subs.find(id);
        if (it != m_subs.end())
            it->second.sub->deliver(std::move(frames));
    }
}

} // namespace parley::server
