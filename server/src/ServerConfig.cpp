#include "ServerConfig.h"

#include "util/FlagReader.h"

#include <charconv>
#include <filesystem>
#include <stdexcept>

#ifndef PARLEY_WEB_ROOT
#define PARLEY_WEB_ROOT ""
#endif

namespace parley::server {
namespace {

long long toNumber(const std::string& flag, const std::string& value, long long min, long long max) {
    long long v = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || p != value.data() + value.size() || v < min || v > max)
        throw std::invalid_argument(flag + " needs a whole number from " + std::to_string(min) + " to " +
                                    std::to_string(max) + ", not \"" + value + "\"");
    return v;
}

} // namespace

std::string ServerConfig::defaultWebRoot() {
    // Installed (/usr/bin + /usr/share) or unpacked anywhere with the same layout: the widget
    // files are in ../share/parley/web from the binary's directory. Else a developer build:
    // the source tree it was built from.
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path().parent_path() / "share" / "parley" / "web";
        if (fs::is_directory(installed, ec))
            return installed.string();
    }
    return PARLEY_WEB_ROOT;
}

bool ServerConfig::hasWidget(const std::string& dir) {
    std::error_code ec;
    return std::filesystem::is_regular_file(std::filesystem::path(dir) / "widget.js", ec);
}

std::string ServerConfig::help() {
    return std::string(R"(Usage: parley-server [OPTIONS]
       parley-server import --from-data-dir DIR --database URL   (see parley-server import --help)

Parley's server: the REST API, the WebSocket listener, the FAQ bot and the web widget.

Listeners:
  --host ADDR                    address to listen on (default 127.0.0.1)
  --http-port N                  REST API, WebSocket at /ws, /widget.js and the demo store on one port
                                 (default 8080; 0: a free port, see --ports-file)
  --ws-port N                    also serve the WebSocket (/ws only) on this port (default: none;
                                 0: a free port)
  --ports-file FILE              once listening, write the bound ports to FILE (replaced atomically) as
                                 "parley-server listening http=PORT ws=PORT", the line also printed
                                 on stdout; ws is the --ws-port, else the HTTP port
  --public-ws-url URL            WebSocket URL the widget and console are told to use, e.g.
                                 wss://chat.example.com/ws (default: /ws on the host and port the
                                 request came to, or on --ws-port; wss when X-Forwarded-Proto: https)
  --allowed-origin ORIGIN        CORS origin allowed to call the API (default *)
  --web-root DIR                 where widget.js and index.html are (default: ../share/parley/web
                                 from the binary's directory if it exists, else the source tree's
                                 widget-web; now )") +
           defaultWebRoot() + R"()

Data:
  --data-dir DIR                 SQLite database and server secret (default ./parley-data)
  --database URL                 sqlite (default: the file in --data-dir), or a PostgreSQL database
                                 shared by several nodes: postgresql://USER[:PW]@HOST[:PORT]/DB or
                                 postgresql:///DB?host=/socket/dir; its schema is created or
                                 migrated at start, and the token secret is kept in it
  --db-pool N                    PostgreSQL: read connections at most (default 8); writes use one
                                 more of their own
  --bus URL                      redis://HOST:PORT or unix:///path/redis.sock: the event bus and
                                 shared state (presence, limits) of several nodes on one PostgreSQL
                                 database; required when more than one node uses it
  --node-id NAME                 this node's name in logs and metrics (default: host name and port)
  --admin-password PW            password of agent "admin" when the data dir is new
                                 (or env PARLEY_ADMIN_PASSWORD; else one is generated and printed once)

Behaviour:
  --agent-grace-seconds N        an agent with no connection for this long is set offline and its
                                 chats go back to the queue (default 60)
  --agent-token-hours N          lifetime of an agent's sign-in (default 12)
  --customer-rate-burst N        messages a customer may send at once (default 20)
  --customer-rate-per-minute N   sustained customer message rate (default 60)
  --idle-close-unit-seconds      for tests only: the idle_close_minutes admin setting counts
                                 seconds instead of minutes

Reply mail (an agent's reply the shopper has not read, mailed to the address it left):
  --smtp URL                     the mail server: smtp://HOST:PORT (STARTTLS when the server offers
                                 it), smtps://HOST:PORT (TLS), smtp://USER:PASSWORD@HOST:PORT to sign
                                 in; without it no mail is sent
  --smtp-from ADDRESS            the sender address (default parley@localhost)
  --shop-name NAME               the shop's name in the mail's sender, subject and text
  --reply-mail-delay-seconds N   how long a reply waits unread, with the shopper's widget closed,
                                 before it is mailed (default 120)
  --reply-mail-interval-seconds N
                                 at most one mail per conversation this often (default 600)
  --mail-retry-seconds N         a failed send is tried again after N seconds, then twice as long
                                 each time up to an hour, 8 tries in all (default 30)

Tuning:
  --io-threads N                 threads for network I/O and parsing: the first runs every
                                 WebSocket, the others HTTP (one: both) (default: the number of
                                 CPUs the server may run on)
  --http-threads N               HTTP requests handled at once; connections that are idle or still
                                 sending their request hold no thread (default 64)
  --http-queue N                 requests waiting for one of those threads; beyond it a request is
                                 answered 503 "overloaded" with Retry-After at once (default 1024)
  --http-queue-wait-ms N         a request that has waited this long for one of those threads is
                                 answered 503 "overloaded" with Retry-After instead of being handled:
                                 past saturation the excess is refused within about this long
                                 instead of waiting in line (default 40)
  --http-max-connections N       HTTP connections open at once; beyond it accepting pauses and new
                                 clients wait in the listen backlog (default 10000)
  --http-keep-alive-seconds N    an idle HTTP connection is closed after this long (default 10)
  --http-request-timeout-seconds N
                                 a request (head and body) must arrive whole within this long of its
                                 first byte, however fast its bytes come, or the connection is
                                 closed (default 10)
  --db-sync normal|full          normal: a commit survives a crash or kill of the server, and a power
                                 loss can undo the last second or so of commits; full: every commit
                                 is fsynced before it is answered or delivered, and survives a power
                                 loss too, at a disk flush per commit (default normal)
  --db-write-queue N             writes that may wait for the database's writer; past it a request
                                 is answered 503 overloaded with Retry-After at once and changes
                                 nothing (default 256: about two groups of commits, a few ms)
  --cpu-scheduling batch|normal
                                 batch: the server's threads run under SCHED_BATCH, so a thread that
                                 hands work to another is not preempted by it mid-request; they still
                                 get their fair share of the CPU; normal: the server keeps the policy
                                 it was started with, SCHED_OTHER as a rule (default batch)
  --max-body-bytes N             largest request body accepted, chunked or not; a larger one is
                                 answered 413 before it is read (default 65536)
  --ws-hello-timeout-seconds N   time a new WebSocket has to say hello (default 10)
  --ws-idle-timeout-seconds N    a WebSocket that answers no ping this long is dropped (default 30);
                                 pings go out after half of it; the first, after hello, up to half
                                 of it later, so that connections opened together are not pinged
                                 together, and a silent one is dropped after 1 to 1.5 times N

  --help                         this text
  --version                      the version
)";
}

ServerConfig ServerConfig::parse(const std::vector<std::string>& args, const char* adminPasswordEnv) {
    ServerConfig c;
    c.webRoot = defaultWebRoot();
    if (adminPasswordEnv && *adminPasswordEnv)
        c.adminPassword = adminPasswordEnv;
    util::FlagReader flags(args);
    while (flags.next()) {
        const std::string& flag = flags.flag();
        auto value = [&flags] { return flags.value(); };
        if (flag == "--help" || flag == "-h")
            c.action = Action::Help;
        else if (flag == "--version" || flag == "-V")
            c.action = Action::Version;
        else if (flag == "--host")
            c.host = value();
        else if (flag == "--http-port")
            c.httpPort = static_cast<std::uint16_t>(toNumber(flag, value(), 0, 65535));
        else if (flag == "--ws-port")
            c.wsPort = static_cast<std::uint16_t>(toNumber(flag, value(), 0, 65535));
        else if (flag == "--ports-file")
            c.portsFile = value();
        else if (flag == "--io-threads")
            c.ioThreads = static_cast<int>(toNumber(flag, value(), 1, 1024));
        else if (flag == "--http-queue")
            c.httpQueue = static_cast<int>(toNumber(flag, value(), 1, 1000000));
        else if (flag == "--http-queue-wait-ms")
            c.httpQueueWaitMs = static_cast<int>(toNumber(flag, value(), 1, 3600000));
        else if (flag == "--http-max-connections")
            c.httpMaxConnections = static_cast<int>(toNumber(flag, value(), 1, 10000000));
        else if (flag == "--data-dir")
            c.dataDir = value();
        else if (flag == "--admin-password")
            c.adminPassword = value();
        else if (flag == "--database") { // several nodes (issue 20)
            const auto v = value();
            if (v != "sqlite" && v.rfind("postgresql://", 0) != 0 && v.rfind("postgres://", 0) != 0)
                throw std::invalid_argument("--database must be sqlite or a postgresql:// URL");
            c.database = v == "sqlite" ? std::string() : v;
        } else if (flag == "--bus") {
            c.bus = value();
            if (c.bus.rfind("redis://", 0) != 0 && c.bus.rfind("unix:///", 0) != 0)
                throw std::invalid_argument("--bus must be redis://HOST:PORT or unix:///path/to/redis.sock");
        } else if (flag == "--node-id") {
            c.nodeId = value();
            const bool bad = c.nodeId.empty() || c.nodeId.size() > 64 ||
                             c.nodeId.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                        "0123456789._:-") != std::string::npos;
            if (bad)
                throw std::invalid_argument("--node-id must be 1 to 64 letters, digits or . _ : -");
        } else if (flag == "--db-pool")
            c.dbPool = static_cast<int>(toNumber(flag, value(), 1, 1000));
        else if (flag == "--agent-grace-seconds")
            c.agentGraceSeconds = static_cast<int>(toNumber(flag, value(), 0, 86400));
        else if (flag == "--idle-close-unit-seconds")
            c.idleCloseUnitSeconds = true;
        else if (flag == "--smtp") {
            c.smtpUrl = value();
            if (c.smtpUrl.rfind("smtp://", 0) != 0 && c.smtpUrl.rfind("smtps://", 0) != 0)
                throw std::invalid_argument("--smtp must be a URL smtp://HOST:PORT or smtps://HOST:PORT");
        } else if (flag == "--smtp-from") {
            c.smtpFrom = value();
            const auto at = c.smtpFrom.find('@');
            const bool bad = at == std::string::npos || at == 0 || at + 1 == c.smtpFrom.size() ||
                             c.smtpFrom.find_first_of(" <>\r\n\t") != std::string::npos;
            if (bad)
                throw std::invalid_argument("--smtp-from must be an address such as shop@example.com");
        } else if (flag == "--shop-name") {
            c.shopName = value();
            if (c.shopName.find_first_of("\r\n") != std::string::npos || c.shopName.size() > 200)
                throw std::invalid_argument("--shop-name must be one line of at most 200 bytes");
        } else if (flag == "--reply-mail-delay-seconds")
            c.replyMailDelaySeconds = static_cast<int>(toNumber(flag, value(), 0, 86400));
        else if (flag == "--reply-mail-interval-seconds")
            c.replyMailIntervalSeconds = static_cast<int>(toNumber(flag, value(), 0, 86400));
        else if (flag == "--mail-retry-seconds")
            c.mailRetrySeconds = static_cast<int>(toNumber(flag, value(), 1, 3600));
        else if (flag == "--agent-token-hours")
            c.agentTokenHours = static_cast<int>(toNumber(flag, value(), 1, 24 * 365));
        else if (flag == "--http-threads")
            c.httpThreads = static_cast<int>(toNumber(flag, value(), 1, 10000));
        else if (flag == "--http-request-timeout-seconds")
            c.httpRequestTimeoutSeconds = static_cast<int>(toNumber(flag, value(), 1, 3600));
        else if (flag == "--http-keep-alive-seconds")
            c.httpKeepAliveSeconds = static_cast<int>(toNumber(flag, value(), 1, 3600));
        else if (flag == "--db-sync") {
            const auto v = value();
            if (v != "normal" && v != "full")
                throw std::invalid_argument("--db-sync must be normal or full");
            c.dbSyncFull = v == "full";
        } else if (flag == "--db-write-queue")
            c.dbWriteQueue = static_cast<int>(toNumber(flag, value(), 1, 1000000));
        else if (flag == "--cpu-scheduling") {
            const auto v = value();
            if (v == "batch")
                c.cpuScheduling = CpuScheduling::Batch;
            else if (v == "normal")
                c.cpuScheduling = CpuScheduling::Normal;
            else
                throw std::invalid_argument("--cpu-scheduling must be batch or normal");
        } else if (flag == "--web-root") {
            c.webRoot = value();
            if (!hasWidget(c.webRoot)) // a mistyped directory
                throw std::invalid_argument("--web-root " + c.webRoot + " has no widget.js");
        } else if (flag == "--public-ws-url")
            c.publicWsUrl = value();
        else if (flag == "--allowed-origin")
            c.allowedOrigin = value();
        else if (flag == "--customer-rate-burst")
            c.customerRateBurst = static_cast<double>(toNumber(flag, value(), 1, 1000000));
        else if (flag == "--customer-rate-per-minute")
            c.customerRatePerMinute = static_cast<double>(toNumber(flag, value(), 1, 1000000));
        else if (flag == "--max-body-bytes")
            c.maxBodyBytes = static_cast<std::size_t>(toNumber(flag, value(), 1024, 64 * 1024 * 1024));
        else if (flag == "--ws-hello-timeout-seconds")
            c.wsHelloTimeoutSeconds = static_cast<int>(toNumber(flag, value(), 1, 3600));
        else if (flag == "--ws-idle-timeout-seconds")
            c.wsIdleTimeoutSeconds = static_cast<int>(toNumber(flag, value(), 2, 3600));
        else
            throw std::invalid_argument("unknown option " + flag + " (see --help)");
    }
    if (!c.bus.empty() && c.database.empty())
        throw std::invalid_argument("--bus needs --database postgresql://...: nodes share one database");
    if (c.adminPassword && c.adminPassword->size() < 8)
        throw std::invalid_argument("the admin password needs at least 8 characters");
    return c;
}

} // namespace parley::server
