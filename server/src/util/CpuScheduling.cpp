#include "util/CpuScheduling.h"

#include "util/Log.h"

#include <atomic>
#include <cerrno>
#include <cstring>

namespace parley::server {
namespace {

bool isRealtime(int policy) {
    return policy == SCHED_FIFO || policy == SCHED_RR;
}

} // namespace

std::string applyToThisThread(CpuScheduling scheduling) {
    int policy = SCHED_BATCH;
    sched_param param{};
    switch (scheduling) {
    case CpuScheduling::Normal:
        return {};
    case CpuScheduling::Batch:
        break;
    case CpuScheduling::Fifo:
        policy = SCHED_FIFO;
        param.sched_priority = kFifoPriority;
        break;
    }
    sched_param current{};
    // Already there (the systemd unit's CPUSchedulingPolicy): no call its filter would refuse.
    if (sched_getscheduler(0) == policy && sched_getparam(0, &current) == 0 &&
        current.sched_priority == param.sched_priority)
        return {};
    if (sched_setscheduler(0, policy, &param) != 0)
        return std::strerror(errno);
    return {};
}

OffRealtimeSection::OffRealtimeSection() {
    const int policy = sched_getscheduler(0);
    if (!isRealtime(policy) || sched_getparam(0, &m_param) != 0)
        return;
    const sched_param batch{};
    if (sched_setscheduler(0, SCHED_BATCH, &batch) == 0)
        m_policy = policy;
}

OffRealtimeSection::~OffRealtimeSection() {
    if (m_policy < 0)
        return;
    // Allowed to whoever could enter real time at start (root, CAP_SYS_NICE, RLIMIT_RTPRIO).
    if (sched_setscheduler(0, m_policy, &m_param) != 0) {
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true))
            log::warn(std::string("a thread could not go back to real-time scheduling after CPU-heavy work "
                                  "(a password hash) and stays under SCHED_BATCH: ") +
                      std::strerror(errno));
    }
}

} // namespace parley::server
