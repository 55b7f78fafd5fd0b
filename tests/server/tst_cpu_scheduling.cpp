// CpuScheduling: the class a thread runs under (--cpu-scheduling). Each case runs on a thread of
// its own, so the test's main thread keeps its policy.
#include "util/CpuScheduling.h"

#include <QTest>

#include <sched.h>

#include <functional>
#include <string>
#include <thread>

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

};

QTEST_GUILESS_MAIN(TestCpuScheduling)
#include "tst_cpu_scheduling.moc"
