// The hello handshake and what the server does with frames it does not expect.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QTest>

using namespace parley::test;

class TestRealtimeHello : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        // A short hello deadline so that "silence" can be observed quickly; 2 s leaves the other
        // tests (which say hello at once) plenty of room on a busy machine.
        QVERIFY(m_server.start({QStringLiteral("--ws-hello-timeout-seconds"), QStringLiteral("2")}));
        m_rest = std::make_unique<Rest>(m_server.httpPort());
    }

    void healthzAnswersOnceBothListenersAccept() {
        auto r = m_rest->http().get("/healthz");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body.value("status", ""), std::string("ok"));
        WsTestClient ws(m_server.wsUrl());
        QVERIFY(ws.open());
    }

    void customerHelloWithoutConversation() {
        auto customer = m_rest->http().newCustomer();
        WsTestClient ws(m_server.wsUrl());
        auto reply = ws.hello(customer.token);
        QCOMPARE(reply.value("type", ""), std::string("hello.ok"));
        QCOMPARE(reply["data"].value("role", ""), std::string("customer"));
        QCOMPARE(reply["data"].value("customer_session_id", ""), customer.sessionId);
        QVERIFY(reply["data"].contains("conversation"));
        QVERIFY(reply["data"]["conversation"].is_null());
        QVERIFY(ws.isConnected());
    }

    void customerHelloCarriesOpenConversation() {
        auto chat = m_rest->customerWithConversation();
        QVERIFY(!chat.conversationId.empty());
        WsTestClient ws(m_server.wsUrl());
        auto reply = ws.hello(chat.customer.token);
        QCOMPARE(reply.value("type", ""), std::string("hello.ok"));
        QCOMPARE(reply["data"]["conversation"].value("id", ""), chat.conversationId);
        QCOMPARE(reply["data"]["conversation"].value("status", ""), std::string("automated"));
    }

    void agentAndAdminHello() {
        auto agent = m_rest->createAgent("hello-agent");
        QVERIFY(!agent.token.empty());
        WsTestClient ws(m_server.wsUrl());
        auto reply = ws.hello(agent.token);
        QCOMPARE(reply.value("type", ""), std::string("hello.ok"));
        QCOMPARE(reply["data"].value("role", ""), std::string("agent"));
        QCOMPARE(reply["data"]["agent"].value("id", ""), agent.id);
        QCOMPARE(reply["data"]["agent"].value("presence", ""),
                 std::string("offline")); // connecting changes nothing

        WsTestClient admin(m_server.wsUrl());
        reply = admin.hello(m_rest->adminToken());
        QCOMPARE(reply.value("type", ""), std::string("hello.ok"));
        QCOMPARE(reply["data"].value("role", ""), std::string("admin"));
        QCOMPARE(reply["data"]["agent"].value("username", ""), std::string("admin"));
    }

    void badTokenIsAnErrorAndAClose() {
        for (const std::string token : {"", "garbage", "eyJmYWtlIjoxfQ.c2lnbmF0dXJl"}) {
            WsTestClient ws(m_server.wsUrl());
            auto reply = ws.hello(token);
            QCOMPARE(reply.value("type", ""), std::string("error"));
            QCOMPARE(reply["data"].value("code", ""), std::string("unauthorized"));
            QVERIFY(!reply["data"].value("message", "").empty());
            QVERIFY(ws.waitDisconnected());
            QCOMPARE(ws.count("hello.ok"), 0);
        }
    }

    void forgedCustomerTokenIsRejected() {
        auto customer = m_rest->http().newCustomer();
        auto forged = customer.token;
        forged.back() = forged.back() == 'A' ? 'B' : 'A';
        WsTestClient ws(m_server.wsUrl());
        auto reply = ws.hello(forged);
        QCOMPARE(reply["data"].value("code", ""), std::string("unauthorized"));
        QVERIFY(ws.waitDisconnected());
    }

    void wrongFirstFrameIsAnErrorAndAClose_data() {
        QTest::addColumn<QString>("frame");
        QTest::newRow("not json") << QStringLiteral("hello there");
        QTest::newRow("resume first")
            << QStringLiteral(R"({"type":"resume","conversation_id":"x","after_seq":0})");
        QTest::newRow("hello without token") << QStringLiteral(R"({"type":"hello"})");
        QTest::newRow("token not a string") << QStringLiteral(R"({"type":"hello","token":42})");
        QTest::newRow("array") << QStringLiteral(R"([1,2,3])");
    }
    void wrongFirstFrameIsAnErrorAndAClose() {
        QFETCH(QString, frame);
        WsTestClient ws(m_server.wsUrl());
        QVERIFY(ws.open());
        ws.sendText(frame);
        QVERIFY(ws.waitForType("error"));
        QCOMPARE(ws.frames().front()["data"].value("code", ""), std::string("invalid_request"));
        QVERIFY(ws.waitDisconnected());
    }

    void binaryFirstFrameIsRejected() {
        WsTestClient ws(m_server.wsUrl());
        QVERIFY(ws.open());
        ws.sendBinary(QByteArray("\x01\x02\x03", 3));
        QVERIFY(ws.waitForType("error"));
        QVERIFY(ws.waitDisconnected());
    }

    void silencePastTheDeadlineIsAnErrorAndAClose() {
        WsTestClient ws(m_server.wsUrl());
        QVERIFY(ws.open());
        QVERIFY(ws.waitForType("error", 10000));
        QCOMPARE(ws.frames().front()["data"].value("code", ""), std::string("unauthorized"));
        QVERIFY(ws.waitDisconnected());
    }

    void helloInTimeIsNotCutOffLater() {
        auto customer = m_rest->http().newCustomer();
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(customer.token).value("type", ""), std::string("hello.ok"));
        // The hello deadline (2 s) must not fire once hello succeeded. A silent connection opened
        // after this one marks the moment: when its deadline has cut it off, ours has passed too.
        WsTestClient silent(m_server.wsUrl());
        QVERIFY(silent.open());
        QVERIFY(silent.waitForType("error", 10000));
        QVERIFY(silent.waitDisconnected());
        QVERIFY(ws.isConnected());
        QVERIFY(ws.fence());
        QCOMPARE(ws.count("error"), 0);
    }

    void malformedFramesLaterKeepTheConnection() {
        auto chat = m_rest->customerWithConversation();
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(chat.customer.token).value("type", ""), std::string("hello.ok"));
        const QStringList bad{
            QStringLiteral("{not json"),
            QStringLiteral("[]"),
            QStringLiteral(R"({"no_type":1})"),
            QStringLiteral(R"({"type":"no.such.frame"})"),
            QStringLiteral(R"({"type":"hello","token":"again"})"),
            QStringLiteral(R"({"type":"resume"})"),
            QStringLiteral(R"({"type":"resume","conversation_id":5,"after_seq":0})"),
            QStringLiteral(R"({"type":"resume","conversation_id":"x","after_seq":-1})"),
            QStringLiteral(R"({"type":"resume","conversation_id":"x","after_seq":"1"})"),
        };
        for (const auto& frame : bad)
            ws.sendText(frame);
        ws.sendBinary(QByteArray("binary"));
        QVERIFY(ws.waitForCount("error", int(bad.size()) + 1));
        for (const auto& e : ws.framesOfType("error"))
            QCOMPARE(e["data"].value("code", ""), std::string("invalid_request"));
        QVERIFY(ws.isConnected());

        // Still fully working: a resume answers, a live event arrives.
        ws.clear();
        ws.resume(chat.conversationId, 0);
        QVERIFY(ws.waitForType("message.created")); // the bot's greeting
        QVERIFY(m_rest->customerSend(chat, "still there?").status == 201);
        QVERIFY(ws.waitFor([](const json& f) {
            return f.value("type", "") == "message.created" &&
                   f["data"]["message"].value("content", "") == "still there?";
        }));
    }

    void oversizedFrameClosesOnlyThatConnection() {
        auto customer = m_rest->http().newCustomer();
        WsTestClient big(m_server.wsUrl());
        WsTestClient other(m_server.wsUrl());
        QCOMPARE(big.hello(customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(other.hello(customer.token).value("type", ""), std::string("hello.ok"));
        big.sendText(QString(200 * 1024, QLatin1Char('x')));
        QVERIFY(big.waitDisconnected());
        QCOMPARE(big.closeCode(), QWebSocketProtocol::CloseCodeTooMuchData);
        QVERIFY(other.fence());
        QVERIFY(other.isConnected());
    }

    void wrongPathIsRefused() {
        QUrl url = m_server.wsUrl();
        url.setPath(QStringLiteral("/elsewhere"));
        WsTestClient ws(url);
        QVERIFY(!ws.open(5000));
    }

    // One port: the HTTP port serves /ws (every test above used it), and the widget config says so.
    void oneServerPortServesRestAndWebSocket() {
        QCOMPARE(m_server.wsPort(), m_server.httpPort());
        QCOMPARE(m_server.wsUrl().port(), int(m_server.httpPort()));
        const auto config = m_rest->http().get("/api/v1/widget/config");
        QCOMPARE(config.status, 200);
        QCOMPARE(config.body.value("ws_url", ""),
                 "ws://127.0.0.1:" + std::to_string(m_server.httpPort()) + "/ws");
        // Behind a TLS proxy that says so: wss on the host the client used.
        const auto proxied =
            m_rest->http().raw("GET", "/api/v1/widget/config", {}, {}, {},
                               {{"Host", "chat.example.com"}, {"X-Forwarded-Proto", "https"}});
        QCOMPARE(proxied.body.value("ws_url", ""), std::string("wss://chat.example.com/ws"));
        // /ws without an upgrade is refused; the REST port's other paths are not WebSocket.
        const auto plain = m_rest->http().get("/ws");
        QCOMPARE(plain.status, 426);
    }

    // --ws-port still works: the same hello and resume there, and the config names that port.
    void separateWebSocketPortServesWsToo() {
        ServerProcess server;
        QVERIFY(server.start({QStringLiteral("--ws-port"), QStringLiteral("0")}));
        QVERIFY(server.wsPort() != server.httpPort());
        Rest rest(server.httpPort());
        auto chat = rest.customerWithConversation();
        const QUrl onHttpPort(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server.httpPort()));
        for (const QUrl& url : {server.wsUrl(), onHttpPort}) {
            WsTestClient ws(url);
            QCOMPARE(ws.hello(chat.customer.token).value("type", ""), std::string("hello.ok"));
            ws.resume(chat.conversationId, 0);
            QVERIFY(ws.waitForType("message.created")); // the greeting
        }
        const auto config = rest.http().get("/api/v1/widget/config");
        QCOMPARE(config.body.value("ws_url", ""),
                 "ws://127.0.0.1:" + std::to_string(server.wsPort()) + "/ws");
        // That port serves the WebSocket only.
        HttpClient wsPortHttp(server.wsPort());
        QCOMPARE(wsPortHttp.get("/healthz").status, 404);
        QCOMPARE(wsPortHttp.get("/ws").status, 426);
        QVERIFY(server.stop());
    }

    // WebSockets move to the first io thread at the upgrade, HTTP stays on the others; with one
    // io thread (no move) and with three (a move from either HTTP thread), the same hello, the
    // backlog and a live event.
    void everyIoThreadCountServesHttpAndWebSockets() {
        for (const auto* threads : {"1", "3"}) {
            ServerProcess server;
            QVERIFY(server.start({QStringLiteral("--io-threads"), QString::fromLatin1(threads)}));
            Rest rest(server.httpPort());
            for (int client = 0; client < 3; ++client) { // with three, both HTTP threads hand one over
                auto chat = rest.customerWithConversation();
                WsTestClient ws(server.wsUrl());
                QCOMPARE(ws.hello(chat.customer.token).value("type", ""), std::string("hello.ok"));
                ws.resume(chat.conversationId, 0);
                QVERIFY(ws.waitForType("message.created")); // the greeting
                QCOMPARE(rest.customerSend(chat, "Where is my order?").status, 201);
                QVERIFY2(ws.waitForCount("message.created", 3), threads); // the message, the bot's reply
            }
            QVERIFY(server.stop());
        }
    }

    void publicWsUrlOverridesTheConfig() {
        ServerProcess server;
        QVERIFY(
            server.start({QStringLiteral("--public-ws-url"), QStringLiteral("wss://chat.example.com/ws")}));
        HttpClient http(server.httpPort());
        QCOMPARE(http.get("/api/v1/widget/config").body.value("ws_url", ""),
                 std::string("wss://chat.example.com/ws"));
        QVERIFY(server.stop());
    }

    // Issue 16 / contract v1.1: a password change ends the agent's other tokens, and with them the
    // connections that said hello with them; the caller's own survives a change of its own password.
    void aPasswordChangeClosesTheConnectionsOfEndedTokens() {
        auto& http = m_rest->http();
        const auto created = http.post("/api/v1/admin/agents",
                                       {{"username", "rotating-admin"},
                                        {"display_name", "Rotating"},
                                        {"password", "rotating-password-1"},
                                        {"role", "admin"}},
                                       m_rest->adminToken());
        QCOMPARE(created.status, 201);
        const auto id = created.body["agent"]["id"].get<std::string>();
        const auto mine = http.login("rotating-admin", "rotating-password-1");
        const auto other = http.login("rotating-admin", "rotating-password-1");
        WsTestClient wsMine(m_server.wsUrl());
        WsTestClient wsOther(m_server.wsUrl());
        QCOMPARE(wsMine.hello(mine).value("type", ""), std::string("hello.ok"));
        QCOMPARE(wsOther.hello(other).value("type", ""), std::string("hello.ok"));

        QCOMPARE(http.put("/api/v1/admin/agents/" + id, {{"password", "rotating-password-2"}}, mine).status,
                 200);
        QVERIFY(wsOther.waitForType("error"));
        QCOMPARE(wsOther.framesOfType("error").front()["data"].value("code", ""),
                 std::string("unauthorized"));
        QVERIFY(wsOther.waitDisconnected());
        QVERIFY(wsMine.fence());
        QVERIFY(wsMine.isConnected());
        QCOMPARE(wsMine.count("error"), 0);

        // An admin resetting it ends them all, and a hello with an ended token is refused.
        QCOMPARE(http.put("/api/v1/admin/agents/" + id, {{"password", "rotating-password-3"}},
                          m_rest->adminToken())
                     .status,
                 200);
        QVERIFY(wsMine.waitForType("error"));
        QVERIFY(wsMine.waitDisconnected());
        WsTestClient again(m_server.wsUrl());
        QCOMPARE(again.hello(mine)["data"].value("code", ""), std::string("unauthorized"));
        QVERIFY(again.waitDisconnected());
    }

    void customerCannotResumeAForeignConversation() {
        auto mine = m_rest->customerWithConversation();
        auto theirs = m_rest->customerWithConversation();
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(mine.customer.token).value("type", ""), std::string("hello.ok"));
        ws.resume(theirs.conversationId, 0);
        QVERIFY(ws.waitForType("error"));
        QCOMPARE(ws.framesOfType("error").front()["data"].value("code", ""), std::string("not_found"));
        ws.resume("00000000-0000-4000-8000-000000000000", 0);
        QVERIFY(ws.waitForCount("error", 2));
        QCOMPARE(ws.framesOfType("error").back()["data"].value("code", ""), std::string("not_found"));
        QVERIFY(ws.fence());
        QCOMPARE(ws.count("message.created"), 0); // nothing of the other conversation leaked
        QVERIFY(ws.isConnected());
        // Later messages of the foreign conversation do not reach us either.
        QVERIFY(m_rest->customerSend(theirs, "private").status == 201);
        QVERIFY(m_rest->customerSend(mine, "mine").status == 201);
        QVERIFY(ws.waitFor([](const json& f) {
            return f.value("type", "") == "message.created" &&
                   f["data"]["message"].value("content", "") == "mine";
        }));
        QVERIFY(ws.fence());
        QVERIFY(ws.framesFor("message.created", theirs.conversationId).empty());
    }

private:
    ServerProcess m_server;
    std::unique_ptr<Rest> m_rest;
};

QTEST_GUILESS_MAIN(TestRealtimeHello)
#include "tst_realtime_hello.moc"
