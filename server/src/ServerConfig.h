#pragma once
// Command-line flags of parley-server (the contract's, plus tuning flags documented in --help).

#include "util/CpuScheduling.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::server {

struct ServerConfig {
    std::string host = "127.0.0.1";
    std::uint16_t httpPort = 8080;       // 0: a free port, chosen by the system
    std::optional<std::uint16_t> wsPort; // a second port for /ws only; the HTTP port serves /ws anyway
    std::string portsFile;               // --ports-file: the bound ports, written once listening
    std::string dataDir = "./parley-data";
    std::optional<std::string> adminPassword; // --admin-password or PARLEY_ADMIN_PASSWORD
    int agentGraceSeconds = 60;
    int agentTokenHours = 12;
    bool idleCloseUnitSeconds = false; // tests: idle_close_minutes counts seconds
    // Reply mail (issue 21): unread agent replies mailed to the shopper's address, with --smtp only.
    std::string smtpUrl;                       // --smtp smtp://HOST:PORT (or smtps://, user:password@)
    std::string smtpFrom = "parley@localhost"; // --smtp-from
    std::string shopName;                      // --shop-name: in the mail's From, subject and text
    int replyMailDelaySeconds = 120;           // --reply-mail-delay-seconds
    int replyMailIntervalSeconds = 600;        // --reply-mail-interval-seconds: per conversation
    int mailRetrySeconds = 30;                 // --mail-retry-seconds: the first retry's wait
    int httpThreads = 64;                      // handlers running at once
    int httpQueue = 1024;           // requests waiting for a handler thread; more get 503 overloaded
    int httpQueueWaitMs = 40;       // a request that waited longer for a handler gets 503 overloaded
    int httpMaxConnections = 10000; // HTTP connections open at once; accepting pauses beyond
    int httpKeepAliveSeconds = 10;
    int httpRequestTimeoutSeconds = 10; // a whole request (head and body), from its first byte
    int ioThreads = 0;       // network I/O and parsing; 0: the number of CPUs the process may run on
    bool dbSyncFull = false; // --db-sync full: fsync every commit (survives power loss); else normal
    int dbWriteQueue = 256;  // --db-write-queue: writes waiting for the writer before 503 overloaded
    // Several nodes (issue 20): --database postgresql://... (empty: the SQLite file in dataDir).
    std::string database;
    int dbPool = 8; // --db-pool: PostgreSQL read connections at most
    // --bus redis://HOST:PORT or unix:///path: events and shared state between nodes (needs
    // --database postgresql://). Empty: this node is alone.
    std::string bus;
    std::string nodeId; // --node-id; empty: "<host name>:<http port>", set by Server once bound
    CpuScheduling cpuScheduling = CpuScheduling::Batch; // --cpu-scheduling
    std::string webRoot;                                // default: defaultWebRoot()
    std::string publicWsUrl;                            // what the widget should connect to, behind a proxy
    std::string allowedOrigin = "*";
    double customerRateBurst = 20;
    double customerRatePerMinute = 60;
    std::size_t maxBodyBytes = 64 * 1024;
    int wsHelloTimeoutSeconds = 10;
    int wsIdleTimeoutSeconds = 30;

    enum class Action { Run, Help, Version };
    Action action = Action::Run;

    // Throws std::invalid_argument with a message for people on a bad flag or value.
    static ServerConfig parse(const std::vector<std::string>& args, const char* adminPasswordEnv);
    static std::string help();
    // <binary's dir>/../share/parley/web if it exists (installed layout), else the source tree's
    // widget-web (PARLEY_WEB_ROOT, a developer build).
    static std::string defaultWebRoot();
    // Whether dir holds the widget (widget.js): without it every shop's page gets a 404 for it.
    static bool hasWidget(const std::string& dir);
};

} // namespace parley::server
