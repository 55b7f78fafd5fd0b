// The HTTP handlers' WorkerPool and the WakeSignal its idle workers sleep on: a signal wakes its
// waiter once per post (a reused signal sleeps again), every job posted runs once, a full queue
// or a line that has stopped moving refuses the job at once and leaves it to the caller, and stop()
// runs what was queued before it and refuses what comes after.
#include "http/WorkerPool.h"
#include "util/WakeSignal.h"

#include <QTest>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

using namespace parley::server;
using namespace std::chrono_literals;

namespace {

// A pool's only worker held inside a job until the test lets it go.
struct HeldWorker {
    WakeSignal entered;
    WakeSignal letGo;
    // Posts the holding job and returns once the worker is inside it: what is posted next queues.
    bool occupy(WorkerPool& pool) {
        std::function<void()> hold = [this] {
            entered.post();
            letGo.wait();
        };
        if (!pool.tryPost(hold))
            return false;
        entered.wait();
        return true;
    }
};

// Declared after the pool, so that a test that fails while the worker is held lets it go before
// the pool's destructor waits for it.
struct LetGoAtExit {
    WakeSignal& letGo;
    ~LetGoAtExit() { letGo.post(); }
};

bool postCount(WorkerPool& pool, std::atomic<int>& ran) {
    std::function<void()> job = [&ran] { ++ran; };
    return pool.tryPost(job);
}

} // namespace

class TestWorkerPool : public QObject {
    Q_OBJECT
private slots:
    void signalPostedFirstDoesNotBlock() {
        WakeSignal s;
        s.post();
        s.wait(); // returns: the post came first
        s.post();
        s.post(); // posts do not add up, but one is there
        s.wait();
    }

    // Two threads hand a turn back and forth on two reused signals. A wait() that did not consume
    // its post would return at once the next time, and a thread would see the other's count.
    void reusedSignalsAlternate() {
        constexpr int kRounds = 20000;
        WakeSignal toA;
        WakeSignal toB;
        std::atomic<int> turn{0};
        std::atomic<int> outOfTurn{0};
        std::thread b([&] {
            for (int i = 0; i < kRounds; ++i) {
                toB.wait();
                if (turn.load() != 2 * i + 1)
                    ++outOfTurn;
                turn.store(2 * i + 2);
                toA.post();
            }
        });
        for (int i = 0; i < kRounds; ++i) {
            if (turn.load() != 2 * i)
                ++outOfTurn;
            turn.store(2 * i + 1);
            toB.post();
            toA.wait();
        }
        b.join();
        QCOMPARE(outOfTurn.load(), 0);
        QCOMPARE(turn.load(), 2 * kRounds);
    }

    void everyJobRunsOnce() {
        constexpr int kPosters = 4;
        constexpr int kJobsEach = 5000;
        std::atomic<int> ran{0};
        std::atomic<int> refused{0};
        {
            WorkerPool pool(8, kPosters * kJobsEach);
            std::vector<std::thread> posters;
            for (int p = 0; p < kPosters; ++p)
                posters.emplace_back([&] {
                    for (int i = 0; i < kJobsEach; ++i)
                        if (!postCount(pool, ran))
                            ++refused;
                });
            for (auto& t : posters)
                t.join();
            pool.stop();
        }
        QCOMPARE(refused.load(), 0);
        QCOMPARE(ran.load(), kPosters * kJobsEach);
    }

    void fullQueueRefusesAndKeepsTheJob() {
        HeldWorker held;
        std::atomic<int> ran{0};
        WorkerPool pool(1, 2);
        const LetGoAtExit letGoAtExit{held.letGo};
        QVERIFY(held.occupy(pool));
        for (int i = 0; i < 2; ++i)
            QVERIFY(postCount(pool, ran));
        bool refusedJobRan = false;
        std::function<void()> third = [&refusedJobRan] { refusedJobRan = true; };
        QVERIFY(!pool.tryPost(third));
        QVERIFY(third); // left to the caller, not moved from
        held.letGo.post();
        pool.stop();
        QCOMPARE(ran.load(), 2);
        QVERIFY(!refusedJobRan);
    }

    void stalledLineRefusesAtOnce() {
        HeldWorker held;
        std::atomic<int> ran{0};
        WorkerPool pool(1, 100, 2ms);
        const LetGoAtExit letGoAtExit{held.letGo};
        QVERIFY(held.occupy(pool));
        QVERIFY(postCount(pool, ran));
        const auto queuedAt = std::chrono::steady_clock::now(); // the pool stamped it before this
        // The oldest job has waited longer than the bound: the line has stopped moving.
        while (std::chrono::steady_clock::now() - queuedAt <= 3ms)
            std::this_thread::yield();
        std::function<void()> late = [&ran] { ++ran; };
        QVERIFY(!pool.tryPost(late));
        QVERIFY(late);
        held.letGo.post();
        pool.stop();
        QCOMPARE(ran.load(), 1); // the queued job still ran: the pool refuses only on arrival
    }

    void stopRunsTheQueueThenRefuses() {
        HeldWorker held;
        std::atomic<int> ran{0};
        WorkerPool pool(1, 10);
        const LetGoAtExit letGoAtExit{held.letGo};
        QVERIFY(held.occupy(pool));
        for (int i = 0; i < 5; ++i)
            QVERIFY(postCount(pool, ran));
        std::thread stopper([&] { pool.stop(); });
        held.letGo.post();
        stopper.join();
        QCOMPARE(ran.load(), 5);
        QVERIFY(!postCount(pool, ran));
        QCOMPARE(ran.load(), 5);
    }
};

QTEST_GUILESS_MAIN(TestWorkerPool)
#include "tst_worker_pool.moc"
