// RealtimeHub: events reach exactly the connections of their audience (a customer session's, named
// agents', every agent connection, a conversation's watchers), once per connection even when it is
// in several audiences, serialised once for all of them, in publish (= commit) order; a detached
// connection gets nothing more and its agent's presence counts it gone; an agent's presence event
// starts the grace period of one online or holding chats with no connection here; a gap in the
// node's event feed reaches every connection.
#include "realtime/RealtimeHub.h"

#include "parley/protocol/Events.h"

#include <QTest>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using namespace parley::server;
using namespace std::chrono_literals;
namespace events = parley::protocol::events;

namespace {

class RecordingSubscriber final : public Subscriber {
public:
    explicit RecordingSubscriber(std::uint64_t id)
        : m_id(id) {}
    std::uint64_t subscriberId() const override { return m_id; }
    void deliver(std::vector<OutFrame> frames) override {
        for (auto& f : frames)
            received.push_back(std::move(f));
    }
    // Runs on the hub strand only (the test runs the io_context on its own thread).
    std::vector<OutFrame> received;

    std::vector<std::string> types() const {
        std::vector<std::string> out;
        for (const auto& f : received)
            out.push_back(nlohmann::json::parse(*f.text).value("type", ""));
        return out;
    }
    std::vector<std::int64_t> seqs() const {
        std::vector<std::int64_t> out;
        for (const auto& f : received)
            out.push_back(f.seq);
        return out;
    }

private:
    std::uint64_t m_id;
};

Event messageEvent(const std::string& conversationId, std::int64_t seq, Audience audience) {
    return Event{events::kMessageCreated,
                 {{"message", {{"conversation_id", conversationId}, {"seq", seq}}}},
                 std::move(audience),
                 conversationId,
                 seq};
}

} // namespace

class TestRealtimeHub : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<boost::asio::io_context> m_io;
    std::unique_ptr<AgentPresenceTracker> m_presence;
    std::unique_ptr<RealtimeHub> m_hub;
    std::vector<std::string> m_lost;

    // Runs the hub's io_context until cond holds (or the timeout): waiting for an event, not a time.
    bool runUntil(const std::function<bool()>& cond, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!cond() && std::chrono::steady_clock::now() < deadline)
            m_io->run_for(2ms);
        return cond();
    }
    // Every operation queued before this one has taken effect on the strand.
    void settle() {
        bool done = false;
        m_hub->post([&] { done = true; });
        QVERIFY(runUntil([&] { return done; }));
    }
    std::shared_ptr<RecordingSubscriber> customer(std::uint64_t id, const std::string& session) {
        auto s = std::make_shared<RecordingSubscriber>(id);
        bool attached = false;
        m_hub->attachCustomer(s, session, [&] { attached = true; });
        runUntil([&] { return attached; });
        return s;
    }
    std::shared_ptr<RecordingSubscriber> agent(std::uint64_t id, const std::string& agentId) {
        auto s = std::make_shared<RecordingSubscriber>(id);
        bool attached = false;
        m_hub->attachAgent(s, agentId, [&] { attached = true; });
        runUntil([&] { return attached; });
        return s;
    }
    void watch(const std::shared_ptr<RecordingSubscriber>& s, const std::string& conversationId) {
        bool done = false;
        m_hub->watch(s, conversationId, [&] { done = true; });
        runUntil([&] { return done; });
    }

private slots:
    void init() {
        m_lost.clear();
        m_io = std::make_unique<boost::asio::io_context>();
        auto strand = boost::asio::make_strand(*m_io);
        m_presence = std::make_unique<AgentPresenceTracker>(
            strand, 10min, [this](const std::string& id) { m_lost.push_back(id); });
        m_hub = std::make_unique<RealtimeHub>(strand, *m_presence);
    }
    void cleanup() {
        m_hub.reset();
        m_presence.reset();
        m_io.reset();
    }

    void routesToItsAudienceOnly() {
        auto alice = customer(1, "session-a");
        auto aliceSecondTab = customer(2, "session-a");
        auto bob = customer(3, "session-b");
        auto x = agent(4, "agent-x");
        auto y = agent(5, "agent-y");
        auto watcher = agent(6, "agent-w");
        watch(watcher, "conv-1");

        Audience a;
        a.customerSessionId = "session-a";
        a.agentIds = {"agent-x"};
        a.watchersOf = "conv-1";
        m_hub->publish({messageEvent("conv-1", 1, a)});
        QVERIFY(runUntil([&] { return watcher->received.size() == 1; }));
        settle();
        QCOMPARE(alice->seqs(), std::vector<std::int64_t>{1});
        QCOMPARE(aliceSecondTab->seqs(), std::vector<std::int64_t>{1});
        QCOMPARE(x->seqs(), std::vector<std::int64_t>{1});
        QVERIFY(bob->received.empty());
        QVERIFY(y->received.empty());
        QCOMPARE(alice->received[0].conversationId, std::string("conv-1"));

        // Every agent connection, and no customer.
        Audience all;
        all.allAgents = true;
        m_hub->publish({Event{events::kAgentPresenceChanged, {{"agent", {{"id", "agent-x"}}}}, all, {}, 0}});
        settle();
        QCOMPARE(x->types().back(), std::string(events::kAgentPresenceChanged));
        QCOMPARE(y->types(), std::vector<std::string>{events::kAgentPresenceChanged});
        QCOMPARE(watcher->received.size(), std::size_t(2));
        QCOMPARE(alice->received.size(), std::size_t(1));
        QVERIFY(bob->received.empty());
    }

    // In several audiences of one event (named agent and watcher): one frame. And the text is
    // serialised once, shared by every recipient.
    void oneFramePerConnectionAndEvent() {
        auto x = agent(1, "agent-x");
        auto customerOfIt = customer(2, "session-a");
        watch(x, "conv-1");
        Audience a;
        a.customerSessionId = "session-a";
        a.agentIds = {"agent-x", "agent-x"};
        a.watchersOf = "conv-1";
        m_hub->publish({messageEvent("conv-1", 7, a)});
        QVERIFY(runUntil([&] { return !x->received.empty() && !customerOfIt->received.empty(); }));
        settle();
        QCOMPARE(x->received.size(), std::size_t(1));
        QCOMPARE(x->received[0].text.get(), customerOfIt->received[0].text.get());
        QCOMPARE(x->received[0].seq, std::int64_t(7));
    }

    // Batches published one after another (as the writer does after each commit) arrive in that
    // order at every recipient, and chat.closed is marked as closing its conversation.
    void commitOrder() {
        auto c = customer(1, "session-a");
        auto x = agent(2, "agent-x");
        Audience a;
        a.customerSessionId = "session-a";
        a.agentIds = {"agent-x"};
        std::int64_t seq = 0;
        for (int batch = 0; batch < 200; ++batch) {
            std::vector<Event> events;
            for (int k = 0; k < 1 + batch % 3; ++k)
                events.push_back(messageEvent("conv-1", ++seq, a));
            m_hub->publish(std::move(events));
        }
        m_hub->publish({Event{events::kChatClosed, {{"conversation", {{"id", "conv-1"}}}}, a, "conv-1", 0}});
        QVERIFY(runUntil([&] { return c->received.size() == std::size_t(seq + 1); }));
        settle();
        std::vector<std::int64_t> expected;
        for (std::int64_t q = 1; q <= seq; ++q)
            expected.push_back(q);
        expected.push_back(0);
        QCOMPARE(c->seqs(), expected);
        QCOMPARE(x->seqs(), expected);
        QVERIFY(c->received.back().closesConversation);
        QCOMPARE(c->received.back().conversationId, std::string("conv-1"));
    }

    // An event published after attach's done-callback reaches the connection; after detach,
    // nothing does, watching included, and the agent's last connection counts as gone.
    void detachStopsDeliveryAndCountsTheAgentGone() {
        auto x = agent(1, "agent-x");
        auto x2 = agent(2, "agent-x");
        watch(x, "conv-1");
        QCOMPARE(m_presence->connectionCount("agent-x"), 2);
        m_hub->detach(1);
        Audience a;
        a.agentIds = {"agent-x"};
        a.watchersOf = "conv-1";
        m_hub->publish({messageEvent("conv-1", 1, a)});
        QVERIFY(runUntil([&] { return x2->received.size() == 1; }));
        settle();
        QVERIFY(x->received.empty());
        QCOMPARE(m_presence->connectionCount("agent-x"), 1);
        QVERIFY(!m_presence->graceRunning("agent-x"));
        m_hub->detach(2);
        settle();
        QCOMPARE(m_presence->connectionCount("agent-x"), 0);
        QVERIFY(m_presence->graceRunning("agent-x"));
        QCOMPARE(m_hub->subscriberCount(), std::size_t(0));
        m_hub->publish({messageEvent("conv-1", 2, a)});
        settle();
        QCOMPARE(x2->received.size(), std::size_t(1));
    }

    // An agent online, or holding chats, with no connection here (online over REST alone, or
    // connected to another node) gets the grace period when the hub routes its presence event.
    void aPresenceEventWatchesAnAgentWithNoConnection() {
        auto x = agent(1, "agent-x");
        auto presence = [](const std::string& id, const std::string& state, int chats) {
            Audience a;
            a.allAgents = true;
            return Event{
                events::kAgentPresenceChanged,
                {{"agent", {{"id", id}, {"presence", state}, {"active_chats", chats}, {"disabled", false}}}},
                a,
                {},
                0};
        };
        m_hub->publish({presence("agent-x", "online", 0), presence("agent-r", "online", 0),
                        presence("agent-o", "offline", 0), presence("agent-c", "offline", 2)});
        QVERIFY(runUntil([&] { return x->received.size() == 4; }));
        QVERIFY(!m_presence->graceRunning("agent-x")); // connected
        QVERIFY(m_presence->graceRunning("agent-r"));
        QVERIFY(!m_presence->graceRunning("agent-o")); // offline with nothing to lose
        QVERIFY(m_presence->graceRunning("agent-c"));
    }

    // The node's event feed missed events (pruned before it read them): every connection, of
    // any audience, is told to close, after what came before and once; events after it still
    // route as usual.
    void aMissedEventsGapReachesEveryConnection() {
        auto c = customer(1, "session-a");
        auto x = agent(2, "agent-x");
        auto w = agent(3, "agent-w");
        watch(w, "conv-1");
        Audience a;
        a.customerSessionId = "session-a";
        m_hub->publish({messageEvent("conv-1", 1, a),
                        Event{kOutboxGap, nlohmann::json::object(), Audience{}, {}, 0},
                        messageEvent("conv-1", 2, a)});
        QVERIFY(runUntil(
            [&] { return c->received.size() == 3 && !x->received.empty() && !w->received.empty(); }));
        settle();
        QCOMPARE(c->seqs(), (std::vector<std::int64_t>{1, 0, 2}));
        QVERIFY(c->received[1].missedEvents && !c->received[1].text);
        QVERIFY(!c->received[0].missedEvents && !c->received[2].missedEvents);
        for (const auto& s : {x, w}) {
            QCOMPARE(s->received.size(), std::size_t(1));
            QVERIFY(s->received[0].missedEvents);
        }
    }

    void unwatchStopsWatching() {
        auto w = agent(1, "agent-w");
        watch(w, "conv-1");
        m_hub->unwatch(1, "conv-1");
        Audience a;
        a.watchersOf = "conv-1";
        m_hub->publish({messageEvent("conv-1", 1, a)});
        settle();
        QVERIFY(w->received.empty());
    }
};

QTEST_GUILESS_MAIN(TestRealtimeHub)
#include "tst_realtime_hub.moc"
