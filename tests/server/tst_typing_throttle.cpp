// The once-per-second rule for typing signals, on a clock the test moves, and its bound.
#include "domain/TypingThrottle.h"

#include <QTest>

using parley::server::TypingThrottle;
using namespace std::chrono_literals;

class TestTypingThrottle : public QObject {
    Q_OBJECT
    TypingThrottle::TimePoint t0 = TypingThrottle::TimePoint{} + 1h;

private slots:
    void oncePerSecondPerSenderAndConversation() {
        TypingThrottle throttle;
        QVERIFY(throttle.admit("c:1", "conv-a", t0));
        QVERIFY(!throttle.admit("c:1", "conv-a", t0 + 10ms));
        QVERIFY(!throttle.admit("c:1", "conv-a", t0 + 999ms));
        // Other senders and other conversations have their own second.
        QVERIFY(throttle.admit("a:7", "conv-a", t0 + 10ms));
        QVERIFY(throttle.admit("c:1", "conv-b", t0 + 10ms));
        QVERIFY(throttle.admit("c:1", "conv-a", t0 + 1000ms));
        QVERIFY(!throttle.admit("c:1", "conv-a", t0 + 1500ms));
        QVERIFY(throttle.admit("c:1", "conv-a", t0 + 2000ms));
    }

    void boundedAndPrunedOncePerInterval() {
        TypingThrottle throttle({1000ms, 3});
        QVERIFY(throttle.admit("s1", "c", t0));
        QVERIFY(throttle.admit("s2", "c", t0));
        QVERIFY(throttle.admit("s3", "c", t0));
        // Full of recent entries: a new pair is dropped, never forwarded beyond the rule.
        QVERIFY(!throttle.admit("s4", "c", t0 + 500ms));
        QCOMPARE(throttle.size(), std::size_t(3));
        // Once they are older than the interval they are pruned and new pairs fit again.
        QVERIFY(throttle.admit("s4", "c", t0 + 1500ms));
        QCOMPARE(throttle.size(), std::size_t(1));
        // A known pair is still limited by its own second.
        QVERIFY(!throttle.admit("s4", "c", t0 + 1600ms));
    }
};

QTEST_GUILESS_MAIN(TestTypingThrottle)
#include "tst_typing_throttle.moc"
