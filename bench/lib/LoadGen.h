#pragma once
// The load generator: customer <-> agent pairs that post messages over REST and read the
// recipients' message.created frames on their WebSockets, plus idle WebSockets that only said
// hello. One or more worker threads, each with its own single-threaded io_context (epoll) and
// pinned to one of the load generator's CPUs; a pair, its customer's and its agent's sockets all
// live on the worker of that agent, so every message is recorded by one thread only.
//
// A step offers load in one of two ways:
//   paced (open loop): message j of a worker is due at start + j / rate, whatever the answers;
//     it goes out on any idle keep-alive HTTP connection, a new one is opened while fewer than
//     the maximum exist, and past that it waits for one (that wait is "send lag");
//   closed loop: N requests in flight, each connection sends its next message when the
//     previous one is answered.
// After the schedule ends nothing new is sent; the step drains: it waits until every request is
// answered and every message answered 201 has reached its recipient's socket (or the drain
// times out, and what is missing is reported as lost).

#include "Stats.h"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace parley::bench {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

inline double msBetween(TimePoint a, TimePoint b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

struct WsEndpoint {
    std::string host = "127.0.0.1"; // connected to, and sent as the Host header
    int port = 0;
    std::string path = "/ws";
};
// "ws://127.0.0.1:8081/ws" -> endpoint; throws std::invalid_argument for anything else.
WsEndpoint parseWsUrl(const std::string& url);

struct PairSpec {
    std::string conversationId;
    std::string customerToken;
    int agent = -1; // index into the agents' tokens
};

struct LoadOptions {
    std::vector<int> cpus;     // one worker per CPU, pinned (empty: not pinned)
    int threads = 1;           // workers
    int maxConnections = 1024; // HTTP connections, all workers together
    int connectConcurrency = 256;
};

struct StepSpec {
    bool closedLoop = false;
    double rate = 0;     // paced: messages per second, all pairs together
    int inFlight = 0;    // closed loop: requests in flight, all workers together
    double warmup = 1;   // seconds of load before the measured window
    double duration = 5; // measured seconds
    double drainTimeout = 30;
};

struct StepResult {
    double window = 0;                 // seconds measured
    std::size_t offered = 0;           // paced: due in the window; closed loop: sent in the window
    std::size_t sent = 0;              // of those, sent
    std::size_t unsent = 0;            // due in the window, never sent: every connection was busy to the end
    std::size_t deliveredInWindow = 0; // message.created frames read by recipients during the window
    std::size_t ok201 = 0, overloaded503 = 0, otherStatus = 0, transportErrors = 0, retries = 0;
    std::size_t lost = 0;       // answered 201, not on the recipient's socket when the drain ended
    std::size_t unanswered = 0; // sent, no answer when the drain ended
    std::size_t duplicates = 0;
    std::size_t deliveredNot201 = 0; // a frame for a message that was not answered 201
    std::size_t lateFrames = 0;      // frames of an earlier step that came after its drain
    std::size_t connections = 0;     // HTTP connections open at the end
    double drainSeconds = 0;
    Dist delivery;     // request written -> recipient's frame read (messages of the window)
    Dist fromSchedule; // scheduled time -> recipient's frame read (adds the wait for a connection)
    Dist toAgent, toCustomer;
    Dist serverPart;    // request written -> frame in the recipient's socket (kernel receive time)
    Dist readDelay;     // frame in the socket -> read by the load generator
    Dist rtt201;        // request written -> 201 read
    Dist rtt503;        // request written -> 503 read
    Dist frameAfter201; // frame read - 201 read (negative: frame first)
    Dist sendLag;       // paced: sent - scheduled
    std::vector<std::string> errorSamples;
};

class LoadGenerator {
public:
    LoadGenerator(const LoadOptions& options, int httpPort, const WsEndpoint& ws);
    // Several nodes: worker w sends to httpPorts[w % n] and holds its sockets on ws[(w + 1) % n].
    LoadGenerator(const LoadOptions& options, const std::vector<int>& httpPorts,
                  const std::vector<WsEndpoint>& ws);
    ~LoadGenerator();
    LoadGenerator(const LoadGenerator&) = delete;
    LoadGenerator& operator=(const LoadGenerator&) = delete;

    // The agents' WebSockets, connected and past hello (agent a on worker a % threads). Throws on
    // a failure.
    void connectAgents(const std::vector<std::string>& tokens);
    // Each pair's customer WebSocket, on the worker of its agent. Throws on a failure.
    void connectPairs(const std::vector<PairSpec>& pairs);
    struct ConnectStats {
        std::size_t connected = 0, failed = 0;
        double seconds = 0;
    };
    ConnectStats connectIdle(const std::vector<std::string>& tokens);
    // Opens up to n HTTP connections (all workers together) before a step needs them.
    void openConnections(int n);

    // Runs one step. atWindowEdge(false) is called on this thread when the measured window
    // starts, atWindowEdge(true) when it ends (for /proc samples); then the step drains.
    StepResult runStep(const StepSpec& spec, const std::function<void(bool atEnd)>& atWindowEdge);

    std::size_t activeDropped() const;
    std::size_t idleDropped() const;
    std::size_t idleFrames() const;
    std::size_t lateFrames() const; // recipients' frames that came after their step's drain, not yet reported
    std::vector<pid_t> threadIds() const; // the workers' thread ids, for their CPU time
    int threads() const;

    void shutdown(); // closes every socket and joins the workers (also done by the destructor)

private:
    class Worker;
    void connectOnWorkers(std::vector<std::vector<void*>> lists, const std::string& what);

    std::vector<std::unique_ptr<Worker>> m_workers;
    std::vector<void*> m_agentWs; // WsConn*, owned by their workers
    std::vector<std::string> m_agentTokens;
    LoadOptions m_options;
    int m_stepId = 0;
};

} // namespace parley::bench
