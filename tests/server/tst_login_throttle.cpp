// The agent sign-in throttle (issue 16: its map grew without bound under a spray of usernames):
// lock-outs double up to the maximum, entries are forgotten once idle, the number of entries of
// unknown usernames is capped, and no spray lifts the lock-out of a real account.
#include "domain/LoginThrottle.h"

#include <QTest>

using namespace parley::server;
using namespace std::chrono_literals;

class TestLoginThrottle : public QObject {
    Q_OBJECT

    static LoginThrottle::Options small() {
        LoginThrottle::Options o;
        o.maxUnknownEntries = 100;
        return o;
    }

private slots:
    void locksAfterTheThresholdAndDoubles() {
        ManualClock clock;
        LoginThrottle t(clock, {});
        for (int i = 0; i < 4; ++i) {
            t.failed("Alice", true);
            QVERIFY(!t.lockedFor("alice"));
        }
        t.failed("alice", true); // the fifth failure locks for 1 s
        QCOMPARE(t.lockedFor("ALICE").value_or(0), 1);
        clock.advance(1s);
        QVERIFY(!t.lockedFor("alice"));
        t.failed("alice", true);
        QCOMPARE(t.lockedFor("alice").value_or(0), 2);
        for (int i = 0; i < 20; ++i) {
            clock.advance(300s);
            t.failed("alice", true);
        }
        QCOMPARE(t.lockedFor("alice").value_or(0), 256); // capped
        t.succeeded("alice");
        QVERIFY(!t.lockedFor("alice"));
        QCOMPARE(t.entries(), std::size_t(0));
    }

    void idleEntriesAreForgottenButNotWhileLocked() {
        ManualClock clock;
        LoginThrottle t(clock, {});
        for (int i = 0; i < 3; ++i)
            t.failed("bob", true);
        for (int i = 0; i < 13; ++i)
            t.failed("carol", true); // locked for 256 s
        QCOMPARE(t.entries(), std::size_t(2));
        clock.advance(14min);
        t.failed("trigger", false); // sweeps happen on failures
        QCOMPARE(t.entries(), std::size_t(3));
        clock.advance(4min); // bob's last failure is 18 min old; carol's lock is long over
        t.failed("trigger", false);
        QCOMPARE(t.entries(), std::size_t(1));
        // Forgotten means counting from zero again.
        for (int i = 0; i < 4; ++i)
            t.failed("bob", true);
        QVERIFY(!t.lockedFor("bob"));
    }

    void aSprayOfUnknownUsernamesStaysBoundedAndLiftsNoRealLockOut() {
        ManualClock clock;
        LoginThrottle t(clock, small());
        for (int i = 0; i < 5; ++i)
            t.failed("admin", true);
        const auto lockedBefore = t.lockedFor("admin");
        QVERIFY(lockedBefore);
        std::size_t most = 0;
        for (int i = 0; i < 20000; ++i) {
            t.failed("spray-" + std::to_string(i), false);
            most = std::max(most, t.entries());
            if (i % 1000 == 0)
                clock.advance(1ms);
        }
        QVERIFY2(most <= 101, std::to_string(most).c_str()); // 100 unknown + admin
        QCOMPARE(t.lockedFor("admin"), lockedBefore);
        // Real accounts are bounded by the agents table, not by the cap: none is ever dropped.
        for (int i = 0; i < 300; ++i)
            for (int k = 0; k < 5; ++k)
                t.failed("agent-" + std::to_string(i), true);
        for (int i = 0; i < 5000; ++i)
            t.failed("spray2-" + std::to_string(i), false);
        for (int i = 0; i < 300; ++i)
            QVERIFY(t.lockedFor("agent-" + std::to_string(i)));
        QVERIFY(t.entries() <= 300 + 1 + 100);
    }

    void aSprayOfOneLockedUnknownNameKeepsItLocked() {
        // The cap drops the oldest unknown entries: the one being attacked right now stays.
        ManualClock clock;
        LoginThrottle t(clock, small());
        for (int i = 0; i < 5; ++i)
            t.failed("ghost", false);
        for (int i = 0; i < 1000; ++i) {
            clock.advance(1ms);
            t.failed("spray-" + std::to_string(i), false);
            if (i % 50 == 0)
                t.failed("ghost", false);
        }
        QVERIFY(t.lockedFor("ghost"));
    }
};

QTEST_GUILESS_MAIN(TestLoginThrottle)
#include "tst_login_throttle.moc"
