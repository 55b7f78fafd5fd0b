// SentSeqs: the seqs one connection has sent for one conversation, kept as a few runs. No seq is
// reported unsent once added, runs merge across a filled gap, sentThrough() skips exactly the run
// after a point, and past kMaxRuns only the oldest run is forgotten.
#include "realtime/SentSeqs.h"

#include <QTest>

#include <algorithm>
#include <random>
#include <set>

using parley::server::SentSeqs;

class TestSentSeqs : public QObject {
    Q_OBJECT
private slots:
    void emptyContainsNothing() {
        SentSeqs s;
        QVERIFY(s.empty());
        QVERIFY(!s.contains(1));
        QCOMPARE(s.sentThrough(0), std::int64_t(0));
    }

    void inOrderIsOneRun() {
        SentSeqs s;
        for (std::int64_t q = 1; q <= 100; ++q) {
            QVERIFY(!s.contains(q)); // never sent twice: each is new when it comes
            s.add(q);
            QVERIFY(s.contains(q));
        }
        QVERIFY(!s.contains(0));
        QVERIFY(!s.contains(101));
        QCOMPARE(s.sentThrough(0), std::int64_t(100));
        QCOMPARE(s.sentThrough(50), std::int64_t(100));
        QCOMPARE(s.sentThrough(100), std::int64_t(100));
    }

    void gapsMakeRunsAndFillingMerges() {
        SentSeqs s;
        for (std::int64_t q : {10, 11, 12})
            s.add(q);
        for (std::int64_t q : {1, 2, 3})
            s.add(q);
        QVERIFY(s.contains(2));
        QVERIFY(!s.contains(5));
        QVERIFY(s.contains(11));
        // A resume after 0 needs the store from 4 on; after 9, from 13 on; after 5, from 6 on.
        QCOMPARE(s.sentThrough(0), std::int64_t(3));
        QCOMPARE(s.sentThrough(9), std::int64_t(12));
        QCOMPARE(s.sentThrough(5), std::int64_t(5));
        for (std::int64_t q = 4; q <= 9; ++q)
            s.add(q);
        QCOMPARE(s.sentThrough(0), std::int64_t(12)); // one run again
        s.add(7);                                     // already in: no change
        QCOMPARE(s.sentThrough(0), std::int64_t(12));
    }

    void oldestRunForgottenPastTheLimit() {
        SentSeqs s;
        // kMaxRuns + 1 disjoint runs: 1, 3, 5, ...
        for (std::size_t i = 0; i <= SentSeqs::kMaxRuns; ++i)
            s.add(static_cast<std::int64_t>(2 * i + 1));
        QVERIFY(!s.contains(1)); // the oldest (lowest) run went
        for (std::size_t i = 1; i <= SentSeqs::kMaxRuns; ++i)
            QVERIFY(s.contains(static_cast<std::int64_t>(2 * i + 1)));
    }

    // Any order of arrival: contains() agrees with a set of what was added, as long as the runs stay
    // within the limit.
    void anyOrderAgreesWithASet() {
        std::mt19937 random(17);
        for (int round = 0; round < 200; ++round) {
            std::vector<std::int64_t> seqs;
            // A block of up to 6 seqs is at most 3 runs while it fills: at most kMaxRuns / 3 blocks,
            // so nothing is forgotten.
            const int blocks = 1 + static_cast<int>(random() % (SentSeqs::kMaxRuns / 3));
            std::int64_t next = 1 + static_cast<std::int64_t>(random() % 5);
            for (int b = 0; b < blocks; ++b) {
                const int len = 1 + static_cast<int>(random() % 6);
                for (int k = 0; k < len; ++k)
                    seqs.push_back(next++);
                next += 2 + static_cast<std::int64_t>(random() % 4);
            }
            std::shuffle(seqs.begin(), seqs.end(), random);
            SentSeqs s;
            std::set<std::int64_t> added;
            for (auto q : seqs) {
                QCOMPARE(s.contains(q), false);
                s.add(q);
                added.insert(q);
                for (std::int64_t probe = 0; probe <= next; ++probe)
                    QCOMPARE(s.contains(probe), added.count(probe) == 1);
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestSentSeqs)
#include "tst_sent_seqs.moc"
