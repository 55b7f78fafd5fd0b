#include "util/CpuScheduling.h"

#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace parley::server {

namespace {

std::string toBatch(pid_t tid) {
    // Already there (the systemd unit's CPUSchedulingPolicy): no call its filter would refuse.
    if (sched_getscheduler(tid) == SCHED_BATCH)
        return {};
    const sched_param param{};
    if (sched_setscheduler(tid, SCHED_BATCH, &param) != 0)
        return std::strerror(errno);
    return {};
}

} // namespace

std::string applyToThisThread(CpuScheduling scheduling) {
    if (scheduling == CpuScheduling::Normal)
        return {};
    return toBatch(0);
}

std::string applyToOtherThreads(CpuScheduling scheduling) {
    if (scheduling == CpuScheduling::Normal)
        return {};
    DIR* tasks = opendir("/proc/self/task");
    if (!tasks)
        return std::string("/proc/self/task: ") + std::strerror(errno);
    std::string error;
    const pid_t self = gettid();
    while (const dirent* entry = readdir(tasks)) {
        const pid_t tid = static_cast<pid_t>(std::atoi(entry->d_name));
        if (tid <= 0 || tid == self)
            continue;
        // A thread that ended meanwhile (ESRCH) needs nothing.
        if (auto e = toBatch(tid); !e.empty() && errno != ESRCH && error.empty())
            error = "thread " + std::to_string(tid) + ": " + e;
    }
    closedir(tasks);
    return error;
}

} // namespace parley::server
