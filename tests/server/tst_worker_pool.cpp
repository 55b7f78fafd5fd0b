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
    std::function<void()> job() {
        return [this] {
            entered.post();
            letGo.wait();
        };
    }
};

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
                    for (int i = 0; i < kJobsEach; ++i) {
                        std::function<void()> job = [&ran] { ++ran; };
                        if (!pool.tryPost(job))
                            ++refused;
                    }
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
        auto hold = held.job();
        QVERIFY(pool.tryPost(hold));
        held.entered.wait(); // the only worker is busy: what follows queues
        for (int i = 0; i < 2; ++i) {
            std::function<void()> job = [&ran] { ++ran; };
            QVERIFY(pool.tryPost(job));
        }
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
        auto hold = held.job();
        QVERIFY(pool.tryPost(hold));
        held.entered.wait();
        std::function<void()> first = [&ran] { ++ran; };
        const auto queuedAt = std::chrono::steady_clock::now();
        QVERIFY(pool.tryPost(first));
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
        auto hold = held.job();
        QVERIFY(pool.tryPost(hold));
        held.entered.wait();
        for (int i = 0; i < 5; ++i) {
            std::function<void()> job = [&ran] { ++ran; };
            QVERIFY(pool.tryPost(job));
        }
        std::thread stopper([&] { pool.stop(); });
        held.letGo.post();
        stopper.join();
        QCOMPARE(ran.load(), 5);
        std::function<void()> after = [&ran] { ++ran; };
        QVERIFY(!pool.tryPost(after));
        QCOMPARE(ran.load(), 5);
    }
};

QTEST_GUILESS_MAIN(TestWorkerPool)
#include "tst_worker_pool.moc"
