// The store's writer directly, in each of its modes: group commit under many threads, a caller
// released only once its own job has committed (and each released once), a failing job in a group
// rolling back only itself, the admission bound (refused at once, nothing run; Admission::Always
// past it), the checkpointer's pause, and close. Most cases use a GroupRunner of the test's own,
// which can hold a group open; the failing-job case uses the real SqliteStore.
#include "store/GroupCommitWriter.h"
#include "store/SqliteStore.h"
#include "util/Text.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace parley::server;
using Mode = GroupCommitWriter::Mode;

Q_DECLARE_METATYPE(GroupCommitWriter::Mode)

namespace {

// A gate the runner can be held at: the test opens it when it has seen what it wants to see.
class Gate {
public:
    void open() {
        {
            std::lock_guard lock(m_mutex);
            m_open = true;
        }
        m_cv.notify_all();
    }
    void pass() {
        std::unique_lock lock(m_mutex);
        ++m_waiting;
        m_cv.notify_all();
        m_cv.wait(lock, [&] { return m_open; });
    }
    // True once someone waits at the gate (the runner is inside a group).
    bool someoneWaiting() {
        std::lock_guard lock(m_mutex);
        return m_waiting > 0;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_open = false;
    int m_waiting = 0;
};

// The jobs of the runner below never touch their transaction.
class NoWriteTx final : public WriteTx {
    [[noreturn]] static void unused() { throw std::logic_error("not a database"); }

public:
    std::optional<parley::protocol::Conversation> conversation(const std::string&) override { unused(); }
    std::optional<parley::protocol::Conversation> openConversationOfSession(const std::string&) override {
        unused();
    }
    std::vector<parley::protocol::Message> messages(const std::string&, std::int64_t, int) override {
        unused();
    }
    std::optional<parley::protocol::Message> messageByClientId(const std::string&,
                                                               parley::protocol::SenderType,
                                                               const std::string&,
                                                               const std::string&) override {
        unused();
    }
    std::int64_t lastSeq(const std::string&) override { unused(); }
    std::vector<parley::protocol::Conversation> queue() override { unused(); }
    std::vector<parley::protocol::Conversation> conversationsAssignedTo(const std::string&) override {
        unused();
    }
    std::vector<parley::protocol::FaqEntry> faq(bool) override { unused(); }
    std::optional<parley::protocol::FaqEntry> faqEntry(const std::string&) override { unused(); }
    std::optional<std::string> setting(const std::string&) override { unused(); }
    std::optional<AgentRecord> agentById(const std::string&) override { unused(); }
    std::optional<parley::protocol::Role> agentSessionRole(const std::string&, const std::string&) override {
        unused();
    }
    std::optional<AgentRecord> agentByUsername(const std::string&) override { unused(); }
    std::vector<AgentRecord> agents() override { unused(); }
    std::vector<std::string> onlineAgentIds() override { unused(); }
    std::vector<parley::protocol::Conversation> conversationsOfSession(const std::string&) override {
        unused();
    }
    std::vector<MessageHit> searchMessages(const std::string&, int) override { unused(); }
    void setConversationContext(const std::string&, const parley::protocol::PageContext&) override {
        unused();
    }
    bool raiseLastReadSeq(const std::string&, parley::protocol::SenderType, std::int64_t) override {
        unused();
    }
    void insertConversation(const parley::protocol::Conversation&) override { unused(); }
    void updateConversation(const parley::protocol::Conversation&) override { unused(); }
    void appendMessage(parley::protocol::Message&) override { unused(); }
    void insertFaq(const parley::protocol::FaqEntry&, const std::string&) override { unused(); }
    void updateFaq(const std::string&, const parley::protocol::FaqEntry&, const std::string&) override {
        unused();
    }
    bool deleteFaq(const std::string&) override { unused(); }
    void putSetting(const std::string&, const std::string&, const std::string&) override { unused(); }
    void insertAgent(const AgentRecord&) override { unused(); }
    void updateAgent(const AgentRecord&) override { unused(); }
    void insertAgentSession(const std::string&, const std::string&, const std::string&,
                            std::int64_t) override {
        unused();
    }
    int deleteAgentSessions(const std::string&, const std::optional<std::string>&) override { unused(); }
    void deleteExpiredAgentSessions(const std::string&, std::int64_t) override { unused(); }
    // shoppers after hours and after the chat (issue 21)
    std::vector<std::string> idleConversationIds(const std::string&, int) override { unused(); }
    void setContact(const std::string&, const parley::protocol::Contact&) override { unused(); }
    void setRating(const std::string&, const parley::protocol::Rating&) override { unused(); }
    // agents at work (issue 19)
    std::vector<parley::protocol::Note> notes(const std::string&) override { unused(); }
    std::vector<parley::protocol::CannedReply> cannedReplies() override { unused(); }
    std::optional<parley::protocol::CannedReply> cannedReply(const std::string&) override { unused(); }
    std::optional<parley::protocol::CannedReply> cannedReplyByShortcut(const std::string&) override {
        unused();
    }
    void insertNote(const parley::protocol::Note&) override { unused(); }
    void insertCannedReply(const parley::protocol::CannedReply&, const std::string&) override { unused(); }
    void updateCannedReply(const parley::protocol::CannedReply&, const std::string&) override { unused(); }
    bool deleteCannedReply(const std::string&) override { unused(); }
    // Reports and data rights (issue 22)
    ReportFigures reportFigures(const std::vector<ReportDayWindow>&, bool) override { unused(); }
    std::vector<std::string> erasedCustomerSessions() override { unused(); }
    std::vector<AuditEntry> auditLog(int) override { unused(); }
    int eraseCustomerSession(const std::string&, const std::string&) override { unused(); }
    void insertAuditEntry(const AuditEntry&) override { unused(); }
    // Reply mail (issue 21, mail21)
    std::optional<ReplyMailWatch> replyMailWatch(const std::string&) override { unused(); }
    std::vector<ReplyMailWatch> dueReplyMailWatches(const std::string&, int) override { unused(); }
    std::vector<OutboxMail> dueOutboxMails(const std::string&, int) override { unused(); }
    std::optional<std::string> nextOutboxAttemptAt() override { unused(); }
    std::vector<OutboxMail> outboxMailsOf(const std::string&) override { unused(); }
    void watchReplyMail(const std::string&, const std::string&) override { unused(); }
    void putReplyMailWatch(const ReplyMailWatch&) override { unused(); }
    std::int64_t insertOutboxMail(const OutboxMail&) override { unused(); }
    void updateOutboxMail(const OutboxMail&) override { unused(); }
    void deleteOutboxMail(std::int64_t) override { unused(); }
    void publishAfterCommit(Event) override { unused(); }
};

// Stands in for a database: runs each job of a group, then "commits" (counts the commit), and
// notes the group's size. It can hold the first group at a gate.
class RecordingRunner {
public:
    std::atomic<std::uint64_t> commits{0};
    std::mutex mutex;
    std::vector<std::size_t> groupSizes;
    std::atomic<int> concurrentGroups{0};
    std::atomic<int> overlaps{0};
    Gate* holdFirstGroup = nullptr;

    void run(std::span<GroupCommitWriter::Job* const> group) {
        if (++concurrentGroups > 1)
            ++overlaps; // two groups at once on one connection would be a bug
        if (holdFirstGroup && groupCount() == 0)
            holdFirstGroup->pass();
        for (auto* job : group) {
            try {
                job->fn()(m_tx);
            } catch (...) {
                job->error = std::current_exception();
            }
        }
        ++commits; // "COMMIT": everything before this point is durable
        {
            std::lock_guard lock(mutex);
            groupSizes.push_back(group.size());
        }
        --concurrentGroups;
    }
    std::size_t groupCount() {
        std::lock_guard lock(mutex);
        return groupSizes.size();
    }

private:
    NoWriteTx m_tx;
};

GroupCommitWriter::GroupRunner runnerOf(RecordingRunner& r) {
    return [&r](std::span<GroupCommitWriter::Job* const> group) { r.run(group); };
}

GroupCommitWriter::Options optionsFor(Mode mode, bool releaseThread, std::size_t queueLimit = 1000) {
    GroupCommitWriter::Options o;
    o.mode = mode;
    o.releaseThread = releaseThread;
    o.queueLimit = queueLimit;
    o.maxGroup = 64;
    return o;
}

} // namespace

class TestGroupCommitWriter : public QObject {
    Q_OBJECT
private:
    void modes() {
        QTest::addColumn<Mode>("mode");
        QTest::addColumn<bool>("releaseThread");
        QTest::newRow("hybrid") << Mode::Hybrid << false;
        QTest::newRow("hybrid, release thread") << Mode::Hybrid << true;
        QTest::newRow("writer thread") << Mode::WriterThread << false;
        QTest::newRow("writer thread, release thread") << Mode::WriterThread << true;
        QTest::newRow("caller runs") << Mode::CallerRuns << false;
    }

private slots:
    void groupCommitUnderManyThreads_data() { modes(); }
    void groupCommitUnderManyThreads() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        RecordingRunner runner;
        GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread));
        constexpr int kThreads = 32;
        constexpr int kWrites = 200;
        std::atomic<int> ran{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < kWrites; ++i)
                    writer.write([&](WriteTx&) { ++ran; }, Admission::Bounded);
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(ran.load(), kThreads * kWrites); // every job ran exactly once
        QCOMPARE(runner.overlaps.load(), 0);
        const auto stats = writer.stats();
        QCOMPARE(stats.jobs, std::uint64_t(kThreads * kWrites));
        QCOMPARE(stats.groups, std::uint64_t(runner.groupCount()));
        QCOMPARE(stats.refused, std::uint64_t(0));
        QVERIFY(stats.largestGroup <= 64);
    }

    // Contended writers really share groups: with the first group held, the writes that queue
    // meanwhile commit together afterwards.
    void queuedWritesCommitAsOneGroup_data() { modes(); }
    void queuedWritesCommitAsOneGroup() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        Gate gate;
        RecordingRunner runner;
        runner.holdFirstGroup = &gate;
        GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread));
        std::thread first([&] { writer.write([](WriteTx&) {}, Admission::Bounded); });
        QTRY_VERIFY(gate.someoneWaiting());
        constexpr int kQueued = 20;
        std::vector<std::thread> threads;
        for (int t = 0; t < kQueued; ++t)
            threads.emplace_back([&] { writer.write([](WriteTx&) {}, Admission::Bounded); });
        QTRY_COMPARE(writer.queued(), std::size_t(kQueued));
        gate.open();
        first.join();
        for (auto& t : threads)
            t.join();
        std::lock_guard lock(runner.mutex);
        QCOMPARE(runner.groupSizes, (std::vector<std::size_t>{1, kQueued}));
    }

    // The group's callers wake each other (a binary tree from the writer's one wake-up): whatever
    // the group's size, every one of them returns, and the runs end with no job still queued.
    void everyCallerOfAGroupReturns_data() { modes(); }
    void everyCallerOfAGroupReturns() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        for (const int queuedCount : {1, 2, 3, 4, 7, 8, 31, 64}) {
            Gate gate;
            RecordingRunner runner;
            runner.holdFirstGroup = &gate;
            GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread));
            std::atomic<int> returned{0};
            std::thread first([&] { writer.write([](WriteTx&) {}, Admission::Bounded); });
            QTRY_VERIFY(gate.someoneWaiting());
            std::vector<std::thread> threads;
            for (int t = 0; t < queuedCount; ++t)
                threads.emplace_back([&] {
                    writer.write([](WriteTx&) {}, Admission::Bounded);
                    ++returned;
                });
            QTRY_COMPARE(writer.queued(), std::size_t(queuedCount));
            gate.open();
            QTRY_COMPARE(returned.load(), queuedCount);
            first.join();
            for (auto& t : threads)
                t.join();
            std::lock_guard lock(runner.mutex);
            QCOMPARE(runner.groupSizes, (std::vector<std::size_t>{1, std::size_t(queuedCount)}));
        }
    }

    // A caller returns only after the commit of the group that holds its job, never earlier
    // (woken by another group's commit) and never twice.
    void callerReleasedOnlyAfterItsOwnCommit_data() { modes(); }
    void callerReleasedOnlyAfterItsOwnCommit() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        RecordingRunner runner;
        GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread));
        constexpr int kThreads = 24;
        constexpr int kWrites = 150;
        std::atomic<int> early{0};
        std::atomic<int> returns{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < kWrites; ++i) {
                    std::uint64_t commitsWhenRun = 0;
                    writer.write([&](WriteTx&) { commitsWhenRun = runner.commits.load(); },
                                 Admission::Bounded);
                    // The job ran before commit number commitsWhenRun + 1; that commit must be done.
                    if (runner.commits.load() <= commitsWhenRun)
                        ++early;
                    ++returns;
                }
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(early.load(), 0);
        QCOMPARE(returns.load(), kThreads * kWrites);
    }

    // Errors go back to the caller whose job threw, and to no other.
    void errorsReachTheirOwnCaller_data() { modes(); }
    void errorsReachTheirOwnCaller() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        RecordingRunner runner;
        GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread));
        std::atomic<int> wrong{0};
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 16; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 100; ++i) {
                    const bool fail = (t + i) % 3 == 0;
                    const std::string tag = std::to_string(t) + "/" + std::to_string(i);
                    try {
                        writer.write(
                            [&](WriteTx&) {
                                if (fail)
                                    throw std::runtime_error(tag);
                            },
                            Admission::Bounded);
                        if (fail)
                            ++wrong;
                    } catch (const std::runtime_error& e) {
                        ++failures;
                        if (!fail || e.what() != tag)
                            ++wrong;
                    }
                }
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(wrong.load(), 0);
        QVERIFY(failures.load() > 0);
    }

    // The real store: a group holding failing jobs commits the others; the failing ones leave
    // nothing and publish nothing.
    void failingJobInAGroupRollsBackOnlyItself_data() { modes(); }
    void failingJobInAGroupRollsBackOnlyItself() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        QTemporaryDir dir;
        struct Sink : EventSink {
            std::mutex mutex;
            std::vector<std::string> contents;
            void publish(std::vector<Event> events) override {
                std::lock_guard lock(mutex);
                for (auto& e : events)
                    contents.push_back(e.data.value("content", ""));
            }
        } sink;
        SqliteStore::Options options;
        options.writer = optionsFor(mode, releaseThread);
        SqliteStore store(QString(dir.path() + QStringLiteral("/parley.db")).toStdString(), &sink, options);
        parley::protocol::Conversation c;
        c.id = newUuid();
        c.customerSessionId = "s";
        c.status = parley::protocol::ConversationStatus::Automated;
        c.createdAt = c.updatedAt = "2026-01-01T00:00:00Z";
        store.write([&](WriteTx& tx) { tx.insertConversation(c); });

        // Hold the writer inside a job so that the next ten queue and form one group.
        Gate gate;
        std::thread holder([&] { store.write([&](WriteTx&) { gate.pass(); }); });
        QTRY_VERIFY(gate.someoneWaiting());
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 10; ++i)
            threads.emplace_back([&, i] {
                try {
                    store.write([&](WriteTx& tx) {
                        parley::protocol::Message m;
                        m.id = newUuid();
                        m.conversationId = c.id;
                        m.content = std::to_string(i);
                        m.createdAt = "2026-01-01T00:00:00Z";
                        tx.appendMessage(m);
                        tx.publishAfterCommit(
                            Event{"message.created", {{"content", m.content}}, {}, c.id, m.seq});
                        if (i % 3 == 0)
                            throw std::runtime_error("rolled back on purpose");
                    });
                } catch (const std::runtime_error&) {
                    ++failures;
                }
            });
        QTRY_COMPARE(store.writesQueued(), std::size_t(10));
        const auto groupsBefore = store.writerStats().groups;
        gate.open();
        holder.join();
        for (auto& t : threads)
            t.join();
        QCOMPARE(store.writerStats().groups - groupsBefore, std::uint64_t(1)); // the ten were one group
        QCOMPARE(failures.load(), 4);                                          // i = 0, 3, 6, 9
        const auto messages = store.readResult([&](ReadTx& tx) { return tx.messages(c.id, 0); });
        QCOMPARE(messages.size(), std::size_t(6));
        std::set<std::string> stored;
        for (std::size_t k = 0; k < messages.size(); ++k) {
            QCOMPARE(messages[k].seq, std::int64_t(k + 1)); // gap-free: rolled-back seqs reused
            stored.insert(messages[k].content);
        }
        QCOMPARE(stored, (std::set<std::string>{"1", "2", "4", "5", "7", "8"}));
        std::lock_guard lock(sink.mutex);
        QCOMPARE(std::set<std::string>(sink.contents.begin(), sink.contents.end()), stored);
        QCOMPARE(sink.contents.size(), std::size_t(6));
    }

    // Past the bound a Bounded write is refused at once and its job never runs; an Always write
    // still queues; everything accepted commits.
    void admissionBound_data() { modes(); }
    void admissionBound() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        Gate gate;
        RecordingRunner runner;
        runner.holdFirstGroup = &gate;
        constexpr std::size_t kLimit = 4;
        GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread, kLimit));
        std::atomic<int> ran{0};
        std::vector<std::thread> threads;
        // Whatever fails below, the writers are let through and joined.
        struct Finish {
            Gate& gate;
            std::vector<std::thread>& threads;
            ~Finish() {
                gate.open();
                for (auto& t : threads)
                    if (t.joinable())
                        t.join();
            }
        } finish{gate, threads};
        threads.emplace_back([&] { writer.write([&](WriteTx&) { ++ran; }, Admission::Bounded); });
        QTRY_VERIFY(gate.someoneWaiting());
        for (std::size_t i = 0; i < kLimit; ++i)
            threads.emplace_back([&] { writer.write([&](WriteTx&) { ++ran; }, Admission::Bounded); });
        QTRY_COMPARE(writer.queued(), kLimit);

        // One more is refused at once, and its job never runs. (Were it accepted, it would wait for
        // the held group, and the queue would grow instead.)
        enum Outcome { Pending, Refused, Accepted };
        std::atomic<Outcome> outcome{Pending};
        std::atomic<int> refusedRetryAfter{0};
        std::atomic<bool> refusedRan{false};
        threads.emplace_back([&] {
            try {
                writer.write([&](WriteTx&) { refusedRan = true; }, Admission::Bounded);
                outcome = Accepted;
            } catch (const StoreOverloaded& e) {
                refusedRetryAfter = e.retryAfterSeconds();
                outcome = Refused;
            }
        });
        QTRY_VERIFY(outcome != Pending || writer.queued() > kLimit);
        QCOMPARE(outcome.load(), Refused);
        QCOMPARE(refusedRetryAfter.load(), 1);
        QCOMPARE(writer.stats().refused, std::uint64_t(1));

        // The server's own maintenance goes past the bound.
        threads.emplace_back([&] { writer.write([&](WriteTx&) { ++ran; }, Admission::Always); });
        QTRY_COMPARE(writer.queued(), kLimit + 1);

        gate.open();
        for (auto& t : threads)
            t.join();
        QCOMPARE(ran.load(), int(kLimit) + 2);
        QVERIFY(!refusedRan);
        QCOMPARE(writer.stats().refused, std::uint64_t(1));
        // Room again once the queue has drained.
        writer.write([&](WriteTx&) { ++ran; }, Admission::Bounded);
        QCOMPARE(ran.load(), int(kLimit) + 3);
    }

    // The checkpointer's pause: it gets the turn between groups, writes queue (none refused while
    // within the bound) and commit once it resumes.
    void pauseHoldsWritesUntilResume_data() { modes(); }
    void pauseHoldsWritesUntilResume() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        RecordingRunner runner;
        GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread));
        writer.pause();
        std::atomic<int> done{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&] {
                writer.write([](WriteTx&) {}, Admission::Bounded);
                ++done;
            });
        QTRY_COMPARE(writer.queued(), std::size_t(8));
        QCOMPARE(done.load(), 0);
        QCOMPARE(runner.groupCount(), std::size_t(0));
        writer.resume();
        for (auto& t : threads)
            t.join();
        QCOMPARE(done.load(), 8);
        // A pause waits for a running group: taking the turn while writers keep coming.
        std::atomic<bool> stop{false};
        std::thread busy([&] {
            while (!stop)
                writer.write([](WriteTx&) {}, Admission::Bounded);
        });
        for (int i = 0; i < 20; ++i) {
            writer.pause();
            QCOMPARE(runner.concurrentGroups.load(), 0);
            writer.resume();
        }
        stop = true;
        busy.join();
        QCOMPARE(runner.overlaps.load(), 0);
    }

    void closeFinishesQueuedWritesAndRefusesNewOnes_data() { modes(); }
    void closeFinishesQueuedWritesAndRefusesNewOnes() {
        QFETCH(Mode, mode);
        QFETCH(bool, releaseThread);
        Gate gate;
        RecordingRunner runner;
        runner.holdFirstGroup = &gate;
        GroupCommitWriter writer(runnerOf(runner), optionsFor(mode, releaseThread));
        std::atomic<int> ran{0};
        std::vector<std::thread> threads;
        threads.emplace_back([&] { writer.write([&](WriteTx&) { ++ran; }, Admission::Bounded); });
        QTRY_VERIFY(gate.someoneWaiting());
        for (int i = 0; i < 5; ++i)
            threads.emplace_back([&] { writer.write([&](WriteTx&) { ++ran; }, Admission::Bounded); });
        QTRY_COMPARE(writer.queued(), std::size_t(5));
        std::thread closer([&] { writer.close(); });
        gate.open();
        closer.join();
        for (auto& t : threads)
            t.join();
        QCOMPARE(ran.load(), 6);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, writer.write([](WriteTx&) {}, Admission::Always));
    }
};

QTEST_GUILESS_MAIN(TestGroupCommitWriter)
#include "tst_group_commit_writer.moc"
