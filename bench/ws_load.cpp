// parley-bench-ws: delivery latency at a fixed rate (issue 5: 10,000 idle WebSockets plus
// 1,000 messages/s), a benchmark, not a pass/fail test.
//
// It starts a real parley-server with a temporary data dir, opens --idle idle customer WebSockets
// (sessions that said hello), sets up --conversations customer <-> agent pairs, and makes them
// exchange --rate messages per second over REST for --duration seconds after --warmup. It reports
// the delivery latency (request written -> recipient's message.created frame read) and its parts,
// the REST round trip, and the server's CPU, context switches and RSS. See bench/README.md.

#include "lib/Run.h"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

#ifndef PARLEY_SERVER_BINARY
#define PARLEY_SERVER_BINARY "parley-server"
#endif

namespace {

using namespace parley::bench;

const char* kUsage = R"(Usage: parley-bench-ws [OPTIONS] [-- EXTRA SERVER FLAGS]

Opens --idle idle customer WebSockets, then makes --conversations customer<->agent pairs exchange
--rate messages per second (in total, alternating customer->agent and agent->customer, each sent
over REST) for --duration seconds after --warmup seconds, and reports the delivery latency (REST
request written -> recipient's message.created frame read), the REST round trip, and the server's
CPU and RSS. Loopback only; it stops by itself and stops the server it started.

  --idle N                 idle customer WebSockets, one customer session each (default 10000)
  --conversations N        active customer<->agent conversations (default 50)
  --agents N               agents sharing them, one WebSocket each (default 10)
  --rate N                 messages per second, all conversations together (default 1000)
  --duration S             measured seconds (default 30)
  --warmup S               seconds of traffic before measuring (default 3)
  --connections N          keep-alive HTTP connections the messages go out on, opened first and
                           used in turn (default 2 per conversation; more are opened if all are busy)
  --server PATH            parley-server binary (default: the one built with this benchmark)
  --server-cpus LIST       the server's CPUs, e.g. 1 or 0-13 (default: all of ours)
  --load-cpus LIST         the load generator's CPUs, one worker thread pinned to each (default: the
                           first CPU we may run on, when there are two or more; else not pinned)
  --data-parent DIR        where the temporary data dir is made (default $TMPDIR or /tmp);
                           e.g. /dev/shm to take the disk's fsync out of the figures
  --keep                   keep the temporary dir (data and server.log)
  --summary-csv FILE       append one line of figures (A/B runs: bench/ab-p99.sh)
  --label TEXT             names the run in that line
  --help
Flags after "--" are passed to the server it starts.
)";

struct Options {
    std::string server = PARLEY_SERVER_BINARY;
    std::string dataParent;
    int idle = 10000;
    int conversations = 50;
    int agents = 10;
    int rate = 1000;
    double duration = 30;
    double warmup = 3;
    int connections = 0;
    bool keep = false;
    std::vector<int> serverCpus, loadCpus;
    std::string summaryCsv, label;
    std::vector<std::string> serverArgs;
};

Options parseOptions(int argc, char** argv) {
    Options o;
    const char* t = std::getenv("TMPDIR");
    o.dataParent = t && *t ? t : "/tmp";
    auto number = [](const std::string& flag, const char* v, long min, long max) {
        char* end = nullptr;
        const long n = std::strtol(v, &end, 10);
        if (!*v || *end || n < min || n > max)
            throw std::invalid_argument(flag + " needs a number from " + std::to_string(min) + " to " +
                                        std::to_string(max));
        return static_cast<int>(n);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (a == "--") {
            for (++i; i < argc; ++i)
                o.serverArgs.emplace_back(argv[i]);
        } else if (a == "--idle")
            o.idle = number(a, value(), 0, 100000);
        else if (a == "--conversations")
            o.conversations = number(a, value(), 1, 10000);
        else if (a == "--agents")
            o.agents = number(a, value(), 1, 1000);
        else if (a == "--rate")
            o.rate = number(a, value(), 1, 1000000);
        else if (a == "--duration")
            o.duration = number(a, value(), 1, 3600);
        else if (a == "--warmup")
            o.warmup = number(a, value(), 0, 600);
        else if (a == "--connections")
            o.connections = number(a, value(), 1, 20000);
        else if (a == "--server")
            o.server = value();
        else if (a == "--server-cpus")
            o.serverCpus = parseCpuList(value());
        else if (a == "--load-cpus")
            o.loadCpus = parseCpuList(value());
        else if (a == "--data-parent")
            o.dataParent = value();
        else if (a == "--keep")
            o.keep = true;
        else if (a == "--summary-csv")
            o.summaryCsv = value();
        else if (a == "--label")
            o.label = value();
        else
            throw std::invalid_argument("unknown option " + a + " (see --help)");
    }
    o.agents = std::min(o.agents, o.conversations);
    if ((o.conversations + o.agents - 1) / o.agents > 100)
        throw std::invalid_argument("at most 100 conversations per agent (max_active_chats): add --agents");
    if (o.connections == 0)
        o.connections = 2 * o.conversations;
    return o;
}

int run(const Options& o) {
    const unsigned long fdLimit = raiseFileLimit();
    const unsigned long needed =
        static_cast<unsigned long>(o.idle + 2 * o.conversations + o.agents + o.connections + 64);
    if (fdLimit < needed)
        throw std::runtime_error("RLIMIT_NOFILE is " + std::to_string(fdLimit) + ", need " +
                                 std::to_string(needed) +
                                 ": raise the hard limit (ulimit -Hn) or lower --idle");
    // On one machine the load generator and the server compete for the same CPUs. By default the
    // generator keeps to one CPU and the server may use all of them, the nearest a small machine
    // comes to clients on machines of their own (on the 2-core VM this lowered p99 in eight of ten
    // alternating pairs; docs/bench-history.md).
    std::vector<int> loadCpus = o.loadCpus;
    if (loadCpus.empty()) {
        const auto allowed = allowedCpus();
        if (allowed.size() >= 2)
            loadCpus = {allowed.front()};
    }
    if (!o.serverCpus.empty())
        checkCpus(o.serverCpus, "--server-cpus");
    if (!loadCpus.empty()) {
        checkCpus(loadCpus, "--load-cpus");
        setAffinity(0, loadCpus);
    }
    const auto loadBefore = loadAverage();

    RunSpec spec;
    spec.launch.binary = o.server;
    spec.launch.dataParent = o.dataParent;
    spec.launch.cpus = o.serverCpus;
    spec.launch.keep = o.keep;
    spec.launch.args = {"--admin-password", spec.adminPassword,
                        // each bench customer sends rate / 2 / conversations messages a second
                        "--customer-rate-burst", "1000000", "--customer-rate-per-minute", "1000000"};
    spec.launch.args.insert(spec.launch.args.end(), o.serverArgs.begin(), o.serverArgs.end());
    spec.load.cpus = loadCpus;
    spec.load.threads = loadCpus.empty() ? 1 : static_cast<int>(loadCpus.size());
    spec.load.maxConnections = std::max(o.connections, 1024);
    spec.pairs = o.conversations;
    spec.agents = o.agents;
    spec.idle = o.idle;
    spec.preopenConnections = o.connections;

    std::printf("parley-bench-ws: %d idle WebSockets, %d conversations (%d agents), %d msg/s for %.0f s "
                "(+%.0f s warm-up)\n",
                o.idle, o.conversations, o.agents, o.rate, o.duration, o.warmup);
    std::printf("load generator: CPUs %s; %ld CPUs online, load average %s\n",
                loadCpus.empty() ? "not pinned" : formatCpuList(loadCpus).c_str(),
                sysconf(_SC_NPROCESSORS_ONLN), loadBefore.c_str());
    std::fflush(stdout);
    auto prepared = prepareRun(spec);
    const pid_t pid = prepared->process.pid();

    std::printf("traffic: %d msg/s for %.0f s + %.0f s warm-up, over %d HTTP connections...\n", o.rate,
                o.duration, o.warmup, o.connections);
    std::fflush(stdout);
    StepSpec step;
    step.rate = o.rate;
    step.warmup = o.warmup;
    step.duration = o.duration;
    step.drainTimeout = 30;
    ProcSample s0, s1;
    double own0 = 0, own1 = 0;
    OthersSample others0, others1;
    auto r = prepared->gen->runStep(step, [&](bool atEnd) {
        (atEnd ? s1 : s0) = sampleProcess(pid);
        (atEnd ? own1 : own0) = ownCpuSeconds();
        (atEnd ? others1 : others0) = sampleOtherProcesses(pid);
    });
    const auto loadAfter = loadAverage();

    const double window = r.window;
    const double achieved = static_cast<double>(r.deliveredInWindow) / window;
    std::printf("\n== results (measured window %.0f s, %.0f msg/s delivered) ==\n", window, achieved);
    std::printf(
        "delivery latency, REST request written -> recipient's message.created read:\n  all         %s\n",
        r.delivery.line().c_str());
    std::printf("  to agent    %s\n  to customer %s\n", r.toAgent.line().c_str(),
                r.toCustomer.line().c_str());
    std::printf("  from the scheduled send time (adds any wait for a free connection): %s\n",
                r.fromSchedule.line().c_str());
    std::printf(
        "  the server's part: request written -> frame in the recipient's socket (kernel receive time):\n"
        "              %s\n",
        r.serverPart.line().c_str());
    std::printf("  the load generator's part: frame in the socket -> read: p50 %.3f  p99 %.3f  max %.3f ms\n",
                r.readDelay.pct(50), r.readDelay.pct(99), r.readDelay.pct(100));
    std::printf("REST round trip, request written -> 201 read:\n  %s\n", r.rtt201.line().c_str());
    std::printf(
        "frame after the 201 (frame time - response time; negative: frame first):\n  p50 %.3f  p99 %.3f ms\n",
        r.frameAfter201.pct(50), r.frameAfter201.pct(99));
    std::printf(
        "send lag behind schedule (load generator): p50 %.3f  p99 %.3f  max %.3f ms; %zu HTTP connections "
        "at the end\n",
        r.sendLag.pct(50), r.sendLag.pct(99), r.sendLag.pct(100), r.connections);
    std::printf(
        "lost %zu, duplicates %zu, failed sends %zu (other statuses %zu, transport errors %zu, unanswered "
        "%zu, never sent %zu), retries %zu, drain %.2f s; idle sockets dropped %zu, frames on idle sockets "
        "%zu, active sockets dropped %zu\n",
        r.lost, r.duplicates, r.otherStatus + r.transportErrors + r.unanswered + r.unsent + r.overloaded503,
        r.otherStatus + r.overloaded503, r.transportErrors, r.unanswered, r.unsent, r.retries, r.drainSeconds,
        prepared->gen->idleDropped(), prepared->gen->idleFrames(), prepared->gen->activeDropped());
    for (const auto& e : r.errorSamples)
        std::printf("  e.g. %s\n", e.c_str());
    const double serverCpu = s0.ok && s1.ok ? 100.0 * (s1.cpuSeconds - s0.cpuSeconds) / window : NAN;
    if (s1.ok) {
        std::printf(
            "server: CPU %.1f%% of one core over the window; RSS %.1f MB at the end (peak %.1f MB), %.1f MB "
            "with the idle sockets before traffic, %.1f MB at start; %d threads\n",
            serverCpu, s1.rssMb, s1.peakRssMb, prepared->withIdle.rssMb, prepared->atStart.rssMb, s1.threads);
        const double switches = static_cast<double>(s1.contextSwitches - s0.contextSwitches) / window;
        std::printf("server: %.0f context switches/s (%.1f per message)\n", switches, switches / achieved);
    }
    std::printf("bench: CPU %.1f%% of one core over the window\n", 100.0 * (own1 - own0) / window);
    const auto [otherCpu, busiest] = otherCpuSince(others0, others1);
    std::printf("other processes: CPU %.1f%% of one core over the window (busiest: %s)\n",
                100.0 * otherCpu / window, busiest.c_str());
    std::printf("load average before %s, after %s\n", loadBefore.c_str(), loadAfter.c_str());
    const double p99 = r.delivery.pct(99);
    std::printf("target: p99 <= 2 ms: %s (%.3f ms); RSS <= 200 MB: %s (%.1f MB)\n",
                p99 <= 2.0 ? "met" : "MISSED", p99,
                s1.ok && s1.rssMb <= 200.0 ? "met" : (s1.ok ? "MISSED" : "unknown"), s1.rssMb);

    if (!o.summaryCsv.empty()) {
        const bool fresh = !std::ifstream(o.summaryCsv).good();
        std::ofstream f(o.summaryCsv, std::ios::app);
        if (fresh)
            f << "time,label,server,p50_ms,p99_ms,server_part_p99_ms,rss_mb,server_cpu_pct,cs_per_msg,lost,"
                 "others_cpu_"
                 "pct\n";
        const double cs =
            s1.ok ? static_cast<double>(s1.contextSwitches - s0.contextSwitches) / window / achieved : NAN;
        f << std::time(nullptr) << ",\"" << o.label << "\",\"" << o.server << "\"," << r.delivery.pct(50)
          << ',' << p99 << ',' << r.serverPart.pct(99) << ',' << s1.rssMb << ',' << serverCpu << ',' << cs
          << ',' << r.lost << ',' << 100.0 * otherCpu / window << '\n';
    }

    std::vector<std::string> problems;
    const auto ended = prepared->stop(&problems);
    if (!problems.empty()) {
        std::printf("server warnings/errors (%zu):\n", problems.size());
        for (const auto& p : problems)
            std::printf("  %s\n", p.c_str());
    }
    std::printf("server stopped: %s\n", ended.c_str());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run(parseOptions(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parley-bench-ws: %s\n", e.what());
        return 1;
    }
}
