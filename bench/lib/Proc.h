#pragma once
// What the benchmarks read about processes and CPUs: /proc counters of the process under test,
// CPU lists ("0-1,4") and affinity, the descriptor limit.

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace parley::bench {

struct ProcSample {
    double cpuSeconds = 0;         // utime + stime of /proc/PID/stat: every thread, the dead ones too
    long long contextSwitches = 0; // voluntary + nonvoluntary, summed over /proc/PID/task/*
    double rssMb = 0;
    double peakRssMb = 0;
    int threads = 0;
    bool ok = false;
};
ProcSample sampleProcess(pid_t pid);

double ownCpuSeconds();             // this process, all threads (getrusage)
double threadCpuSeconds(pid_t tid); // one thread of this process (its /proc stat); NaN if gone

// CPU seconds of every other process (kernel threads included) since `since` was taken; the
// busiest one named. A process that started and ended between the two samples is missed.
struct OthersSample {
    std::map<pid_t, std::pair<std::string, double>> cpu; // pid -> (start time, seconds)
    std::map<pid_t, std::string> names;
};
OthersSample sampleOtherProcesses(const std::vector<pid_t>& exclude);
inline OthersSample sampleOtherProcesses(pid_t exclude) {
    return sampleOtherProcesses(std::vector<pid_t>{exclude});
}
// The sum of sampleProcess over several processes (the nodes of a cluster); ok when all were read.
ProcSample sampleProcesses(const std::vector<pid_t>& pids);
std::pair<double, std::string> otherCpuSince(const OthersSample& before, const OthersSample& after);

std::string loadAverage();
std::string fileSystemOf(const std::string& path);

// "0-1,4" <-> {0, 1, 4}. Throws std::invalid_argument on a malformed list.
std::vector<int> parseCpuList(const std::string& text);
std::string formatCpuList(const std::vector<int>& cpus);
std::vector<int> allowedCpus(); // this process's affinity mask
// Every CPU must be one this process may run on. Throws with `what` in the message otherwise.
void checkCpus(const std::vector<int>& cpus, const std::string& what);
// sched_setaffinity for a thread id (0: the calling thread). Throws on failure.
void setAffinity(pid_t tid, const std::vector<int>& cpus);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force.
unsigned long raiseFileLimit();

} // namespace parley::bench
