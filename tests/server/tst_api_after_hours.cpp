// Shoppers after hours and after the chat (issue 21) against the real server: the business_hours
// and idle_close_minutes settings, the widget's open status, the reply address, the rating of a
// closed chat (and its event to the agent who closed it), and idle auto-close across a restart.
#include "ApiTestBase.h"
#include "WsTestClient.h"

#include <QDateTime>

using namespace parley::test;

namespace {

const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}; // Qt: 1 = Monday

} // namespace

class TestApiAfterHours : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }

    json settings() { return http().get("/api/v1/admin/settings", f.adminToken).body; }
    HttpResponse putSettings(const json& patch) {
        return http().put("/api/v1/admin/settings", patch, f.adminToken);
    }

    // A conversation handed off and assigned to `agent` (the only online agent with room).
    std::pair<std::string, std::string> assignedChat(const AgentLogin& agent) {
        auto [token, id] = f.customerWithConversation();
        const auto h = http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token);
        if (h.body["conversation"].value("assigned_agent_id", "") != agent.id)
            qWarning("not assigned: %s", h.describe().c_str());
        return {token, id};
    }
    HttpResponse say(const std::string& id, const std::string& token, const std::string& text) {
        return http().post("/api/v1/conversations/" + id + "/messages", {{"content", text}}, token);
    }
    std::string status(const std::string& id) {
        return f.conversation(id, f.adminToken)["conversation"].value("status", "");
    }

private slots:
    void initTestCase() { QVERIFY(f.start({"--idle-close-unit-seconds"})); }

    void settingsDefaultToNullAndPutKeepsOtherKeys() {
        const auto initial = settings();
        QCOMPARE_JSON(initial["business_hours"], json(nullptr));
        QCOMPARE_JSON(initial["idle_close_minutes"], json(nullptr));

        const json hours{{"timezone", "Europe/Berlin"},
                         {"weekly", {{{"day", "mon"}, {"from", "09:00"}, {"to", "17:00"}}}}};
        auto r = putSettings({{"business_hours", hours}});
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["business_hours"], hours);
        QCOMPARE_JSON(r.body["bot"], initial["bot"]);

        r = putSettings({{"idle_close_minutes", 30}});
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["business_hours"], hours); // kept
        QCOMPARE_JSON(settings()["idle_close_minutes"], json(30));

        r = putSettings({{"business_hours", nullptr}, {"idle_close_minutes", nullptr}});
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(settings()["business_hours"], json(nullptr));
        QCOMPARE_JSON(settings()["idle_close_minutes"], json(nullptr));
    }

    void badSettingsAre400NamingTheFieldAndChangeNothing_data() {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("field");
        QTest::newRow("unknown zone") << R"({"business_hours":{"timezone":"Nowhere/Else","weekly":[]}})"
                                      << "business_hours.timezone";
        QTest::newRow("from == to")
            << R"({"business_hours":{"timezone":"UTC","weekly":[{"day":"tue","from":"10:00","to":"10:00"}]}})"
            << "business_hours.weekly[0].to";
        QTest::newRow("bad day")
            << R"({"business_hours":{"timezone":"UTC","weekly":[{"day":"tuesday","from":"10:00","to":"11:00"}]}})"
            << "business_hours.weekly[0].day";
        QTest::newRow("hours not an object") << R"({"business_hours":"9-5"})"
                                             << "business_hours";
        QTest::newRow("idle zero") << R"({"idle_close_minutes":0})"
                                   << "idle_close_minutes";
        QTest::newRow("idle too big") << R"({"idle_close_minutes":10081})"
                                      << "idle_close_minutes";
        QTest::newRow("idle text") << R"({"idle_close_minutes":"5"})"
                                   << "idle_close_minutes";
        QTest::newRow("idle fraction") << R"({"idle_close_minutes":1.5})"
                                       << "idle_close_minutes";
        // A valid key beside a bad one: the whole PUT is refused.
        QTest::newRow("valid bot, bad idle") << R"({"bot":{"greeting":"Changed?"},"idle_close_minutes":-1})"
                                             << "idle_close_minutes";
    }
    void badSettingsAre400NamingTheFieldAndChangeNothing() {
        QFETCH(QString, patch);
        QFETCH(QString, field);
        const auto before = settings();
        const auto r = putSettings(json::parse(patch.toStdString()));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.errorCode(), std::string("invalid_request"));
        const auto message = r.body["error"].value("message", "");
        QVERIFY2(message.starts_with(field.toStdString()), message.c_str());
        QCOMPARE_JSON(settings(), before);
    }

    void widgetConfigSaysWhetherTheShopIsOpen() {
        auto config = http().get("/api/v1/widget/config").body;
        QCOMPARE_JSON(config["open_now"], json(true)); // no hours set: always open
        QCOMPARE_JSON(config["next_open_at"], json(nullptr));
        QVERIFY(config["ws_url"].is_string());
        const int onlineBefore = config.value("agents_online", -1);
        QVERIFY(onlineBefore >= 0);
        const auto watcher = f.createAgent("widget-watcher", 1, true);
        QCOMPARE_JSON(http().get("/api/v1/widget/config").body["agents_online"], json(onlineBefore + 1));
        // Offline again, so that the tests below know who gets their chats.
        QCOMPARE(http().put("/api/v1/agent/presence", {{"presence", "offline"}}, watcher.token).status, 200);
        QCOMPARE_JSON(http().get("/api/v1/widget/config").body["agents_online"], json(onlineBefore));

        // Open only tomorrow (UTC), all day: closed now, opens at tomorrow's midnight.
        const auto tomorrow = QDateTime::currentDateTimeUtc().date().addDays(1);
        const json hours{
            {"timezone", "UTC"},
            {"weekly", {{{"day", kDays[tomorrow.dayOfWeek() - 1]}, {"from", "00:00"}, {"to", "24:00"}}}}};
        QCOMPARE(putSettings({{"business_hours", hours}}).status, 200);
        config = http().get("/api/v1/widget/config").body;
        QCOMPARE_JSON(config["open_now"], json(false));
        QCOMPARE_JSON(config["next_open_at"],
                      json(tomorrow.toString(Qt::ISODate).toStdString() + "T00:00:00.000Z"));

        // Every day, all day: open.
        json weekly = json::array();
        for (const char* d : kDays)
            weekly.push_back({{"day", d}, {"from", "00:00"}, {"to", "24:00"}});
        QCOMPARE(putSettings({{"business_hours", {{"timezone", "Asia/Tokyo"}, {"weekly", weekly}}}}).status,
                 200);
        config = http().get("/api/v1/widget/config").body;
        QCOMPARE_JSON(config["open_now"], json(true));
        QCOMPARE_JSON(config["next_open_at"], json(nullptr));
        QCOMPARE(putSettings({{"business_hours", nullptr}}).status, 200);
    }

    void contactIsValidatedAndShownOnTheConversation() {
        auto [token, id] = f.customerWithConversation();
        QVERIFY(!f.conversation(id, token)["conversation"].contains("contact"));
        const auto path = "/api/v1/conversations/" + id + "/contact";
        for (const std::string& bad :
             std::vector<std::string>{"", "no-at-sign", "two@@example.com", "a@b@example.com", "me@example",
                                      "with space@example.com", "tab\t@example.com", "@example.com",
                                      "me@.com", "me@example.com.", std::string(250, 'a') + "@example.com"}) {
            const auto r = http().post(path, {{"email", bad}}, token);
            QVERIFY2(r.status == 400, (bad + " -> " + r.describe()).c_str());
            QCOMPARE(r.errorCode(), std::string("invalid_request"));
        }
        QCOMPARE(http().post(path, json::object(), token).status, 400);
        QCOMPARE(http().post(path, {{"email", 42}}, token).status, 400);
        QCOMPARE(
            http().post(path, {{"email", "ann@example.com"}, {"name", std::string(201, 'x')}}, token).status,
            400);

        auto r = http().post(path, {{"email", "ann@example.com"}, {"name", "Ann Shopper"}}, token);
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["conversation"]["contact"],
                      (json{{"email", "ann@example.com"}, {"name", "Ann Shopper"}}));
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["contact"]["email"], json("ann@example.com"));
        // A new address replaces the old one; without a name there is none.
        r = http().post(path, {{"email", "ann.b@example.org"}}, token);
        QCOMPARE_JSON(r.body["conversation"]["contact"], (json{{"email", "ann.b@example.org"}}));

        // Only the conversation's own customer: another one gets 404, an agent 403.
        const auto other = http().newCustomer();
        QCOMPARE(http().post(path, {{"email", "eve@example.com"}}, other.token).status, 404);
        QCOMPARE(http().post(path, {{"email", "eve@example.com"}}, f.adminToken).status, 403);
        QCOMPARE(http().post(path, {{"email", "eve@example.com"}}).status, 401);
    }

    void ratingOnceAfterCloseAndTheClosingAgentHearsOfIt() {
        const auto agent = f.createAgent("rated", 5, true);
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto chat = assignedChat(agent);
        const std::string& token = chat.first;
        const std::string& id = chat.second;
        const auto path = "/api/v1/conversations/" + id + "/rating";
        auto r = http().post(path, {{"score", 5}}, token);
        QCOMPARE(r.status, 409);
        QCOMPARE(r.errorCode(), std::string("invalid_transition"));

        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), agent.token).status,
                 200);
        WsTestClient ws(f.server.wsUrl());
        QCOMPARE(ws.hello(agent.token).value("type", ""), std::string("hello.ok"));

        for (const json& bad :
             {json{{"score", 0}}, json{{"score", 6}}, json{{"score", "5"}}, json{{"score", 4.5}},
              json::object(), json{{"score", 4}, {"comment", std::string(2001, 'c')}},
              json{{"score", 4}, {"comment", std::string("nul\x01")}}}) {
            r = http().post(path, bad, token);
            QVERIFY2(r.status == 400, (bad.dump() + " -> " + r.describe()).c_str());
        }
        QCOMPARE(http().post(path, {{"score", 4}}, f.adminToken).status, 403);
        QCOMPARE(http().post(path, {{"score", 4}}, http().newCustomer().token).status, 404);

        r = http().post(path, {{"score", 4}, {"comment", "Quick and kind.\nThanks!"}}, token);
        QCOMPARE(r.status, 201);
        const auto rating = r.body["conversation"]["rating"];
        QCOMPARE_JSON(rating["score"], json(4));
        QCOMPARE_JSON(rating["comment"], json("Quick and kind.\nThanks!"));
        QVERIFY(rating["created_at"].is_string());
        QCOMPARE_JSON(f.conversation(id, agent.token)["conversation"]["rating"], rating);
        QVERIFY(ws.waitFor([&](const json& frame) {
            return frame.value("type", "") == "conversation.updated" &&
                   frame["data"]["conversation"].value("id", "") == id &&
                   frame["data"]["conversation"].contains("rating");
        }));

        r = http().post(path, {{"score", 1}}, token);
        QCOMPARE(r.status, 409);
        QCOMPARE(r.errorCode(), std::string("conflict"));
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["rating"], rating);
        QCOMPARE(http().put("/api/v1/agent/presence", {{"presence", "offline"}}, agent.token).status, 200);
    }

    void idleChatsCloseAndTheJobSurvivesARestart() {
        const auto agent = f.createAgent("idler", 5, true);
        // The customer answered last: stays open however long it waits.
        auto [answeredToken, answered] = assignedChat(agent);
        QCOMPARE(say(answered, agent.token, "Anything else?").status, 201);
        QCOMPARE(say(answered, answeredToken, "Yes, one more thing").status, 201);
        // The agent wrote last; the server stops before the idle time is up.
        auto [quietToken, quiet] = assignedChat(agent);
        QCOMPARE(putSettings({{"idle_close_minutes", 2}}).status, 200); // seconds, here
        QCOMPARE(say(quiet, agent.token, "Is there anything else I can do?").status, 201);
        QVERIFY(f.server.stop());
        QVERIFY(f.server.start({"--idle-close-unit-seconds"}));
        f.http = std::make_unique<HttpClient>(f.server.httpPort());

        QTRY_COMPARE_WITH_TIMEOUT(status(quiet), std::string("closed"), 15000);
        const auto messages = f.conversation(quiet, quietToken)["messages"];
        const auto last = messages.back();
        QCOMPARE_JSON(last["sender_type"], json("system"));
        QCOMPARE_JSON(last["metadata"]["event"], json("closed"));
        QCOMPARE_JSON(last["metadata"]["reason"], json("idle"));
        QCOMPARE_JSON(last["metadata"]["agent_id"], json(agent.id));
        QCOMPARE(status(answered), std::string("agent")); // checked in the same passes as `quiet`
        // The agent's load went down with it.
        const auto agents = http().get("/api/v1/agents", agent.token);
        for (const auto& a : agents.body["agents"])
            if (a.value("id", "") == agent.id)
                QCOMPARE(a.value("active_chats", -1), 1);

        // A closed-by-idle chat can be rated, and the agent named in the close hears of it.
        QCOMPARE(http().post("/api/v1/conversations/" + quiet + "/rating", {{"score", 2}}, quietToken).status,
                 201);
        QCOMPARE(putSettings({{"idle_close_minutes", nullptr}}).status, 200);
    }
};

QTEST_MAIN(TestApiAfterHours)
#include "tst_api_after_hours.moc"
