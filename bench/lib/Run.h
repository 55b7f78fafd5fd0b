#pragma once
// A target started, populated and connected, ready for steps: the part every benchmark shares.

#include "Launcher.h"
#include "LoadGen.h"
#include "Proc.h"
#include "Targets.h"

#include <memory>
#include <string>
#include <vector>

namespace parley::bench {

struct RunSpec {
    bool bare = false; // parley-bench-bare instead of parley-server
    LaunchSpec launch; // binary, extra flags, CPU set, data dir
    std::string adminPassword = "bench-admin-password";
    LoadOptions load;
    int pairs = 200;
    int agents = 40;
    int idle = 10000;
    int preopenConnections = 0; // HTTP connections opened before the first step
    // Several nodes (issue 20): this many parley-servers with the same flags (which name one shared
    // --database and --bus). Load generator worker w sends its requests to node w % nodes and
    // holds its WebSockets on node (w + 1) % nodes, so every message crosses from one node to
    // another.
    int nodes = 1;
};

struct PreparedRun {
    LaunchedProcess process;                                 // node 1
    std::vector<std::unique_ptr<LaunchedProcess>> moreNodes; // nodes 2..n
    std::vector<pid_t> pids() const;                         // every node's
    std::unique_ptr<Target> target;
    std::unique_ptr<LoadGenerator> gen;
    WsEndpoint ws;
    ProcSample atStart, withIdle;
    double restSetupSeconds = 0;
    LoadGenerator::ConnectStats idle;

    // Stops the load generator, then the process; returns how the process ended and what it
    // logged at WARN or ERROR (at most `maxProblems` lines).
    std::string stop(std::vector<std::string>* problems = nullptr, std::size_t maxProblems = 10);
};

// Starts the process and makes the pairs and idle sockets; progress lines go to stdout.
std::unique_ptr<PreparedRun> prepareRun(const RunSpec& spec);

} // namespace parley::bench
