// Overload (contract v1.1): with one handler thread and a queue of one, a burst of sends is partly
// answered 503 "overloaded" with Retry-After, at once; a 503 creates nothing, every 201 is stored,
// and the server goes on serving.
#include "ApiTestBase.h"

using namespace parley::test;

class TestApiOverload : public QObject {
    Q_OBJECT
    ApiFixture f;

private slots:
    void initTestCase() {
        QVERIFY(
            f.start({QStringLiteral("--http-threads"), QStringLiteral("1"), QStringLiteral("--http-queue"),
                     QStringLiteral("1"), QStringLiteral("--customer-rate-burst"), QStringLiteral("100000"),
                     QStringLiteral("--customer-rate-per-minute"), QStringLiteral("100000")}));
    }

    void burstGetsOverloadedAndLosesNothingAnswered() {
        auto [token, id] = f.customerWithConversation();
        QVERIFY(!id.empty());
        struct Outcome {
            int status = 0;
            std::string clientMsgId;
            std::string messageId;
            std::string retryAfter;
            std::string code;
            std::string allowOrigin;
        };
        std::vector<Outcome> outcomes;
        int overloaded = 0;
        // A burst of 64 sends released together; a busy machine may serve a burst in order by
        // chance, so up to five bursts.
        for (int round = 0; round < 5 && overloaded == 0; ++round) {
            std::vector<Outcome> burst(64);
            race(int(burst.size()), [&, round](int i) {
                auto& o = burst[std::size_t(i)];
                o.clientMsgId = "burst-" + std::to_string(round) + "-" + std::to_string(i);
                const auto r = f.http->post(
                    "/api/v1/conversations/" + id + "/messages",
                    {{"content", "hello " + o.clientMsgId}, {"client_msg_id", o.clientMsgId}}, token);
                o.status = r.status;
                o.retryAfter = r.header("Retry-After");
                o.code = r.errorCode();
                o.allowOrigin = r.header("Access-Control-Allow-Origin");
                if (r.status == 201)
                    o.messageId = r.body["message"].value("id", "");
            });
            for (auto& o : burst) {
                QVERIFY2(o.status == 201 || o.status == 503, qPrintable(QString::number(o.status)));
                if (o.status == 503) {
                    ++overloaded;
                    QCOMPARE(o.code, std::string("overloaded"));
                    QCOMPARE(o.retryAfter, std::string("1"));
                    QCOMPARE(o.allowOrigin, std::string("*")); // the widget can read it
                }
                outcomes.push_back(o);
            }
        }
        QVERIFY2(overloaded > 0, "no burst ever found the queue full");

        const auto messages = f.conversation(id, token)["messages"];
        std::set<std::string> storedIds, storedClientIds;
        for (const auto& m : messages) {
            storedIds.insert(m.value("id", ""));
            if (m["client_msg_id"].is_string())
                storedClientIds.insert(m["client_msg_id"].get<std::string>());
        }
        for (const auto& o : outcomes) {
            if (o.status == 201)
                QVERIFY2(storedIds.contains(o.messageId), o.clientMsgId.c_str());
            else
                QVERIFY2(!storedClientIds.contains(o.clientMsgId),
                         o.clientMsgId.c_str()); // a 503 created nothing
        }

        // Still serving, and a refused send goes through when sent again with its client_msg_id.
        QCOMPARE(f.http->get("/healthz").status, 200);
        const auto refused =
            std::find_if(outcomes.begin(), outcomes.end(), [](auto& o) { return o.status == 503; });
        const auto again = f.http->post(
            "/api/v1/conversations/" + id + "/messages",
            {{"content", "hello " + refused->clientMsgId}, {"client_msg_id", refused->clientMsgId}}, token);
        QCOMPARE(again.status, 201);
    }
};

QTEST_GUILESS_MAIN(TestApiOverload)
#include "tst_api_overload.moc"
