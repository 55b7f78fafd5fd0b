// Every customer call of the contract and every error row, against the real server.
#include "ApiTestBase.h"

#include <QHostAddress>
#include <QTcpSocket>

using namespace parley::test;

class TestApiCustomer : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }

private slots:
    void initTestCase() {
        QVERIFY(f.start({QStringLiteral("--customer-rate-burst"), QStringLiteral("5"),
                         QStringLiteral("--customer-rate-per-minute"), QStringLiteral("6")}));
    }

    void healthz() {
        const auto r = http().get("/healthz");
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body, json({{"status", "ok"}}));
    }

    void sessionAndFaq() {
        const auto r = http().post("/api/v1/customer/session");
        QCOMPARE(r.status, 201);
        QVERIFY(!r.body.value("token", "").empty());
        QCOMPARE(r.body.value("customer_session_id", "").size(), std::size_t(36));

        const auto faq = http().get("/api/v1/faq");
        QCOMPARE(faq.status, 200);
        QVERIFY(faq.body["faq"].size() >= 8);
        int last = INT32_MIN;
        for (const auto& e : faq.body["faq"]) {
            QVERIFY(e["is_active"].get<bool>());
            QVERIFY(e["display_order"].get<int>() >= last);
            last = e["display_order"].get<int>();
            QVERIFY(e["answer"].get<std::string>().size() > 40); // real answers, not placeholders
        }
    }

    void postWithoutABodyIsAnEmptyBody() {
        // As `curl -X POST URL` sends it: no Content-Length, no Transfer-Encoding (RFC 9112 6.3).
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, f.server.httpPort());
        QVERIFY(socket.waitForConnected(5000));
        socket.write(
            "POST /api/v1/customer/session HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        QByteArray answer;
        while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10000))
            answer += socket.readAll();
        answer += socket.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 201"), answer.constData());
        QVERIFY(answer.contains("\"token\""));
    }

    void openOrCreateConversation() {
        const auto c = http().newCustomer();
        const auto first = http().post("/api/v1/conversations", json::object(), c.token);
        QCOMPARE(first.status, 201);
        const auto& conv = first.body["conversation"];
        QCOMPARE_JSON(conv["status"], json("automated"));
        QCOMPARE_JSON(conv["customer_session_id"], json(c.sessionId));
        QVERIFY(conv["assigned_agent_id"].is_null());
        QVERIFY(conv["queue_position"].is_null());
        QCOMPARE(first.body["messages"].size(), std::size_t(1)); // the bot's greeting
        QCOMPARE_JSON(first.body["messages"][0]["sender_type"], json("bot"));

        const auto again = http().post("/api/v1/conversations", json::object(), c.token);
        QCOMPARE(again.status, 200);
        QCOMPARE_JSON(again.body["conversation"]["id"], conv["id"]);

        const auto get = http().get("/api/v1/conversations/" + conv["id"].get<std::string>(), c.token);
        QCOMPARE(get.status, 200);
        QCOMPARE_JSON(get.body["conversation"]["id"], conv["id"]);
        QCOMPARE(get.body["messages"].size(), std::size_t(1));
    }

    void freeTextIsAnswered() {
        auto [token, id] = f.customerWithConversation();
        const auto r =
            http().post("/api/v1/conversations/" + id + "/messages",
                        {{"content", "How long does shipping take?"}, {"client_msg_id", "m1"}}, token);
        QCOMPARE(r.status, 201);
        QCOMPARE_JSON(r.body["message"]["sender_type"], json("customer"));
        QCOMPARE_JSON(r.body["message"]["kind"], json("text"));
        QCOMPARE_JSON(r.body["message"]["client_msg_id"], json("m1"));
        QCOMPARE_JSON(r.body["message"]["seq"], json(2));
        QCOMPARE(r.body["replies"].size(), std::size_t(1));
        const auto& reply = r.body["replies"][0];
        QCOMPARE_JSON(reply["sender_type"], json("bot"));
        QCOMPARE_JSON(reply["seq"], json(3));
        QCOMPARE_JSON(reply["metadata"]["faq_slug"], json("shipping-times"));
        QVERIFY(reply["content"].get<std::string>().find("business days") != std::string::npos);
    }

    void unknownTextGetsSuggestions() {
        auto [token, id] = f.customerWithConversation();
        const auto r =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "zxqv blorf"}}, token);
        QCOMPARE(r.status, 201);
        const auto& reply = r.body["replies"][0];
        QCOMPARE_JSON(reply["metadata"]["matched"], json(false));
        QCOMPARE(reply["metadata"]["suggestions"].size(), std::size_t(3));
        QCOMPARE_JSON(reply["metadata"]["offer_handoff"], json(true));
        QCOMPARE_JSON(
            reply["content"],
            http().get("/api/v1/admin/settings", f.adminToken).body["bot"]["fallback"]); // "I'm not sure"
        QVERIFY(!reply["metadata"].contains("faq_slug"));
    }

    void quickReply() {
        auto [token, id] = f.customerWithConversation();
        const auto r =
            http().post("/api/v1/conversations/" + id + "/messages",
                        {{"content", "Refunds"}, {"kind", "quick_reply"}, {"faq_slug", "refunds"}}, token);
        QCOMPARE(r.status, 201);
        QCOMPARE_JSON(r.body["message"]["kind"], json("quick_reply"));
        QCOMPARE_JSON(r.body["replies"][0]["metadata"]["faq_slug"], json("refunds"));
        const auto unknown =
            http().post("/api/v1/conversations/" + id + "/messages",
                        {{"content", "x"}, {"kind", "quick_reply"}, {"faq_slug", "nope"}}, token);
        QCOMPARE(unknown.status, 404);
        const auto missing = http().post("/api/v1/conversations/" + id + "/messages",
                                         {{"content", "x"}, {"kind", "quick_reply"}}, token);
        QCOMPARE(missing.status, 400);
        const auto badKind = http().post("/api/v1/conversations/" + id + "/messages",
                                         {{"content", "x"}, {"kind", "event"}}, token);
        QCOMPARE(badKind.status, 400);
    }

    void pollingAfterSeq() {
        auto [token, id] = f.customerWithConversation();
        http().post("/api/v1/conversations/" + id + "/messages", {{"content", "refund"}}, token);
        const auto all = http().get("/api/v1/conversations/" + id + "/messages?after_seq=0", token);
        QCOMPARE(all.status, 200);
        QCOMPARE(all.body["messages"].size(), std::size_t(3));
        const auto after = http().get("/api/v1/conversations/" + id + "/messages?after_seq=2", token);
        QCOMPARE(after.body["messages"].size(), std::size_t(1));
        QCOMPARE_JSON(after.body["messages"][0]["seq"], json(3));
        QCOMPARE(http()
                     .get("/api/v1/conversations/" + id + "/messages?after_seq=3", token)
                     .body["messages"]
                     .size(),
                 std::size_t(0));
        QCOMPARE(http().get("/api/v1/conversations/" + id + "/messages?after_seq=-1", token).status, 400);
        QCOMPARE(http().get("/api/v1/conversations/" + id + "/messages?after_seq=abc", token).status, 400);
    }

    void idempotentSend() {
        auto [token, id] = f.customerWithConversation();
        const json body{{"content", "where is my order"}, {"client_msg_id", "same-id"}};
        const auto first = http().post("/api/v1/conversations/" + id + "/messages", body, token);
        QCOMPARE(first.status, 201);
        const auto second = http().post("/api/v1/conversations/" + id + "/messages", body, token);
        QCOMPARE(second.status, 200);
        QCOMPARE_JSON(second.body["message"], first.body["message"]);
        QCOMPARE(second.body["replies"].size(), std::size_t(0));
        QCOMPARE(f.conversation(id, token)["messages"].size(), std::size_t(3));
    }

    void handoffQueuesWithOneBusyMessage() {
        auto [token, id] = f.customerWithConversation();
        const auto r = http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token);
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["conversation"]["status"], json("agent"));
        QVERIFY(r.body["conversation"]["assigned_agent_id"].is_null());
        QVERIFY(r.body["conversation"]["requested_agent_at"].is_string());
        QVERIFY(r.body["conversation"]["queue_position"].get<int>() >= 1);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token).status,
                     200);
        const auto conv = f.conversation(id, token);
        QCOMPARE(countContent(conv["messages"], kBusyMessage), 1);
        const auto& busy = conv["messages"].back();
        QCOMPARE_JSON(busy["sender_type"], json("system"));
        QCOMPARE_JSON(busy["kind"], json("event"));

        // After handoff the bot is silent.
        const auto msg =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "refund?"}}, token);
        QCOMPARE(msg.status, 201);
        QCOMPARE(msg.body["replies"].size(), std::size_t(0));
    }

    void anotherSessionsConversationIsNotFound() {
        auto [token, id] = f.customerWithConversation();
        const auto other = http().newCustomer();
        QCOMPARE(http().get("/api/v1/conversations/" + id, other.token).status, 404);
        QCOMPARE(http().get("/api/v1/conversations/" + id + "/messages", other.token).status, 404);
        QCOMPARE(
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hi"}}, other.token).status,
            404);
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/handoff", json::object(), other.token).status,
                 404);
        const auto unknown = http().get("/api/v1/conversations/00000000-0000-4000-8000-000000000000", token);
        QCOMPARE(unknown.status, 404);
        QCOMPARE(unknown.errorCode(), std::string("not_found"));
        QCOMPARE(http().get("/api/v1/conversations/not-a-uuid", token).status, 404);
    }

    void badTokens_data() {
        QTest::addColumn<QString>("token");
        const auto real = QString::fromStdString(f.http->newCustomer().token);
        QTest::newRow("none") << QString();
        QTest::newRow("garbage") << QStringLiteral("garbage");
        QTest::newRow("truncated") << real.left(real.size() - 3);
        QTest::newRow("payload only") << real.section(QLatin1Char('.'), 0, 0);
        QTest::newRow("forged payload")
            << QStringLiteral("eyJ0eXAiOiJjIiwic2lkIjoieCJ9.") + real.section(QLatin1Char('.'), 1);
    }
    void badTokens() {
        QFETCH(QString, token);
        const auto r = http().post("/api/v1/conversations", json::object(), token.toStdString());
        QCOMPARE(r.status, 401);
        QCOMPARE(r.errorCode(), std::string("unauthorized"));
        QCOMPARE(r.body["error"]["message"].is_string(), true);
    }

    void invalidBodies_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");
        QTest::newRow("malformed json") << QByteArray("{\"content\":") << 400 << "invalid_request";
        QTest::newRow("not an object") << QByteArray("[1,2]") << 400 << "invalid_request";
        QTest::newRow("missing content") << QByteArray("{}") << 400 << "invalid_request";
        QTest::newRow("wrong type") << QByteArray("{\"content\":42}") << 400 << "invalid_request";
        QTest::newRow("wrong client_msg_id type")
            << QByteArray("{\"content\":\"a\",\"client_msg_id\":5}") << 400 << "invalid_request";
        QTest::newRow("empty") << QByteArray("{\"content\":\"\"}") << 400 << "empty_message";
        QTest::newRow("blank") << QByteArray("{\"content\":\"  \\n \"}") << 400 << "empty_message";
        QTest::newRow("blank in Unicode's spaces")
            << QByteArray("{\"content\":\"\\u00a0\\u2003\\u3000\"}") << 400 << "empty_message";
        QTest::newRow("only invisible characters")
            << QByteArray("{\"content\":\" \\u200b\\ufeff\\u2060 \"}") << 400 << "empty_message";
        QTest::newRow("too long") << (QByteArray("{\"content\":\"") + QByteArray(4001, 'a') + "\"}") << 400
                                  << "message_too_long";
        QTest::newRow("invalid utf-8")
            << QByteArray("{\"content\":\"\xC3\x28\"}") << 400 << "invalid_request";
        QTest::newRow("lone surrogate escape")
            << QByteArray("{\"content\":\"\\ud800\"}") << 400 << "invalid_request";
        QTest::newRow("over body limit")
            << (QByteArray("{\"content\":\"") + QByteArray(70000, 'a') + "\"}") << 413 << "payload_too_large";
    }
    void invalidBodies() {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        auto [token, id] = f.customerWithConversation();
        const auto r =
            http().raw("POST", "/api/v1/conversations/" + id + "/messages", body.toStdString(), token);
        QCOMPARE(r.status, status);
        QCOMPARE(QString::fromStdString(r.errorCode()), code);
        QCOMPARE(f.conversation(id, token)["messages"].size(), std::size_t(1)); // nothing stored
    }

    void exactly4000CharactersAreAccepted() {
        auto [token, id] = f.customerWithConversation();
        std::string text;
        for (int i = 0; i < 4000; ++i)
            text += "é"; // 4000 characters, 8000 bytes
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/messages", {{"content", text}}, token).status,
                 201);
    }

    void rateLimited() {
        auto [token, id] = f.customerWithConversation();
        int created = 0;
        HttpResponse limited;
        for (int i = 0; i < 8; ++i) {
            auto r = http().post("/api/v1/conversations/" + id + "/messages",
                                 {{"content", "hello " + std::to_string(i)}}, token);
            if (r.status == 201)
                ++created;
            else if (r.status == 429)
                limited = r;
        }
        QCOMPARE(created, 5); // the burst configured in initTestCase
        QCOMPARE(limited.status, 429);
        QCOMPARE(limited.errorCode(), std::string("rate_limited"));
        QVERIFY(std::stoi(limited.header("Retry-After")) >= 1);
        // Another session is not affected.
        auto [token2, id2] = f.customerWithConversation();
        QCOMPARE(
            http().post("/api/v1/conversations/" + id2 + "/messages", {{"content", "hi"}}, token2).status,
            201);
    }

    void customerCannotActAsAgent() {
        auto [token, id] = f.customerWithConversation();
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), token).status, 403);
        QCOMPARE(http().get("/api/v1/queue", token).status, 403);
        QCOMPARE(http().get("/api/v1/admin/faq", token).status, 403);
        QCOMPARE(http().put("/api/v1/agent/presence", {{"presence", "online"}}, token).status, 403);
    }

    void unknownEndpointAndCors() {
        const auto r = http().get("/api/v1/nothing-here");
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorCode(), std::string("not_found"));
        const auto preflight = http().raw("OPTIONS", "/api/v1/conversations", "");
        QCOMPARE(preflight.status, 204);
        QVERIFY(preflight.header("Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
        QCOMPARE(http().get("/api/v1/faq").header("Access-Control-Allow-Origin"), std::string("*"));
    }
};

QTEST_GUILESS_MAIN(TestApiCustomer)
#include "tst_api_customer.moc"
