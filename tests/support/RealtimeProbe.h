#pragma once
// Whether this process may use real-time scheduling (root, CAP_SYS_NICE or RLIMIT_RTPRIO), and so
// whether a server it starts may: tried on a thread of its own, which ends with the answer, so the
// caller's own policy is untouched.

#include <sched.h>

#include <thread>

namespace parley::test {

inline bool realtimeAllowed(int priority = 1) {
    bool allowed = false;
    std::thread probe([&] {
        const sched_param param{priority};
        allowed = sched_setscheduler(0, SCHED_FIFO, &param) == 0;
    });
    probe.join();
    return allowed;
}

} // namespace parley::test
