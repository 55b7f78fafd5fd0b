// A server restart loses nothing: reconnect, hello, resume, and every message is there once.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QTest>

using namespace parley::test;

class TestRealtimeRestart : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(m_server.start()); }

    void restartFollowedByResumeRecoversEverything() {
        Rest rest(m_server.httpPort());
        auto agent = rest.createAgent("restart-agent");
        QVERIFY(rest.setPresence(agent, true));
        auto chat = rest.customerWithConversation();
        QCOMPARE(rest.handoff(chat).value("assigned_agent_id", ""), agent.id);

        auto customer = std::make_unique<WsTestClient>(m_server.wsUrl());
        auto agentWs = std::make_unique<WsTestClient>(m_server.wsUrl());
        QCOMPARE(customer->hello(chat.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(agentWs->hello(agent.token).value("type", ""), std::string("hello.ok"));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(rest.agentSend(agent, chat.conversationId, "before " + std::to_string(i)).status, 201);
        QVERIFY(customer->waitForCount("message.created", 3));
        QVERIFY(agentWs->waitForCount("message.created", 3));
        const auto customerSeen = customer->seqsOf(chat.conversationId).back();
        const auto agentSeen = agentWs->seqsOf(chat.conversationId).back();

        QVERIFY(m_server.restart());
        QVERIFY(customer->waitDisconnected());
        QVERIFY(agentWs->waitDisconnected());

        // While nobody is connected: more messages (tokens survive the restart).
        for (int i = 0; i < 4; ++i)
            QCOMPARE(rest.agentSend(agent, chat.conversationId, "during " + std::to_string(i)).status, 201);
        const auto last =
            rest.conversation(agent.token, chat.conversationId)["messages"].back()["seq"].get<std::int64_t>();

        customer = std::make_unique<WsTestClient>(m_server.wsUrl());
        auto hello = customer->hello(chat.customer.token);
        QCOMPARE(hello.value("type", ""), std::string("hello.ok"));
        QCOMPARE(hello["data"]["conversation"].value("id", ""), chat.conversationId);
        QCOMPARE(hello["data"]["conversation"].value("assigned_agent_id", ""), agent.id);
        customer->resume(chat.conversationId, customerSeen);

        agentWs = std::make_unique<WsTestClient>(m_server.wsUrl());
        hello = agentWs->hello(agent.token);
        QCOMPARE(hello["data"]["agent"].value("presence", ""),
                 std::string("online")); // within the grace period
        agentWs->resume(chat.conversationId, agentSeen);

        QCOMPARE(rest.customerSend(chat, "after the restart").status, 201);
        for (auto* c : {customer.get(), agentWs.get()}) {
            QVERIFY(QTest::qWaitFor(
                [&] {
                    auto s = c->seqsOf(chat.conversationId);
                    return !s.empty() && s.back() == last + 1;
                },
                15000));
            QVERIFY(c->fence());
        }
        // Every missed message and the live one, once each. (A live message that overtakes the
        // resume frame on the way in comes first; the backlog then does not repeat it.)
        auto check = [&](WsTestClient& c, std::int64_t seen) {
            auto seqs = c.seqsOf(chat.conversationId);
            std::sort(seqs.begin(), seqs.end());
            QCOMPARE(seqs.size(), std::size_t(last + 1 - seen));
            for (std::size_t i = 0; i < seqs.size(); ++i)
                QCOMPARE(seqs[i], seen + 1 + std::int64_t(i));
        };
        check(*customer, customerSeen);
        check(*agentWs, agentSeen);
        const auto frames = customer->framesFor("message.created", chat.conversationId);
        QVERIFY(std::any_of(frames.begin(), frames.end(), [](const json& f) {
            return f["data"]["message"].value("content", "") == "during 0";
        }));
    }

private:
    ServerProcess m_server;
};

QTEST_GUILESS_MAIN(TestRealtimeRestart)
#include "tst_realtime_restart.moc"
