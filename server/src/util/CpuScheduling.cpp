#include "util/CpuScheduling.h"

#include <sched.h>

#include <cerrno>
#include <cstring>

namespace parley::server {

std::string applyToThisThread(CpuScheduling scheduling) {
    if (scheduling == CpuScheduling::Normal)
        return {};
    // Already there (the systemd unit's CPUSchedulingPolicy): no call its filter would refuse.
    if (sched_getscheduler(0) == SCHED_BATCH)
        return {};
    const sched_param param{};
    if (sched_setscheduler(0, SCHED_BATCH, &param) != 0)
        return std::strerror(errno);
    return {};
}

} // namespace parley::server
