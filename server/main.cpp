// parley-server: parse flags, start, wait for SIGTERM/SIGINT, stop cleanly. `parley-server import`
// (a first argument) is a command of its own: import/ImportCommand.
#include "Server.h"
#include "ServerConfig.h"
#include "import/ImportCommand.h"
#include "util/CpuScheduling.h"
#include "util/Log.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <pthread.h>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace {

// Every WebSocket and HTTP connection holds a descriptor. The usual soft limit (1024) would stop
// accepting near a thousand connections although the hard limit allows far more, so use the
// whole hard limit, as servers do (systemd's LimitNOFILE sets both; a shell usually does not).
void raiseFileLimit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max)
        return;
    rlimit want = lim;
    want.rlim_cur = lim.rlim_max;
    if (want.rlim_cur == RLIM_INFINITY) {
        // The kernel refuses more than fs.nr_open.
        rlim_t nrOpen = 1024 * 1024;
        if (std::ifstream f("/proc/sys/fs/nr_open"); f)
            f >> nrOpen;
        want.rlim_cur = nrOpen;
    }
    if (setrlimit(RLIMIT_NOFILE, &want) != 0)
        parley::server::log::warn("could not raise the open-file limit above " +
                                  std::to_string(lim.rlim_cur));
}

// The server's threads hand each message on: an HTTP worker commits it and wakes the WebSocket
// thread, which writes the frames. Woken under SCHED_OTHER, that thread usually preempts the worker
// that woke it, on the same core, in the middle of its request; the worker finishes only after it.
// That is two extra context switches per message, and context switches are what costs most here
// (bench/README.md). SCHED_BATCH keeps the fair share and only turns off wake-up preemption.
// Set before any thread is started: threads inherit it. The packaged systemd unit starts the server
// under SCHED_BATCH already (CPUSchedulingPolicy=batch), and its system-call filter would refuse
// the change anyway.
void applyCpuScheduling(parley::server::CpuScheduling scheduling) {
    namespace log = parley::server::log;
    const auto error = parley::server::applyToThisThread(scheduling);
    if (!error.empty())
        log::warn("could not switch to SCHED_BATCH, running under SCHED_OTHER: " + error);
    // jemalloc's background threads start before main (docs/ARCHITECTURE.md, "Memory").
    if (const auto others = parley::server::applyToOtherThreads(scheduling); !others.empty())
        log::warn("could not switch a thread started before main to SCHED_BATCH: " + others);
}

} // namespace

int main(int argc, char** argv) {
    using parley::server::ServerConfig;
    if (argc > 1 && std::strcmp(argv[1], "import") == 0)
        return parley::server::import::runImportCommand(std::vector<std::string>(argv + 2, argv + argc),
                                                        stdout, stderr);
    ServerConfig config;
    try {
        config = ServerConfig::parse(std::vector<std::string>(argv + 1, argv + argc),
                                     std::getenv("PARLEY_ADMIN_PASSWORD"));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parley-server: %s\n", e.what());
        return 2;
    }
    if (config.action == ServerConfig::Action::Help) {
        std::fputs(ServerConfig::help().c_str(), stdout);
        return 0;
    }
    if (config.action == ServerConfig::Action::Version) {
        std::printf("parley-server %s\n", PARLEY_VERSION);
        return 0;
    }

    raiseFileLimit();
    applyCpuScheduling(config.cpuScheduling);

    // Block the stop signals in every thread; main waits for them with sigwait.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    parley::server::Server server(config);
    try {
        const auto generated = server.start();
        if (!generated.empty()) {
            std::printf("Created agent \"admin\" with the generated password: %s\n"
                        "It is shown only this once: sign in to the console and change it.\n",
                        generated.c_str());
        }
        std::printf("Parley is running. Demo store: http://%s:%u/\n", config.host.c_str(), server.httpPort());
        // One parseable line with the ports it got (useful with --http-port 0).
        std::printf("%s\n", parley::server::listeningLine(server.httpPort(), server.wsPort()).c_str());
        std::fflush(stdout);
    } catch (const std::exception& e) {
        parley::server::log::error(std::string("cannot start: ") + e.what());
        server.stop();
        return 1;
    }
    int signal = 0;
    sigwait(&stopSignals, &signal);
    parley::server::log::info(std::string("stopping on ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
    server.stop();
    return 0;
}
