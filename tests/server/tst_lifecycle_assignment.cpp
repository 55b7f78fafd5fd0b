// The state machine, the assignment tie-break rules and the rate limiter, without any transport.
#include "domain/AssignmentPolicy.h"
#include "domain/Lifecycle.h"
#include "domain/RateLimiter.h"

#include <QTest>

using namespace parley::server;
using S = parley::protocol::ConversationStatus;

class TestLifecycleAssignment : public QObject {
    Q_OBJECT
private slots:
    void transitions() {
        QVERIFY(lifecycle::canTransition(S::Automated, S::Agent));
        QVERIFY(lifecycle::canTransition(S::Agent, S::Closed));
        QVERIFY(!lifecycle::canTransition(S::Automated, S::Closed));
        QVERIFY(!lifecycle::canTransition(S::Agent, S::Automated));
        QVERIFY(!lifecycle::canTransition(S::Closed, S::Agent));
        QVERIFY(!lifecycle::canTransition(S::Closed, S::Automated));
        QVERIFY(!lifecycle::canTransition(S::Agent, S::Agent));
        QVERIFY(lifecycle::botAnswers(S::Automated));
        QVERIFY(!lifecycle::botAnswers(S::Agent));
        QVERIFY(!lifecycle::isOpen(S::Closed));
    }

    void fewestOpenChatsWins() {
        std::vector<AssignmentCandidate> c{
            {"a", true, 2, 5, std::nullopt}, {"b", true, 1, 5, 7}, {"c", true, 3, 5, 1}};
        QCOMPARE(AssignmentPolicy::choose(c), std::optional<std::size_t>(1));
    }

    void offlineAndFullAreSkipped() {
        std::vector<AssignmentCandidate> c{
            {"a", false, 0, 5, {}}, {"b", true, 2, 2, {}}, {"c", true, 4, 5, {}}};
        QCOMPARE(AssignmentPolicy::choose(c), std::optional<std::size_t>(2));
        std::vector<AssignmentCandidate> none{{"a", false, 0, 5, {}}, {"b", true, 0, 0, {}}};
        QVERIFY(!AssignmentPolicy::choose(none));
        QVERIFY(!AssignmentPolicy::choose({}));
    }

    void tieGoesToOldestLastAssignmentThenSmallerId() {
        std::vector<AssignmentCandidate> c{{"a", true, 1, 5, 9}, {"b", true, 1, 5, 4}, {"c", true, 1, 5, 6}};
        QCOMPARE(AssignmentPolicy::choose(c), std::optional<std::size_t>(1));
        // Never assigned counts as the oldest.
        c.push_back({"d", true, 1, 5, std::nullopt});
        QCOMPARE(AssignmentPolicy::choose(c), std::optional<std::size_t>(3));
        // Equal history: the smaller id.
        std::vector<AssignmentCandidate> same{
            {"m", true, 0, 5, {}}, {"k", true, 0, 5, {}}, {"z", true, 0, 5, {}}};
        QCOMPARE(AssignmentPolicy::choose(same), std::optional<std::size_t>(1));
    }

    void rateLimiterUsesTheInjectedClock() {
        ManualClock clock;
        RateLimiter limiter(clock, {3, 60}); // burst 3, one per second after
        QVERIFY(!limiter.tryConsume("s"));
        QVERIFY(!limiter.tryConsume("s"));
        QVERIFY(!limiter.tryConsume("s"));
        auto wait = limiter.tryConsume("s");
        QVERIFY(wait);
        QCOMPARE(*wait, 1);
        QVERIFY(!limiter.tryConsume("other")); // buckets are per session
        clock.advance(std::chrono::milliseconds(1000));
        QVERIFY(!limiter.tryConsume("s"));
        QVERIFY(limiter.tryConsume("s"));
    }

    // Issue 16 (found on the way): past 100,000 buckets every call swept the whole map while the
    // buckets were still draining, so each customer message cost O(sessions) under the lock.
    void rateLimiterSweepsRarelyAndStaysBounded() {
        ManualClock clock;
        RateLimiter limiter(clock, {20, 60});
        const int sessions = int(RateLimiter::kSweepThreshold) + 50000;
        for (int i = 0; i < sessions; ++i)
            QVERIFY(!limiter.tryConsume("s" + std::to_string(i)));
        QVERIFY2(limiter.sweeps() == 1, std::to_string(limiter.sweeps()).c_str()); // found nothing to drop
        QCOMPARE(limiter.buckets(), std::size_t(sessions));
        // Once they are full again, the next sweep (when the map has doubled) forgets them all.
        clock.advance(std::chrono::seconds(2));
        int added = 0;
        while (limiter.sweeps() == 1)
            QVERIFY(!limiter.tryConsume("t" + std::to_string(added++)));
        QCOMPARE(limiter.buckets(), std::size_t(added));
        QVERIFY(added <= sessions);
    }
};

QTEST_GUILESS_MAIN(TestLifecycleAssignment)
#include "tst_lifecycle_assignment.moc"
