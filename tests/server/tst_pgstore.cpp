// The PostgreSQL store directly (issue 20), on the `pg` suites' throw-away cluster
// (PARLEY_TEST_PG_SOCKET_DIR; skipped without it): the schema version, gap-free seq when two
// stores (two nodes) write one conversation at once, a write that survives its connection being
// killed, search folding accents, case and word endings, and one shared token secret.
#include "store/Event.h"
#include "store/SqliteDb.h"
#include "store/SqliteStore.h"
#include "store/pg/PgConnection.h"
#include "store/pg/PgSchema.h"
#include "store/pg/PgStore.h"
#include "util/Text.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

using namespace parley::server;
using parley::protocol::Conversation;
using parley::protocol::ConversationStatus;
using parley::protocol::Message;

namespace {

Conversation newConversation(const std::string& session) {
    Conversation c;
    c.id = newUuid();
    c.customerSessionId = session;
    c.status = ConversationStatus::Automated;
    c.createdAt = c.updatedAt = formatRfc3339(std::chrono::system_clock::now());
    return c;
}

Message newMessage(const std::string& conversationId, const std::string& content) {
    Message m;
    m.id = newUuid();
    m.conversationId = conversationId;
    m.content = content;
    m.senderType = parley::protocol::SenderType::Customer;
    m.createdAt = formatRfc3339(std::chrono::system_clock::now());
    return m;
}

// The seqs of the message events it got, in order.
class RecordingSink : public EventSink {
public:
    std::mutex mutex;
    std::vector<std::int64_t> seqs;
    void publish(std::vector<Event> events) override {
        std::lock_guard lock(mutex);
        for (const auto& e : events)
            seqs.push_back(e.seq);
    }
    std::vector<std::int64_t> snapshot() {
        std::lock_guard lock(mutex);
        return seqs;
    }
};

class CountingSink : public EventSink {
public:
    std::atomic<int> events{0};
    void publish(std::vector<Event> e) override { events += static_cast<int>(e.size()); }
};

} // namespace

class TestPgStore : public QObject {
    Q_OBJECT

    std::string m_socketDir;
    int m_databases = 0;

    // A new empty database in the test cluster; its URL.
    std::string newDatabase() {
        const std::string name =
            "parley_store_" + std::to_string(::getpid()) + "_" + std::to_string(++m_databases);
        pg::Connection admin("postgresql:///postgres?host=" + m_socketDir + "&user=postgres");
        admin.exec("CREATE DATABASE " + name);
        return "postgresql:///" + name + "?host=" + m_socketDir + "&user=postgres";
    }

    // Equal reports: every day's figures and every agent's. (A failed QCOMPARE returns from here
    // only: callers test QTest::currentTestFailed().)
    static void compareFigures(const ReportFigures& a, const ReportFigures& b) {
        QCOMPARE(b.days.size(), a.days.size());
        std::int64_t conversations = 0;
        for (std::size_t d = 0; d < a.days.size(); ++d) {
            const auto &x = a.days[d], &y = b.days[d];
            conversations += x.conversations;
            QCOMPARE(y.conversations, x.conversations);
            QCOMPARE(y.handoffs, x.handoffs);
            QCOMPARE(y.botResolved, x.botResolved);
            QCOMPARE(y.closed, x.closed);
            QCOMPARE(y.firstResponseP50, x.firstResponseP50);
            QCOMPARE(y.firstResponseP90, x.firstResponseP90);
            QCOMPARE(y.resolutionP50, x.resolutionP50);
            QCOMPARE(y.ratingAvg, x.ratingAvg);
            QCOMPARE(y.ratings, x.ratings);
        }
        QCOMPARE(conversations, std::int64_t(9));
        QCOMPARE(b.agents.size(), a.agents.size());
        for (std::size_t i = 0; i < a.agents.size(); ++i) {
            QCOMPARE(b.agents[i].closed, a.agents[i].closed);
            QCOMPARE(b.agents[i].firstResponseP50, a.agents[i].firstResponseP50);
            QCOMPARE(b.agents[i].ratingAvg, a.agents[i].ratingAvg);
        }
    }

private slots:
    void initTestCase() {
        const char* dir = std::getenv("PARLEY_TEST_PG_SOCKET_DIR");
        if (!dir || !*dir)
            QSKIP("no PostgreSQL test cluster (run as tst_pgstore_pg: ctest -L pg)");
        m_socketDir = dir;
    }

    void schemaIsCurrentAndMigratesOnce() {
        const auto url = newDatabase();
        PgStore first(url, nullptr, {});
        QCOMPARE(first.schemaVersion(), pg::kSchemaVersion);
        PgStore second(url, nullptr, {}); // finds it current
        QCOMPARE(second.schemaVersion(), pg::kSchemaVersion);
    }

    // Two nodes appending to one conversation at once: the advisory lock serializes their writes,
    // so seq stays gap-free and unique, as with SQLite's single writer.
    void twoStoresWriteOneConversationGapFree() {
        const auto url = newDatabase();
        CountingSink sinkA, sinkB;
        PgStore a(url, &sinkA, {});
        PgStore b(url, &sinkB, {});
        const auto conv = newConversation("s-two-nodes");
        a.write([&](WriteTx& tx) { tx.insertConversation(conv); });
        constexpr int perThread = 40;
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (PgStore* store : {&a, &b, &a, &b}) {
            threads.emplace_back([&, store] {
                for (int i = 0; i < perThread; ++i) {
                    try {
                        store->write([&](WriteTx& tx) {
                            // Read, then write what was read plus one (as the assignment rules
                            // do), before any row lock: only serialized writers lose no update.
                            const int n = std::stoi(tx.setting("counter").value_or("0"));
                            auto m = newMessage(conv.id, "hello");
                            tx.putSetting("counter", std::to_string(n + 1), m.createdAt);
                            tx.appendMessage(m);
                            tx.publishAfterCommit(Event{"message.created", {}, {}, conv.id, m.seq});
                        });
                    } catch (...) {
                        ++failures;
                    }
                }
            });
        }
        for (auto& t : threads)
            t.join();
        QCOMPARE(failures.load(), 0);
        const auto messages = b.readResult([&](ReadTx& tx) { return tx.messages(conv.id, 0); });
        QCOMPARE(int(messages.size()), 4 * perThread);
        for (std::size_t i = 0; i < messages.size(); ++i)
            QCOMPARE(messages[i].seq, std::int64_t(i + 1));
        QCOMPARE(sinkA.events.load() + sinkB.events.load(), 4 * perThread);
        QCOMPARE(b.readResult([&](ReadTx& tx) { return tx.setting("counter"); }).value_or(""),
                 std::to_string(4 * perThread));
    }

    // Events across nodes (issue 20): with the outbox, each store's feed gets every event of both
    // stores, once, in commit order (rolled-back jobs leave id gaps, nothing else), and goes on
    // from where it was after its connection is ended.
    void outboxGivesEveryNodeEveryEventInCommitOrder() {
        const auto url = newDatabase();
        RecordingSink sinkA, sinkB;
        PgStore a(url, &sinkA, {});
        PgStore b(url, &sinkB, {});
        a.startEventOutbox("node-a");
        b.startEventOutbox("node-b");
        const auto conv = newConversation("s-outbox");
        a.write([&](WriteTx& tx) { tx.insertConversation(conv); });
        constexpr int perThread = 25;
        auto send = [&](PgStore& store, int i) {
            try {
                store.write([&](WriteTx& tx) {
                    auto m = newMessage(conv.id, "hello");
                    tx.appendMessage(m);
                    tx.publishAfterCommit(
                        Event{"message.created", {{"message", {{"content", "é"}}}}, {}, conv.id, m.seq});
                    if (i % 7 == 3)
                        throw std::runtime_error("rolled back"); // its id is a gap, its event is gone
                });
            } catch (const std::runtime_error&) {
            }
        };
        std::vector<std::thread> threads;
        for (PgStore* store : {&a, &b, &a, &b})
            threads.emplace_back([&, store] {
                for (int i = 0; i < perThread; ++i)
                    send(*store, i);
            });
        for (auto& t : threads)
            t.join();
        const auto last = a.readResult([&](ReadTx& tx) { return tx.lastSeq(conv.id); });
        QVERIFY(last > 0 && last < 4 * perThread);
        auto upTo = [](std::int64_t n) {
            std::vector<std::int64_t> v;
            for (std::int64_t i = 1; i <= n; ++i)
                v.push_back(i);
            return v;
        };
        QTRY_COMPARE_WITH_TIMEOUT(sinkA.snapshot(), upTo(last), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(sinkB.snapshot(), upTo(last), 10000);

        // Every connection of both stores ended (a database restart): the feeds reconnect and
        // lose nothing committed meanwhile.
        pg::Connection admin(url);
        admin.exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()");
        send(a, 0);
        send(b, 0);
        QTRY_COMPARE_WITH_TIMEOUT(sinkA.snapshot(), upTo(last + 2), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(sinkB.snapshot(), upTo(last + 2), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!a.unavailableReason() && !b.unavailableReason(), 10000);
    }

    // The server ends the writer's connection (a restart, a failover): the next write reconnects
    // and commits; a read on a pooled connection that was ended does too.
    void aLostConnectionIsReconnected() {
        const auto url = newDatabase();
        PgStore store(url, nullptr, {});
        const auto conv = newConversation("s-lost");
        store.write([&](WriteTx& tx) { tx.insertConversation(conv); });
        QCOMPARE(store.readResult([&](ReadTx& tx) { return tx.lastSeq(conv.id); }), std::int64_t(0));
        pg::Connection admin(url);
        admin.exec(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()");
        store.write([&](WriteTx& tx) {
            auto m = newMessage(conv.id, "after the restart");
            tx.appendMessage(m);
        });
        QCOMPARE(store.readResult([&](ReadTx& tx) { return tx.lastSeq(conv.id); }), std::int64_t(1));
    }

    // PostgreSQL out of disk (SQLSTATE class 53) is the operator's to fix: the write is answered
    // StoreUnavailable (503 with Retry-After), not an internal error; other errors stay what they are.
    void aFullDiskAnswersUnavailable() {
        const auto url = newDatabase();
        PgStore store(url, nullptr, {});
        try {
            store.write([](WriteTx&) {
                throw pg::PgError("could not extend file: No space left on device", false, "53100");
            });
            QFAIL("written");
        } catch (const StoreUnavailable& e) {
            QCOMPARE(e.retryAfterSeconds(), 5);
            QVERIFY2(std::string(e.what()).find("No space left") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(
            pg::PgError, store.write([](WriteTx&) { throw pg::PgError("duplicate key", false, "23505"); }));
        const auto conv = newConversation("s-after-full");
        store.write([&](WriteTx& tx) { tx.insertConversation(conv); });
        QVERIFY(store.readResult([&](ReadTx& tx) { return tx.conversation(conv.id); }));
    }

    void searchFoldsAccentsCaseAndEndings() {
        const auto url = newDatabase();
        PgStore store(url, nullptr, {});
        const auto conv = newConversation("s-search");
        store.write([&](WriteTx& tx) {
            tx.insertConversation(conv);
            auto m1 = newMessage(conv.id, "My CAFÉ order was shipped to the wrong address");
            tx.appendMessage(m1);
            auto m2 = newMessage(conv.id, "Nothing to see here");
            tx.appendMessage(m2);
        });
        const auto search = [&](const std::string& q) {
            return store.readResult([&](ReadTx& tx) { return tx.searchMessages(q, 10); });
        };
        const auto hits = search("\"cafe\" \"shipping\"");
        QCOMPARE(int(hits.size()), 1);
        QCOMPARE(hits[0].message.seq, std::int64_t(1));
        QCOMPARE(hits[0].conversation.id, conv.id);
        QCOMPARE(int(search("\"the\"").size()), 1); // no stop words, as FTS5
        QCOMPARE(int(search("\"cafe\" \"nothing\"").size()), 0);
        store.write([&](WriteTx& tx) { tx.eraseCustomerSession("s-search", conv.createdAt); });
        QCOMPARE(int(search("\"cafe\"").size()), 0);
    }

    void everyNodeGetsTheSameSecret() {
        const auto url = newDatabase();
        PgStore a(url, nullptr, {});
        PgStore b(url, nullptr, {});
        const auto first = a.sharedSecret("token_secret", "one");
        QCOMPARE(first, std::string("one"));
        QCOMPARE(b.sharedSecret("token_secret", "two"), first);
    }

    // The health check notices a database that takes no connections (what /healthz reports), and
    // that it takes them again.
    // Reports (issue 22) read the same figures on both stores: the same rows written through
    // WriteTx into a SQLite file and a PostgreSQL database give equal days and agents. Both read the
    // same again after schema step 13 has filled the first agent replies in from the messages.
    void reportsAgreeWithTheSqliteStore() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const auto sqlitePath = dir.filePath(QStringLiteral("parley.db")).toStdString();
        const auto pgUrl = newDatabase();
        auto sqliteStore = std::make_unique<SqliteStore>(sqlitePath);
        auto pgStore = std::make_unique<PgStore>(pgUrl, nullptr, PgStore::Options{});
        SqliteStore& sqlite = *sqliteStore;
        PgStore& pg = *pgStore;
        const auto at = [](int day, int seconds) {
            const int h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
            char text[32];
            std::snprintf(text, sizeof text, "2026-03-%02dT%02d:%02d:%02d.000Z", day, h, m, s);
            return std::string(text);
        };
        for (Store* store : {static_cast<Store*>(&sqlite), static_cast<Store*>(&pg)}) {
            store->write([&](WriteTx& tx) {
                AgentRecord agent;
                agent.agent.id = "00000000-0000-4000-8000-00000000a001";
                agent.agent.username = "anna";
                agent.agent.displayName = "Anna";
                agent.passwordHash = "x";
                agent.createdAt = agent.updatedAt = at(1, 0);
                tx.insertAgent(agent);
                for (int i = 0; i < 9; ++i) {
                    const int day = 10 + i % 3, start = 36000 + 60 * i;
                    Conversation c = newConversation("s-report-" + std::to_string(i));
                    c.id = "00000000-0000-4000-8000-0000000000" + std::to_string(10 + i);
                    c.createdAt = c.updatedAt = at(day, start);
                    const bool handedOff = i % 2 == 0;
                    if (handedOff) {
                        c.status = ConversationStatus::Closed;
                        c.assignedAgentId = agent.agent.id;
                        c.requestedAgentAt = at(day, start + 10);
                        c.closedAt = at(day, start + 100 * (i + 1));
                    }
                    tx.insertConversation(c);
                    auto m = newMessage(c.id, "hello");
                    m.createdAt = c.createdAt;
                    tx.appendMessage(m);
                    if (handedOff) {
                        auto reply = newMessage(c.id, "hi");
                        reply.senderType = parley::protocol::SenderType::Agent;
                        reply.senderAgentId = agent.agent.id;
                        reply.createdAt = at(day, start + 10 + 7 * (i + 1));
                        tx.appendMessage(reply);
                        auto later = newMessage(c.id, "anything else?"); // not the first response
                        later.senderType = parley::protocol::SenderType::Agent;
                        later.senderAgentId = agent.agent.id;
                        later.createdAt = at(day, start + 30 + 7 * (i + 1));
                        tx.appendMessage(later);
                        tx.setRating(c.id, {1 + i % 5, std::nullopt, *c.closedAt});
                    }
                }
            });
        }
        std::vector<ReportDayWindow> days;
        for (int d = 9; d <= 12; ++d)
            days.push_back({"2026-03-" + std::to_string(d), at(d, 0), at(d + 1, 0)});
        const auto read = [&](Store& store) {
            return store.readResult([&](ReadTx& tx) { return tx.reportFigures(days, true); });
        };
        const auto a = read(sqlite), b = read(pg);
        QCOMPARE(a.days.size(), days.size());
        QCOMPARE(b.days.size(), days.size());
        compareFigures(a, b);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(a.days[1].firstResponseP50.has_value()); // the figures are there, not only equal
        QCOMPARE(a.days[2].firstResponseP50, std::optional<double>(35.0)); // conversation 4's first reply
        QCOMPARE(a.agents.size(), std::size_t(1));

        // Back to schema 12 (the index of agent messages, no columns), then forward again.
        sqliteStore.reset();
        pgStore.reset();
        {
            sqlite::Connection db(sqlitePath, false);
            db.exec("CREATE INDEX messages_first_agent ON messages (conversation_id, seq, created_at, "
                    "sender_agent_id) WHERE sender_type = 'agent';"
                    "ALTER TABLE conversations DROP COLUMN first_agent_reply_at;"
                    "ALTER TABLE conversations DROP COLUMN first_agent_reply_by;"
                    "PRAGMA user_version = 12;");
            pg::Connection admin(pgUrl);
            admin.exec("CREATE INDEX messages_first_agent ON messages (conversation_id, seq, created_at, "
                       "sender_agent_id) WHERE sender_type = 'agent';"
                       "ALTER TABLE conversations DROP COLUMN first_agent_reply_at, "
                       "DROP COLUMN first_agent_reply_by;"
                       "UPDATE parley_schema SET version = 12;");
        }
        SqliteStore sqliteAgain(sqlitePath);
        PgStore pgAgain(pgUrl, nullptr, {});
        QCOMPARE(sqliteAgain.schemaVersion(), 13);
        compareFigures(a, read(sqliteAgain));
        if (QTest::currentTestFailed())
            return;
        compareFigures(a, read(pgAgain));
    }

    void healthFollowsTheDatabase() {
        const auto url = newDatabase();
        PgStore::Options options;
        options.healthInterval = std::chrono::milliseconds(50);
        PgStore store(url, nullptr, options);
        QVERIFY(!store.unavailableReason());
        const auto name = url.substr(std::string("postgresql:///").size(), url.find('?') - 14);
        pg::Connection admin("postgresql:///postgres?host=" + m_socketDir + "&user=postgres");
        admin.exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
        admin.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
        QTRY_VERIFY_WITH_TIMEOUT(store.unavailableReason().has_value(), 10000);
        admin.exec("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
        QTRY_VERIFY_WITH_TIMEOUT(!store.unavailableReason().has_value(), 10000);
    }

    void anUnreachableDatabaseIsRefused() {
        QVERIFY_THROWS_EXCEPTION(pg::PgError, PgStore("postgresql:///none?host=/nonexistent", nullptr, {}));
    }
};

QTEST_GUILESS_MAIN(TestPgStore)
#include "tst_pgstore.moc"
