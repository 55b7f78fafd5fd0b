// The SQLite store directly: schema version, gap-free seq under concurrent writers, a failing
// job rolling back only itself inside a group commit, events published only after commit, and a
// WAL that starts over under writes back to back.
#include "store/Event.h"
#include "store/SqliteStore.h"
#include "util/Text.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <mutex>
#include <stdexcept>
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
    m.createdAt = formatRfc3339(std::chrono::system_clock::now());
    return m;
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
        SqliteStore::Options options;
        options.sync = SqliteStore::Sync::Normal;
        options.walRestartPages = 1000;
        SqliteStore store(path(), nullptr, options);
        const auto c = newConversation("s1");
        store.write([&](WriteTx& tx) { tx.insertConversation(c); });
        std::atomic<bool> stop{false};
        std::thread reader([&] { // readers hold WAL snapshots, as the server's requests do
            while (!stop)
                store.read([&](ReadTx& tx) { tx.lastSeq(c.id); });
        });
        const std::string filler(1000, 'x');
        // About 4 pages a message: the WAL passes the restart size every 250 or so. Write until it
        // has started over twice; without the restart pass it never does, and the cap ends it.
        constexpr int kCap = 12000;
        int written = 0;
        while (store.walRestarts() < 2 && written < kCap) {
            store.write([&](WriteTx& tx) {
                auto m = newMessage(c.id, filler);
                tx.appendMessage(m);
            });
            ++written;
        }
        stop = true;
        reader.join();
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

    void oneOpenConversationPerSession() {
        SqliteStore store(path());
        store.write([&](WriteTx& tx) { tx.insertConversation(newConversation("s1")); });
        QVERIFY_THROWS_EXCEPTION(
            std::exception, store.write([&](WriteTx& tx) { tx.insertConversation(newConversation("s1")); }));
    }
};

QTEST_GUILESS_MAIN(TestSqliteStore)
#include "tst_sqlitestore.moc"
