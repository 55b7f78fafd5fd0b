// parley-bench-sweep: the saturation sweep of issue 17 (a benchmark, not a pass/fail test).
//
// Against parley-server, then against parley-bench-bare (the raw ceiling: the same request, row,
// answer and frame with no application logic), each with --idle idle WebSockets and --pairs
// customer<->agent pairs: a closed-loop step finds the saturation (delivered msg/s with
// --in-flight requests in flight), then paced steps offer multiples of it (--steps). The bare
// pipeline gets the same absolute rates as the server, and its own closed-loop step. Per step:
// offered and delivered msg/s, delivery p50/p99 (request written -> recipient's frame read),
// server CPU and context switches per delivered message, 503s and the p99 time to a 503, errors,
// and the load generator's own CPU. Then the ratios the issue's targets need. See bench/README.md.

#include "lib/Run.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <csignal>
#include <unistd.h>

#ifndef PARLEY_SERVER_BINARY
#define PARLEY_SERVER_BINARY "parley-server"
#endif
#ifndef PARLEY_BARE_BINARY
#define PARLEY_BARE_BINARY "parley-bench-bare"
#endif

namespace {

using namespace parley::bench;

const char* kUsage = R"(Usage: parley-bench-sweep [OPTIONS] [-- EXTRA SERVER FLAGS]
       parley-bench-sweep --compare A.csv B.csv

Saturation sweep: parley-server, then the bare pipeline (parley-bench-bare), each with --idle
idle WebSockets and --pairs active customer<->agent pairs. A closed-loop step (--in-flight
requests in flight) finds the saturation; paced steps offer --steps multiples of it. Prints one
table (the server's and the bare pipeline's figures side by side) and the issue's ratio lines.

  --server PATH          parley-server binary (default: the one built with this benchmark)
  --bare PATH            parley-bench-bare binary (default: the one built with this benchmark)
  --bare-arg ARG         one more flag for parley-bench-bare (repeat it: --bare-arg --max-queue
                         --bare-arg 64)
  --no-bare              skip the bare pipeline (no ratios to the ceiling)
  --bare-only            only the bare pipeline (its steps are multiples of its own saturation)
  --server-cpus LIST     CPUs of the server and of the bare pipeline, e.g. 0-1 (default: all of ours)
  --load-cpus LIST       CPUs of the load generator, one worker thread pinned to each (default: all of
                         ours; on a machine of 2 cores both share them)
  --load-threads N       load generator workers (default: one per load CPU, at most 8)
  --pairs N              active customer<->agent conversations (default 200)
  --agents N             agents sharing them (default pairs/5, at least 1)
  --idle N               idle WebSockets (default 10000)
  --in-flight N          requests in flight in the closed-loop step (default 64); while doubling
                         them raises the delivered rate by 5% or more, they are doubled again, up
                         to --in-flight-max; the last step that gained is the saturation (a server
                         with many cores needs more in flight to be saturated than one with two)
  --in-flight-max N      (default 4x --in-flight; --in-flight-max equal to --in-flight: one step)
  --steps LIST           offered load in multiples of the saturation (default 0.1,0.5,1,1.5,2,3,4)
  --duration-per-step S  measured seconds per step (default 5)
  --warmup S             seconds of load before each measured window (default 1)
  --drain-timeout S      after a step, how long to wait for every answer and frame (default 30)
  --time-budget S        the whole run, set-up included: steps are shortened to fit (to 1.5 s at
                         least) and the last ones skipped once it is spent
  --max-connections N    HTTP connections the load generator may open (default 1024)
  --db-sync normal|full  passed to both (default: the server's own default)
  --label TEXT           names the configuration in the table and the CSV (e.g. "2 cores")
  --csv FILE             one row per target and step (appends; a header when the file is new)
  --data-parent DIR      where the temporary data dirs go (default $TMPDIR or /tmp)
  --keep                 keep the temporary dirs (data and logs)
  --pg DIR               run parley-server on PostgreSQL: a new database per run in the cluster whose
                         unix socket is in DIR (e.g. one started by tests/pg/start.sh DIR), dropped after
  --redis SOCKET         with --pg: --bus unix://SOCKET (e.g. one started by tests/redis/start.sh)
  --nodes N              with --pg and --redis: N parley-servers on that database and bus; load worker
                         w sends to node w % N and reads its sockets on node (w + 1) % N, so every
                         message crosses nodes (default 1; the load generator gets N workers at least)
  --quick                a smoke run: 1,000 idle, 50 pairs, 32 in flight, steps 0.1,1,2,4 of 2 s
  --compare A.csv B.csv  compare two runs' CSVs (say 2 and 14 cores): delivered msg/s per step,
                         side by side, and B's saturation as a multiple of A's; then exit
  --help
Flags after "--" go to parley-server.
)";

struct Options {
    std::string server = PARLEY_SERVER_BINARY;
    std::string bare = PARLEY_BARE_BINARY;
    bool runServer = true;
    bool runBare = true;
    std::vector<int> serverCpus, loadCpus;
    int loadThreads = 0;
    int pairs = 200;
    int agents = 0;
    int idle = 10000;
    int inFlight = 64;
    int inFlightMax = 0; // 0: 4 x inFlight
    std::vector<double> steps = {0.1, 0.5, 1, 1.5, 2, 3, 4};
    double duration = 5;
    double warmup = 1;
    double drainTimeout = 30;
    double timeBudget = 0;
    int maxConnections = 1024;
    std::string dbSync;
    std::string label;
    std::string csv;
    std::string dataParent;
    bool keep = false;
    // Several nodes (issue 20): --nodes N on a new database per run in the PostgreSQL cluster
    // whose unix socket is in --pg DIR, with --redis SOCKET as their bus.
    int nodes = 1;
    std::string pgSocketDir;
    std::string redisSocket;
    std::vector<std::string> serverArgs;
    std::vector<std::string> bareArgs;
    std::vector<std::string> compare;
};

double number(const std::string& flag, const std::string& v, double min, double max) {
    char* end = nullptr;
    const double n = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !(n >= min && n <= max))
        throw std::invalid_argument(flag + " needs a number from " + std::to_string(min) + " to " +
                                    std::to_string(max));
    return n;
}

Options parseOptions(int argc, char** argv) {
    Options o;
    const char* t = std::getenv("TMPDIR");
    o.dataParent = t && *t ? t : "/tmp";
    bool quick = false;
    std::optional<int> idle, pairs, inFlight;
    std::optional<double> duration, warmup;
    std::optional<std::vector<double>> steps;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        auto integer = [&](double min, double max) { return static_cast<int>(number(a, value(), min, max)); };
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (a == "--") {
            for (++i; i < argc; ++i)
                o.serverArgs.emplace_back(argv[i]);
        } else if (a == "--server")
            o.server = value();
        else if (a == "--bare")
            o.bare = value();
        else if (a == "--bare-arg")
            o.bareArgs.push_back(value());
        else if (a == "--no-bare")
            o.runBare = false;
        else if (a == "--bare-only")
            o.runServer = false;
        else if (a == "--server-cpus")
            o.serverCpus = parseCpuList(value());
        else if (a == "--load-cpus")
            o.loadCpus = parseCpuList(value());
        else if (a == "--load-threads")
            o.loadThreads = integer(1, 256);
        else if (a == "--pairs")
            pairs = integer(1, 10000);
        else if (a == "--agents")
            o.agents = integer(1, 1000);
        else if (a == "--idle")
            idle = integer(0, 100000);
        else if (a == "--in-flight")
            inFlight = integer(1, 10000);
        else if (a == "--in-flight-max")
            o.inFlightMax = integer(1, 10000);
        else if (a == "--steps") {
            std::vector<double> s;
            std::stringstream ss(value());
            for (std::string part; std::getline(ss, part, ',');)
                s.push_back(number(a, part, 0.01, 100));
            if (s.empty())
                throw std::invalid_argument("--steps needs a list like 0.5,1,2");
            steps = s;
        } else if (a == "--duration-per-step")
            duration = number(a, value(), 0.5, 600);
        else if (a == "--warmup")
            warmup = number(a, value(), 0, 60);
        else if (a == "--drain-timeout")
            o.drainTimeout = number(a, value(), 1, 600);
        else if (a == "--time-budget")
            o.timeBudget = number(a, value(), 10, 86400);
        else if (a == "--max-connections")
            o.maxConnections = integer(1, 60000);
        else if (a == "--db-sync") {
            o.dbSync = value();
            if (o.dbSync != "normal" && o.dbSync != "full")
                throw std::invalid_argument("--db-sync must be normal or full");
        } else if (a == "--label")
            o.label = value();
        else if (a == "--csv")
            o.csv = value();
        else if (a == "--data-parent")
            o.dataParent = value();
        else if (a == "--keep")
            o.keep = true;
        else if (a == "--nodes")
            o.nodes = integer(1, 16);
        else if (a == "--pg")
            o.pgSocketDir = value();
        else if (a == "--redis")
            o.redisSocket = value();
        else if (a == "--quick")
            quick = true;
        else if (a == "--compare") {
            o.compare.push_back(value());
            o.compare.push_back(value());
        } else
            throw std::invalid_argument("unknown option " + a + " (see --help)");
    }
    if (quick) {
        o.idle = 1000;
        o.pairs = 50;
        o.inFlight = 32;
        o.steps = {0.1, 1, 2, 4};
        o.duration = 2;
        o.warmup = 0.5;
    }
    o.idle = idle.value_or(o.idle);
    o.pairs = pairs.value_or(o.pairs);
    o.inFlight = inFlight.value_or(o.inFlight);
    if (o.inFlightMax == 0)
        o.inFlightMax = 4 * o.inFlight;
    if (o.inFlightMax < o.inFlight)
        throw std::invalid_argument("--in-flight-max must be at least --in-flight");
    o.steps = steps.value_or(o.steps);
    o.duration = duration.value_or(o.duration);
    o.warmup = warmup.value_or(o.warmup);
    if (o.agents == 0)
        o.agents = std::max(1, o.pairs / 5);
    o.agents = std::min(o.agents, o.pairs);
    if ((o.pairs + o.agents - 1) / o.agents > 100)
        throw std::invalid_argument("at most 100 conversations per agent (max_active_chats): add --agents");
    if (!o.runServer && !o.runBare)
        throw std::invalid_argument("--no-bare and --bare-only leave nothing to measure");
    if (o.nodes > 1 && (o.pgSocketDir.empty() || o.redisSocket.empty()))
        throw std::invalid_argument("--nodes needs --pg DIR and --redis SOCKET: the nodes share them");
    return o;
}

// --- one row of the table --------------------------------------------------------------------------

struct Row {
    std::string target;                // "parley" or "bare"
    std::string step;                  // "closed" or the multiple, e.g. "1.5x"
    double multiple = 0;               // 0: the closed-loop step
    int inFlight = 0;                  // the closed-loop step: requests in flight
    double offered = 0, delivered = 0; // msg/s
    double p50 = NAN, p99 = NAN;       // delivery, ms
    double cpuUs = NAN, ctx = NAN;     // server CPU (µs) and context switches per delivered message
    double writerBusy = NAN;           // the store's writer running groups (CPU), % of the window
    double writerUs = NAN;             // ... and µs of it per delivered message
    double writerGroupJobs = NAN;      // ... and the jobs in its average group
    std::size_t n503 = 0;
    double p99of503 = NAN;
    std::size_t errors = 0;
    double genCpu = NAN;    // load generator: % of its CPUs
    double genThread = NAN; // its busiest worker: % of one core
    double lagP99 = NAN;    // paced: send lag behind the schedule
    double readP99 = NAN;   // frame in the socket -> read by the load generator
    std::size_t excess = 0; // offered in the window and not answered 201
    double answered = 0;    // answers of any status, per second
    std::size_t unsent = 0;
    std::size_t lost = 0;
};

std::string fmtInt(double v) {
    if (!std::isfinite(v))
        return "-";
    const auto n = static_cast<long long>(std::llround(v));
    std::string s = std::to_string(n < 0 ? -n : n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<std::size_t>(i), ",");
    return (n < 0 ? "-" : "") + s;
}
std::string fmt(double v, int decimals) {
    if (!std::isfinite(v))
        return "-";
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}
std::string fmtMs(double v) {
    if (!std::isfinite(v))
        return "-";
    return fmt(v, v < 10 ? 2 : (v < 100 ? 1 : 0));
}
std::string stepName(double multiple) {
    std::string s = fmt(multiple, 2);
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s + "x";
}

// --- running the steps against one target ----------------------------------------------------------

class Sweeper {
public:
    Sweeper(const Options& o, PreparedRun& run, std::string target)
        : m_o(o)
        , m_run(run)
        , m_target(std::move(target)) {}

    Row step(const StepSpec& spec, const std::string& name, double multiple) {
        const auto pids = m_run.pids(); // one, or every node of a cluster
        ProcSample s0, s1;
        double own0 = 0, own1 = 0;
        std::vector<double> thread0, thread1;
        OthersSample others0, others1;
        // The writer's CPU from the server itself (every group, whoever ran it), over the time
        // between the two answers; one node only (several nodes share one writer lock).
        const bool askWriter = m_run.moreNodes.empty();
        std::optional<WriterStats> writer0, writer1;
        SteadyClock::time_point writerAt0, writerAt1;
        const auto tids = m_run.gen->threadIds();
        auto threads = [&] {
            std::vector<double> v;
            for (auto t : tids)
                v.push_back(threadCpuSeconds(t));
            return v;
        };
        auto r = m_run.gen->runStep(spec, [&](bool atEnd) {
            if (!atEnd) {
                s0 = sampleProcesses(pids);
                own0 = ownCpuSeconds();
                thread0 = threads();
                others0 = sampleOtherProcesses(pids);
                if (askWriter) {
                    writer0 = m_run.target->writerStats();
                    writerAt0 = SteadyClock::now();
                }
            } else {
                s1 = sampleProcesses(pids);
                own1 = ownCpuSeconds();
                thread1 = threads();
                others1 = sampleOtherProcesses(pids);
                if (askWriter) {
                    writer1 = m_run.target->writerStats();
                    writerAt1 = SteadyClock::now();
                }
            }
        });
        Row row;
        row.target = m_target;
        row.step = name;
        row.multiple = multiple;
        const double w = r.window;
        row.offered = static_cast<double>(r.offered) / w;
        row.delivered = static_cast<double>(r.deliveredInWindow) / w;
        row.p50 = r.delivery.pct(50);
        row.p99 = r.delivery.pct(99);
        if (s0.ok && s1.ok && r.deliveredInWindow > 0) {
            row.cpuUs = 1e6 * (s1.cpuSeconds - s0.cpuSeconds) / static_cast<double>(r.deliveredInWindow);
            row.ctx = static_cast<double>(s1.contextSwitches - s0.contextSwitches) /
                      static_cast<double>(r.deliveredInWindow);
            if (writer0 && writer1 && writerAt1 > writerAt0) {
                const double busy = (writer1->cpuSeconds - writer0->cpuSeconds) /
                                    std::chrono::duration<double>(writerAt1 - writerAt0).count();
                row.writerBusy = 100.0 * busy;
                row.writerUs = 1e6 * busy * w / static_cast<double>(r.deliveredInWindow);
                if (writer1->groups > writer0->groups)
                    row.writerGroupJobs = static_cast<double>(writer1->jobs - writer0->jobs) /
                                          static_cast<double>(writer1->groups - writer0->groups);
            }
        }
        row.n503 = r.overloaded503;
        row.p99of503 = r.rtt503.pct(99);
        row.errors = r.otherStatus + r.transportErrors + r.lost + r.unanswered + r.deliveredNot201 +
                     r.duplicates + r.lateFrames;
        const double loadCpus =
            static_cast<double>(m_o.loadCpus.empty() ? allowedCpus().size() : m_o.loadCpus.size());
        row.genCpu = 100.0 * (own1 - own0) / w / loadCpus;
        row.genThread = 0;
        for (std::size_t i = 0; i < thread0.size() && i < thread1.size(); ++i)
            row.genThread = std::max(row.genThread, 100.0 * (thread1[i] - thread0[i]) / w);
        row.lagP99 = r.sendLag.pct(99);
        row.readP99 = r.readDelay.pct(99);
        row.excess = r.offered > r.ok201 ? r.offered - r.ok201 : 0;
        row.unsent = r.unsent;
        row.lost = r.lost;
        row.answered = static_cast<double>(r.ok201 + r.overloaded503 + r.otherStatus) / w;
        const auto [otherCpu, busiest] = otherCpuSince(others0, others1);

        std::printf(
            "  %-6s %-10s offered %8s/s delivered %8s/s  p50 %7s p99 %7s ms  CPU %6s us/msg  %5s cs/msg  "
            "writer %s%% (%s us/msg, %s a group)  503 %zu  drain %.1f s  gen %s%% (worker %s%%)  others %s%% "
            "of a core (%s)\n",
            m_target.c_str(), (spec.closedLoop ? "closed " + std::to_string(spec.inFlight) : name).c_str(),
            fmtInt(row.offered).c_str(), fmtInt(row.delivered).c_str(), fmtMs(row.p50).c_str(),
            fmtMs(row.p99).c_str(), fmt(row.cpuUs, 0).c_str(), fmt(row.ctx, 1).c_str(),
            fmt(row.writerBusy, 0).c_str(), fmt(row.writerUs, 0).c_str(), fmt(row.writerGroupJobs, 1).c_str(),
            row.n503, r.drainSeconds, fmt(row.genCpu, 0).c_str(), fmt(row.genThread, 0).c_str(),
            fmt(100.0 * otherCpu / w, 0).c_str(), busiest.c_str());
        if (row.errors || r.unsent || r.retries) {
            std::printf(
                "  ERRORS %s %s: %zu other statuses, %zu transport errors, %zu answered 201 and never "
                "delivered after a %.1f s drain (lost), %zu unanswered, %zu frames for messages not answered "
                "201, %zu duplicates, %zu late frames of an earlier step; %zu due in the window never sent "
                "(every connection busy), %zu retried on a new connection\n",
                m_target.c_str(), name.c_str(), r.otherStatus, r.transportErrors, r.lost, r.drainSeconds,
                r.unanswered, r.deliveredNot201, r.duplicates, r.lateFrames, r.unsent, r.retries);
            for (const auto& e : r.errorSamples)
                std::printf("    e.g. %s\n", e.c_str());
        }
        std::fflush(stdout);
        return row;
    }

private:
    const Options& m_o;
    PreparedRun& m_run;
    std::string m_target;
};

// A new empty database in the PostgreSQL cluster at socketDir for one run, dropped with it.
class BenchDatabase {
public:
    explicit BenchDatabase(const std::string& socketDir)
        : m_socketDir(socketDir) {
        if (m_socketDir.empty())
            return;
        static int runs = 0;
        m_name = "parley_bench_" + std::to_string(::getpid()) + "_" + std::to_string(++runs);
        if (std::system(("createdb -h '" + m_socketDir + "' -U postgres " + m_name).c_str()) != 0)
            throw std::runtime_error("createdb " + m_name + " failed (is PostgreSQL's bin dir on PATH?)");
    }
    ~BenchDatabase() {
        if (!m_name.empty()) [[maybe_unused]]
            const int rc = std::system(
                ("dropdb --if-exists --force -h '" + m_socketDir + "' -U postgres " + m_name).c_str());
    }
    BenchDatabase(const BenchDatabase&) = delete;
    BenchDatabase& operator=(const BenchDatabase&) = delete;
    std::string url() const {
        return m_name.empty() ? std::string()
                              : "postgresql:///" + m_name + "?host=" + m_socketDir + "&user=postgres";
    }

private:
    std::string m_socketDir;
    std::string m_name;
};

// The rows of one target: the closed-loop step, then paced steps at rates (or at multiples of
// its own saturation when rates is empty). Returns its saturation through `saturation`.
std::vector<Row> sweepTarget(const Options& o, bool bare, const std::vector<double>& rates,
                             double& saturation, double& stepDuration, SteadyClock::time_point deadline,
                             bool haveDeadline) {
    RunSpec spec;
    spec.bare = bare;
    spec.launch.binary = bare ? o.bare : o.server;
    spec.launch.dataParent = o.dataParent;
    spec.launch.cpus = o.serverCpus;
    spec.launch.keep = o.keep;
    if (bare) {
        if (!o.dbSync.empty())
            spec.launch.args = {"--db-sync", o.dbSync};
        spec.launch.args.insert(spec.launch.args.end(), o.bareArgs.begin(), o.bareArgs.end());
    } else {
        spec.launch.args = {"--admin-password", spec.adminPassword,
                            // each bench customer sends many messages a second
                            "--customer-rate-burst", "1000000", "--customer-rate-per-minute", "1000000"};
        if (!o.dbSync.empty())
            spec.launch.args.insert(spec.launch.args.end(), {"--db-sync", o.dbSync});
        spec.launch.args.insert(spec.launch.args.end(), o.serverArgs.begin(), o.serverArgs.end());
    }
    std::optional<BenchDatabase> database;
    if (!bare && !o.pgSocketDir.empty()) {
        database.emplace(o.pgSocketDir);
        spec.launch.args.insert(spec.launch.args.end(), {"--database", database->url()});
        if (!o.redisSocket.empty())
            spec.launch.args.insert(spec.launch.args.end(), {"--bus", "unix://" + o.redisSocket});
        spec.nodes = o.nodes;
    }
    spec.load.cpus = o.loadCpus.empty() ? allowedCpus() : o.loadCpus;
    spec.load.threads =
        o.loadThreads ? o.loadThreads : std::min<int>(8, static_cast<int>(spec.load.cpus.size()));
    spec.load.threads = std::max(spec.load.threads, spec.nodes); // every node gets requests
    spec.load.maxConnections = o.maxConnections;
    spec.pairs = o.pairs;
    spec.agents = o.agents;
    spec.idle = o.idle;
    spec.preopenConnections = o.inFlightMax;

    auto run = prepareRun(spec);
    const std::string name = bare ? "bare" : "parley";
    Sweeper sweeper(o, *run, name);
    std::vector<Row> rows;

    // With a budget: what is left, over the steps still to run (each costs its warm-up, its
    // window and about a second of drain and bookkeeping). Both targets share the budget, so the
    // server (first) takes its half.
    // (The closed loop counted twice: it usually takes a second step to see doubling add little.)
    const std::size_t stepsHere = 2 + (rates.empty() ? o.steps.size() : rates.size());
    if (haveDeadline) {
        const double left = std::chrono::duration<double>(deadline - SteadyClock::now()).count();
        const double share = (!bare && o.runBare) ? left / 2 - 8 : left; // the bare set-up is quick
        stepDuration = std::clamp(share / static_cast<double>(stepsHere) - o.warmup - 1.0, 1.5, o.duration);
    }
    auto stepSpec = [&](bool closed, double rate, int inFlight) {
        StepSpec s;
        s.closedLoop = closed;
        s.rate = rate;
        s.inFlight = inFlight;
        s.warmup = o.warmup;
        s.duration = stepDuration;
        s.drainTimeout = o.drainTimeout;
        return s;
    };
    auto timeLeft = [&] {
        return !haveDeadline ||
               SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                        std::chrono::duration<double>(o.warmup + stepDuration + 1.0)) <
                   deadline;
    };

    // Saturation: the closed loop at --in-flight, doubled while that adds 5% or more.
    Row best = sweeper.step(stepSpec(true, 0, o.inFlight), "closed", 0);
    best.inFlight = o.inFlight;
    for (int n = 2 * o.inFlight; n <= o.inFlightMax && timeLeft(); n *= 2) {
        Row next = sweeper.step(stepSpec(true, 0, n), "closed", 0);
        next.inFlight = n;
        if (next.delivered < 1.05 * best.delivered)
            break;
        best = next;
    }
    rows.push_back(best);
    saturation = best.delivered;
    std::vector<std::pair<double, double>> plan; // (multiple, rate)
    if (rates.empty()) {
        for (double m : o.steps)
            plan.emplace_back(m, m * saturation);
    } else {
        for (std::size_t i = 0; i < rates.size() && i < o.steps.size(); ++i)
            plan.emplace_back(o.steps[i], rates[i]);
    }
    for (const auto& [m, rate] : plan) {
        if (!timeLeft()) {
            std::printf("  %s %s: skipped, the time budget is spent\n", name.c_str(), stepName(m).c_str());
            continue;
        }
        if (rate < 1) {
            std::printf("  %s %s: skipped, no saturation measured\n", name.c_str(), stepName(m).c_str());
            continue;
        }
        rows.push_back(sweeper.step(stepSpec(false, rate, o.inFlight), stepName(m), m));
    }
    std::vector<std::string> problems;
    const auto ended = run->stop(&problems);
    if (!problems.empty()) {
        std::printf("  %s logged %zu warnings/errors, e.g.:\n", name.c_str(), problems.size());
        for (const auto& p : problems)
            std::printf("    %s\n", p.c_str());
    }
    std::printf(
        "  %s stopped: %s; load generator: %zu active and %zu idle WebSockets dropped, %zu late frames\n",
        name.c_str(), ended.c_str(), run->gen->activeDropped(), run->gen->idleDropped(),
        run->gen->lateFrames());
    std::fflush(stdout);
    return rows;
}

// --- output ------------------------------------------------------------------------------------------

std::string machine() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string model = "?";
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            model = line.substr(line.find(':') + 2);
            break;
        }
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    return std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs (" + model + "), " + host;
}

const Row* find(const std::vector<Row>& rows, const std::string& target, const std::string& step) {
    for (const auto& r : rows)
        if (r.target == target && r.step == step)
            return &r;
    return nullptr;
}

void printTable(const Options& o, const std::vector<Row>& rows, const std::string& title) {
    std::printf("\n### %s\n\n", title.c_str());
    std::printf(
        "| step | offered/s | delivered/s | bare delivered/s | p50 / p99 ms | bare p99 ms | CPU µs/msg | "
        "bare µs/msg | cs/msg | writer busy / µs/msg | 503s | 503 p99 ms | errors | load gen CPU / worker "
        "|\n");
    std::printf("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    std::vector<std::string> steps;
    for (const auto& r : rows)
        if (std::find(steps.begin(), steps.end(), r.step) == steps.end())
            steps.push_back(r.step);
    const std::string main = o.runServer ? "parley" : "bare";
    for (const auto& s : steps) {
        const Row* p = find(rows, main, s);
        const Row* b = o.runServer ? find(rows, "bare", s) : nullptr;
        if (!p)
            continue;
        const std::string stepLabel =
            s == "closed" ? "closed, " + std::to_string(p->inFlight) + " in flight" : s;
        std::printf("| %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s%% / %s | %zu | %s | %zu | %s%% / "
                    "%s%% |\n",
                    stepLabel.c_str(), fmtInt(p->offered).c_str(), fmtInt(p->delivered).c_str(),
                    b ? fmtInt(b->delivered).c_str() : "-", fmtMs(p->p50).c_str(), fmtMs(p->p99).c_str(),
                    b ? fmtMs(b->p99).c_str() : "-", fmt(p->cpuUs, 0).c_str(),
                    b ? fmt(b->cpuUs, 0).c_str() : "-", fmt(p->ctx, 1).c_str(), fmt(p->writerBusy, 0).c_str(),
                    fmt(p->writerUs, 0).c_str(), p->n503, fmtMs(p->p99of503).c_str(), p->errors,
                    fmt(p->genCpu, 0).c_str(), fmt(p->genThread, 0).c_str());
    }
}

void printTargets(const Options& o, const std::vector<Row>& rows) {
    if (!o.runServer)
        return;
    const Row* sat = find(rows, "parley", "closed");
    const Row* bareSat = find(rows, "bare", "closed");
    auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
    std::printf("\n");
    if (sat && bareSat && bareSat->delivered > 0) {
        const double ratio = sat->delivered / bareSat->delivered;
        std::printf(
            "- saturation: %s msg/s delivered with %d in flight = %.0f%% of the bare pipeline's %s msg/s "
            "(target >= 50%%: %s)\n",
            fmtInt(sat->delivered).c_str(), sat->inFlight, 100 * ratio, fmtInt(bareSat->delivered).c_str(),
            verdict(ratio >= 0.5));
    }
    double peak = 0, lowest = INFINITY;
    std::string lowestAt;
    std::size_t excess = 0, n503 = 0;
    const Row* worst503 = nullptr; // the step with the slowest 503s above 1x
    for (const auto& r : rows) {
        if (r.target != "parley")
            continue;
        peak = std::max(peak, r.delivered);
        if (r.multiple >= 1) {
            if (r.delivered < lowest) {
                lowest = r.delivered;
                lowestAt = r.step;
            }
        }
        if (r.multiple > 1) {
            excess += r.excess;
            n503 += r.n503;
            if (std::isfinite(r.p99of503) && (!worst503 || r.p99of503 > worst503->p99of503))
                worst503 = &r;
        }
    }
    if (std::isfinite(lowest) && peak > 0)
        std::printf(
            "- past saturation (1x to the last step): lowest delivered %s msg/s at %s = %.0f%% of the peak "
            "%s msg/s (target >= 90%%: %s)\n",
            fmtInt(lowest).c_str(), lowestAt.c_str(), 100 * lowest / peak, fmtInt(peak).c_str(),
            verdict(lowest >= 0.9 * peak));
    // The same ratio for the bare pipeline, over the steps that offer it at least its own
    // saturation: what this machine and load generator lose past saturation with no application
    // (and no 503s) at all.
    if (bareSat && bareSat->delivered > 0) {
        double barePeak = 0;
        const Row* bareLowest = nullptr;
        for (const auto& r : rows) {
            if (r.target != "bare")
                continue;
            barePeak = std::max(barePeak, r.delivered);
            if (r.multiple > 0 && r.offered >= bareSat->delivered &&
                (!bareLowest || r.delivered < bareLowest->delivered))
                bareLowest = &r;
        }
        if (bareLowest)
            std::printf(
                "- the bare pipeline past its own saturation (no target): lowest delivered %s msg/s at %s "
                "(%.1fx its saturation) = %.0f%% of its peak %s msg/s\n",
                fmtInt(bareLowest->delivered).c_str(), bareLowest->step.c_str(),
                bareLowest->offered / bareSat->delivered, 100 * bareLowest->delivered / barePeak,
                fmtInt(barePeak).c_str());
    }
    const double p99of503 = worst503 ? worst503->p99of503 : NAN;
    if (excess > 0)
        std::printf(
            "- the excess above 1x: %zu offered and not answered 201, %zu of them answered 503 (%.0f%%), "
            "worst step's p99 time to a 503 %s ms (target: the excess gets 503 within 50 ms: %s)\n",
            excess, n503, 100.0 * static_cast<double>(n503) / static_cast<double>(excess),
            fmtMs(p99of503).c_str(),
            verdict(static_cast<double>(n503) >= 0.99 * static_cast<double>(excess) && p99of503 <= 50));
    // Little's law: with every connection the load generator may open waiting for an answer, a
    // request waits on average connections / answers per second, wherever the server refuses it.
    if (worst503 && worst503->unsent > 0 && worst503->answered > 0)
        std::printf("  at %s every one of the load generator's %d connections was busy (%zu due never sent) "
                    "and the server answered %s requests/s of any status, so a request waited %.0f ms on "
                    "average for its answer (Little's law: connections / answers per second); a mean under "
                    "50 ms needs more than %s answers/s\n",
                    worst503->step.c_str(), o.maxConnections, worst503->unsent,
                    fmtInt(worst503->answered).c_str(),
                    1000.0 * static_cast<double>(o.maxConnections) / worst503->answered,
                    fmtInt(static_cast<double>(o.maxConnections) / 0.05).c_str());
    const Row* tenth = nullptr;
    for (const auto& r : rows)
        if (r.target == "parley" && std::fabs(r.multiple - 0.1) < 1e-9)
            tenth = &r;
    if (sat && tenth && tenth->cpuUs > 0)
        std::printf(
            "- CPU per message at saturation %s µs = %.2fx the %s µs at 10%% load (target <= 1.5x: %s)\n",
            fmt(sat->cpuUs, 0).c_str(), sat->cpuUs / tenth->cpuUs, fmt(tenth->cpuUs, 0).c_str(),
            verdict(sat->cpuUs <= 1.5 * tenth->cpuUs));
    // The writer runs one group at a time, so no number of cores takes the rate past 1 s over its
    // CPU per message (Amdahl). That CPU falls as the groups grow (the commit is shared by more
    // messages), up to about 50 jobs a group (parley-bench-store), and they grow as the writer
    // nears its limit: below that group size the figure is a floor of the ceiling, not the ceiling.
    auto writerCeiling = [](const Row* r) { return r && r->writerUs > 0 ? 1e6 / r->writerUs : NAN; };
    if (sat && std::isfinite(writerCeiling(sat))) {
        std::string bare;
        if (bareSat && std::isfinite(writerCeiling(bareSat)))
            bare = "; the bare pipeline's writer " + fmt(bareSat->writerUs, 0) + " µs a message, about " +
                   fmtInt(writerCeiling(bareSat)) + " msg/s";
        std::printf(
            "- the database writer (no target): at saturation it ran groups %s%% of the time, %s µs of CPU a "
            "message in groups of %s, so one writer commits about %s msg/s on any number of cores (%.1fx "
            "this saturation) at that group size, more with larger groups up to about 50 jobs%s\n",
            fmt(sat->writerBusy, 0).c_str(), fmt(sat->writerUs, 0).c_str(),
            fmt(sat->writerGroupJobs, 1).c_str(), fmtInt(writerCeiling(sat)).c_str(),
            writerCeiling(sat) / sat->delivered, bare.c_str());
    }
    double genWorst = 0, genCpuWorst = 0;
    for (const auto& r : rows) {
        genWorst = std::max(genWorst, std::isfinite(r.genThread) ? r.genThread : 0);
        genCpuWorst = std::max(genCpuWorst, std::isfinite(r.genCpu) ? r.genCpu : 0);
    }
    std::printf(
        "- load generator: at most %.0f%% of its CPUs, its busiest worker at most %.0f%% of a core%s\n",
        genCpuWorst, genWorst,
        genWorst > 85 ? " (near its limit: the offered load above saturation may be the generator's)" : "");
}

void writeCsv(const Options& o, const std::vector<Row>& rows) {
    if (o.csv.empty())
        return;
    const bool fresh = !std::ifstream(o.csv).good();
    std::ofstream f(o.csv, std::ios::app);
    if (fresh)
        f << "label,target,step,multiple,offered,delivered,p50_ms,p99_ms,cpu_us_per_msg,cs_per_msg,n503,p99_"
             "503_ms,"
             "errors,gen_cpu_pct,gen_worker_pct,lag_p99_ms,read_p99_ms,excess,unsent,lost,writer_busy_pct,"
             "writer_us_per_msg,writer_jobs_per_group,in_flight\n";
    for (const auto& r : rows)
        f << '"' << o.label << "\"," << r.target << ',' << r.step << ',' << r.multiple << ','
          << fmt(r.offered, 1) << ',' << fmt(r.delivered, 1) << ',' << fmt(r.p50, 3) << ',' << fmt(r.p99, 3)
          << ',' << fmt(r.cpuUs, 1) << ',' << fmt(r.ctx, 2) << ',' << r.n503 << ',' << fmt(r.p99of503, 3)
          << ',' << r.errors << ',' << fmt(r.genCpu, 1) << ',' << fmt(r.genThread, 1) << ','
          << fmt(r.lagP99, 3) << ',' << fmt(r.readP99, 3) << ',' << r.excess << ',' << r.unsent << ','
          << r.lost << ',' << fmt(r.writerBusy, 1) << ',' << fmt(r.writerUs, 1) << ','
          << fmt(r.writerGroupJobs, 1) << ',' << r.inFlight << '\n';
}

// --- --compare ---------------------------------------------------------------------------------------

struct CsvRun {
    std::string label;
    std::map<std::string, double> delivered;  // parley rows: step -> delivered msg/s
    std::map<std::string, double> writerBusy; // ... and the writer's busy %, when the CSV has it
    std::map<std::string, double> writerUs;   // ... its CPU µs a message
    std::map<std::string, double> writerJobs; // ... its jobs a group
    int saturationInFlight = 0;               // the closed-loop step's requests in flight, when given
    std::vector<std::string> order;
};

CsvRun readCsv(const std::string& path) {
    std::ifstream f(path);
    if (!f)
        throw std::runtime_error("cannot read " + path);
    CsvRun run;
    std::string line;
    std::getline(f, line); // header
    while (std::getline(f, line)) {
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (char c : line) {
            if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted) {
                cells.push_back(cell);
                cell.clear();
            } else
                cell += c;
        }
        cells.push_back(cell);
        if (cells.size() < 6 || cells[1] != "parley")
            continue;
        run.label = cells[0];
        if (!run.delivered.count(cells[2]))
            run.order.push_back(cells[2]);
        run.delivered[cells[2]] = std::strtod(cells[5].c_str(), nullptr);
        if (cells.size() > 20 && cells[20] != "-")
            run.writerBusy[cells[2]] = std::strtod(cells[20].c_str(), nullptr);
        if (cells.size() > 21 && cells[21] != "-")
            run.writerUs[cells[2]] = std::strtod(cells[21].c_str(), nullptr);
        if (cells.size() > 22 && cells[22] != "-")
            run.writerJobs[cells[2]] = std::strtod(cells[22].c_str(), nullptr);
        if (cells.size() > 23 && cells[2] == "closed")
            run.saturationInFlight = std::atoi(cells[23].c_str());
    }
    if (run.order.empty())
        throw std::runtime_error(path + " has no parley-server rows");
    return run;
}

int compare(const Options& o) {
    const auto a = readCsv(o.compare[0]), b = readCsv(o.compare[1]);
    const std::string la = a.label.empty() ? o.compare[0] : a.label,
                      lb = b.label.empty() ? o.compare[1] : b.label;
    std::printf("\n### parley-server, delivered msg/s: %s against %s\n\n", lb.c_str(), la.c_str());
    std::printf("| step | %s | %s | ratio |\n|---|--:|--:|--:|\n", la.c_str(), lb.c_str());
    std::vector<std::string> slower;
    for (const auto& step : a.order) {
        const auto it = b.delivered.find(step);
        if (it == b.delivered.end())
            continue;
        const double x = a.delivered.at(step), y = it->second;
        std::printf("| %s | %s | %s | %s |\n", step.c_str(), fmtInt(x).c_str(), fmtInt(y).c_str(),
                    x > 0 ? fmt(y / x, 2).c_str() : "-");
        if (y < x)
            slower.push_back(step);
    }
    const auto sa = a.delivered.find("closed"), sb = b.delivered.find("closed");
    auto inFlightOf = [](const CsvRun& r) {
        return r.saturationInFlight > 0 ? " (" + std::to_string(r.saturationInFlight) + " in flight)"
                                        : std::string();
    };
    if (sa != a.delivered.end() && sb != b.delivered.end() && sa->second > 0)
        std::printf("\n- saturation: %s msg/s on %s%s = %.2fx the %s msg/s on %s%s (target >= 4x: %s)\n",
                    fmtInt(sb->second).c_str(), lb.c_str(), inFlightOf(b).c_str(), sb->second / sa->second,
                    fmtInt(sa->second).c_str(), la.c_str(), inFlightOf(a).c_str(),
                    sb->second >= 4 * sa->second ? "met" : "MISSED");
    // On more cores the one writer is what saturates first: near 100% it is the limit. Its CPU a
    // message falls as its groups grow, so the group sizes say how much further it could go.
    const auto wa = a.writerBusy.find("closed"), wb = b.writerBusy.find("closed");
    auto writerOf = [](const CsvRun& r) {
        const auto us = r.writerUs.find("closed"), jobs = r.writerJobs.find("closed");
        if (us == r.writerUs.end() || jobs == r.writerJobs.end())
            return std::string();
        return ", " + fmt(us->second, 0) + " µs a message in groups of " + fmt(jobs->second, 1);
    };
    if (wa != a.writerBusy.end() && wb != b.writerBusy.end())
        std::printf(
            "- the database writer at saturation: running groups %s%% of the time on %s%s; %s%% on %s%s "
            "(near 100%%: the single writer is the limit)\n",
            fmt(wa->second, 0).c_str(), la.c_str(), writerOf(a).c_str(), fmt(wb->second, 0).c_str(),
            lb.c_str(), writerOf(b).c_str());
    std::string list;
    for (const auto& s : slower)
        list += (list.empty() ? "" : ", ") + s;
    std::printf(
        "- steps slower on %s than on %s: %s (target: none; the steps are multiples of each one's own "
        "saturation)\n",
        lb.c_str(), la.c_str(), slower.empty() ? "none" : list.c_str());
    return 0;
}

int run(const Options& o) {
    if (!o.compare.empty())
        return compare(o);
    const auto started = SteadyClock::now();
    const auto deadline = started + std::chrono::duration_cast<SteadyClock::duration>(
                                        std::chrono::duration<double>(o.timeBudget > 0 ? o.timeBudget : 1e6));
    const unsigned long fdLimit = raiseFileLimit();
    if (fdLimit < static_cast<unsigned long>(o.idle + 2 * o.pairs + o.agents + o.maxConnections + 64))
        throw std::runtime_error("RLIMIT_NOFILE is " + std::to_string(fdLimit) +
                                 ": too low for --idle, --pairs and --max-connections (raise ulimit -Hn)");
    if (!o.serverCpus.empty())
        checkCpus(o.serverCpus, "--server-cpus");
    if (!o.loadCpus.empty()) {
        checkCpus(o.loadCpus, "--load-cpus");
        setAffinity(0, o.loadCpus); // this thread, and the workers it starts (each then pins itself)
    }
    char date[64];
    const std::time_t now = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    const std::string label = o.label.empty() ? "" : o.label + ": ";
    std::printf("parley-bench-sweep %s%s; %s; load average %s\n", label.c_str(), date, machine().c_str(),
                loadAverage().c_str());
    std::printf(
        "server CPUs %s, load generator CPUs %s; %d pairs (%d agents), %d idle WebSockets; closed loop %d "
        "in flight (doubled up to %d while that adds 5%%); steps of %.1f s (+%.1f s warm-up)%s%s\n",
        o.serverCpus.empty() ? "all" : formatCpuList(o.serverCpus).c_str(),
        o.loadCpus.empty() ? "all (shared with the server)" : formatCpuList(o.loadCpus).c_str(), o.pairs,
        o.agents, o.idle, o.inFlight, o.inFlightMax, o.duration, o.warmup,
        o.timeBudget > 0 ? (", time budget " + fmt(o.timeBudget, 0) + " s").c_str() : "",
        o.dbSync.empty() ? "" : (", --db-sync " + o.dbSync).c_str());
    std::fflush(stdout);

    std::vector<Row> rows;
    double saturation = 0, stepDuration = o.duration;
    if (o.runServer) {
        auto r = sweepTarget(o, false, {}, saturation, stepDuration, deadline, o.timeBudget > 0);
        rows.insert(rows.end(), r.begin(), r.end());
    }
    if (o.runBare) {
        std::vector<double> rates; // the server's absolute rates, so both are compared at the same load
        if (o.runServer)
            for (double m : o.steps)
                rates.push_back(m * saturation);
        double bareSaturation = 0;
        auto r = sweepTarget(o, true, rates, bareSaturation, stepDuration, deadline, o.timeBudget > 0);
        rows.insert(rows.end(), r.begin(), r.end());
    }

    std::string title = "parley-bench-sweep";
    if (!o.label.empty())
        title += ", " + o.label;
    title += std::string(": server CPUs ") + (o.serverCpus.empty() ? "all" : formatCpuList(o.serverCpus)) +
             ", load generator CPUs " + (o.loadCpus.empty() ? "all" : formatCpuList(o.loadCpus)) + ", " +
             std::to_string(o.idle) + " idle sockets, " + date;
    printTable(o, rows, title);
    printTargets(o, rows);
    writeCsv(o, rows);
    std::printf("\n(%.0f s in all)\n", std::chrono::duration<double>(SteadyClock::now() - started).count());
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run(parseOptions(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parley-bench-sweep: %s\n", e.what());
        return 1;
    }
}
