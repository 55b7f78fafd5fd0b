// Erasing a shopper's data (issue 22) ends what is live of it, in the same flow: its open
// conversation is closed (a system message, chat.closed to the shopper and the agent, the agent's
// slot freed for the queue) and its WebSocket connections are closed with 1008 after an error frame.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QTest>

using namespace parley::test;

class TestRealtimeErase : public QObject {
    Q_OBJECT
    ServerProcess m_server;
    std::unique_ptr<Rest> m_rest;

private slots:
    void initTestCase() {
        QVERIFY(m_server.start());
        m_rest = std::make_unique<Rest>(m_server.httpPort());
        QVERIFY(!m_rest->adminToken().empty());
    }

    void eraseClosesTheChatAndTheShoppersConnections() {
        auto& rest = *m_rest;
        const auto agent = rest.createAgent("eraser", 1);
        QVERIFY(rest.setPresence(agent, true));
        const auto shopper = rest.customerWithConversation();
        rest.handoff(shopper);
        QCOMPARE(rest.agentSend(agent, shopper.conversationId, "Hello there").status, 201);
        // A second shopper waits in the queue: the agent's one slot is taken.
        const auto waiting = rest.customerWithConversation();
        rest.handoff(waiting);
        QVERIFY(rest.conversation(waiting.customer.token,
                                  waiting.conversationId)["conversation"]["assigned_agent_id"]
                    .is_null());

        WsTestClient shopperWs(m_server.wsUrl());
        QCOMPARE(shopperWs.hello(shopper.customer.token).value("type", ""), std::string("hello.ok"));
        WsTestClient secondTab(m_server.wsUrl());
        QCOMPARE(secondTab.hello(shopper.customer.token).value("type", ""), std::string("hello.ok"));
        WsTestClient agentWs(m_server.wsUrl());
        QCOMPARE(agentWs.hello(agent.token).value("type", ""), std::string("hello.ok"));

        const auto r =
            rest.http().del("/api/v1/admin/customers/" + shopper.customer.sessionId, rest.adminToken());
        QCOMPARE(r.status, 204);

        // The shopper's tabs: chat.closed, then an error frame, then a 1008 close.
        for (auto* ws : {&shopperWs, &secondTab}) {
            QVERIFY(ws->waitForType("chat.closed"));
            QVERIFY(ws->waitForType("error"));
            QVERIFY(ws->waitDisconnected());
            QCOMPARE(int(ws->closeCode()), 1008);
            QCOMPARE(ws->socket().closeReason(), QStringLiteral("customer data erased"));
            QCOMPARE(ws->framesOfType("error").front()["data"].value("code", ""),
                     std::string("unauthorized"));
        }
        // The agent hears of the close; its slot goes to the waiting shopper.
        QVERIFY(agentWs.waitFor([&](const json& f) {
            return f.value("type", "") == "chat.closed" &&
                   WsTestClient::conversationOf(f) == shopper.conversationId;
        }));
        QVERIFY(agentWs.waitFor([&](const json& f) {
            return f.value("type", "") == "agent.assigned" &&
                   WsTestClient::conversationOf(f) == waiting.conversationId;
        }));
        QVERIFY(agentWs.isConnected());

        // Stored: closed, with a system message that says why (written after the erase, so kept).
        const auto c = rest.http().get("/api/v1/conversations/" + shopper.conversationId, agent.token).body;
        QCOMPARE(c["conversation"].value("status", ""), std::string("closed"));
        const auto last = c["messages"].back();
        QCOMPARE(last.value("sender_type", ""), std::string("system"));
        QCOMPARE(last["metadata"].value("reason", ""), std::string("erased"));
        for (const auto& m : c["messages"])
            if (m.value("sender_type", "") != "system" || m["metadata"].value("reason", "") != "erased")
                QCOMPARE(m.value("content", "x"), std::string());
    }

    void eraseOfABotChatClosesItToo() {
        auto& rest = *m_rest;
        const auto shopper = rest.customerWithConversation();
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(shopper.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(rest.http()
                     .del("/api/v1/admin/customers/" + shopper.customer.sessionId, rest.adminToken())
                     .status,
                 204);
        QVERIFY(ws.waitForType("chat.closed"));
        QVERIFY(ws.waitDisconnected());
        QCOMPARE(int(ws.closeCode()), 1008);
        const auto c =
            rest.http().get("/api/v1/conversations/" + shopper.conversationId, rest.adminToken()).body;
        QCOMPARE(c["conversation"].value("status", ""), std::string("closed"));
    }
};

QTEST_MAIN(TestRealtimeErase)
#include "tst_realtime_erase.moc"
