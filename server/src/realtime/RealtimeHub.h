#pragma once
// Routes committed events to connections. The routing tables (customer session -> connections,
// agent -> connections, every agent connection, watchers per conversation) live on one strand:
// publish() only queues the events in the hub's inbox, so the store's writer never waits for the
// network, and since every hub operation goes through that inbox in order, every connection sees
// its events in commit order. Each event is serialised once and shared by all of its recipients.

#include "app/CustomerConnections.h"
#include "realtime/AgentPresenceTracker.h"
#include "store/Event.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::server {

// One serialised server frame as it goes to a connection.
struct OutFrame {
    std::shared_ptr<const std::string> text;
    std::string conversationId;      // message.created: for per-conversation de-duplication
    std::int64_t seq = 0;            // message.created: the message's seq; 0 for every other event
    bool closesConversation = false; // chat.closed: no message of it follows (see WsSession)
    // Not sent: the agent's sessions but keepSessionId ended (kAgentSessionsEnded); a connection
    // that said hello with one of them closes. text is null.
    bool endsAgentSessions = false;
    std::string keepSessionId;
    // Not sent: the customer's data was erased (kCustomerSessionEnded); its connections close.
    bool endsCustomerSession = false;
    // Not sent: this node's event feed missed events (kOutboxGap); every connection closes, so
    // that its client reconnects and resumes from the database. text is null.
    bool missedEvents = false;
};

// A connection as the hub sees it.
class Subscriber {
public:
    virtual ~Subscriber() = default;
    virtual std::uint64_t subscriberId() const = 0;
    // Called on the hub strand; must not block (implementations post to their own strand).
    virtual void deliver(std::vector<OutFrame> frames) = 0;
};

class RealtimeHub final : public EventSink {
public:
    using Executor = boost::asio::strand<boost::asio::io_context::executor_type>;
    using Done = std::function<void()>;

    // presence must run on the same strand (it is only touched from here).
    RealtimeHub(Executor strand, AgentPresenceTracker& presence);
    ~RealtimeHub();

    // EventSink: thread-safe and non-blocking; routing happens on the strand.
    void publish(std::vector<Event> events) override;

    // All thread-safe. `done` runs on the hub strand once the change is in effect: every event
    // published after that point reaches the subscriber.
    void attachCustomer(std::shared_ptr<Subscriber> sub, std::string sessionId, Done done = {});
    void attachAgent(std::shared_ptr<Subscriber> sub, std::string agentId, Done done = {});
    void watch(std::shared_ptr<Subscriber> sub, std::string conversationId, Done done = {});
    void unwatch(std::uint64_t subscriberId, std::string conversationId);
    void detach(std::uint64_t subscriberId);

    // Reply mail (issue 21): told of every customer connection that attaches or detaches. Set
    // before any connection attaches; must outlive the hub.
    void setCustomerConnections(CustomerConnections* customers) { m_customers = customers; }

    // Runs fn on the hub strand (start-up grace timers, shutdown).
    void post(std::function<void()> fn);

    // Strand only.
    std::size_t subscriberCount() const { return m_subs.size(); }

    // Serialises a server frame once; the text is shared by every recipient's send queue.
    static std::shared_ptr<const std::string> serialize(const nlohmann::json& frame);

private:
    struct Entry {
        std::shared_ptr<Subscriber> sub;
        std::optional<std::string> customerSessionId;
        std::optional<std::string> agentId;
        std::unordered_set<std::string> watching;
    };
    void route(const std::vector<Event>& events);
    void watchPresence(const nlohmann::json& data);
    // Every operation of the hub goes through one inbox, in order, and runs on the strand.
    void enqueue(std::function<void()> fn);
    void waitForInbox();
    void drainInbox();
    void removeFrom(std::unordered_map<std::string, std::vector<std::uint64_t>>& index,
                    const std::string& key, std::uint64_t id);

    Executor m_strand;
    AgentPresenceTracker& m_presence;
    CustomerConnections* m_customers = nullptr;

    // Why not asio::post: posting from an HTTP thread takes Asio's scheduler lock and wakes the
    // io thread while still holding it, so the io thread often blocked on that lock at once
    // (about half a futex wait per message). The inbox has its own short lock, and the io thread
    // is woken through an eventfd once per batch of operations, after the lock is released.
    std::mutex m_inboxMutex;
    std::vector<std::function<void()>> m_inbox;
    bool m_inboxSignalled = false; // the eventfd was written since the last drain
    int m_wakeFd = -1;
    boost::asio::posix::stream_descriptor m_wake;
    std::unordered_map<std::uint64_t, Entry> m_subs;
    std::unordered_map<std::string, std::vector<std::uint64_t>> m_byCustomer;
    std::unordered_map<std::string, std::vector<std::uint64_t>> m_byAgent;
    std::unordered_set<std::uint64_t> m_agentConnections;
    std::unordered_map<std::string, std::unordered_set<std::uint64_t>> m_watchers;
};

} // namespace parley::server
