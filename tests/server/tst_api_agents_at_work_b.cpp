// Contract v1.1 "Agents at work", part B, against the real server: the page context, read marks,
// a shopper's past chats and full-text search (with its backfill of messages stored before the
// migration). The realtime half (typing, conversation.read) is tests/realtime/tst_realtime_agents_at_work_b.
#include "ApiTestBase.h"
#include "SqliteReadOnly.h"

#include <sqlite3.h>

using namespace parley::test;

namespace {

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
        out += s;
    return out;
}

std::vector<std::string> contentsOf(const json& results) {
    std::vector<std::string> out;
    for (const auto& r : results)
        out.push_back(r["message"]["content"].get<std::string>());
    return out;
}

bool execSql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(path.c_str(), &db) == SQLITE_OK;
    char* error = nullptr;
    ok = ok && sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK;
    if (error) {
        qWarning("sqlite: %s", error);
        sqlite3_free(error);
    }
    sqlite3_close(db);
    return ok;
}

} // namespace

class TestApiAgentsAtWorkB : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }
    AgentLogin m_agent;

    // A customer whose conversation is assigned to m_agent: {token, conversation id}.
    std::pair<std::string, std::string> assignedChat() {
        auto [token, id] = f.customerWithConversation();
        http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token);
        return {token, id};
    }
    std::string searchPath(const std::string& q, const std::string& extra = {}) {
        std::string encoded;
        for (unsigned char ch : q) {
            static const char* hex = "0123456789ABCDEF";
            if (std::isalnum(ch))
                encoded += static_cast<char>(ch);
            else {
                encoded += '%';
                encoded += hex[ch >> 4];
                encoded += hex[ch & 15];
            }
        }
        return "/api/v1/search?q=" + encoded + extra;
    }

private slots:
    void initTestCase() {
        QVERIFY(f.start());
        m_agent = f.createAgent("worker", 50, true);
        QVERIFY(!m_agent.token.empty());
    }

    // --- page context --------------------------------------------------------------------------

    void contextIsStoredOnANewConversation() {
        const auto c = http().newCustomer();
        const json context = {{"page_url", "https://shop.example/p/42"},
                              {"page_title", "Blue mug"},
                              {"referrer", "https://search.example/?q=mug"},
                              {"locale", "de-DE"},
                              {"user_agent", "Mozilla/5.0"},
                              {"unknown", "ignored"}};
        const auto r = http().post("/api/v1/conversations", {{"context", context}}, c.token);
        QCOMPARE(r.status, 201);
        auto expected = context;
        expected.erase("unknown");
        QCOMPARE_JSON(r.body["conversation"]["context"], expected);
        QCOMPARE_JSON(r.body["conversation"]["customer_last_read_seq"], json(0));
        QCOMPARE_JSON(r.body["conversation"]["agent_last_read_seq"], json(0));
        const auto id = r.body["conversation"]["id"].get<std::string>();
        QCOMPARE_JSON(f.conversation(id, m_agent.token)["conversation"]["context"], expected);
        // The open conversation comes back as it is: a context is stored on a new one only.
        const auto again =
            http().post("/api/v1/conversations", {{"context", {{"page_url", "https://other"}}}}, c.token);
        QCOMPARE(again.status, 200);
        QCOMPARE_JSON(again.body["conversation"]["context"], expected);
    }

    void noContextIsAnEmptyObject() {
        const auto c = http().newCustomer();
        const auto r = http().post("/api/v1/conversations", json::object(), c.token);
        QCOMPARE(r.status, 201);
        QCOMPARE_JSON(r.body["conversation"]["context"], json::object());
    }

    void badContextIs400() {
        const auto c = http().newCustomer();
        // 2,000 characters (of two bytes each) are fine; 2,001 are not.
        const auto ok = http().post("/api/v1/conversations",
                                    {{"context", {{"page_title", repeat("\xc3\xa9", 2000)}}}}, c.token);
        QCOMPARE(ok.status, 201);
        const std::vector<json> bad = {
            {{"context", {{"page_url", repeat("a", 2001)}}}},
            {{"context", {{"user_agent", repeat("\xc3\xa9", 2001)}}}},
            {{"context", "https://shop.example"}},
            {{"context", {{"locale", 42}}}},
            {{"context", {{"referrer", json::array()}}}},
        };
        for (const auto& body : bad) {
            const auto other = http().newCustomer();
            const auto r = http().post("/api/v1/conversations", body, other.token);
            QCOMPARE(r.status, 400);
            QCOMPARE(r.errorCode(), std::string("invalid_request"));
            // Nothing was created.
            QCOMPARE(http().post("/api/v1/conversations", json::object(), other.token).status, 201);
        }
    }

    void putContextWhenTheShopperMoves() {
        auto [token, id] = f.customerWithConversation();
        const json page = {{"page_url", "https://shop.example/checkout"}, {"page_title", "Checkout"}};
        const auto r = http().put("/api/v1/conversations/" + id + "/context", page, token);
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["conversation"]["context"], page);
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["context"], page);
        // It replaces the context; {"context":{...}} is taken as well.
        const json next = {{"page_url", "https://shop.example/thanks"}};
        QCOMPARE(http().put("/api/v1/conversations/" + id + "/context", {{"context", next}}, token).status,
                 200);
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["context"], next);

        QCOMPARE(
            http()
                .put("/api/v1/conversations/" + id + "/context", {{"page_url", repeat("x", 2001)}}, token)
                .status,
            400);
        QCOMPARE(http().put("/api/v1/conversations/" + id + "/context", {{"page_title", 7}}, token).status,
                 400);
        const auto stranger = http().newCustomer();
        QCOMPARE(http().put("/api/v1/conversations/" + id + "/context", page, stranger.token).status, 404);
        QCOMPARE(http().put("/api/v1/conversations/" + id + "/context", page, m_agent.token).status, 403);
        QCOMPARE(http().put("/api/v1/conversations/" + id + "/context", page).status, 401);
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["context"], next);
    }

    void putContextOnAClosedConversationIs409() {
        auto [token, id] = assignedChat();
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), m_agent.token).status,
                 200);
        const auto r = http().put("/api/v1/conversations/" + id + "/context",
                                  {{"page_url", "https://x.example"}}, token);
        QCOMPARE(r.status, 409);
        QCOMPARE(r.errorCode(), std::string("conversation_closed"));
    }

    // --- read marks --------------------------------------------------------------------------

    void readMarksOnlyRise() {
        auto [token, id] = assignedChat();
        QCOMPARE(f.conversation(id, token)["conversation"]["assigned_agent_id"].get<std::string>(),
                 m_agent.id);
        http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hello"}}, m_agent.token);
        const auto last = f.conversation(id, token)["messages"].back()["seq"].get<std::int64_t>();
        QVERIFY(last >= 3);
        const auto path = "/api/v1/conversations/" + id + "/read";

        auto r = http().post(path, {{"seq", 2}}, token);
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["conversation"]["customer_last_read_seq"], json(2));
        QCOMPARE_JSON(r.body["conversation"]["agent_last_read_seq"], json(0));
        // Never lowered.
        r = http().post(path, {{"seq", 1}}, token);
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["conversation"]["customer_last_read_seq"], json(2));
        // Capped at the last seq.
        r = http().post(path, {{"seq", 100000}}, token);
        QCOMPARE_JSON(r.body["conversation"]["customer_last_read_seq"], json(last));
        // The assigned agent has a mark of its own.
        r = http().post(path, {{"seq", last}}, m_agent.token);
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["conversation"]["agent_last_read_seq"], json(last));
        QCOMPARE_JSON(r.body["conversation"]["customer_last_read_seq"], json(last));
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["agent_last_read_seq"], json(last));
    }

    void readNeedsTheRightCaller() {
        auto [token, id] = assignedChat();
        const auto path = "/api/v1/conversations/" + id + "/read";
        const auto other = f.createAgent("bystander", 0, false);
        auto r = http().post(path, {{"seq", 1}}, other.token);
        QCOMPARE(r.status, 403);
        QCOMPARE(r.errorCode(), std::string("forbidden"));
        QCOMPARE(http().post(path, {{"seq", 1}}, f.adminToken).status, 403);
        const auto stranger = http().newCustomer();
        QCOMPARE(http().post(path, {{"seq", 1}}, stranger.token).status, 404);
        QCOMPARE(
            http()
                .post("/api/v1/conversations/00000000-0000-4000-8000-000000000000/read", {{"seq", 1}}, token)
                .status,
            404);
        QCOMPARE(http().post(path, {{"seq", 1}}).status, 401);
        for (const auto& body : {json::object(), json{{"seq", -1}}, json{{"seq", "3"}}, json{{"seq", 1.5}}})
            QCOMPARE(http().post(path, body, token).status, 400);
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["customer_last_read_seq"], json(0));
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["agent_last_read_seq"], json(0));
    }

    // --- past chats ----------------------------------------------------------------------------

    void pastChatsNewestFirst() {
        const auto c = http().newCustomer();
        const auto first = http().post("/api/v1/conversations", json::object(), c.token).body["conversation"];
        const auto firstId = first["id"].get<std::string>();
        http().post("/api/v1/conversations/" + firstId + "/handoff", json::object(), c.token);
        QCOMPARE(
            http().post("/api/v1/conversations/" + firstId + "/close", json::object(), m_agent.token).status,
            200);
        const auto second = http().post("/api/v1/conversations", json::object(), c.token);
        QCOMPARE(second.status, 201);
        const auto secondId = second.body["conversation"]["id"].get<std::string>();
        // Another shopper's chat is not among them.
        f.customerWithConversation();

        const auto r = http().get("/api/v1/conversations?customer_session_id=" + c.sessionId, m_agent.token);
        QCOMPARE(r.status, 200);
        const auto& list = r.body["conversations"];
        QCOMPARE(list.size(), std::size_t(2));
        QCOMPARE(list[0]["id"].get<std::string>(), secondId);
        QCOMPARE(list[1]["id"].get<std::string>(), firstId);
        QCOMPARE(list[1]["status"].get<std::string>(), std::string("closed"));

        QCOMPARE(http()
                     .get("/api/v1/conversations?customer_session_id=nobody", m_agent.token)
                     .body["conversations"]
                     .size(),
                 std::size_t(0));
        QCOMPARE(http().get("/api/v1/conversations", m_agent.token).status, 400);
        QCOMPARE(http().get("/api/v1/conversations?customer_session_id=" + c.sessionId, c.token).status, 403);
        QCOMPARE(http().get("/api/v1/conversations?customer_session_id=" + c.sessionId).status, 401);
    }

    // --- search --------------------------------------------------------------------------------

    void searchFoldsCaseAccentsAndEndings() {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto chat = assignedChat();
        const std::string& token = chat.first;
        const std::string& id = chat.second;
        const auto send = [&](const std::string& text, const std::string& who) {
            QCOMPARE(
                http().post("/api/v1/conversations/" + id + "/messages", {{"content", text}}, who).status,
                201);
        };
        send("Where is my CAFÉ grinder? It shipped last week.", token);
        send("Your grinders are shipping from Zürich today.", m_agent.token);
        send("Thank you, zurich is close", token);

        auto r = http().get(searchPath("cafe"), m_agent.token);
        QCOMPARE(r.status, 200);
        QCOMPARE(contentsOf(r.body["results"]),
                 std::vector<std::string>{"Where is my CAFÉ grinder? It shipped last week."});
        QCOMPARE(r.body["results"][0]["conversation"]["id"].get<std::string>(), id);
        QCOMPARE(r.body["results"][0]["message"]["conversation_id"].get<std::string>(), id);
        // Word endings: "grinder" finds "grinders", "ship" finds "shipped" and "shipping".
        r = http().get(searchPath("Grinder SHIP"), m_agent.token);
        QCOMPARE(r.body["results"].size(), std::size_t(2));
        // Every word must match; accents fold both ways.
        r = http().get(searchPath("zürich thank"), m_agent.token);
        QCOMPARE(contentsOf(r.body["results"]), std::vector<std::string>{"Thank you, zurich is close"});
        QCOMPARE(http().get(searchPath("grinder nonexistentword"), m_agent.token).body["results"].size(),
                 std::size_t(0));
    }

    void searchRanksBestFirst() {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto chat = assignedChat();
        const std::string& token = chat.first;
        const std::string& id = chat.second;
        const auto post = [&](const std::string& text) {
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", text}}, token);
        };
        post("a long message that mentions the teapot once among many other words about nothing much at all");
        post("teapot teapot teapot");
        const auto r = http().get(searchPath("teapot"), m_agent.token);
        QCOMPARE(r.body["results"].size(), std::size_t(2));
        QCOMPARE(r.body["results"][0]["message"]["content"].get<std::string>(),
                 std::string("teapot teapot teapot"));
    }

    void searchSkipsSystemMessagesAndFindsTheBot() {
        // Nobody online: the handoff queues with the busy system message.
        const auto offline = f.createAgent("sleepy", 1, false);
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, m_agent.token);
        auto [token, id] = f.customerWithConversation();
        http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token);
        QCOMPARE(countContent(f.conversation(id, token)["messages"], kBusyMessage), 1);
        http().put("/api/v1/agent/presence", {{"presence", "online"}}, m_agent.token);
        // Held in a variable: a range-for over a member of the temporary response read freed memory.
        const auto busy = http().get(searchPath("agents busy queue"), m_agent.token);
        for (const auto& result : busy.body["results"])
            QVERIFY(result["message"]["sender_type"] != "system");
        // The bot's greeting is a text message of the bot (every conversation has the same one:
        // all of them fit in one page of 100).
        const auto greeting = f.conversation(id, token)["messages"][0];
        QCOMPARE(greeting["sender_type"].get<std::string>(), std::string("bot"));
        const auto bot =
            http().get(searchPath(greeting["content"].get<std::string>(), "&limit=100"), m_agent.token);
        QCOMPARE(bot.status, 200);
        bool found = false;
        for (const auto& result : bot.body["results"])
            found = found || result["message"]["id"] == greeting["id"];
        QVERIFY(found);
        Q_UNUSED(offline);
    }

    void searchLimitsAndErrors() {
        auto [token, id] = assignedChat();
        for (int i = 0; i < 5; ++i)
            http().post("/api/v1/conversations/" + id + "/messages",
                        {{"content", "kettle " + std::to_string(i)}}, token);
        QCOMPARE(http().get(searchPath("kettle"), m_agent.token).body["results"].size(), std::size_t(5));
        QCOMPARE(http().get(searchPath("kettle", "&limit=2"), m_agent.token).body["results"].size(),
                 std::size_t(2));
        QCOMPARE(http().get(searchPath("kettle", "&limit=1000"), m_agent.token).status, 200);
        for (const auto* bad : {"&limit=0", "&limit=-1", "&limit=x", "&limit="})
            QCOMPARE(http().get(searchPath("kettle", bad), m_agent.token).status, 400);
        QCOMPARE(http().get("/api/v1/search?q=", m_agent.token).status, 400);
        QCOMPARE(http().get("/api/v1/search", m_agent.token).status, 400);
        QCOMPARE(http().get(searchPath("   "), m_agent.token).errorCode(), std::string("invalid_request"));
        QCOMPARE(http().get(searchPath(repeat("a", 501)), m_agent.token).status, 400);
        QCOMPARE(http().get(searchPath("kettle"), token).status, 403);
        QCOMPARE(http().get(searchPath("kettle")).status, 401);
        // FTS5 syntax in q is just text: never an error.
        for (const auto* q :
             {"\"", "kettle\" OR \"x", "NEAR(kettle", "kettle*", "- ^ : ( )", "AND", "col:kettle"}) {
            const auto r = http().get(searchPath(q), m_agent.token);
            QVERIFY2(r.status == 200, q);
        }
    }

    // A message is indexed after its commit, in a batch of its own, even if nobody searches: the
    // index's mark reaches the newest message without a search call.
    void indexedInTheBackgroundWithoutASearch() {
        if (qEnvironmentVariableIsSet("PARLEY_TEST_PG_SOCKET_DIR"))
            QSKIP("reads the server's SQLite file: not on the PostgreSQL store");
        auto [token, id] = assignedChat();
        http().post("/api/v1/conversations/" + id + "/messages", {{"content", "unsearched samovar"}}, token);
        const auto db = QString(f.server.dataDir() + QStringLiteral("/parley.db")).toStdString();
        const auto caughtUp = [&] {
            SqliteReadOnly r(db);
            const auto rows =
                r.rows("SELECT (SELECT indexed_rowid FROM search_progress) = "
                       "(SELECT max(rowid) FROM messages), "
                       "(SELECT count(*) FROM message_search WHERE message_search MATCH 'samovar')");
            return rows.size() == 1 && rows[0][0] == "1" && rows[0][1] == "1";
        };
        QTRY_VERIFY_WITH_TIMEOUT(caughtUp(), 10000);
    }

    // Messages stored before the search index existed are found after the migration.
    void backfillOnMigration() {
        if (qEnvironmentVariableIsSet("PARLEY_TEST_PG_SOCKET_DIR"))
            QSKIP("rewrites the server's SQLite file: not on the PostgreSQL store");
        auto [token, id] = assignedChat();
        http().post("/api/v1/conversations/" + id + "/messages", {{"content", "vintage saucepan question"}},
                    token);
        QVERIFY(f.server.stop());
        // Take the database back to schema 5, as a server before this feature left it (the steps
        // after it undone too: the first agent reply's columns, reply mail, reports' tables and
        // indexes, contact and rating, and with the search index its progress mark).
        const auto db = QString(f.server.dataDir() + QStringLiteral("/parley.db")).toStdString();
        QVERIFY(execSql(db, "ALTER TABLE conversations DROP COLUMN first_agent_reply_at;" // step 13
                            "ALTER TABLE conversations DROP COLUMN first_agent_reply_by;"
                            "DROP TABLE reply_mail_watch; DROP TABLE mail_outbox;" // step 10 (mail21)
                            "DROP TABLE erased_customer_sessions; DROP TABLE admin_audit_log;"
                            "DROP INDEX conversations_created; DROP INDEX conversations_requested;"
                            "DROP INDEX conversations_closed;"
                            "ALTER TABLE conversations DROP COLUMN contact_email;"
                            "ALTER TABLE conversations DROP COLUMN contact_name;"
                            "ALTER TABLE conversations DROP COLUMN rating_score;"
                            "ALTER TABLE conversations DROP COLUMN rating_comment;"
                            "ALTER TABLE conversations DROP COLUMN rated_at;"));
        QVERIFY(execSql(db, "DROP TRIGGER message_search_insert; DROP TRIGGER message_search_delete;"
                            "DROP TRIGGER message_search_update_old; DROP TRIGGER message_search_update_new;"
                            "DROP TABLE message_search; DROP TABLE search_progress;"
                            "DROP INDEX conversations_by_session;"
                            "ALTER TABLE conversations DROP COLUMN context;"
                            "ALTER TABLE conversations DROP COLUMN customer_last_read_seq;"
                            "ALTER TABLE conversations DROP COLUMN agent_last_read_seq;"
                            "PRAGMA user_version = 5;"));
        QVERIFY(f.server.start());
        f.http = std::make_unique<HttpClient>(f.server.httpPort());
        m_agent.token = http().login("worker", "password-worker");
        const auto r = http().get(searchPath("saucepans"), m_agent.token);
        QCOMPARE(r.status, 200);
        QCOMPARE(contentsOf(r.body["results"]), std::vector<std::string>{"vintage saucepan question"});
        QCOMPARE_JSON(f.conversation(id, token)["conversation"]["context"], json::object());
        // And new messages are indexed again.
        http().post("/api/v1/conversations/" + id + "/messages", {{"content", "another saucepan"}}, token);
        QCOMPARE(http().get(searchPath("saucepan"), m_agent.token).body["results"].size(), std::size_t(2));
    }
};

QTEST_GUILESS_MAIN(TestApiAgentsAtWorkB)
#include "tst_api_agents_at_work_b.moc"
