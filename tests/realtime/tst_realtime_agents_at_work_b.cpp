// Contract v1.1 "Agents at work", realtime part B: typing signals (to the other side only, at most
// one per sender and conversation per second, never stored) and conversation.read, and the
// assigned agent seeing the shopper move to another page.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QElapsedTimer>
#include <QTest>

#include <memory>

using namespace parley::test;

// Compares two JSON values as text, so a failure prints both.
#define QCOMPARE_JSON(actual, expected)                                                                      \
    QCOMPARE(QString::fromStdString(nlohmann::json(actual).dump()),                                          \
             QString::fromStdString(nlohmann::json(expected).dump()))

class TestRealtimeAgentsAtWorkB : public QObject {
    Q_OBJECT

    ServerProcess m_server;
    std::unique_ptr<Rest> m_rest;
    TestAgent m_agent;
    TestAgent m_other;

    std::unique_ptr<WsTestClient> connectAs(const std::string& token) {
        auto ws = std::make_unique<WsTestClient>(m_server.wsUrl());
        const auto reply = ws->hello(token);
        if (reply.value("type", "") != "hello.ok")
            qWarning("hello failed: %s", reply.dump().c_str());
        return ws;
    }

    // A shopper whose conversation m_agent has, with both connected.
    struct Chat {
        Rest::CustomerChat chat;
        std::unique_ptr<WsTestClient> customer;
        std::unique_ptr<WsTestClient> agent;
    };
    Chat assignedChat() {
        Chat c;
        c.chat = m_rest->customerWithConversation();
        m_rest->handoff(c.chat);
        c.customer = connectAs(c.chat.customer.token);
        c.agent = connectAs(m_agent.token);
        return c;
    }
    static json typingFrame(const std::string& conversationId) {
        return {{"type", "typing"}, {"conversation_id", conversationId}};
    }
    static std::function<bool(const json&)> isType(const std::string& type) {
        return [type](const json& f) { return f.value("type", "") == type; };
    }

private slots:
    void initTestCase() {
        QVERIFY(m_server.start());
        m_rest = std::make_unique<Rest>(m_server.httpPort());
        m_agent = m_rest->createAgent("typist", 50);
        m_other = m_rest->createAgent("other", 0);
        QVERIFY(m_rest->setPresence(m_agent, true));
    }

    void customerTypingReachesTheAgentSideOnly() {
        auto c = assignedChat();
        auto watcher = connectAs(m_other.token);
        watcher->resume(c.chat.conversationId, 0);
        QVERIFY(watcher->waitForType("message.created"));
        c.customer->send(typingFrame(c.chat.conversationId));
        QVERIFY(c.agent->waitForType("typing"));
        const auto data = c.agent->framesOfType("typing").front()["data"];
        QCOMPARE_JSON(data, (json{{"conversation_id", c.chat.conversationId}, {"sender_type", "customer"}}));
        QVERIFY(watcher->waitForType("typing"));
        QVERIFY(c.customer->fence());
        QCOMPARE(c.customer->count("typing"), 0);
        // Never stored: no message came of it.
        const auto messages = m_rest->conversation(c.chat.customer.token, c.chat.conversationId)["messages"];
        for (const auto& m : messages)
            QVERIFY(m["content"] != "typing");
        QVERIFY(c.agent->fence());
        QCOMPARE(c.agent->count("message.created"), 0);
    }

    void agentTypingReachesTheCustomer() {
        auto c = assignedChat();
        c.agent->send(typingFrame(c.chat.conversationId));
        QVERIFY(c.customer->waitForType("typing"));
        QCOMPARE_JSON(c.customer->framesOfType("typing").front()["data"],
                      (json{{"conversation_id", c.chat.conversationId},
                            {"sender_type", "agent"},
                            {"agent_id", m_agent.id}}));
        QVERIFY(c.agent->fence());
        QCOMPARE(c.agent->count("typing"), 0);
    }

    void atMostOnePerSecond() {
        auto c = assignedChat();
        QElapsedTimer sinceBurst;
        sinceBurst.start();
        for (int i = 0; i < 10; ++i)
            c.customer->send(typingFrame(c.chat.conversationId));
        // Every typing frame has been handled once the fence is answered (one at a time, in order);
        // the message posted after that reaches the agent after whatever they published.
        QVERIFY(c.customer->fence());
        QCOMPARE(c.customer->count("error"), 0); // dropping is silent
        QCOMPARE(m_rest->customerSend(c.chat, "after the burst").status, 201);
        QVERIFY(c.agent->waitFor([](const json& f) {
            return f.value("type", "") == "message.created" &&
                   f["data"]["message"]["content"] == "after the burst";
        }));
        QCOMPARE(c.agent->count("typing"), 1);
        // The next one goes through once the second has passed, not before.
        QTRY_VERIFY_WITH_TIMEOUT(
            (c.customer->send(typingFrame(c.chat.conversationId)), c.agent->waitForCount("typing", 2, 100)),
            5000);
        QVERIFY2(sinceBurst.elapsed() >= 950, qPrintable(QString::number(sinceBurst.elapsed())));
    }

    void typingNeedsTheRightSender() {
        auto c = assignedChat();
        // An agent not assigned to it.
        auto other = connectAs(m_other.token);
        other->send(typingFrame(c.chat.conversationId));
        QVERIFY(other->waitFor([](const json& f) {
            return f.value("type", "") == "error" && f["data"]["code"] == "forbidden";
        }));
        // Another shopper's conversation is unknown to this one.
        auto stranger = m_rest->customerWithConversation();
        auto strangerWs = connectAs(stranger.customer.token);
        strangerWs->send(typingFrame(c.chat.conversationId));
        QVERIFY(strangerWs->waitFor([](const json& f) {
            return f.value("type", "") == "error" && f["data"]["code"] == "not_found";
        }));
        strangerWs->send({{"type", "typing"}});
        QVERIFY(strangerWs->waitFor([](const json& f) {
            return f.value("type", "") == "error" && f["data"]["code"] == "invalid_request";
        }));
        QVERIFY(c.customer->fence());
        QCOMPARE(c.customer->count("typing"), 0);
        // The connection stays usable.
        strangerWs->send(typingFrame(stranger.conversationId));
        QVERIFY(strangerWs->fence());
        QVERIFY(strangerWs->isConnected());
    }

    void readMarksGoToTheOtherSide() {
        auto c = assignedChat();
        QCOMPARE(m_rest->agentSend(m_agent, c.chat.conversationId, "hi there").status, 201);
        QVERIFY(c.customer->waitForType("message.created"));
        const auto seq =
            c.customer->framesOfType("message.created").back()["data"]["message"]["seq"].get<int>();
        auto& http = m_rest->http();
        const auto path = "/api/v1/conversations/" + c.chat.conversationId + "/read";
        QCOMPARE(http.post(path, {{"seq", seq}}, c.chat.customer.token).status, 200);
        QVERIFY(c.agent->waitForType("conversation.read"));
        QCOMPARE_JSON(
            c.agent->framesOfType("conversation.read").front()["data"],
            (json{{"conversation_id", c.chat.conversationId}, {"reader", "customer"}, {"seq", seq}}));
        QCOMPARE(http.post(path, {{"seq", seq}}, m_agent.token).status, 200);
        QVERIFY(c.customer->waitForType("conversation.read"));
        QCOMPARE_JSON(c.customer->framesOfType("conversation.read").front()["data"],
                      (json{{"conversation_id", c.chat.conversationId}, {"reader", "agent"}, {"seq", seq}}));
        // Nobody hears about its own reading, nor about a mark that did not rise.
        QCOMPARE(http.post(path, {{"seq", 1}}, c.chat.customer.token).status, 200);
        QCOMPARE(m_rest->customerSend(c.chat, "fence").status, 201);
        QVERIFY(c.agent->waitFor([](const json& f) {
            return f.value("type", "") == "message.created" && f["data"]["message"]["content"] == "fence";
        }));
        QVERIFY(c.customer->waitFor([](const json& f) {
            return f.value("type", "") == "message.created" && f["data"]["message"]["content"] == "fence";
        }));
        QCOMPARE(c.agent->count("conversation.read"), 1);
        QCOMPARE(c.customer->count("conversation.read"), 1);
    }

    void theAgentSeesThePageChange() {
        auto c = assignedChat();
        const json page = {{"page_url", "https://shop.example/cart"}, {"page_title", "Cart"}};
        QCOMPARE(m_rest->http()
                     .put("/api/v1/conversations/" + c.chat.conversationId + "/context", page,
                          c.chat.customer.token)
                     .status,
                 200);
        QVERIFY(c.agent->waitFor([&](const json& f) {
            return f.value("type", "") == "conversation.updated" &&
                   f["data"]["conversation"]["context"] == page;
        }));
    }
};

QTEST_GUILESS_MAIN(TestRealtimeAgentsAtWorkB)
#include "tst_realtime_agents_at_work_b.moc"
