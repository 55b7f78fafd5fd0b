// Restarts of the real server: tokens and history survive, seq continues without a gap, and a
// SIGTERM in the middle of a burst of sends loses nothing that was answered as created.
#include "ApiTestBase.h"

using namespace parley::test;

class TestApiRestart : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }

private slots:
    void initTestCase() {
        QVERIFY(f.start({QStringLiteral("--customer-rate-burst"), QStringLiteral("100000")}));
    }

    void tokensAndHistorySurviveRestart() {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto customer = f.customerWithConversation();
        const std::string& token = customer.first;
        const std::string& id = customer.second;
        http().post("/api/v1/conversations/" + id + "/messages", {{"content", "refund please"}}, token);
        const auto agentToken = f.adminToken;
        const auto before = f.conversation(id, token);

        QVERIFY(f.server.restart());
        f.http = std::make_unique<HttpClient>(f.server.httpPort());

        const auto reopened = http().post("/api/v1/conversations", json::object(), token);
        QCOMPARE(reopened.status, 200); // the same open conversation, not a new one
        QCOMPARE_JSON(reopened.body["conversation"]["id"], json(id));
        QCOMPARE_JSON(reopened.body["messages"], before["messages"]);
        QCOMPARE(http().get("/api/v1/queue", agentToken).status, 200); // agent tokens too

        const auto next =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hello again"}}, token);
        QCOMPARE(next.status, 201);
        QCOMPARE(next.body["message"]["seq"].get<int>(), int(before["messages"].size()) + 1);
    }

    void adminPasswordIsKeptOnRestart() {
        // --admin-password applies only to a new data dir; the stored hash stays authoritative.
        QVERIFY(!http().login("admin", ServerProcess::kAdminPassword).empty());
        QVERIFY(http().login("admin", "wrong-password").empty());
    }

    void sigtermLosesNothingAnswered() {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto customer = f.customerWithConversation();
        const std::string& token = customer.first;
        const std::string& id = customer.second;
        std::mutex mutex;
        std::vector<std::string> createdIds;
        BackgroundThreads senders; // joined on every exit
        for (int t = 0; t < 8; ++t)
            senders.start([&, t] {
                for (int i = 0; !senders.stopRequested(); ++i) {
                    auto r = http().post(
                        "/api/v1/conversations/" + id + "/messages",
                        {{"content", "burst " + std::to_string(t) + "-" + std::to_string(i)}}, token);
                    if (r.status == 201) {
                        std::lock_guard lock(mutex);
                        createdIds.push_back(r.body["message"]["id"]);
                    } else if (r.status == 0) {
                        return; // the server has gone
                    }
                }
            });
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                std::lock_guard l(mutex);
                return createdIds.size() >= 50;
            }(),
            20000);
        QVERIFY(f.server.stop()); // SIGTERM; exits 0 after finishing in-flight requests
        senders.stopAndJoin();
        QVERIFY(f.server.start());
        f.http = std::make_unique<HttpClient>(f.server.httpPort());
        const auto messages = f.conversation(id, token)["messages"];
        std::set<std::string> stored;
        for (std::size_t i = 0; i < messages.size(); ++i) {
            stored.insert(messages[i]["id"]);
            QCOMPARE(messages[i]["seq"].get<long long>(), static_cast<long long>(i + 1));
        }
        for (const auto& created : createdIds)
            QVERIFY2(stored.contains(created), created.c_str());
    }
};

QTEST_GUILESS_MAIN(TestApiRestart)
#include "tst_api_restart.moc"
