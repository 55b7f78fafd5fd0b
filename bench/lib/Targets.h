#pragma once
// What is measured: parley-server, or parley-bench-bare (the raw ceiling). Each makes the same
// population in its own way (the server over its REST API, the bare pipeline with one set-up call)
// so that the load generator then drives both alike.

#include "LoadGen.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::bench {

struct Accounts {
    std::vector<std::string> agentTokens;
    std::vector<PairSpec> pairs; // agent -1 until assign()
};

struct WriterStats {
    double cpuSeconds = 0;
    std::uint64_t groups = 0;
    std::uint64_t jobs = 0;
};

class Target {
public:
    virtual ~Target() = default;
    // The WebSocket URL clients are told to use (GET /api/v1/widget/config's ws_url).
    virtual WsEndpoint wsEndpoint() = 0;
    // Agents (each may hold ceil(pairs / agents) chats) and customers with one conversation each.
    virtual Accounts createAccounts(int pairs, int agents) = 0;
    // After the agents' sockets are up: each conversation gets its agent (pair.agent).
    virtual void assign(Accounts& accounts) = 0;
    // Tokens for idle customers: sessions that will say hello and nothing else.
    virtual std::vector<std::string> idleTokens(int n) = 0;
    // What the store's writer has done so far, from the target's GET /api/v1/admin/stats: CPU
    // seconds spent running groups (on whichever thread ran them), groups, jobs; nothing if it
    // could not say. Called during steps: may wait out a 503 or two past saturation.
    virtual std::optional<WriterStats> writerStats() = 0;
};

// httpPort: REST; wsPort: the WebSocket port to fall back on when there is no widget config
// (0: the HTTP port).
std::unique_ptr<Target> makeParleyTarget(int httpPort, int wsPort, const std::string& adminPassword);
std::unique_ptr<Target> makeBareTarget(int httpPort);

} // namespace parley::bench
