// Administration against the real server: FAQ CRUD with validation, and the agents editor.
#include "ApiTestBase.h"

#include <cstdlib>

using namespace parley::test;

class TestApiAdmin : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }
    std::string agentToken;

private slots:
    void initTestCase() {
        QVERIFY(f.start());
        agentToken = f.createAgent("plain", 2, false).token;
        QVERIFY(!agentToken.empty());
    }

    void nonAdminsAreForbidden() {
        const auto customer = http().newCustomer().token;
        for (const auto& token : {agentToken, customer}) {
            QCOMPARE(http().get("/api/v1/admin/faq", token).status, 403);
            QCOMPARE(
                http()
                    .post("/api/v1/admin/faq", {{"slug", "x"}, {"question", "q"}, {"answer", "a"}}, token)
                    .status,
                403);
            QCOMPARE(http().get("/api/v1/admin/agents", token).status, 403);
            QCOMPARE(http().put("/api/v1/admin/agents/x", {{"display_name", "x"}}, token).status, 403);
            QCOMPARE(http().del("/api/v1/admin/faq/returns", token).status, 403);
            QCOMPARE(http().get("/api/v1/admin/stats", token).status, 403);
        }
        QCOMPARE(http().get("/api/v1/admin/faq").status, 401);
        QCOMPARE(http().get("/api/v1/admin/stats").status, 401);
    }

    // The writer's counters: a message and the bot's answer are one more job, whose group took CPU.
    void statsCountTheWritersWork() {
        const auto before = http().get("/api/v1/admin/stats", f.adminToken);
        QCOMPARE(before.status, 200);
        const char* pg = std::getenv("PARLEY_TEST_PG_SOCKET_DIR"); // the _pg variant (tests/CMakeLists.txt)
        QCOMPARE_JSON(before.body["store"], json(pg && *pg ? "postgresql" : "sqlite"));
        auto [token, id] = f.customerWithConversation();
        QCOMPARE(
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hello"}}, token).status,
            201);
        const auto after = http().get("/api/v1/admin/stats", f.adminToken);
        QCOMPARE(after.status, 200);
        const auto& w0 = before.body["writer"];
        const auto& w1 = after.body["writer"];
        QVERIFY2(w1["jobs"].get<long long>() >= w0["jobs"].get<long long>() + 2, after.body.dump().c_str());
        QVERIFY(w1["groups"].get<long long>() > w0["groups"].get<long long>());
        QVERIFY(w1["cpu_seconds"].get<double>() > w0["cpu_seconds"].get<double>());
        QCOMPARE(w1["refused"].get<long long>(), 0LL);
        QVERIFY(w1["largest_group"].get<long long>() >= 1);
        QVERIFY(w1.contains("deepest_queue"));
    }

    void faqCrud() {
        const json entry{{"slug", "gift-cards"},
                         {"question", "Do you sell gift cards?"},
                         {"answer", "Yes: gift cards from 10 to 500 EUR, delivered by email within minutes."},
                         {"display_order", 5},
                         {"is_active", true},
                         {"keywords", ""}};
        const auto created = http().post("/api/v1/admin/faq", entry, f.adminToken);
        QCOMPARE(created.status, 201);
        QCOMPARE_JSON(created.body, entry);
        const auto dup = http().post("/api/v1/admin/faq", entry, f.adminToken);
        QCOMPARE(dup.status, 409);
        QCOMPARE(dup.errorCode(), std::string("conflict"));

        // The customer API serves it, first by display_order, and the bot answers with it.
        const auto faq = http().get("/api/v1/faq").body["faq"];
        QCOMPARE_JSON(faq[0]["slug"], json("gift-cards"));
        auto [token, id] = f.customerWithConversation();
        const auto bot =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "gift card?"}}, token);
        QCOMPARE_JSON(bot.body["replies"][0]["metadata"]["faq_slug"], json("gift-cards"));

        // Partial update, deactivate: hidden from customers and the bot, kept for admins.
        const auto updated = http().put("/api/v1/admin/faq/gift-cards",
                                        {{"is_active", false}, {"display_order", 99}}, f.adminToken);
        QCOMPARE(updated.status, 200);
        QCOMPARE_JSON(updated.body["is_active"], json(false));
        QCOMPARE_JSON(updated.body["question"], entry["question"]);
        const auto publicFaq = http().get("/api/v1/faq").body["faq"];
        for (const auto& e : publicFaq)
            QVERIFY(e["slug"] != json("gift-cards"));
        bool inAdmin = false;
        const auto adminFaq = http().get("/api/v1/admin/faq", f.adminToken).body["faq"];
        for (const auto& e : adminFaq)
            inAdmin = inAdmin || e["slug"] == json("gift-cards");
        QVERIFY(inAdmin);
        const auto quick =
            http().post("/api/v1/conversations/" + id + "/messages",
                        {{"content", "x"}, {"kind", "quick_reply"}, {"faq_slug", "gift-cards"}}, token);
        QCOMPARE(quick.status, 404);

        // Rename; a rename onto an existing slug is a conflict.
        QCOMPARE(http().put("/api/v1/admin/faq/gift-cards", {{"slug", "returns"}}, f.adminToken).status, 409);
        QCOMPARE(http().put("/api/v1/admin/faq/gift-cards", {{"slug", "vouchers"}}, f.adminToken).status,
                 200);
        QCOMPARE(http().put("/api/v1/admin/faq/gift-cards", {{"is_active", true}}, f.adminToken).status, 404);

        QCOMPARE(http().del("/api/v1/admin/faq/vouchers", f.adminToken).status, 204);
        QCOMPARE(http().del("/api/v1/admin/faq/vouchers", f.adminToken).status, 404);
    }

    // Issue 16: the handler read the entry, merged the body and had it written in a second
    // transaction, so two admins editing different fields at once lost one of the edits.
    void concurrentPartialFaqEditsKeepEveryField() {
        const json entry{
            {"slug", "race-entry"}, {"question", "Q0?"}, {"answer", "A0."}, {"display_order", 0}};
        QCOMPARE(http().post("/api/v1/admin/faq", entry, f.adminToken).status, 201);
        for (int round = 1; round <= 100; ++round) {
            const auto n = std::to_string(round);
            const std::vector<json> edits{
                {{"question", "Q" + n + "?"}}, {{"answer", "A" + n + "."}}, {{"display_order", round}}};
            std::vector<int> statuses(edits.size());
            race(int(edits.size()), [&](int i) {
                statuses[std::size_t(i)] =
                    http().put("/api/v1/admin/faq/race-entry", edits[std::size_t(i)], f.adminToken).status;
            });
            for (int s : statuses)
                QCOMPARE(s, 200);
            const auto all = http().get("/api/v1/admin/faq", f.adminToken).body["faq"];
            json stored;
            for (const auto& e : all)
                if (e["slug"] == "race-entry")
                    stored = e;
            QCOMPARE_JSON(stored["question"], json("Q" + n + "?"));
            QCOMPARE_JSON(stored["answer"], json("A" + n + "."));
            QCOMPARE_JSON(stored["display_order"], json(round));
        }
        QCOMPARE(http().del("/api/v1/admin/faq/race-entry", f.adminToken).status, 204);
    }

    void faqValidation_data() {
        QTest::addColumn<QByteArray>("body");
        const QByteArray ok = "\"question\":\"Q?\",\"answer\":\"A.\"";
        QTest::newRow("missing slug") << ("{" + ok + "}");
        QTest::newRow("bad slug") << ("{\"slug\":\"Has Spaces\"," + ok + "}");
        QTest::newRow("slug with double dash") << ("{\"slug\":\"a--b\"," + ok + "}");
        QTest::newRow("missing answer") << QByteArray("{\"slug\":\"a\",\"question\":\"Q?\"}");
        QTest::newRow("empty question") << QByteArray("{\"slug\":\"a\",\"question\":\" \",\"answer\":\"A\"}");
        QTest::newRow("order not integer") << ("{\"slug\":\"a\"," + ok + ",\"display_order\":\"1\"}");
        QTest::newRow("active not bool") << ("{\"slug\":\"a\"," + ok + ",\"is_active\":1}");
        QTest::newRow("question too long")
            << ("{\"slug\":\"a\",\"answer\":\"A\",\"question\":\"" + QByteArray(301, 'q') + "\"}");
        QTest::newRow("not json") << QByteArray("slug=a");
    }
    void faqValidation() {
        QFETCH(QByteArray, body);
        const auto r = http().raw("POST", "/api/v1/admin/faq", body.toStdString(), f.adminToken);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.errorCode(), std::string("invalid_request"));
        QVERIFY(!r.body["error"]["message"].get<std::string>().empty());
    }

    void agentsEditor() {
        const auto created = http().post("/api/v1/admin/agents",
                                         {{"username", "bob"},
                                          {"display_name", "Bob B."},
                                          {"password", "bob-password"},
                                          {"max_active_chats", 4},
                                          {"role", "agent"}},
                                         f.adminToken);
        QCOMPARE(created.status, 201);
        const auto bob = created.body["agent"];
        QCOMPARE_JSON(bob["display_name"], json("Bob B."));
        QCOMPARE_JSON(bob["presence"], json("offline"));
        QCOMPARE_JSON(bob["active_chats"], json(0));
        const auto dup = http().post("/api/v1/admin/agents",
                                     {{"username", "BOB"}, {"display_name", "x"}, {"password", "whatever-1"}},
                                     f.adminToken);
        QCOMPARE(dup.status, 409);

        const auto list = http().get("/api/v1/admin/agents", f.adminToken).body["agents"];
        QVERIFY(list.size() >= 3);

        const std::string path = "/api/v1/admin/agents/" + bob["id"].get<std::string>();
        const auto renamed = http().put(
            path, {{"display_name", "Robert"}, {"max_active_chats", 7}, {"role", "admin"}}, f.adminToken);
        QCOMPARE(renamed.status, 200);
        QCOMPARE_JSON(renamed.body["agent"]["display_name"], json("Robert"));
        QCOMPARE_JSON(renamed.body["agent"]["max_active_chats"], json(7));
        QCOMPARE_JSON(renamed.body["agent"]["role"], json("admin"));
        // Password reset: the old one stops working, the new one works; the new admin can administer.
        QCOMPARE(http().put(path, {{"password", "new-bob-password"}}, f.adminToken).status, 200);
        QVERIFY(http().login("bob", "bob-password").empty());
        const auto bobToken = http().login("bob", "new-bob-password");
        QVERIFY(!bobToken.empty());
        QCOMPARE(http().get("/api/v1/admin/faq", bobToken).status, 200);
        QCOMPARE(http()
                     .put("/api/v1/admin/agents/00000000-0000-4000-8000-000000000000",
                          {{"display_name", "x"}}, f.adminToken)
                     .status,
                 404);
        QCOMPARE(http().put("/api/v1/admin/agents/nope", {{"display_name", "x"}}, f.adminToken).status, 404);
    }

    void agentValidation_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("max above 100") << QByteArray(
            R"({"username":"v1","display_name":"V","password":"password1","max_active_chats":101})");
        QTest::newRow("max negative") << QByteArray(
            R"({"username":"v2","display_name":"V","password":"password1","max_active_chats":-1})");
        QTest::newRow("max not integer") << QByteArray(
            R"({"username":"v3","display_name":"V","password":"password1","max_active_chats":2.5})");
        QTest::newRow("bad role") << QByteArray(
            R"({"username":"v4","display_name":"V","password":"password1","role":"root"})");
        QTest::newRow("short password")
            << QByteArray(R"({"username":"v5","display_name":"V","password":"short"})");
        QTest::newRow("bad username")
            << QByteArray(R"({"username":"a b","display_name":"V","password":"password1"})");
        QTest::newRow("missing display name") << QByteArray(R"({"username":"v6","password":"password1"})");
    }
    void agentValidation() {
        QFETCH(QByteArray, body);
        const auto r = http().raw("POST", "/api/v1/admin/agents", body.toStdString(), f.adminToken);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.errorCode(), std::string("invalid_request"));
    }

    // Issue 16: a token stayed valid for up to 12 h after its agent's password was changed.
    // Contract v1.1: a password or role change ends the agent's other tokens; the caller's own
    // survives a password change it makes for itself.
    void passwordOrRoleChangeEndsTheAgentsOtherTokens() {
        auto carol = f.createAgent("carol", 2, false);
        const auto carolSecond = http().login("carol", "password-carol");
        const auto path = "/api/v1/admin/agents/" + carol.id;
        auto works = [&](const std::string& token) { return http().get("/api/v1/queue", token).status; };
        QCOMPARE(works(carol.token), 200);
        QCOMPARE(works(carolSecond), 200);

        // Other edits keep every token.
        QCOMPARE(
            http().put(path, {{"display_name", "Carol C."}, {"max_active_chats", 3}}, f.adminToken).status,
            200);
        QCOMPARE(works(carol.token), 200);

        // An admin sets a new password: every token of that agent ends at once.
        QCOMPARE(http().put(path, {{"password", "carol-new-password"}}, f.adminToken).status, 200);
        const auto ended = http().get("/api/v1/queue", carol.token);
        QCOMPARE(ended.status, 401);
        QCOMPARE(ended.errorCode(), std::string("unauthorized"));
        QCOMPARE(works(carolSecond), 401);
        QCOMPARE(works(f.adminToken), 200); // the admin's own token is another agent's
        auto carolNew = http().login("carol", "carol-new-password");
        QCOMPARE(works(carolNew), 200);

        // A role change ends them too; the agent signs in again and has the new role.
        QCOMPARE(http().put(path, {{"role", "admin"}}, f.adminToken).status, 200);
        QCOMPARE(works(carolNew), 401);
        carolNew = http().login("carol", "carol-new-password");
        QCOMPARE(http().get("/api/v1/admin/faq", carolNew).status, 200);
        // The same role again is no change.
        QCOMPARE(http().put(path, {{"role", "admin"}}, f.adminToken).status, 200);
        QCOMPARE(works(carolNew), 200);

        // An admin changing its own password keeps the token it used and ends its others.
        const auto carolOther = http().login("carol", "carol-new-password");
        QCOMPARE(http().put(path, {{"password", "carol-third-password"}}, carolNew).status, 200);
        QCOMPARE(works(carolNew), 200);
        QCOMPARE(works(carolOther), 401);
        QCOMPARE(http().put(path, {{"role", "agent"}}, f.adminToken).status, 200);
    }

    void theLastAdminKeepsItsRole() {
        // Demote every admin but "admin" itself, then try to demote "admin".
        std::string adminId;
        const auto agents = http().get("/api/v1/admin/agents", f.adminToken).body["agents"];
        for (const auto& a : agents) {
            if (a["username"] == "admin")
                adminId = a["id"];
            else if (a["role"] == "admin")
                QCOMPARE(http()
                             .put("/api/v1/admin/agents/" + a["id"].get<std::string>(), {{"role", "agent"}},
                                  f.adminToken)
                             .status,
                         200);
        }
        const auto r = http().put("/api/v1/admin/agents/" + adminId, {{"role", "agent"}}, f.adminToken);
        QCOMPARE(r.status, 409);
        QCOMPARE(r.errorCode(), std::string("conflict"));
    }
};

QTEST_GUILESS_MAIN(TestApiAdmin)
#include "tst_api_admin.moc"
