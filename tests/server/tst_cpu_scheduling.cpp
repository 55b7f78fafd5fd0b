// CpuScheduling: the class a thread runs under (--cpu-scheduling) and OffRealtimeSection, which
// takes CPU-heavy work out of real time and puts the thread back after it. Each case runs on a
// thread of its own, so the test's main thread keeps its policy.
#include "RealtimeProbe.h"
#include "util/CpuScheduling.h"

#include <QTest>

#include <sched.h>

#include <functional>
#include <string>
#include <thread>

using parley::server::applyToThisThread;
using parley::server::CpuScheduling;
using parley::server::kFifoPriority;
using parley::server::OffRealtimeSection;
using parley::test::realtimeAllowed;

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

    void normalKeepsThePolicyTheThreadHas() {
        Policy before;
        Policy after;
        std::string error = "not run";
        onThread([&] {
            before = current();
            error = applyToThisThread(CpuScheduling::Normal);
            after = current();
        });
        QCOMPARE(error, std::string());
        QVERIFY(before == after);
    }

    void fifoOrAReason() {
        const bool allowed = realtimeAllowed(kFifoPriority);
        Policy seen;
        std::string error = "not run";
        onThread([&] {
            error = applyToThisThread(CpuScheduling::Fifo);
            seen = current();
        });
        if (allowed) {
            QCOMPARE(error, std::string());
            QVERIFY(seen == (Policy{SCHED_FIFO, kFifoPriority}));
        } else {
            QVERIFY(!error.empty());
            QVERIFY(seen.policy != SCHED_FIFO);
        }
    }

    void offRealtimeSectionRunsUnderBatchAndGoesBack() {
        if (!realtimeAllowed(kFifoPriority))
            QSKIP(
                "this process may not use real-time scheduling (needs root, CAP_SYS_NICE or RLIMIT_RTPRIO)");
        Policy inside;
        Policy after;
        std::string error = "not run";
        onThread([&] {
            error = applyToThisThread(CpuScheduling::Fifo);
            {
                const OffRealtimeSection section;
                inside = current();
            }
            after = current();
        });
        QCOMPARE(error, std::string());
        QVERIFY(inside == (Policy{SCHED_BATCH, 0}));
        QVERIFY(after == (Policy{SCHED_FIFO, kFifoPriority}));
    }

    void offRealtimeSectionLeavesOrdinaryThreadsAlone() {
        Policy before;
        Policy inside;
        Policy after;
        onThread([&] {
            before = current();
            {
                const OffRealtimeSection section;
                inside = current();
            }
            after = current();
        });
        if (before.policy == SCHED_FIFO || before.policy == SCHED_RR)
            QSKIP("the test itself runs under real-time scheduling");
        QVERIFY(inside == before);
        QVERIFY(after == before);
    }
};

QTEST_GUILESS_MAIN(TestCpuScheduling)
#include "tst_cpu_scheduling.moc"
