// `parley-server import` (issue 20): a real single-node server on SQLite fills a data dir over the
// API; the import copies it into a fresh PostgreSQL database (the parley_pg fixture) and a node on
// that database serves the same conversations, messages (ids and seq), agents, FAQ, notes, canned
// replies, settings, contacts, ratings and audit log, takes the old tokens, and continues the seq.
// A database that is not empty is refused with exit status 2 and left as it was; a failure half
// way leaves nothing written.
#include "ApiTestBase.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <sqlite3.h>

using namespace parley::test;

namespace {

struct CommandResult {
    int exitCode = -1;
    QString out;
    QString err;
    QString describe() const {
        return QStringLiteral("exit %1\nstdout:\n%2\nstderr:\n%3").arg(exitCode).arg(out, err);
    }
};

CommandResult runCommand(const QString& program, const QStringList& args) {
    QProcess p;
    p.start(program, args);
    CommandResult r;
    if (!p.waitForStarted(10000))
        return r;
    if (!p.waitForFinished(180000)) {
        p.kill();
        p.waitForFinished(10000);
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

CommandResult runImport(const QStringList& args) {
    return runCommand(QStringLiteral(PARLEY_SERVER_BINARY), QStringList{QStringLiteral("import")} + args);
}

bool sqliteExec(const QString& file, const std::string& sql) {
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(file.toUtf8().constData(), &db) == SQLITE_OK &&
              sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    if (!ok)
        qWarning() << "sqlite:" << sqlite3_errmsg(db);
    sqlite3_close(db);
    return ok;
}

// The tables the import writes, and the secret, as psql counts them: "table=rows" lines.
const char* kCountAll = "SELECT 'agents=' || count(*) FROM agents UNION ALL "
                        "SELECT 'conversations=' || count(*) FROM conversations UNION ALL "
                        "SELECT 'messages=' || count(*) FROM messages UNION ALL "
                        "SELECT 'faq_entries=' || count(*) FROM faq_entries UNION ALL "
                        "SELECT 'settings=' || count(*) FROM settings UNION ALL "
                        "SELECT 'agent_sessions=' || count(*) FROM agent_sessions UNION ALL "
                        "SELECT 'notes=' || count(*) FROM notes UNION ALL "
                        "SELECT 'canned_replies=' || count(*) FROM canned_replies UNION ALL "
                        "SELECT 'erased=' || count(*) FROM erased_customer_sessions UNION ALL "
                        "SELECT 'audit=' || count(*) FROM admin_audit_log UNION ALL "
                        "SELECT 'watch=' || count(*) FROM reply_mail_watch UNION ALL "
                        "SELECT 'outbox=' || count(*) FROM mail_outbox UNION ALL "
                        "SELECT 'secrets=' || string_agg(name || ':' || value, ',') FROM server_secrets";

} // namespace

class TestImport : public QObject {
    Q_OBJECT

    QString m_pgSocket;
    QString m_pgBin;
    QStringList m_databases; // created here, dropped in cleanupTestCase
    ApiFixture m_source;     // the single node on SQLite (stopped after initTestCase)
    std::unique_ptr<QTemporaryDir> m_work;

    // What the single node served, to compare the nodes' answers with.
    std::vector<std::string> m_conversationIds;
    std::map<std::string, json> m_conversations; // id -> GET /conversations/{id} as the admin
    json m_agents, m_faq, m_settings, m_canned, m_notes, m_audit;
    std::string m_openId, m_openToken; // an open conversation with an agent, and its customer's token
    std::string m_closedId, m_closedToken;
    std::string m_erasedToken, m_erasedId;
    AgentLogin m_alice;
    std::string m_searchWord = "zanzibarish";

    HttpClient& source() { return *m_source.http; }

    QString url(const QString& database) const {
        return QStringLiteral("postgresql:///%1?host=%2&user=postgres").arg(database, m_pgSocket);
    }

    QString newDatabase() {
        static int counter = 0;
        const auto name =
            QStringLiteral("parley_import_%1_%2").arg(QCoreApplication::applicationPid()).arg(++counter);
        const auto r = runCommand(m_pgBin + "/createdb", {"-h", m_pgSocket, "-U", "postgres", name});
        if (r.exitCode != 0) {
            qWarning() << r.describe();
            return {};
        }
        m_databases << name;
        return name;
    }

    QString psql(const QString& database, const QString& sql) {
        const auto r = runCommand(m_pgBin + "/psql", {"-h", m_pgSocket, "-U", "postgres", "-d", database,
                                                      "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql});
        return r.exitCode == 0 ? r.out.trimmed() : QStringLiteral("psql failed: ") + r.describe();
    }

    // A copy of the single node's data dir (its SQLite file and secret), to spoil for a test.
    QString copyOfSource(const QString& name) {
        const QString dir = m_work->path() + "/" + name;
        QDir().mkpath(dir);
        const QDir from(m_source.server.dataDir());
        for (const auto& file : from.entryList(QDir::Files))
            if (file != QStringLiteral("parley.lock"))
                QFile::copy(from.filePath(file), dir + "/" + file);
        return dir;
    }

    json adminGet(HttpClient& http, const std::string& path, const std::string& token) {
        const auto r = http.get(path, token);
        if (r.status != 200)
            qWarning() << path.c_str() << r.describe().c_str();
        return r.body;
    }

    void recordSource() {
        const auto admin = m_source.adminToken;
        for (const auto& id : m_conversationIds)
            m_conversations[id] = adminGet(source(), "/api/v1/conversations/" + id, admin);
        m_agents = adminGet(source(), "/api/v1/admin/agents", admin);
        m_faq = adminGet(source(), "/api/v1/admin/faq", admin);
        m_settings = adminGet(source(), "/api/v1/admin/settings", admin);
        m_canned = adminGet(source(), "/api/v1/admin/canned", admin);
        m_notes = adminGet(source(), "/api/v1/conversations/" + m_closedId + "/notes", admin);
        m_audit = adminGet(source(), "/api/v1/admin/audit?limit=100", admin);
    }

private slots:
    void initTestCase() {
        m_pgSocket = qEnvironmentVariable("PARLEY_TEST_PG_SOCKET_DIR");
        m_pgBin = qEnvironmentVariable("PARLEY_TEST_PG_BIN", QStringLiteral("/usr/lib/postgresql/15/bin"));
        if (m_pgSocket.isEmpty())
            QSKIP("needs the test PostgreSQL (the parley_pg fixture): run it with ctest -R tst_import");
        // The single node must run on SQLite: ServerLauncher would give it a PostgreSQL database.
        qunsetenv("PARLEY_TEST_PG_SOCKET_DIR");
        m_work = std::make_unique<QTemporaryDir>();
        QVERIFY(m_work->isValid());

        QVERIFY(m_source.start({"--customer-rate-burst", "1000"}));
        auto& http = source();
        const auto admin = m_source.adminToken;
        m_alice = m_source.createAgent("alice", 10, true);
        QVERIFY(!m_alice.token.empty());

        // Bot-only chats, enough messages for several batches of the import's INSERTs.
        for (int c = 0; c < 30; ++c) {
            auto [token, id] = m_source.customerWithConversation();
            QVERIFY(!id.empty());
            m_conversationIds.push_back(id);
            for (int m = 0; m < 10; ++m)
                QCOMPARE(http.post("/api/v1/conversations/" + id + "/messages",
                                   {{"content", "question " + std::to_string(m) + " about shipping"}}, token)
                             .status,
                         201);
        }
        // A chat handed to alice, answered, noted, closed, rated, with a reply address.
        std::tie(m_closedToken, m_closedId) = m_source.customerWithConversation();
        m_conversationIds.push_back(m_closedId);
        const auto closedPath = "/api/v1/conversations/" + m_closedId;
        QCOMPARE(http.post(closedPath + "/messages",
                           {{"content", "Where is my " + m_searchWord + " parcel?"}}, m_closedToken)
                     .status,
                 201);
        QCOMPARE(http.post(closedPath + "/handoff", json::object(), m_closedToken).status, 200);
        QCOMPARE(http.post(closedPath + "/messages", {{"content", "It left today."}}, m_alice.token).status,
                 201);
        QCOMPARE(http.post(closedPath + "/notes", {{"content", "Shopper was polite"}}, m_alice.token).status,
                 201);
        QCOMPARE(
            http.post(closedPath + "/contact", {{"email", "ann@example.com"}, {"name", "Ann"}}, m_closedToken)
                .status,
            200);
        QCOMPARE(http.post(closedPath + "/close", json::object(), m_alice.token).status, 200);
        QCOMPARE(
            http.post(closedPath + "/rating", {{"score", 4}, {"comment", "Quick"}}, m_closedToken).status,
            201);
        // A chat that stays open with alice: it continues on the nodes.
        std::tie(m_openToken, m_openId) = m_source.customerWithConversation();
        m_conversationIds.push_back(m_openId);
        const auto openPath = "/api/v1/conversations/" + m_openId;
        QCOMPARE(
            http.post(openPath + "/messages", {{"content", "hello"}, {"client_msg_id", "m-1"}}, m_openToken)
                .status,
            201);
        QCOMPARE(http.post(openPath + "/handoff", json::object(), m_openToken).status, 200);
        QCOMPARE(http.post(openPath + "/messages", {{"content", "How can I help?"}}, m_alice.token).status,
                 201);
        QCOMPARE(http.post(openPath + "/read", {{"seq", 2}}, m_openToken).status, 200);
        // A shopper whose data was erased: its token stays refused.
        const auto erased = http.newCustomer();
        m_erasedToken = erased.token;
        m_erasedId =
            http.post("/api/v1/conversations", json::object(), erased.token).body["conversation"]["id"];
        m_conversationIds.push_back(m_erasedId);
        QCOMPARE(http.del("/api/v1/admin/customers/" + erased.sessionId, admin).status, 204);
        QCOMPARE(http.get("/api/v1/conversations/" + m_erasedId, m_erasedToken).status, 401);
        // Team data: a canned reply, an edited FAQ entry, a setting.
        QCOMPARE(http.post("/api/v1/admin/canned",
                           {{"shortcut", "thanks"}, {"title", "Thanks"}, {"content", "Thank you!"}}, admin)
                     .status,
                 201);
        const auto faq = http.get("/api/v1/admin/faq", admin).body["faq"];
        QVERIFY(!faq.empty());
        QCOMPARE(http.put("/api/v1/admin/faq/" + faq[0]["slug"].get<std::string>(),
                          {{"answer", "An imported answer."}}, admin)
                     .status,
                 200);
        QCOMPARE(http.put("/api/v1/admin/settings", {{"idle_close_minutes", 45}}, admin).status, 200);

        recordSource();
        QVERIFY(m_source.server.stop());
    }

    void cleanupTestCase() {
        for (const auto& name : m_databases)
            runCommand(m_pgBin + "/dropdb",
                       {"--if-exists", "--force", "-h", m_pgSocket, "-U", "postgres", name});
    }

    void nodeOnTheImportServesTheSameDataAndContinues() {
        const auto database = newDatabase();
        QVERIFY(!database.isEmpty());
        const auto r = runImport({"--from-data-dir", m_source.server.dataDir(), "--database", url(database)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("conversations +33\\b"))),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("token secret")) && r.out.contains(QStringLiteral("copied")),
                 qPrintable(r.out));

        ApiFixture node;
        QVERIFY(node.server.start({"--database", url(database)}));
        node.http = std::make_unique<HttpClient>(node.server.httpPort());
        auto& http = *node.http;
        // The single node's admin token works: same secret, same session rows.
        const auto admin = m_source.adminToken;
        for (const auto& id : m_conversationIds)
            QCOMPARE_JSON(adminGet(http, "/api/v1/conversations/" + id, admin), m_conversations[id]);
        QCOMPARE_JSON(adminGet(http, "/api/v1/admin/faq", admin), m_faq);
        QCOMPARE_JSON(adminGet(http, "/api/v1/admin/settings", admin), m_settings);
        QCOMPARE_JSON(adminGet(http, "/api/v1/admin/canned", admin), m_canned);
        QCOMPARE_JSON(adminGet(http, "/api/v1/conversations/" + m_closedId + "/notes", admin), m_notes);
        QCOMPARE_JSON(adminGet(http, "/api/v1/admin/audit?limit=100", admin), m_audit);
        auto agents = adminGet(http, "/api/v1/admin/agents", admin);
        QCOMPARE_JSON(agents, m_agents);

        // Password hashes came along: alice signs in with her password; her old token works too.
        QVERIFY(!http.login("alice", "password-alice").empty());
        QVERIFY(!http.login("admin", ServerProcess::kAdminPassword).empty());
        QCOMPARE(http.get("/api/v1/agent/conversations", m_alice.token).status, 200);

        // The old customer token works and the seq continues.
        const auto before = m_conversations[m_openId]["messages"];
        const auto lastSeq = before.back()["seq"].get<std::int64_t>();
        const auto openPath = "/api/v1/conversations/" + m_openId;
        auto sent = http.post(openPath + "/messages", {{"content", "still there?"}}, m_openToken);
        QCOMPARE(sent.status, 201);
        QCOMPARE(sent.body["message"]["seq"].get<std::int64_t>(), lastSeq + 1);
        sent = http.post(openPath + "/messages", {{"content", "Yes!"}}, m_alice.token);
        QCOMPARE(sent.status, 201);
        QCOMPARE(sent.body["message"]["seq"].get<std::int64_t>(), lastSeq + 2);
        // client_msg_id idempotency spans the import.
        sent =
            http.post(openPath + "/messages", {{"content", "hello"}, {"client_msg_id", "m-1"}}, m_openToken);
        QCOMPARE(sent.status, 200);
        std::string helloId;
        for (const auto& m : before)
            if (m["content"] == "hello" && m["sender_type"] == "customer")
                helloId = m["id"].get<std::string>();
        QVERIFY(!helloId.empty());
        QCOMPARE_JSON(sent.body["message"]["id"], json(helloId));
        const auto after = http.get(openPath + "/messages", m_openToken).body["messages"];
        QCOMPARE(after.size(), before.size() + 2);

        // The erased shopper stays erased; the closed chat's shopper still reads it.
        QCOMPARE(http.get("/api/v1/conversations/" + m_erasedId, m_erasedToken).status, 401);
        QCOMPARE(http.get("/api/v1/conversations/" + m_closedId, m_closedToken).status, 200);
        // Search finds copied messages (PostgreSQL's index was built from them).
        const auto found = http.get("/api/v1/search?q=" + m_searchWord, m_alice.token);
        QCOMPARE(found.status, 200);
        QCOMPARE(found.body["results"].size(), std::size_t(1));
        QCOMPARE_JSON(found.body["results"][0]["conversation"]["id"], json(m_closedId));
        // New rows of a serial table continue after the copied ids (the audit log's).
        const auto another = http.newCustomer();
        QCOMPARE(http.post("/api/v1/conversations", json::object(), another.token).status, 201);
        QCOMPARE(http.del("/api/v1/admin/customers/" + another.sessionId, admin).status, 204);
        const auto audit = adminGet(http, "/api/v1/admin/audit?limit=100", admin)["entries"];
        QCOMPARE(audit.size(), m_audit["entries"].size() + 1);
        QCOMPARE_JSON(audit[0]["subject"], json(another.sessionId));
        QVERIFY(node.server.stop());

        // The database is no longer empty: a second import is refused and changes nothing.
        const auto counts = psql(database, kCountAll);
        QVERIFY2(!counts.startsWith(QStringLiteral("psql failed")), qPrintable(counts));
        const auto again =
            runImport({"--from-data-dir", m_source.server.dataDir(), "--database", url(database)});
        QVERIFY2(again.exitCode == 2, qPrintable(again.describe()));
        QVERIFY2(again.err.contains(QStringLiteral("not empty")), qPrintable(again.err));
        QCOMPARE(psql(database, kCountAll), counts);
    }

    void databaseANodeStartedOnIsRefused() {
        const auto database = newDatabase();
        QVERIFY(!database.isEmpty());
        {
            ApiFixture node; // creates the schema, an admin, the FAQ and a token secret
            QVERIFY(node.start({"--database", url(database)}));
            QVERIFY(node.server.stop());
        }
        const auto counts = psql(database, kCountAll);
        QVERIFY2(counts.contains(QStringLiteral("agents=1")), qPrintable(counts));
        const auto r = runImport({"--from-data-dir", m_source.server.dataDir(), "--database", url(database)});
        QVERIFY2(r.exitCode == 2, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("not empty")) && r.err.contains(QStringLiteral("agents")),
                 qPrintable(r.err));
        QCOMPARE(psql(database, kCountAll), counts);
    }

    void failureHalfWayWritesNothing() {
        // A mail row whose conversation is not there: PostgreSQL's foreign key refuses it, in the
        // last table, after every other row went in.
        const auto dir = copyOfSource(QStringLiteral("dangling"));
        QVERIFY(sqliteExec(dir + "/parley.db",
                           "INSERT INTO mail_outbox (conversation_id, recipient, subject, body, last_seq, "
                           "created_at) VALUES ('no-such-conversation', 'a@example.com', 's', 'b', 1, "
                           "'2026-01-01T00:00:00.000Z')"));
        const auto database = newDatabase();
        QVERIFY(!database.isEmpty());
        const auto r = runImport({"--from-data-dir", dir, "--database", url(database)});
        QVERIFY2(r.exitCode == 1, qPrintable(r.describe()));
        QVERIFY2(r.err.contains(QStringLiteral("mail_outbox")), qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("Copying messages")), qPrintable(r.out)); // it got that far
        const auto counts = psql(database, kCountAll);
        QVERIFY2(counts.contains(QStringLiteral("agents=0\nconversations=0\nmessages=0")),
                 qPrintable(counts));
        QVERIFY2(!counts.contains(QStringLiteral("token_secret")), qPrintable(counts));
        // Nothing half-written blocks a good import afterwards.
        const auto good =
            runImport({"--from-data-dir", m_source.server.dataDir(), "--database", url(database)});
        QVERIFY2(good.exitCode == 0, qPrintable(good.describe()));
    }

    void runningOrKilledServerIsImported() {
        QVERIFY(m_source.server.restart());
        const auto database = newDatabase();
        QVERIFY(!database.isEmpty());
        auto r = runImport({"--from-data-dir", m_source.server.dataDir(), "--database", url(database)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(r.out.contains(QStringLiteral("is running")), qPrintable(r.out));
        auto counts = psql(database, kCountAll);
        QVERIFY2(counts.contains(QStringLiteral("conversations=33\n")), qPrintable(counts));

        // A server killed after a commit: the commit is in SQLite's write-ahead log only, and the
        // read-only import still sees it.
        const auto late = m_source.http->newCustomer();
        QCOMPARE(m_source.http->post("/api/v1/conversations", json::object(), late.token).status, 201);
        m_source.server.kill();
        const auto afterKill = newDatabase();
        QVERIFY(!afterKill.isEmpty());
        r = runImport({"--from-data-dir", m_source.server.dataDir(), "--database", url(afterKill)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.describe()));
        QVERIFY2(!r.out.contains(QStringLiteral("is running")), qPrintable(r.out));
        counts = psql(afterKill, kCountAll);
        QVERIFY2(counts.contains(QStringLiteral("conversations=34\n")), qPrintable(counts));
    }

    void sourcesThatCannotBeImported() {
        const auto database = newDatabase();
        QVERIFY(!database.isEmpty());
        // No such directory.
        auto r = runImport({"--from-data-dir", m_work->path() + "/nowhere", "--database", url(database)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("does not exist")), qPrintable(r.err));
        // A directory without a database.
        QDir().mkpath(m_work->path() + "/empty");
        r = runImport({"--from-data-dir", m_work->path() + "/empty", "--database", url(database)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("no parley.db")), qPrintable(r.err));
        // An older schema: the single node migrates it first.
        auto dir = copyOfSource(QStringLiteral("older"));
        QVERIFY(sqliteExec(dir + "/parley.db", "PRAGMA user_version = 9"));
        r = runImport({"--from-data-dir", dir, "--database", url(database)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("older")) && r.err.contains(QStringLiteral("migrate")),
                 qPrintable(r.err));
        // A table this import does not know would be lost: refused.
        dir = copyOfSource(QStringLiteral("unknown"));
        QVERIFY(sqliteExec(dir + "/parley.db", "CREATE TABLE future_things (x TEXT)"));
        r = runImport({"--from-data-dir", dir, "--database", url(database)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("future_things")), qPrintable(r.err));
        // None of these touched the database, not even its schema.
        QCOMPARE(psql(database, QStringLiteral("SELECT to_regclass('parley_schema') IS NULL")),
                 QStringLiteral("t"));
    }

    void badFlags() {
        const auto dir = m_source.server.dataDir();
        for (const auto& args : std::vector<QStringList>{
                 {"--bogus"},
                 {"--from-data-dir", dir},
                 {"--database", url(QStringLiteral("x"))},
                 {"--from-data-dir", dir, "--database", "mysql://localhost/x"},
                 {"--from-data-dir"},
             }) {
            const auto r = runImport(args);
            QVERIFY2(r.exitCode == 2, qPrintable(args.join(' ') + "\n" + r.describe()));
            QVERIFY2(r.err.startsWith(QStringLiteral("parley-server import: ")), qPrintable(r.err));
        }
        const auto help = runImport({"--help"});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains(QStringLiteral("--from-data-dir DIR")));
        const auto serverHelp = runCommand(QStringLiteral(PARLEY_SERVER_BINARY), {"--help"});
        QVERIFY(serverHelp.out.contains(QStringLiteral("parley-server import")));
    }
};

QTEST_GUILESS_MAIN(TestImport)
#include "tst_import.moc"
