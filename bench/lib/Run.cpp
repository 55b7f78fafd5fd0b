#include "Run.h"

#include <cstdio>
#include <thread>

namespace parley::bench {

std::string PreparedRun::stop(std::vector<std::string>* problems, std::size_t maxProblems) {
    if (gen)
        gen->shutdown();
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
    run->gen = std::make_unique<LoadGenerator>(spec.load, run->process.httpPort(), run->ws);
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
