#include "Run.h"

#include <cstdio>
#include <thread>

namespace parley::bench {

std::vector<pid_t> PreparedRun::pids() const {
    std::vector<pid_t> out{process.pid()};
    for (const auto& n : moreNodes)
        out.push_back(n->pid());
    return out;
}

std::string PreparedRun::stop(std::vector<std::string>* problems, std::size_t maxProblems) {
    if (gen)
        gen->shutdown();
    for (auto& n : moreNodes)
        n->stop();
    if (problems) {
        auto all = process.problems();
        if (all.size() > maxProblems)
            all.resize(maxProblems);
        *problems = std::move(all);
    }
    return process.stop();
}

std::unique_ptr<PreparedRun> prepareRun(const RunSpec& spec) {
    auto run = std::make_unique<PreparedRun>();
    const char* name = spec.bare ? "bare pipeline" : "parley-server";
    run->process.start(spec.launch);
    for (int i = 1; i < spec.nodes; ++i) {
        auto launch = spec.launch;
        launch.args.insert(launch.args.end(), {"--node-id", "bench-node-" + std::to_string(i + 1)});
        run->moreNodes.push_back(std::make_unique<LaunchedProcess>());
        run->moreNodes.back()->start(launch);
    }
    run->atStart = sampleProcess(run->process.pid());
    const auto t0 = SteadyClock::now();
    run->target = spec.bare
                      ? makeBareTarget(run->process.httpPort())
                      : makeParleyTarget(run->process.httpPort(), run->process.wsPort(), spec.adminPassword);
    run->ws = run->target->wsEndpoint();
    std::printf("%s: pid %d, CPUs %s, http %d, ws %s:%d%s; data dir on %s\n", name,
                static_cast<int>(run->process.pid()),
                spec.launch.cpus.empty() ? "(all)" : formatCpuList(spec.launch.cpus).c_str(),
                run->process.httpPort(), run->ws.host.c_str(), run->ws.port, run->ws.path.c_str(),
                fileSystemOf(run->process.dataDir()).c_str());
    std::fflush(stdout);

    auto accounts = run->target->createAccounts(spec.pairs, spec.agents);
    std::vector<int> httpPorts{run->process.httpPort()};
    std::vector<WsEndpoint> wsEndpoints{run->ws};
    for (const auto& n : run->moreNodes) {
        httpPorts.push_back(n->httpPort());
        WsEndpoint ws = run->ws; // the same path and host, on that node's port
        ws.port = n->wsPort() ? n->wsPort() : n->httpPort();
        wsEndpoints.push_back(ws);
    }
    if (spec.nodes > 1)
        std::printf("%s: %d nodes, http %s; each load worker sends to one node and listens on the next\n",
                    name, spec.nodes,
                    [&] {
                        std::string s;
                        for (auto p : httpPorts)
                            s += (s.empty() ? "" : ",") + std::to_string(p);
                        return s;
                    }()
                        .c_str());
    run->gen = std::make_unique<LoadGenerator>(spec.load, httpPorts, wsEndpoints);
    run->gen->connectAgents(accounts.agentTokens);
    run->target->assign(accounts);
    run->gen->connectPairs(accounts.pairs);
    const auto idleTokens = run->target->idleTokens(spec.idle);
    run->restSetupSeconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    run->idle = run->gen->connectIdle(idleTokens);
    std::printf(
        "%s: %d pairs (%d agents) and %d idle sessions made in %.1f s; %zu of %d idle WebSockets said "
        "hello in %.1f s\n",
        name, spec.pairs, spec.agents, spec.idle, run->restSetupSeconds, run->idle.connected, spec.idle,
        run->idle.seconds);
    std::fflush(stdout);
    if (run->idle.failed)
        throw std::runtime_error(std::to_string(run->idle.failed) + " idle WebSockets failed to connect");
    if (spec.preopenConnections > 0)
        run->gen->openConnections(spec.preopenConnections);
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // let the connection storm settle
    run->withIdle = sampleProcess(run->process.pid());
    return run;
}

} // namespace parley::bench
