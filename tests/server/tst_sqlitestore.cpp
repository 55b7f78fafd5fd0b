// The SQLite store directly: schema version, gap-free seq under concurrent writers, a failing
// job rolling back only itself inside a group commit, events published only after commit, and a
// WAL that starts over under writes back to back.
#include "store/Event.h"
#include "store/SqliteDb.h"
#include "store/SqliteStore.h"
#include "store/SqliteTx.h"
#include "util/Text.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <csignal>
#include <functional>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
    m.createdAt = formatRfc3339(std::chrono::system_clock::now());
    return m;
}

// The default sync, and a restart pass once the WAL holds 1,000 pages, so that tests reach it soon.
SqliteStore::Options restartingTheWalAt1000Pages() {
    SqliteStore::Options options;
    options.sync = SqliteStore::Sync::Normal;
    options.walRestartPages = 1000;
    return options;
}

// Writes 1,000-byte messages (about 4 WAL pages each) to conversation c, one commit each, with a
// reader beside them holding WAL snapshots as the server's requests do, until afterEach() says
// enough or cap messages are written. Returns how many were.
template <typename AfterEach>
int writeBesideAReader(SqliteStore& store, const Conversation& c, int cap, AfterEach afterEach) {
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        while (!stop)
            store.read([&](ReadTx& tx) { tx.lastSeq(c.id); });
    });
    const std::string filler(1000, 'x');
    int written = 0;
    while (written < cap) {
        store.write([&](WriteTx& tx) {
            auto m = newMessage(c.id, filler);
            tx.appendMessage(m);
        });
        ++written;
        if (afterEach(written))
            break;
    }
    stop = true;
    reader.join();
    return written;
}

// Checks, at the moment of publishing, that what the events speak of is visible to readers.
class CheckingSink : public EventSink {
public:
    SqliteStore* store = nullptr;
    std::mutex mutex;
    std::vector<std::int64_t> seqs;
    std::atomic<int> invisible{0};
    void publish(std::vector<Event> events) override {
        for (auto& e : events) {
            const auto found = store->readResult([&](ReadTx& tx) { return tx.lastSeq(e.conversationId); });
            if (found < e.seq)
                ++invisible;
            std::lock_guard lock(mutex);
            seqs.push_back(e.seq);
        }
    }
};

// The schema as version 1 shipped it, to check that later steps migrate a database in use.
constexpr const char* kSchemaVersion1 = R"sql(
CREATE TABLE agents (
  id               TEXT PRIMARY KEY,
  username         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name     TEXT NOT NULL,
  role             TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
  password_hash    TEXT NOT NULL,
  presence         TEXT NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'offline')),
  max_active_chats INTEGER NOT NULL CHECK (max_active_chats BETWEEN 0 AND 100),
  last_assignment_no INTEGER,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE TABLE conversations (
  id                  TEXT PRIMARY KEY,
  customer_session_id TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('automated', 'agent', 'closed')),
  assigned_agent_id   TEXT REFERENCES agents (id),
  requested_agent_at  TEXT,
  queue_ticket        INTEGER,
  closed_at           TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  last_seq            INTEGER NOT NULL DEFAULT 0
);
-- A customer session has at most one open conversation.
CREATE UNIQUE INDEX conversations_open_per_session ON conversations (customer_session_id)
  WHERE status <> 'closed';
CREATE INDEX conversations_queue ON conversations (requested_agent_at, queue_ticket)
  WHERE status = 'agent' AND assigned_agent_id IS NULL;
CREATE INDEX conversations_by_agent ON conversations (assigned_agent_id) WHERE status = 'agent';
CREATE INDEX conversations_ticket ON conversations (queue_ticket);
CREATE TABLE messages (
  id              TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  seq             INTEGER NOT NULL,
  sender_type     TEXT NOT NULL CHECK (sender_type IN ('customer', 'bot', 'agent', 'system')),
  sender_agent_id TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('text', 'quick_reply', 'event')),
  content         TEXT NOT NULL,
  metadata        TEXT NOT NULL DEFAULT '{}',
  client_msg_id   TEXT,
  created_at      TEXT NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client_msg_id ON messages (conversation_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
CREATE TABLE faq_entries (
  slug          TEXT PRIMARY KEY,
  question      TEXT NOT NULL,
  answer        TEXT NOT NULL,
  display_order INTEGER NOT NULL,
  is_active     INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
)sql";

const std::string kInsertMessage =
    "INSERT INTO messages (id, conversation_id, seq, sender_type, sender_agent_id, kind, content, metadata, "
    "client_msg_id, created_at) VALUES ('m', 'c', 1, 'customer', NULL, 'text', 'hi', '{}', 'k', 't')";

bool opensAnEphemeralTable(sqlite::Connection& db, const std::string& sql) {
    auto s = db.prepare("EXPLAIN " + sql);
    while (s.step()) {
        if (s.text(1) == "OpenEphemeral")
            return true;
    }
    return false;
}

// Runs fn in a child process (what it changes of the process stays there) and returns what it said.
std::string inAChildProcess(const std::function<std::string()>& fn) {
    int fds[2];
    if (::pipe(fds) != 0)
        return "pipe failed";
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(fds[0]);
        std::string said;
        try {
            said = fn();
        } catch (const std::exception& e) {
            said = std::string("threw: ") + e.what();
        }
        const auto written = ::write(fds[1], said.data(), said.size());
        ::_exit(written == static_cast<ssize_t>(said.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    std::string said;
    char buffer[512];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
        said.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return said;
}

// Opens a store on `path` as an ordinary user (nobody, when the tests run as root, whom no file
// permission stops) and returns the error it got, or "" if it opened.
std::string openErrorAsAnOrdinaryUser(const std::string& path) {
    return inAChildProcess([&]() -> std::string {
        const std::string dir = path.substr(0, path.rfind('/'));
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0))
            return "could not become nobody";
        if (::access(dir.c_str(), X_OK) != 0)
            return "unreachable"; // a temporary directory inside a private one (TMPDIR)
        try {
            SqliteStore store(path);
        } catch (const std::exception& e) {
            return e.what();
        }
        return {};
    });
}

} // namespace

class TestSqliteStore : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::string path() const { return QString(m_dir.path() + QStringLiteral("/parley.db")).toStdString(); }

private slots:
    void init() { QFile::remove(m_dir.path() + QStringLiteral("/parley.db")); }

    void schemaVersionAndReopen() {
        const auto c = newConversation("s1");
        {
            SqliteStore store(path());
            QCOMPARE(store.schemaVersion(), SqliteStore::kSchemaVersion);
            store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        }
        SqliteStore again(path());
        QCOMPARE(again.schemaVersion(), SqliteStore::kSchemaVersion);
        QVERIFY(again.readResult([&](ReadTx& tx) { return tx.conversation(c.id); }));
    }

    // A file that is not a database, or one the server may not write, stops the start with the
    // file's name and what to do: never a server that runs and then fails every message.
    void aFileThatIsNotADatabaseIsRefusedByName() {
        QFile file(QString::fromStdString(path()));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(4096, 'x'));
        file.close();
        try {
            SqliteStore store(path());
            QFAIL("opened");
        } catch (const std::exception& e) {
            const std::string error = e.what();
            QVERIFY2(error.find(path()) != std::string::npos, e.what());
            QVERIFY2(error.find("not a Parley database") != std::string::npos, e.what());
        }
    }

    void aWriteProtectedDatabaseIsRefused() {
        QTemporaryDir dir;
        const std::string db = QString(dir.path() + QStringLiteral("/parley.db")).toStdString();
        { SqliteStore store(db); }
        QCOMPARE(::chmod(dir.path().toLocal8Bit().constData(), 0777), 0);
        QCOMPARE(::chmod(db.c_str(), 0444), 0);
        const std::string error = openErrorAsAnOrdinaryUser(db);
        if (error == "unreachable")
            QSKIP("an ordinary user cannot reach the temporary directory");
        QVERIFY2(error.find(db + ": the file is write-protected") != std::string::npos, error.c_str());
        QVERIFY2(error.find("must be able to write") != std::string::npos, error.c_str());

        // Writable itself, in a directory where its WAL cannot be made.
        QCOMPARE(::chmod(db.c_str(), 0666), 0);
        QCOMPARE(::chmod(dir.path().toLocal8Bit().constData(), 0555), 0);
        const std::string walError = openErrorAsAnOrdinaryUser(db);
        QCOMPARE(::chmod(dir.path().toLocal8Bit().constData(), 0755), 0);
        QVERIFY2(walError.find(db) != std::string::npos, walError.c_str());
        QVERIFY2(walError.find("must be able to write") != std::string::npos, walError.c_str());
    }

    // A disk that refuses writes (here: a file size limit, as a full disk refuses them) answers the
    // write StoreUnavailable, with Retry-After and nothing stored, and says why until a write that
    // stores something goes through again.
    void aDiskThatRefusesWritesMakesTheStoreUnavailableUntilItTakesThemAgain() {
        const std::string said = inAChildProcess([&]() -> std::string {
            std::signal(SIGXFSZ, SIG_IGN); // the write fails with EFBIG instead of the process dying
            SqliteStore::Options options;
            options.searchIndexInterval = std::chrono::milliseconds(0); // no writes but the test's
            SqliteStore store(path(), nullptr, options);
            const auto c = newConversation("s1");
            store.write([&](WriteTx& tx) { tx.insertConversation(c); });
            rlimit limit{};
            ::getrlimit(RLIMIT_FSIZE, &limit);
            const rlimit unlimited = limit;
            limit.rlim_cur = 2 * 1024 * 1024;
            ::setrlimit(RLIMIT_FSIZE, &limit);
            // Until the first refusal: a write that goes through after it (a WAL started over has
            // room again) would rightly make the store available again.
            const std::string filler(3000, 'x');
            int stored = 0;
            std::string why;
            for (int i = 0; i < 2000 && why.empty(); ++i)
                try {
                    store.write([&](WriteTx& tx) {
                        auto m = newMessage(c.id, filler);
                        tx.appendMessage(m);
                    });
                    ++stored;
                } catch (const StoreUnavailable& e) {
                    if (e.retryAfterSeconds() != 5)
                        return "Retry-After " + std::to_string(e.retryAfterSeconds());
                    why = e.what();
                }
            if (why.empty())
                return std::string("never refused");
            const auto reason = store.unavailableReason();
            if (!reason || *reason != why || why.find(path()) == std::string::npos)
                return "reason: " + reason.value_or("none") + "; the error: " + why;
            store.write([](WriteTx&) {}); // an empty commit goes through, but tells nothing of the disk
            if (!store.unavailableReason())
                return std::string("available again after an empty commit");
            const auto kept = store.readResult([&](ReadTx& tx) { return tx.messages(c.id, 0); });
            if (kept.size() != static_cast<std::size_t>(stored))
                return std::to_string(kept.size()) + " messages kept, " + std::to_string(stored) +
                       " answered";
            ::setrlimit(RLIMIT_FSIZE, &unlimited);
            store.write([&](WriteTx& tx) {
                auto m = newMessage(c.id, "after");
                tx.appendMessage(m);
            });
            if (store.unavailableReason())
                return "still unavailable: " + *store.unavailableReason();
            return "ok";
        });
        QVERIFY2(said == "ok", said.c_str());
    }

    // When SQLite rolls a group's whole transaction back in the middle (the disk refused a page it
    // had to write out before the commit), no later job of the group may run outside it,
    // committing unseen while its caller hears of a failure, and no earlier job counts as stored.
    void aGroupThatSqliteRolledBackStoresNothing() {
        const auto c = newConversation("s1");
        {
            SqliteStore store(path());
            store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        }
        const std::string said = inAChildProcess([&]() -> std::string {
            std::signal(SIGXFSZ, SIG_IGN);
            sqlite::Connection db(path(), false);
            db.exec("PRAGMA journal_mode = WAL");
            db.exec("PRAGMA cache_size = 8"); // pages: a big job writes them out before it commits
            const std::string filler(3000, 'x');
            const std::function<void(WriteTx&)> one = [&](WriteTx& tx) {
                auto m = newMessage(c.id, "one");
                tx.appendMessage(m);
            };
            const std::function<void(WriteTx&)> many = [&](WriteTx& tx) {
                for (int i = 0; i < 300; ++i) {
                    auto m = newMessage(c.id, filler);
                    tx.appendMessage(m);
                }
            };
            rlimit limit{};
            ::getrlimit(RLIMIT_FSIZE, &limit);
            const rlimit unlimited = limit;
            limit.rlim_cur = 256 * 1024;
            ::setrlimit(RLIMIT_FSIZE, &limit);
            GroupCommitWriter::Job first(one), big(many), last(one);
            std::vector<GroupCommitWriter::Job*> group{&first, &big, &last};
            sqlite::writeGroupTransaction(db, group);
            ::setrlimit(RLIMIT_FSIZE, &unlimited);
            if (!big.error)
                return "the big job was stored";
            auto s = db.prepare("SELECT count(*) FROM messages");
            s.step();
            const auto stored = s.int64(0);
            const int answeredStored = int(!first.error) + int(!last.error);
            if (stored != answeredStored)
                return std::to_string(stored) + " stored, " + std::to_string(answeredStored) +
                       " answered stored";
            return "ok";
        });
        QVERIFY2(said == "ok", said.c_str());
    }

    void seqIsGapFreeUnderConcurrentWriters() {
        SqliteStore store(path());
        const auto c = newConversation("s1");
        store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        std::vector<std::thread> threads;
        for (int t = 0; t < 16; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 25; ++i)
                    store.write([&](WriteTx& tx) {
                        auto m = newMessage(c.id, std::to_string(t) + "/" + std::to_string(i));
                        tx.appendMessage(m);
                    });
            });
        for (auto& t : threads)
            t.join();
        const auto messages = store.readResult([&](ReadTx& tx) { return tx.messages(c.id, 0); });
        QCOMPARE(messages.size(), std::size_t(400));
        for (std::size_t i = 0; i < messages.size(); ++i)
            QCOMPARE(messages[i].seq, std::int64_t(i + 1));
        QCOMPARE(store.readResult([&](ReadTx& tx) { return tx.lastSeq(c.id); }), std::int64_t(400));
    }

    void failingJobRollsBackOnlyItself() {
        SqliteStore store(path());
        const auto c = newConversation("s1");
        store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 20; ++i) {
                    try {
                        store.write([&](WriteTx& tx) {
                            auto m = newMessage(c.id, "x");
                            tx.appendMessage(m);
                            if ((t + i) % 3 == 0)
                                throw std::runtime_error("rolled back on purpose");
                        });
                    } catch (const std::runtime_error&) {
                        ++failures;
                    }
                }
            });
        for (auto& t : threads)
            t.join();
        const auto messages = store.readResult([&](ReadTx& tx) { return tx.messages(c.id, 0); });
        QCOMPARE(int(messages.size()) + failures.load(), 160);
        QVERIFY(failures.load() > 0);
        for (std::size_t i = 0; i < messages.size(); ++i)
            QCOMPARE(messages[i].seq, std::int64_t(i + 1)); // the rolled-back seqs were given again
    }

    void eventsArePublishedAfterCommitInOrder() {
        CheckingSink sink;
        SqliteStore store(path(), &sink);
        sink.store = &store;
        const auto c = newConversation("s1");
        store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 20; ++i)
                    store.write([&](WriteTx& tx) {
                        auto m = newMessage(c.id, "x");
                        tx.appendMessage(m);
                        tx.publishAfterCommit(Event{"message.created", {}, {}, c.id, m.seq});
                    });
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(sink.invisible.load(), 0);
        QCOMPARE(sink.seqs.size(), std::size_t(160));
        for (std::size_t i = 0; i < sink.seqs.size(); ++i)
            QCOMPARE(sink.seqs[i], std::int64_t(i + 1));
        // A rolled-back job's events are never published.
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, store.write([&](WriteTx& tx) {
            tx.publishAfterCommit(Event{"message.created", {}, {}, c.id, 999});
            throw std::runtime_error("no");
        }));
        QCOMPARE(sink.seqs.size(), std::size_t(160));
    }

    // Commits back to back leave a PASSIVE checkpoint no moment to catch up with the writer, so
    // without the RESTART pass the WAL never starts over and takes every page ever written.
    void walStartsOverUnderSustainedWrites() {
        const auto options = restartingTheWalAt1000Pages();
        SqliteStore store(path(), nullptr, options);
        const auto c = newConversation("s1");
        store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        // The WAL passes the restart size every 250 or so messages. Write until it has started
        // over twice; without the restart pass it never does, and the cap ends it.
        const int written =
            writeBesideAReader(store, c, 12000, [&](int) { return store.walRestarts() >= 2; });
        QVERIFY2(
            store.walRestarts() >= 2,
            qPrintable(
                QStringLiteral("%1 WAL restarts after %2 messages").arg(store.walRestarts()).arg(written)));
        QCOMPARE(store.readResult([&](ReadTx& tx) { return tx.lastSeq(c.id); }), std::int64_t(written));
        const auto walBytes = QFileInfo(m_dir.path() + QStringLiteral("/parley.db-wal")).size();
        const qint64 bound = 4 * options.walRestartPages * (4096 + 24);
        QVERIFY2(walBytes > 0 && walBytes < bound,
                 qPrintable(QStringLiteral("WAL file %1 bytes, bound %2").arg(walBytes).arg(bound)));
    }

    // A restart pass holds every write. Once the WAL has started over it must grow past the
    // restart size again before the next pass: a pass right after one (the WAL size still read
    // from before it) held the writer twice for one restart.
    void walRestartsAreAWalApart() {
        const auto options = restartingTheWalAt1000Pages();
        SqliteStore store(path(), nullptr, options);
        const auto c = newConversation("s1");
        store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        // 1,000 pages are some 250 messages.
        constexpr int kRestarts = 8;
        std::vector<int> writtenAtRestart;
        const int written = writeBesideAReader(store, c, 40000, [&](int n) {
            while (static_cast<int>(writtenAtRestart.size()) < store.walRestarts())
                writtenAtRestart.push_back(n);
            return store.walRestarts() >= kRestarts;
        });
        QVERIFY2(
            store.walRestarts() >= kRestarts,
            qPrintable(
                QStringLiteral("%1 WAL restarts after %2 messages").arg(store.walRestarts()).arg(written)));
        for (std::size_t i = 1; i < writtenAtRestart.size(); ++i)
            QVERIFY2(writtenAtRestart[i] - writtenAtRestart[i - 1] >= 100,
                     qPrintable(QStringLiteral("restart %1 after %2 messages, restart %3 after %4")
                                    .arg(i)
                                    .arg(writtenAtRestart[i - 1])
                                    .arg(i + 1)
                                    .arg(writtenAtRestart[i])));
    }

    void oneOpenConversationPerSession() {
        SqliteStore store(path());
        store.write([&](WriteTx& tx) { tx.insertConversation(newConversation("s1")); });
        QVERIFY_THROWS_EXCEPTION(
            std::exception, store.write([&](WriteTx& tx) { tx.insertConversation(newConversation("s1")); }));
    }

    // Schema step 2 (issue 16): client_msg_id becomes unique per sender on a database with rows.
    void aVersionOneDatabaseMigratesWithItsRows() {
        const auto c = newConversation("s1");
        {
            sqlite::Connection db(path(), false);
            db.exec(kSchemaVersion1);
            db.exec("PRAGMA user_version = 1");
            db.exec(
                "INSERT INTO agents VALUES ('a1', 'ann', 'Ann', 'agent', 'x', 'online', 5, NULL, 't', 't')");
            auto s = db.prepare("INSERT INTO conversations (id, customer_session_id, status, created_at, "
                                "updated_at, last_seq) VALUES (?, 's1', 'agent', 't', 't', 2)");
            s.bind(1, c.id);
            s.run();
            const std::string insertMessage =
                "INSERT INTO messages (id, conversation_id, seq, sender_type, sender_agent_id, kind, "
                "content, "
                "client_msg_id, created_at) VALUES (?, ?, ?, ?, ?, 'text', ?, ?, 't')";
            {
                auto m = db.prepare(insertMessage);
                m.bind(1, "m1").bind(2, c.id).bind(3, 1).bind(4, "customer").bindNull(5);
                m.bind(6, "hi").bind(7, "k").run();
            }
            auto m = db.prepare(insertMessage);
            m.bind(1, "m2").bind(2, c.id).bind(3, 2).bind(4, "agent").bind(5, "a1");
            m.bind(6, "hello").bind(7, "k2").run();
        }
        SqliteStore store(path());
        QCOMPARE(store.schemaVersion(), SqliteStore::kSchemaVersion);
        using parley::protocol::SenderType;
        auto found = [&](SenderType sender, const std::string& agent, const std::string& key) {
            return store.readResult(
                [&](ReadTx& tx) { return tx.messageByClientId(c.id, sender, agent, key); });
        };
        QCOMPARE(found(SenderType::Customer, "", "k").value_or(Message{}).id, std::string("m1"));
        QCOMPARE(found(SenderType::Agent, "a1", "k2").value_or(Message{}).id, std::string("m2"));
        QVERIFY(!found(SenderType::Agent, "a1", "k"));
        QVERIFY(!found(SenderType::Customer, "", "k2"));
        // The agent may now use the customer's key; a sender may not use its own twice.
        auto append = [&](SenderType sender, std::optional<std::string> agent, const std::string& key) {
            store.write([&](WriteTx& tx) {
                auto m = newMessage(c.id, "again");
                m.senderType = sender;
                m.senderAgentId = agent;
                m.clientMsgId = key;
                tx.appendMessage(m);
            });
        };
        append(SenderType::Agent, "a1", "k");
        QCOMPARE(found(SenderType::Agent, "a1", "k").value_or(Message{}).seq, std::int64_t(3));
        QVERIFY_THROWS_EXCEPTION(std::exception, append(SenderType::Customer, std::nullopt, "k"));
        QVERIFY_THROWS_EXCEPTION(std::exception, append(SenderType::Agent, "a1", "k2"));
        // Step 12 rewrote the CHECKs of a table step 1 made; they still hold.
        sqlite::Connection db(path(), false);
        QVERIFY(!opensAnEphemeralTable(db, kInsertMessage));
        QVERIFY_THROWS_EXCEPTION(std::exception,
                                 db.exec("INSERT INTO messages (id, conversation_id, seq, sender_type, kind, "
                                         "content, created_at) VALUES ('m9', '" +
                                         c.id + "', 9, 'robot', 'text', 'x', 't')"));
    }

    // A message is stored on the writer's hot path: SQLite codes a constant IN list of more than two
    // values (in a CHECK or a trigger's WHEN) as an ephemeral table, opened and freed on every
    // insert, and RETURNING buffers its rows in one. Step 12 spelt those out; this keeps it so.
    void storingAMessageOpensNoEphemeralTable() {
        { SqliteStore store(path()); }
        sqlite::Connection db(path(), false);
        QVERIFY(!opensAnEphemeralTable(db, kInsertMessage));
        QVERIFY(!opensAnEphemeralTable(
            db, "UPDATE conversations SET last_seq = last_seq + 1, updated_at = 't' WHERE id = 'c'"));
        // The check can fail: an IN list of three constants does open one.
        QVERIFY(opensAnEphemeralTable(db, "SELECT 1 FROM messages WHERE kind IN ('a', 'b', 'c')"));
    }

    // A statement whose plan depends on a bound value (a partial index's condition tested against
    // a parameter) is re-prepared each time it is bound. The message lookup by client id runs on
    // every send; its statements must keep their plans.
    void theClientIdLookupKeepsItsPlan() {
        const auto c = newConversation("s1");
        {
            SqliteStore store(path());
            store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        }
        sqlite::Connection db(path(), true);
        using parley::protocol::SenderType;
        for (int i = 0; i < 20; ++i) {
            sqlite::readTransaction(db, [&](ReadTx& tx) {
                const auto sender = i % 2 ? SenderType::Agent : SenderType::Customer;
                QVERIFY(!tx.messageByClientId(c.id, sender, i % 2 ? "a1" : "", "key" + std::to_string(i)));
            });
        }
        QCOMPARE(db.reprepares(), std::int64_t(0));
    }

    // Schema step 3 (issue 16): a token is valid while its agent session exists.
    void agentSessionsEndTogetherButTheKeptOne() {
        SqliteStore store(path());
        AgentRecord a;
        a.agent.id = "a1";
        a.agent.username = "ann";
        a.agent.displayName = "Ann";
        a.passwordHash = "x";
        a.createdAt = a.updatedAt = "t";
        auto b = a;
        b.agent.id = "b1";
        b.agent.username = "bob";
        store.write([&](WriteTx& tx) {
            tx.insertAgent(a);
            tx.insertAgent(b);
            tx.insertAgentSession("s1", "a1", "t", 100);
            tx.insertAgentSession("s2", "a1", "t", 200);
            tx.insertAgentSession("s3", "a1", "t", 300);
            tx.insertAgentSession("s4", "b1", "t", 300);
        });
        auto role = [&](const std::string& session, const std::string& agent) {
            return store.readResult([&](ReadTx& tx) { return tx.agentSessionRole(session, agent); })
                .has_value();
        };
        QVERIFY(role("s1", "a1"));
        QVERIFY(!role("s1", "b1")); // a session names its agent
        QVERIFY(!role("nope", "a1"));
        store.write([&](WriteTx& tx) { tx.deleteExpiredAgentSessions("a1", 150); });
        QVERIFY(!role("s1", "a1"));
        QVERIFY(role("s2", "a1"));
        QCOMPARE(
            store.writeResult([&](WriteTx& tx) { return tx.deleteAgentSessions("a1", std::string("s3")); }),
            1);
        QVERIFY(!role("s2", "a1"));
        QVERIFY(role("s3", "a1"));
        QVERIFY(role("s4", "b1"));
        QCOMPARE(store.writeResult([&](WriteTx& tx) { return tx.deleteAgentSessions("a1", std::nullopt); }),
                 1);
        QVERIFY(!role("s3", "a1"));
        QVERIFY(role("s4", "b1"));
    }
};

QTEST_GUILESS_MAIN(TestSqliteStore)
#include "tst_sqlitestore.moc"
