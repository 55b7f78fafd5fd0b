// CpuScheduling: the class a thread runs under (--cpu-scheduling). Each case runs on a thread of
// its own, so the test's main thread keeps its policy.
#include "util/CpuScheduling.h"

#include <QTest>

#include <sched.h>
#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

using parley::server::applyToOtherThreads;
using parley::server::applyToThisThread;
using parley::server::CpuScheduling;

namespace {

struct Policy {
    int policy = -1;
    int priority = -1;
    bool operator==(const Policy&) const = default;
};

Policy current() {
    sched_param param{};
    sched_getparam(0, &param);
    return {sched_getscheduler(0), param.sched_priority};
}

void onThread(const std::function<void()>& body) {
    std::thread t(body);
    t.join();
}

} // namespace

class TestCpuScheduling : public QObject {
    Q_OBJECT

private slots:
    void batch() {
        Policy seen;
        std::string error = "not run";
        onThread([&] {
            error = applyToThisThread(CpuScheduling::Batch);
            seen = current();
        });
        QCOMPARE(error, std::string());
        QCOMPARE(seen.policy, SCHED_BATCH);
    }

    // Threads already running (jemalloc's, started before main) are switched too, whatever
    // thread asks.
    void batchReachesThreadsAlreadyRunning() {
        std::mutex mutex;
        std::condition_variable cv;
        bool checked = false;
        pid_t tid = 0;
        std::thread other([&] {
            // SCHED_OTHER to begin with, whatever the test process was started under.
            const sched_param normal{};
            sched_setscheduler(0, SCHED_OTHER, &normal);
            std::unique_lock lock(mutex);
            tid = gettid();
            cv.notify_all();
            cv.wait(lock, [&] { return checked; });
        });
        {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return tid != 0; });
        }
        const int before = sched_getscheduler(tid);
        std::string error = "not run";
        onThread([&] { error = applyToOtherThreads(CpuScheduling::Batch); });
        const int after = sched_getscheduler(tid);
        {
            std::lock_guard lock(mutex);
            checked = true;
        }
        cv.notify_all();
        other.join();
        const sched_param param{};
        sched_setscheduler(0, SCHED_OTHER, &param); // the main thread was switched too
        QCOMPARE(before, SCHED_OTHER);
        QCOMPARE(error, std::string());
        QCOMPARE(after, SCHED_BATCH);
    }

    // Normal leaves alone whatever policy the thread was started with (a systemd unit's, say): the
    // thread is put into SCHED_BATCH first, so a Normal that reset it to SCHED_OTHER would fail.
    void normalKeepsThePolicyTheThreadHas() {
        Policy before;
        Policy after;
        std::string error = "not run";
        onThread([&] {
            const sched_param param{};
            if (sched_setscheduler(0, SCHED_BATCH, &param) != 0)
                return;
            before = current();
            error = applyToThisThread(CpuScheduling::Normal);
            after = current();
        });
        QCOMPARE(before.policy, SCHED_BATCH);
        QCOMPARE(error, std::string());
        QVERIFY(before == after);
    }
};

QTEST_GUILESS_MAIN(TestCpuScheduling)
#include "tst_cpu_scheduling.moc"
