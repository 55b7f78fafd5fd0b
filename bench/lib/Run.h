#pragma once
// A target started, populated and connected, ready for steps: the part every benchmark shares.

#include "Launcher.h"
#include "LoadGen.h"
#include "Proc.h"
#include "Targets.h"

#include <memory>
#include <string>

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
};

struct PreparedRun {
    LaunchedProcess process;
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
