#include "Proc.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <linux/magic.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace parley::bench {
namespace {

// /proc/PID/stat: the name, and the fields after it (fields[0] is field 3, the state).
struct StatLine {
    std::string name;
    std::vector<std::string> fields;
    double cpuSeconds() const { // fields 14 and 15: utime, stime, in clock ticks
        return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
};

std::optional<StatLine> readStat(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return std::nullopt;
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open || close + 2 > line.size())
        return std::nullopt;
    StatLine out;
    out.name = line.substr(open + 1, close - open - 1);
    std::istringstream fields(line.substr(close + 2));
    for (std::string t; fields >> t;)
        out.fields.push_back(t);
    if (out.fields.size() < 20)
        return std::nullopt;
    return out;
}

} // namespace

ProcSample sampleProcess(pid_t pid) {
    ProcSample s;
    if (pid <= 0)
        return s;
    const auto stat = readStat(pid);
    if (!stat)
        return s;
    s.cpuSeconds = stat->cpuSeconds();
    s.threads = std::stoi(stat->fields[17]); // field 20
    std::string line;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            s.rssMb = std::stod(line.substr(6)) / 1024.0;
        else if (line.rfind("VmHWM:", 0) == 0)
            s.peakRssMb = std::stod(line.substr(6)) / 1024.0;
    }
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream ts(task.path() / "status");
        while (std::getline(ts, line))
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
                line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
                s.contextSwitches += std::stoll(line.substr(line.find(':') + 1));
    }
    s.ok = true;
    return s;
}

double ownCpuSeconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double threadCpuSeconds(pid_t tid) {
    const auto stat = readStat(tid); // /proc/TID/stat works for any thread id
    return stat ? stat->cpuSeconds() : NAN;
}

ProcSample sampleProcesses(const std::vector<pid_t>& pids) {
    ProcSample sum;
    sum.ok = !pids.empty();
    for (auto pid : pids) {
        const auto s = sampleProcess(pid);
        sum.ok = sum.ok && s.ok;
        sum.cpuSeconds += s.cpuSeconds;
        sum.contextSwitches += s.contextSwitches;
        sum.rssMb += s.rssMb;
        sum.peakRssMb += s.peakRssMb;
        sum.threads += s.threads;
    }
    return sum;
}

OthersSample sampleOtherProcesses(const std::vector<pid_t>& exclude) {
    OthersSample out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() ||
            !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (std::find(exclude.begin(), exclude.end(), pid) != exclude.end() || pid == getpid())
            continue;
        if (const auto stat = readStat(pid)) {
            out.cpu[pid] = {stat->fields[19], stat->cpuSeconds()}; // field 22: start time
            out.names[pid] = stat->name;
        }
    }
    return out;
}

std::pair<double, std::string> otherCpuSince(const OthersSample& before, const OthersSample& after) {
    double total = 0, busiest = 0;
    std::string busiestName = "-";
    for (const auto& [pid, end] : after.cpu) {
        const auto start = before.cpu.find(pid);
        const bool same = start != before.cpu.end() && start->second.first == end.first;
        const double used = std::max(0.0, end.second - (same ? start->second.second : 0.0));
        total += used;
        if (used > busiest) {
            busiest = used;
            busiestName = after.names.at(pid);
        }
    }
    return {total, busiestName};
}

std::string loadAverage() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

std::string fileSystemOf(const std::string& path) {
    struct statfs s {};
    if (statfs(path.c_str(), &s) != 0)
        return "?";
    switch (static_cast<unsigned long>(s.f_type)) {
    case TMPFS_MAGIC:
        return "tmpfs";
    case EXT4_SUPER_MAGIC:
        return "ext4";
    case XFS_SUPER_MAGIC:
        return "xfs";
    case BTRFS_SUPER_MAGIC:
        return "btrfs";
    case OVERLAYFS_SUPER_MAGIC:
        return "overlayfs";
    default: {
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(s.f_type));
        return hex;
    }
    }
}

std::vector<int> parseCpuList(const std::string& text) {
    std::vector<int> out;
    auto bad = [&] { return std::invalid_argument("not a CPU list (like 0-1,4): \"" + text + "\""); };
    std::stringstream ss(text);
    for (std::string part; std::getline(ss, part, ',');) {
        if (part.empty())
            throw bad();
        const auto dash = part.find('-');
        auto number = [&](const std::string& s) {
            if (s.empty() || s.size() > 4 ||
                !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
                throw bad();
            const int n = std::stoi(s);
            if (n >= CPU_SETSIZE)
                throw bad();
            return n;
        };
        const int first = number(part.substr(0, dash));
        const int last = dash == std::string::npos ? first : number(part.substr(dash + 1));
        if (last < first)
            throw bad();
        for (int c = first; c <= last; ++c)
            out.push_back(c);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty())
        throw bad();
    return out;
}

std::string formatCpuList(const std::vector<int>& cpus) {
    std::string out;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
            ++j;
        out +=
            (out.empty() ? "" : ",") + std::to_string(cpus[i]) + (j > i ? "-" + std::to_string(cpus[j]) : "");
        i = j + 1;
    }
    return out;
}

std::vector<int> allowedCpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        throw std::runtime_error(std::string("sched_getaffinity: ") + std::strerror(errno));
    std::vector<int> out;
    for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set))
            out.push_back(c);
    return out;
}

void checkCpus(const std::vector<int>& cpus, const std::string& what) {
    const auto allowed = allowedCpus();
    for (int c : cpus)
        if (!std::binary_search(allowed.begin(), allowed.end(), c))
            throw std::invalid_argument(what + ": CPU " + std::to_string(c) +
                                        " is not one this process may run on (" + formatCpuList(allowed) +
                                        ")");
}

void setAffinity(pid_t tid, const std::vector<int>& cpus) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int c : cpus)
        CPU_SET(c, &set);
    if (sched_setaffinity(tid, sizeof set, &set) != 0)
        throw std::runtime_error("sched_setaffinity(" + formatCpuList(cpus) + "): " + std::strerror(errno));
}

unsigned long raiseFileLimit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit want = lim;
        want.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            lim = want;
    }
    return static_cast<unsigned long>(lim.rlim_cur);
}

} // namespace parley::bench
