// Every event of the contract's WebSocket table reaches exactly the recipients it names.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QTest>

#include <memory>
#include <set>

using namespace parley::test;

class TestRealtimeEvents : public QObject {
    Q_OBJECT

    using Clients = std::vector<WsTestClient*>;

    std::unique_ptr<WsTestClient> connectAs(const std::string& token) {
        auto ws = std::make_unique<WsTestClient>(m_server.wsUrl());
        auto reply = ws->hello(token);
        if (reply.value("type", "") != "hello.ok")
            qWarning("hello failed: %s", reply.dump().c_str());
        return ws;
    }

    Clients everybody() const {
        return {m_wsA.get(), m_wsB.get(), m_wsC.get(), m_wsX.get(), m_wsY.get(), m_wsZ.get()};
    }

    void clearAll() {
        for (auto* c : everybody())
            c->clear();
    }

    // After the expected recipients have the event, a fence on everybody makes "nobody else got
    // it" a fact rather than a race: anything routed to a connection precedes its fence reply.
    bool expectOnly(const std::string& type, const std::string& conversationId, const Clients& recipients,
                    const std::function<bool(const json&)>& extra = {}) {
        for (auto* r : recipients) {
            if (!r->waitFor([&](const json& f) {
                    return f.value("type", "") == type &&
                           (conversationId.empty() || WsTestClient::conversationOf(f) == conversationId) &&
                           (!extra || extra(f));
                })) {
                qWarning("an expected recipient did not get %s", type.c_str());
                return false;
            }
        }
        for (auto* c : everybody()) {
            if (!c->fence())
                return false;
            const bool expected = std::find(recipients.begin(), recipients.end(), c) != recipients.end();
            const auto got =
                conversationId.empty() ? c->framesOfType(type) : c->framesFor(type, conversationId);
            if (!expected && !got.empty()) {
                qWarning("%s reached a connection that must not get it: %s", type.c_str(),
                         got.front().dump().c_str());
                return false;
            }
        }
        return true;
    }

    WsTestClient* wsOf(const std::string& agentId) const {
        return agentId == m_a.id ? m_wsA.get() : m_wsB.get();
    }

private slots:
    void initTestCase() {
        QVERIFY(m_server.start());
        m_rest = std::make_unique<Rest>(m_server.httpPort());
        m_a = m_rest->createAgent("ev-a");
        m_b = m_rest->createAgent("ev-b");
        m_c = m_rest->createAgent("ev-c"); // stays offline
        QVERIFY(!m_a.token.empty() && !m_b.token.empty() && !m_c.token.empty());
        m_x = m_rest->customerWithConversation();
        m_y = m_rest->customerWithConversation();
        m_z = m_rest->customerWithConversation();
        m_wsA = connectAs(m_a.token);
        m_wsB = connectAs(m_b.token);
        m_wsC = connectAs(m_c.token);
        m_wsX = connectAs(m_x.customer.token);
        m_wsY = connectAs(m_y.customer.token);
        m_wsZ = connectAs(m_z.customer.token);
        for (auto* c : everybody())
            QVERIFY(c->isConnected());
    }

    void init() { clearAll(); }

    void messageInAutomatedReachesOnlyItsCustomer() {
        QCOMPARE(m_rest->customerSend(m_x, "Where is my order?").status, 201);
        QVERIFY(expectOnly("message.created", m_x.conversationId, {m_wsX.get()}));
        // The customer's message and the bot's reply, in order.
        QVERIFY(m_wsX->waitForCount("message.created", 2));
        auto seqs = m_wsX->seqsOf(m_x.conversationId);
        QCOMPARE(seqs.size(), std::size_t(2));
        QCOMPARE(seqs[1], seqs[0] + 1);
        QCOMPARE(m_wsX->framesOfType("message.created")[1]["data"]["message"].value("sender_type", ""),
                 std::string("bot"));
    }

    void presenceChangesReachEveryAgentAndNoCustomer() {
        QVERIFY(m_rest->setPresence(m_a, true));
        auto isA = [this](const json& f) { return f["data"]["agent"].value("id", "") == m_a.id; };
        QVERIFY(expectOnly("agent.presence.changed", "", {m_wsA.get(), m_wsB.get(), m_wsC.get()}, isA));
        QCOMPARE(m_wsC->framesOfType("agent.presence.changed").back()["data"]["agent"].value("presence", ""),
                 std::string("online"));
        clearAll();
        QVERIFY(m_rest->setPresence(m_b, true));
        QVERIFY(expectOnly("agent.presence.changed", "", {m_wsA.get(), m_wsB.get(), m_wsC.get()}));
    }

    void handoffTellsCustomerAssigneeAndConnectedAgents() {
        auto conv = m_rest->handoff(m_x);
        QCOMPARE(conv.value("status", ""), std::string("agent"));
        m_assignee = conv.value("assigned_agent_id", "");
        QVERIFY(m_assignee == m_a.id || m_assignee == m_b.id);
        m_other = m_assignee == m_a.id ? m_b.id : m_a.id;
        auto* assignee = wsOf(m_assignee);

        QVERIFY(expectOnly("agent.assigned", m_x.conversationId, {m_wsX.get(), assignee}));
        QCOMPARE(m_wsX->framesOfType("agent.assigned").front()["data"]["agent"].value("id", ""), m_assignee);
        // It left the queue (straight away): the customer and every connected agent, the offline C
        // too (v1.1: every console's queue view is live).
        QVERIFY(expectOnly("conversation.updated", m_x.conversationId,
                           {m_wsX.get(), m_wsA.get(), m_wsB.get(), m_wsC.get()}));
        // The "joined" system message: customer and assignee only.
        QVERIFY(expectOnly("message.created", m_x.conversationId, {m_wsX.get(), assignee}));
        QCOMPARE(assignee->framesFor("message.created", m_x.conversationId)
                     .back()["data"]["message"]["metadata"]
                     .value("event", ""),
                 std::string("assigned"));
    }

    void queuedConversationIsAnnouncedToEveryConnectedAgent() {
        // No capacity left: the assignee is full at 1, the other takes none.
        QVERIFY(m_rest->setMaxChats(m_assignee == m_a.id ? m_a : m_b, 1));
        QVERIFY(m_rest->setMaxChats(m_other == m_a.id ? m_a : m_b, 0));
        clearAll();

        auto conv = m_rest->handoff(m_y);
        QVERIFY(conv["assigned_agent_id"].is_null());
        QCOMPARE(conv.value("queue_position", 0), 1);
        QVERIFY(expectOnly(
            "conversation.updated", m_y.conversationId, {m_wsY.get(), m_wsA.get(), m_wsB.get(), m_wsC.get()},
            [](const json& f) { return f["data"]["conversation"].value("queue_position", 0) == 1; }));
        // The queued system message goes to the customer only (nobody is assigned, nobody watches).
        QVERIFY(expectOnly("message.created", m_y.conversationId, {m_wsY.get()}));
        QCOMPARE(m_wsY->framesFor("message.created", m_y.conversationId)
                     .back()["data"]["message"]
                     .value("content", ""),
                 std::string("All agents are busy. You are in queue."));
        QVERIFY(expectOnly("agent.assigned", m_y.conversationId, {}));

        // Z queues behind Y; Y's place does not change, so Y hears nothing new.
        clearAll();
        QCOMPARE(m_rest->handoff(m_z).value("queue_position", 0), 2);
        QVERIFY(expectOnly("conversation.updated", m_z.conversationId,
                           {m_wsZ.get(), m_wsA.get(), m_wsB.get(), m_wsC.get()}));
        QVERIFY(expectOnly("conversation.updated", m_y.conversationId, {}));

        // Capacity appears: Y leaves the queue to the other agent, Z moves up to place 1.
        clearAll();
        QVERIFY(m_rest->setMaxChats(m_other == m_a.id ? m_a : m_b, 1));
        auto* other = wsOf(m_other);
        QVERIFY(expectOnly("agent.assigned", m_y.conversationId, {m_wsY.get(), other}));
        QVERIFY(expectOnly(
            "conversation.updated", m_y.conversationId, {m_wsY.get(), m_wsA.get(), m_wsB.get(), m_wsC.get()},
            [](const json& f) { return !f["data"]["conversation"]["assigned_agent_id"].is_null(); }));
        QVERIFY(expectOnly(
            "conversation.updated", m_z.conversationId, {m_wsZ.get(), m_wsA.get(), m_wsB.get(), m_wsC.get()},
            [](const json& f) { return f["data"]["conversation"].value("queue_position", 0) == 1; }));
        // The load change is an agent.presence.changed to every agent.
        QVERIFY(expectOnly("agent.presence.changed", "", {m_wsA.get(), m_wsB.get(), m_wsC.get()}));
    }

    void messagesReachCustomerAssigneeAndWatchersOnly() {
        auto* assignee = wsOf(m_assignee);
        const auto& assigneeAgent = m_assignee == m_a.id ? m_a : m_b;
        // C (offline, not assigned) watches X's conversation read-only.
        m_wsC->resume(m_x.conversationId, 0);
        QVERIFY(m_wsC->waitFor([](const json& f) { return f.value("type", "") == "message.created"; }));
        QVERIFY(m_wsC->fence());
        const auto backlog = m_wsC->seqsOf(m_x.conversationId);
        QVERIFY(backlog.size() >= 4);
        for (std::size_t i = 0; i < backlog.size(); ++i)
            QCOMPARE(backlog[i], std::int64_t(i + 1));
        clearAll();

        QCOMPARE(m_rest->agentSend(assigneeAgent, m_x.conversationId, "Hello, I am here to help").status,
                 201);
        QVERIFY(expectOnly("message.created", m_x.conversationId, {m_wsX.get(), assignee, m_wsC.get()}));
        QCOMPARE(m_wsC->seqsOf(m_x.conversationId).front(), backlog.back() + 1);

        // A watcher only reads: writing is the assignee's.
        QCOMPARE(m_rest->agentSend(m_c, m_x.conversationId, "not mine to write").status, 403);
    }

    void aConnectionInSeveralAudiencesGetsAnEventOnce() {
        auto* assignee = wsOf(m_assignee);
        const auto& assigneeAgent = m_assignee == m_a.id ? m_a : m_b;
        // The assignee also watches its own conversation: assigned + watcher, still once.
        const auto history = m_rest->conversation(assigneeAgent.token, m_x.conversationId);
        QVERIFY(history.contains("messages"));
        assignee->resume(m_x.conversationId, history["messages"].back()["seq"].get<std::int64_t>());
        QVERIFY(assignee->fence());
        // A second window of the customer and of the assignee.
        auto x2 = connectAs(m_x.customer.token);
        auto assignee2 = connectAs(assigneeAgent.token);
        clearAll();

        for (int i = 0; i < 5; ++i)
            QCOMPARE(m_rest->agentSend(assigneeAgent, m_x.conversationId, "once " + std::to_string(i)).status,
                     201);
        for (auto* c : {m_wsX.get(), x2.get(), assignee, assignee2.get(), m_wsC.get()}) {
            QVERIFY(QTest::qWaitFor([&] { return c->seqsOf(m_x.conversationId).size() >= 5; }, 15000));
            QVERIFY(c->fence());
            auto seqs = c->seqsOf(m_x.conversationId);
            QCOMPARE(seqs.size(), std::size_t(5));
            for (std::size_t i = 1; i < seqs.size(); ++i)
                QCOMPARE(seqs[i], seqs[i - 1] + 1);
        }
    }

    void closeTellsCustomerAndAgentOnly() {
        auto* assignee = wsOf(m_assignee);
        const auto& assigneeAgent = m_assignee == m_a.id ? m_a : m_b;
        auto r = m_rest->http().post("/api/v1/conversations/" + m_x.conversationId + "/close", json::object(),
                                     assigneeAgent.token);
        QCOMPARE(r.status, 200);
        QVERIFY(expectOnly("chat.closed", m_x.conversationId, {m_wsX.get(), assignee}));
        QCOMPARE(m_wsX->framesOfType("chat.closed").front()["data"]["conversation"].value("status", ""),
                 std::string("closed"));
        // The closing system message: customer, assignee, watcher.
        QVERIFY(expectOnly("message.created", m_x.conversationId, {m_wsX.get(), assignee, m_wsC.get()}));
        // The freed capacity serves Z from the queue.
        QVERIFY(expectOnly("agent.assigned", m_z.conversationId, {m_wsZ.get(), assignee}));
    }

private:
    ServerProcess m_server;
    std::unique_ptr<Rest> m_rest;
    TestAgent m_a, m_b, m_c;
    Rest::CustomerChat m_x, m_y, m_z;
    std::unique_ptr<WsTestClient> m_wsA, m_wsB, m_wsC, m_wsX, m_wsY, m_wsZ;
    std::string m_assignee, m_other;
};

QTEST_GUILESS_MAIN(TestRealtimeEvents)
#include "tst_realtime_events.moc"
