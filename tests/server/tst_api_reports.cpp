// Reports and data rights (issue 22) against the real server: the daily report and its CSV over
// seeded data with known answers (written into the server's SQLite file while it is stopped),
// days in IANA time zones across a DST change, the validation of the range, and a shopper's data
// exported, erased (nothing left in the database file), its tokens ended, and the audit log.
#include "ApiTestBase.h"

#include <sqlite3.h>

#include <QDir>
#include <QFile>

using namespace parley::test;

namespace {

// Writes seed rows into the server's database file (the server is stopped meanwhile).
class SeedDb {
public:
    explicit SeedDb(const QString& path) {
        m_ok = sqlite3_open(path.toStdString().c_str(), &m_db) == SQLITE_OK;
    }
    ~SeedDb() { sqlite3_close(m_db); }
    bool exec(const std::string& sql) {
        char* err = nullptr;
        if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            qWarning("seed failed: %s: %s", err ? err : "?", sql.c_str());
            sqlite3_free(err);
            return false;
        }
        return true;
    }
    bool ok() const { return m_ok; }

private:
    sqlite3* m_db = nullptr;
    bool m_ok = false;
};

std::string quoted(const std::string& s) {
    return s.empty() ? "NULL" : "'" + s + "'";
}

// Every byte of every file in the data dir.
QByteArray dataDirBytes(const QString& dir) {
    QByteArray all;
    for (const auto& name : QDir(dir).entryList(QDir::Files)) {
        QFile f(dir + '/' + name);
        if (f.open(QIODevice::ReadOnly))
            all += f.readAll();
    }
    return all;
}

const json& dayOf(const json& report, const std::string& date) {
    static const json none;
    for (const auto& d : report["days"])
        if (d.value("date", "") == date)
            return d;
    return none;
}

const json& agentOf(const json& report, const std::string& id) {
    static const json none;
    for (const auto& a : report["agents"])
        if (a.value("agent_id", "") == id)
            return a;
    return none;
}

} // namespace

class TestApiReports : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }
    AgentLogin agentA;
    AgentLogin agentB;

    bool restartServer() {
        if (!f.server.restart())
            return false;
        f.http = std::make_unique<HttpClient>(f.server.httpPort());
        return true;
    }

    json report(const std::string& query) {
        const auto r = http().get("/api/v1/admin/reports?" + query, f.adminToken);
        if (r.status != 200)
            qWarning("%s", r.describe().c_str());
        return r.body;
    }

private slots:
    void initTestCase() {
        QVERIFY(f.start());
        agentA = f.createAgent("anna", 5, false);
        agentB = f.createAgent("bert", 5, false);
        QVERIFY(!agentA.id.empty() && !agentB.id.empty());

        // Seed, with the server stopped: on 2026-03-10 (UTC) ten conversations. c0..c4 hand off
        // 10 s after they start; the first agent answer comes 10, 20, 30, 40, 50 s after the
        // handoff (and a second one later, which is not the first response); they close 100..500 s after
        // the handoff; c0..c2 by anna, c3..c4 by bert. c5..c9 never ask for an agent. c10 starts
        // at 23:30Z (already 2026-03-11 in Berlin) and c11 at 2026-03-29T22:30Z (2026-03-30 in
        // Berlin, which is on summer time since that morning).
        QVERIFY(f.server.stop());
        {
            SeedDb db(f.server.dataDir() + QStringLiteral("/parley.db"));
            QVERIFY(db.ok());
            std::string sql = "BEGIN;";
            for (int i = 0; i < 12; ++i) {
                const std::string id = "00000000-0000-4000-8000-0000000000" + std::to_string(10 + i);
                std::string created = "2026-03-10T10:0" + std::to_string(i % 10) + ":00.000Z";
                if (i == 10)
                    created = "2026-03-10T23:30:00.000Z";
                if (i == 11)
                    created = "2026-03-29T22:30:00.000Z";
                const bool handedOff = i < 5;
                const std::string requested =
                    handedOff ? "2026-03-10T10:0" + std::to_string(i) + ":10.000Z" : "";
                const std::string agent = i < 3 ? agentA.id : agentB.id;
                const auto plus = [&](int seconds) {
                    return "strftime('%Y-%m-%dT%H:%M:%fZ', '" + requested + "', '+" +
                           std::to_string(seconds) + " seconds')";
                };
                // The first agent reply is on the conversation, as the reply's own write puts it
                // there (tst_pgstore writes replies through the store and checks that).
                sql += "INSERT INTO conversations (id, customer_session_id, status, assigned_agent_id, "
                       "requested_agent_at, closed_at, created_at, updated_at, first_agent_reply_at, "
                       "first_agent_reply_by) VALUES ('" +
                       id + "', '" + id + "', '" + (handedOff ? "closed" : "automated") + "', " +
                       (handedOff ? quoted(agent) : "NULL") + ", " + quoted(requested) + ", " +
                       (handedOff ? plus((i + 1) * 100) : "NULL") + ", '" + created + "', '" + created +
                       "', " + (handedOff ? plus((i + 1) * 10) : "NULL") + ", " +
                       (handedOff ? quoted(agent) : "NULL") + ");";
                sql +=
                    "INSERT INTO messages (id, conversation_id, seq, sender_type, kind, content, created_at) "
                    "VALUES ('" +
                    id + "-1', '" + id + "', 1, 'customer', 'text', 'hello', '" + created + "');";
                if (handedOff) {
                    sql +=
                        "INSERT INTO messages (id, conversation_id, seq, sender_type, sender_agent_id, kind, "
                        "content, created_at) VALUES ('" +
                        id + "-2', '" + id + "', 2, 'agent', '" + agent + "', 'text', 'hi', " +
                        plus((i + 1) * 10) + ");";
                    sql +=
                        "INSERT INTO messages (id, conversation_id, seq, sender_type, sender_agent_id, kind, "
                        "content, created_at) VALUES ('" +
                        id + "-3', '" + id + "', 3, 'agent', '" + agent + "', 'text', 'more', " + plus(1000) +
                        ");";
                }
            }
            sql += "COMMIT;";
            QVERIFY(db.exec(sql));
        }
        QVERIFY(restartServer());
    }

    void onlyAdminsGetReports() {
        const auto customer = http().newCustomer().token;
        for (const auto& token : {agentA.token, customer}) {
            QCOMPARE(http().get("/api/v1/admin/reports?from=2026-03-10&to=2026-03-10", token).status, 403);
            QCOMPARE(http().get("/api/v1/admin/reports.csv?from=2026-03-10&to=2026-03-10", token).status,
                     403);
            QCOMPARE(http().get("/api/v1/admin/audit", token).status, 403);
            QCOMPARE(http().get("/api/v1/admin/customers/" + std::string(36, 'a') + "/export", token).status,
                     403);
        }
        QCOMPARE(http().get("/api/v1/admin/reports?from=2026-03-10&to=2026-03-10").status, 401);
    }

    void dayFiguresAreExact() {
        const auto r = report("from=2026-03-09&to=2026-03-11&tz=UTC");
        QCOMPARE(r["days"].size(), std::size_t(3));
        QCOMPARE_JSON(r["days"][0], (json{{"date", "2026-03-09"},
                                          {"conversations", 0},
                                          {"handoffs", 0},
                                          {"bot_resolved", 0},
                                          {"closed", 0},
                                          {"first_response_p50_s", nullptr},
                                          {"first_response_p90_s", nullptr},
                                          {"resolution_p50_s", nullptr},
                                          {"rating_avg", nullptr},
                                          {"ratings", 0}}));
        // Nearest rank over 10, 20, 30, 40, 50 s: p50 is the 3rd, p90 the 5th.
        QCOMPARE_JSON(dayOf(r, "2026-03-10"), (json{{"date", "2026-03-10"},
                                                    {"conversations", 11},
                                                    {"handoffs", 5},
                                                    {"bot_resolved", 6},
                                                    {"closed", 5},
                                                    {"first_response_p50_s", 30.0},
                                                    {"first_response_p90_s", 50.0},
                                                    {"resolution_p50_s", 300.0},
                                                    {"rating_avg", nullptr},
                                                    {"ratings", 0}}));
        QCOMPARE(dayOf(r, "2026-03-11")["conversations"].get<int>(), 0);
    }

    void agentFigures() {
        const auto r = report("from=2026-03-10&to=2026-03-10");
        QCOMPARE_JSON(agentOf(r, agentA.id), (json{{"agent_id", agentA.id},
                                                   {"display_name", "Agent anna"},
                                                   {"closed", 3},
                                                   {"first_response_p50_s", 20.0},
                                                   {"rating_avg", nullptr}}));
        QCOMPARE_JSON(agentOf(r, agentB.id), (json{{"agent_id", agentB.id},
                                                   {"display_name", "Agent bert"},
                                                   {"closed", 2},
                                                   {"first_response_p50_s", 40.0},
                                                   {"rating_avg", nullptr}}));
        // Outside the range: nothing.
        const auto before = report("from=2026-03-01&to=2026-03-09");
        QCOMPARE(agentOf(before, agentA.id)["closed"].get<int>(), 0);
        QVERIFY(agentOf(before, agentA.id)["first_response_p50_s"].is_null());
    }

    void daysFollowTheTimeZone() {
        // 23:30Z on the 10th is 00:30 on the 11th in Berlin (UTC+1 in winter).
        const auto berlin = report("from=2026-03-10&to=2026-03-11&tz=Europe/Berlin");
        QCOMPARE(dayOf(berlin, "2026-03-10")["conversations"].get<int>(), 10);
        QCOMPARE(dayOf(berlin, "2026-03-11")["conversations"].get<int>(), 1);
        // After the switch to summer time (UTC+2) 22:30Z is already the next day; a fixed offset
        // of one hour would put it on the 29th.
        const auto summer = report("from=2026-03-29&to=2026-03-30&tz=Europe/Berlin");
        QCOMPARE(dayOf(summer, "2026-03-29")["conversations"].get<int>(), 0);
        QCOMPARE(dayOf(summer, "2026-03-30")["conversations"].get<int>(), 1);
        const auto utc = report("from=2026-03-29&to=2026-03-30&tz=UTC");
        QCOMPARE(dayOf(utc, "2026-03-29")["conversations"].get<int>(), 1);
        // West of UTC: the 10:0x conversations are still the 10th in New York, c10 too.
        const auto ny = report("from=2026-03-10&to=2026-03-10&tz=America/New_York");
        QCOMPARE(dayOf(ny, "2026-03-10")["conversations"].get<int>(), 11);
    }

    void invalidRangesAreRefused_data() {
        QTest::addColumn<QString>("query");
        QTest::newRow("no from") << "to=2026-03-10";
        QTest::newRow("no to") << "from=2026-03-10";
        QTest::newRow("short month") << "from=2026-3-10&to=2026-03-10";
        QTest::newRow("no such day") << "from=2026-02-30&to=2026-03-10";
        QTest::newRow("text") << "from=yesterday&to=2026-03-10";
        QTest::newRow("from after to") << "from=2026-03-11&to=2026-03-10";
        QTest::newRow("367 days") << "from=2025-01-01&to=2026-01-02";
        QTest::newRow("unknown zone") << "from=2026-03-10&to=2026-03-10&tz=Mars/Olympus";
        QTest::newRow("path as zone") << "from=2026-03-10&to=2026-03-10&tz=../../etc/passwd";
        QTest::newRow("empty zone") << "from=2026-03-10&to=2026-03-10&tz=";
    }
    void invalidRangesAreRefused() {
        QFETCH(QString, query);
        for (const std::string path : {"/api/v1/admin/reports?", "/api/v1/admin/reports.csv?"}) {
            const auto r = http().get(path + query.toStdString(), f.adminToken);
            QCOMPARE(r.status, 400);
            QCOMPARE(r.errorCode(), std::string("invalid_request"));
        }
    }

    void a366DayRangeIsServed() {
        const auto r = report("from=2025-03-11&to=2026-03-11&tz=Asia/Kolkata");
        QCOMPARE(r["days"].size(), std::size_t(366));
        QCOMPARE(r["days"][0]["date"].get<std::string>(), std::string("2025-03-11"));
        QCOMPARE(r["days"][365]["date"].get<std::string>(), std::string("2026-03-11"));
    }

    void csvHasTheDaysTable() {
        const auto r =
            http().get("/api/v1/admin/reports.csv?from=2026-03-09&to=2026-03-10&tz=UTC", f.adminToken);
        QCOMPARE(r.status, 200);
        QVERIFY2(r.header("Content-Type").starts_with("text/csv"), r.header("Content-Type").c_str());
        QCOMPARE(QString::fromStdString(r.rawBody),
                 QStringLiteral("date,conversations,handoffs,bot_resolved,closed,first_response_p50_s,"
                                "first_response_p90_s,resolution_p50_s,rating_avg,ratings\r\n"
                                "2026-03-09,0,0,0,0,,,,,0\r\n"
                                "2026-03-10,11,5,6,5,30,50,300,,0\r\n"));
    }

    void liveConversationIsCounted() {
        // A real chat today: handoff, an agent's answer, close.
        http().put("/api/v1/agent/presence", {{"presence", "online"}}, agentA.token);
        auto [token, id] = f.customerWithConversation();
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token).status, 200);
        QCOMPARE(f.conversation(id, agentA.token)["conversation"]["assigned_agent_id"].get<std::string>(),
                 agentA.id);
        QCOMPARE(http()
                     .post("/api/v1/conversations/" + id + "/messages", {{"content", "Hello!"}}, agentA.token)
                     .status,
                 201);
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), agentA.token).status,
                 200);
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, agentA.token);
        const auto created =
            f.conversation(id, agentA.token)["conversation"]["created_at"].get<std::string>();
        const auto day = created.substr(0, 10);
        const auto r = report("from=" + day + "&to=" + day);
        const auto& d = dayOf(r, day);
        QVERIFY2(d["conversations"].get<int>() >= 1, r.dump().c_str());
        QVERIFY(d["handoffs"].get<int>() >= 1);
        QVERIFY(d["closed"].get<int>() >= 1);
        QVERIFY(d["first_response_p50_s"].is_number());
        QVERIFY(d["first_response_p50_s"].get<double>() >= 0);
        QVERIFY(agentOf(r, agentA.id)["closed"].get<int>() >= 1);
    }

    void exportAndEraseAShopper() {
        const std::string secret = "ZEBRA-7731-Baker-Street";
        const std::string kept = "OKAPI-4410-Elm-Road";
        const auto shopper = http().newCustomer();
        const auto other = http().newCustomer();
        std::string conversationId;
        for (const auto* c : {&shopper, &other}) {
            const auto open = http().post("/api/v1/conversations", json::object(), c->token);
            const auto id = open.body["conversation"]["id"].get<std::string>();
            if (c == &shopper)
                conversationId = id;
            const auto sent =
                http().post("/api/v1/conversations/" + id + "/messages",
                            {{"content", "Deliver to " + (c == &shopper ? secret : kept)}}, c->token);
            QCOMPARE(sent.status, 201);
        }

        const auto exported =
            http().get("/api/v1/admin/customers/" + shopper.sessionId + "/export", f.adminToken);
        QCOMPARE(exported.status, 200);
        QCOMPARE(exported.body["customer_session_id"].get<std::string>(), shopper.sessionId);
        QCOMPARE(exported.body["conversations"].size(), std::size_t(1));
        QCOMPARE(exported.body["conversations"][0]["conversation"]["id"].get<std::string>(), conversationId);
        QVERIFY(exported.body.dump().find(secret) != std::string::npos);
        QVERIFY(exported.body.dump().find(kept) == std::string::npos);
        QCOMPARE(exported.body["erased"].get<bool>(), false);
        const auto before = f.conversation(conversationId, f.adminToken)["messages"];

        // The file holds the text before the erase (so the check below can fail).
        QVERIFY(f.server.stop());
        QVERIFY(dataDirBytes(f.server.dataDir()).contains(QByteArray::fromStdString(secret)));
        QVERIFY(restartServer());

        QCOMPARE(http().del("/api/v1/admin/customers/" + shopper.sessionId, f.adminToken).status, 204);

        // Its tokens stop working; the other shopper's do not.
        QCOMPARE(http().get("/api/v1/conversations/" + conversationId, shopper.token).status, 401);
        QCOMPARE(http().post("/api/v1/conversations", json::object(), shopper.token).status, 401);
        QCOMPARE(http().post("/api/v1/conversations", json::object(), other.token).status, 200);

        // Rows, ids and seq stay; contents are gone. The open chat was closed by the erase, with
        // one system message after them (it holds nothing of the shopper's).
        const auto after = f.conversation(conversationId, f.adminToken)["messages"];
        QCOMPARE(after.size(), before.size() + 1);
        QCOMPARE_JSON(after.back()["metadata"], (json{{"event", "closed"}, {"reason", "erased"}}));
        for (std::size_t i = 0; i < before.size(); ++i) {
            QCOMPARE_JSON(after[i]["id"], before[i]["id"]);
            QCOMPARE_JSON(after[i]["seq"], before[i]["seq"]);
            QCOMPARE(after[i]["content"].get<std::string>(), std::string());
            QCOMPARE_JSON(after[i]["metadata"], (json{{"erased", true}}));
        }
        const auto again =
            http().get("/api/v1/admin/customers/" + shopper.sessionId + "/export", f.adminToken);
        QCOMPARE(again.body["erased"].get<bool>(), true);
        QVERIFY(again.body.dump().find(secret) == std::string::npos);
        // Erasing again is harmless.
        QCOMPARE(http().del("/api/v1/admin/customers/" + shopper.sessionId, f.adminToken).status, 204);

        // The audit log names who did what to whom, newest first.
        const auto audit = http().get("/api/v1/admin/audit?limit=10", f.adminToken);
        QCOMPARE(audit.status, 200);
        std::vector<std::string> actions;
        for (const auto& e : audit.body["entries"]) {
            if (e["subject"] != shopper.sessionId)
                continue;
            actions.push_back(e["action"].get<std::string>());
            QCOMPARE(e["actor_username"].get<std::string>(), std::string("admin"));
            QVERIFY(!e["at"].get<std::string>().empty());
        }
        QCOMPARE(actions, (std::vector<std::string>{"customer.erase", "customer.export", "customer.erase",
                                                    "customer.export"}));

        // After a checkpoint (a clean stop), no byte of the text is left in the data dir; the
        // other shopper's is.
        QVERIFY(f.server.stop());
        const auto bytes = dataDirBytes(f.server.dataDir());
        QVERIFY(!bytes.contains(QByteArray::fromStdString(secret)));
        QVERIFY(bytes.contains(QByteArray::fromStdString(kept)));

        // The erased session stays refused after a restart.
        QVERIFY(restartServer());
        QCOMPARE(http().get("/api/v1/conversations/" + conversationId, shopper.token).status, 401);
        QCOMPARE(http().get("/api/v1/conversations/" + conversationId, f.adminToken).status, 200);
    }

    void badCustomerIdsAndLimits() {
        QCOMPARE(http().get("/api/v1/admin/customers/not-a-session/export", f.adminToken).status, 404);
        QCOMPARE(http().del("/api/v1/admin/customers/not-a-session", f.adminToken).status, 404);
        QCOMPARE(http().get("/api/v1/admin/audit?limit=0", f.adminToken).status, 400);
        QCOMPARE(http().get("/api/v1/admin/audit?limit=1001", f.adminToken).status, 400);
        QCOMPARE(http().get("/api/v1/admin/audit?limit=x", f.adminToken).status, 400);
        const auto one = http().get("/api/v1/admin/audit?limit=1", f.adminToken);
        QCOMPARE(one.body["entries"].size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestApiReports)
#include "tst_api_reports.moc"
