#include "Server.h"

#include "DataDir.h"
#include "app/AfterHoursService.h"
#include "app/AgentsAtWorkService.h"
#include "app/ChatService.h"
#include "app/InsightService.h"
#include "app/NodeCaches.h"
#include "app/ReplyMailService.h"
#include "app/ReportsService.h"
#include "auth/TokenSigner.h"
#include "bus/RedisBus.h"
#include "http/HttpApi.h"
#include "http/HttpServer.h"
#include "http/Routes.h"
#include "mail/SmtpMailTransport.h"
#include "realtime/RealtimeServer.h"
#include "store/SqliteStore.h"
#include "store/pg/PgStore.h"
#include "util/Clock.h"
#include "util/Log.h"
#include "util/Text.h"
#include "util/Threads.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sched.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

namespace parley::server {

namespace net = boost::asio;

namespace {

// The CPUs this process may run on (its affinity mask, e.g. under taskset or a cgroup cpuset).
int allowedCpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    const auto n = std::thread::hardware_concurrency();
    return n > 0 ? static_cast<int>(n) : 1;
}

} // namespace

// The io threads of the HTTP listener and the WebSocket sessions (--io-threads), each running an
// io_context of its own: a connection stays on one, so its handlers never take a lock or wake
// another io thread (one io_context shared by N threads made every hand-over cost futex calls).
// The first runs the realtime hub and every WebSocket, so a commit's frames are routed and
// written by the one thread it wakes; HTTP connections go to the others (docs/ARCHITECTURE.md).
struct Server::IoThreads {
    std::vector<std::unique_ptr<net::io_context>> contexts;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
    std::vector<std::thread> threads;

    explicit IoThreads(int n) {
        for (int i = 0; i < n; ++i)
            contexts.push_back(std::make_unique<net::io_context>(1));
    }

    net::io_context& realtime() { return *contexts.front(); }
    // All but the realtime one, unless it is the only one: under load the reads of requests would
    // hold up the frames queued behind them on the same thread.
    std::vector<net::io_context*> forHttp() const {
        std::vector<net::io_context*> out;
        for (std::size_t i = contexts.size() > 1 ? 1 : 0; i < contexts.size(); ++i)
            out.push_back(contexts[i].get());
        return out;
    }

    void start() {
        for (auto& c : contexts) {
            work.push_back(net::make_work_guard(*c));
            threads.emplace_back([io = c.get()] {
                threads::nameThisThread("io");
                for (;;) {
                    try {
                        io->run();
                        return;
                    } catch (const std::exception& e) {
                        // A handler must not take every connection down with it.
                        log::error(std::string("unexpected exception on an io thread: ") + e.what());
                    }
                }
            });
        }
    }

    void stop() {
        work.clear();
        for (auto& c : contexts)
            c->stop();
        for (auto& t : threads)
            t.join();
        threads.clear();
    }
};

std::string listeningLine(std::uint16_t httpPort, std::optional<std::uint16_t> wsPort) {
    return "parley-server listening http=" + std::to_string(httpPort) +
           " ws=" + std::to_string(wsPort.value_or(httpPort));
}

Server::Server(ServerConfig config)
    : m_config(std::move(config))
    , m_clock(std::make_unique<SystemClock>()) {}

Server::~Server() {
    stop();
}

std::string Server::start() {
    // The ports first: a server that cannot listen (another one has the port) stops before it
    // touches the data dir, so a new one's generated admin password is never lost unseen.
    const int cpus = allowedCpus();
    const int ioThreads = m_config.ioThreads > 0 ? m_config.ioThreads : cpus;
    m_io = std::make_unique<IoThreads>(ioThreads);
    HttpServerOptions http;
    http.workerThreads = static_cast<std::size_t>(m_config.httpThreads);
    http.queueCapacity = static_cast<std::size_t>(m_config.httpQueue);
    http.maxQueueWait = std::chrono::milliseconds(m_config.httpQueueWaitMs);
    http.maxConnections = static_cast<std::size_t>(m_config.httpMaxConnections);
    http.keepAlive = std::chrono::seconds(m_config.httpKeepAliveSeconds);
    http.requestTimeout = std::chrono::seconds(m_config.httpRequestTimeoutSeconds);
    http.maxBodyBytes = m_config.maxBodyBytes;
    m_http = std::make_unique<HttpServer>(m_io->forHttp(), http);
    m_httpPort = m_http->listen(m_config.host, m_config.httpPort, HttpServer::Serves::Everything); // throws
    if (m_config.wsPort)
        m_wsPort = m_http->listen(m_config.host, *m_config.wsPort, HttpServer::Serves::WebSocketOnly);

    if (m_config.nodeId.empty()) { // the contract's default: host name and port
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) != 0)
            std::snprintf(host, sizeof host, "localhost");
        m_config.nodeId = std::string(host) + ":" + std::to_string(m_httpPort);
    }

    m_dataDir = std::make_unique<DataDir>(m_config.dataDir);
    if (m_config.database.empty()) {
        SqliteStore::Options storeOptions;
        storeOptions.sync = m_config.dbSyncFull ? SqliteStore::Sync::Full : SqliteStore::Sync::Normal;
        storeOptions.writer.queueLimit = static_cast<std::size_t>(m_config.dbWriteQueue);
        storeOptions.writer.releaseThread = cpus >= 4;
        // Every handler thread may read at once; a pool smaller than that closed the connections
        // it could not keep and opened new ones (schema parse, statements prepared again) under load.
        storeOptions.readers = static_cast<std::size_t>(m_config.httpThreads) + 8;
        m_sqliteStore = std::make_unique<SqliteStore>(m_dataDir->databasePath(), nullptr, storeOptions);
        m_store = m_sqliteStore.get();
        m_tokens = std::make_unique<TokenSigner>(m_dataDir->secret(), *m_clock);
    } else {
        // Several nodes (issue 20): the shared database, and the token secret in it, so a token
        // from one node works on every node. The data dir still holds this node's lock.
        PgStore::Options storeOptions;
        storeOptions.pool = static_cast<std::size_t>(m_config.dbPool);
        storeOptions.writer.queueLimit = static_cast<std::size_t>(m_config.dbWriteQueue);
        storeOptions.writer.releaseThread = cpus >= 4;
        m_pgStore = std::make_unique<PgStore>(m_config.database, nullptr, storeOptions);
        m_store = m_pgStore.get();
        const auto secret =
            base64UrlDecode(m_pgStore->sharedSecret("token_secret", base64UrlEncode(randomBytes(32))));
        if (!secret || secret->empty())
            throw std::runtime_error("the token secret stored in the database is not valid base64url");
        m_tokens = std::make_unique<TokenSigner>(*secret, *m_clock);
    }

    ChatServiceOptions options;
    options.agentTokenLifetime = std::chrono::hours(m_config.agentTokenHours);
    options.customerRate = {m_config.customerRateBurst, m_config.customerRatePerMinute};
    m_chat = std::make_unique<ChatService>(*m_store, *m_tokens, *m_clock, options);
    AfterHoursOptions afterHours;
    if (m_config.idleCloseUnitSeconds) {
        afterHours.idleCloseUnit = std::chrono::seconds(1);
        afterHours.idleCheckInterval = std::chrono::milliseconds(250);
    }
    m_afterHours = std::make_unique<AfterHoursService>(*m_store, *m_chat, *m_clock, afterHours);
    m_chat->addSettingsSection(*m_afterHours);
    m_agentsAtWork = std::make_unique<AgentsAtWorkService>(*m_store, *m_clock);
    m_insights = std::make_unique<InsightService>(*m_store, *m_clock);
    m_erasedCustomers = std::make_unique<ErasedCustomers>();
    m_reports = std::make_unique<ReportsService>(*m_store, *m_clock, *m_erasedCustomers, m_chat.get());
    m_chat->setErasedCustomers(m_erasedCustomers.get());

    std::string generatedPassword;
    std::string adminPassword = m_config.adminPassword.value_or("");
    if (adminPassword.empty())
        adminPassword = generatedPassword = base64UrlEncode(randomBytes(12));
    if (!m_chat->bootstrap(adminPassword))
        generatedPassword.clear(); // an existing data dir keeps its agents and passwords

    RealtimeOptions rt;
    rt.agentGrace = std::chrono::seconds(m_config.agentGraceSeconds);
    rt.helloTimeout = std::chrono::seconds(m_config.wsHelloTimeoutSeconds);
    rt.idleTimeout = std::chrono::seconds(m_config.wsIdleTimeoutSeconds);
    m_realtime = std::make_unique<RealtimeServer>(*m_chat, *m_clock, rt, m_io->realtime(), m_insights.get());
    if (!m_config.smtpUrl.empty()) {
        m_customerConnections = std::make_unique<CustomerConnections>(*m_clock);
        m_realtime->setCustomerConnections(m_customerConnections.get());
        m_mailTransport = std::make_unique<SmtpMailTransport>(SmtpOptions{m_config.smtpUrl});
        ReplyMailOptions mail;
        mail.from = m_config.smtpFrom;
        mail.shopName = m_config.shopName;
        mail.delay = std::chrono::seconds(m_config.replyMailDelaySeconds);
        mail.minInterval = std::chrono::seconds(m_config.replyMailIntervalSeconds);
        mail.retryFirst = std::chrono::seconds(m_config.mailRetrySeconds);
        // Looks a few times per delay, so a mail goes out soon after its delay has passed.
        mail.checkInterval = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(mail.delay) / 4,
                                        std::chrono::milliseconds(100), std::chrono::milliseconds(5000));
        m_replyMail = std::make_unique<ReplyMailService>(*m_store, *m_mailTransport, *m_customerConnections,
                                                         *m_clock, mail);
    }
    // Events across nodes (issue 20, bus20): with --bus, every committed event goes through the
    // database's event outbox and reaches this node's connections through its feed, in commit
    // order with every other node's; NodeCaches keeps what this node caches right on the way.
    // Typing signals, never stored, go to the other nodes by a NOTIFY of their own.
    EventSink* sink = &m_realtime->eventSink();
    if (m_pgStore && !m_config.bus.empty()) {
        m_nodeCaches = std::make_unique<NodeCaches>(*m_chat, *m_erasedCustomers, *sink);
        sink = m_nodeCaches.get();
        m_pgStore->startEventOutbox(m_config.nodeId);
        m_realtime->setTypingRelay(&m_pgStore->ephemeralRelay());
    }
    setEventSink(sink);

    HttpApiOptions api;
    api.host = m_config.host;
    api.publicWsUrl = m_config.publicWsUrl;
    api.webRoot = m_config.webRoot;
    if (!ServerConfig::hasWidget(api.webRoot)) // the default one: a --web-root flag is checked as read
        log::warn("no widget.js in " + api.webRoot +
                  ": /widget.js and the demo store answer 404; install the package's web files or "
                  "pass --web-root");
    api.allowedOrigin = m_config.allowedOrigin;
    api.widgetStatus = [ah = m_afterHours.get()] { return ah->widgetStatus(); };
    // --- Several nodes (issue 20): shared presence, rate limit and login throttle in Redis ---
    // With --bus the customer rate limit, the login throttle and agent presence hold across the
    // nodes (docs/ARCHITECTURE.md, "Several nodes"), and /healthz also answers 503 while Redis
    // cannot be reached. Without it everything stays in this process.
    // Keys are namespaced by an id kept in the database (--bus needs PostgreSQL): the nodes of one
    // database share them, other clusters on the same Redis do not.
    if (!m_config.bus.empty()) {
        if (!m_pgStore)
            throw std::runtime_error("--bus needs --database postgresql://...");
        const auto cluster = m_pgStore->sharedSecret("bus_namespace", base64UrlEncode(randomBytes(9)));
        m_bus = std::make_unique<RedisBus>(m_config.bus, m_config.nodeId, "parley:" + cluster + ":",
                                           options.customerRate, options.loginThrottle);
        m_chat->setSharedLimits(m_bus->customerRate(), m_bus->loginLimit());
        m_realtime->setPresenceDirectory(&m_bus->presence());
    }
    api.storeUnavailable = [store = m_store, bus = m_bus.get()]() -> std::optional<std::string> {
        if (auto why = store->unavailableReason())
            return why;
        if (bus)
            if (auto why = bus->unavailableReason())
                return "the bus cannot be reached: " + *why;
        return std::nullopt;
    };
    // --- end of several nodes ---
    api.serverStats = [this] {
        const auto w = m_sqliteStore ? m_sqliteStore->writerStats() : m_pgStore->writerStats();
        return nlohmann::json{{"store", m_sqliteStore ? "sqlite" : "postgresql"},
                              {"writer",
                               {{"groups", w.groups},
                                {"jobs", w.jobs},
                                {"refused", w.refused},
                                {"largest_group", w.largestGroup},
                                {"deepest_queue", w.deepestQueue},
                                {"cpu_seconds", w.groupCpuSeconds}}}};
    };
    m_api = std::make_unique<HttpApi>(*m_chat, api, [rt = m_realtime.get()] { return rt->accepting(); });
    addAfterHoursRoutes(m_api->routes(), *m_chat, *m_afterHours);
    m_api->setPorts(m_httpPort, m_wsPort);
    addAgentsAtWorkRoutes(m_api->routes(), *m_chat, *m_agentsAtWork);
    addInsightRoutes(m_api->routes(), *m_chat, *m_insights);
    addReportsRoutes(m_api->routes(), *m_chat, *m_reports);

    m_realtime->start();
    // The realtime module behind /ws: http does not link it, this is the one place they meet.
    m_http->start(m_api->router(),
                  [rt = m_realtime.get()](net::ip::tcp::socket&& socket, UpgradeRequest&& req) {
                      rt->acceptUpgrade(std::move(socket), std::move(req));
                  });
    m_io->start();
    m_afterHours->start(); // after the event sink is set: its closes reach the connections
    if (m_replyMail)
        m_replyMail->start();
    // Listening and served: connections queue in the backlog from here on, so the file may go out.
    if (!m_config.portsFile.empty())
        writePortsFile();
    log::info("parley-server " PARLEY_VERSION " listening: http://" + m_config.host + ":" +
              std::to_string(m_httpPort) + "/ (WebSocket at /ws" +
              (m_wsPort ? ", and at ws://" + m_config.host + ":" + std::to_string(*m_wsPort) + "/ws"
                        : std::string()) +
              "), " + std::to_string(ioThreads) + " io threads, data dir " + m_dataDir->path() + ", node " +
              m_config.nodeId);
    return generatedPassword;
}

void Server::setEventSink(EventSink* sink) {
    if (m_sqliteStore)
        m_sqliteStore->setEventSink(sink);
    if (m_pgStore)
        m_pgStore->setEventSink(sink);
}

// Written whole under a temporary name and renamed: a reader sees no file or the complete one.
void Server::writePortsFile() const {
    const std::string& path = m_config.portsFile;
    const std::string temp = path + ".tmp." + std::to_string(::getpid());
    std::FILE* f = std::fopen(temp.c_str(), "w");
    if (!f)
        throw std::runtime_error("cannot write --ports-file " + temp + ": " + std::strerror(errno));
    const std::string line = listeningLine(m_httpPort, m_wsPort) + "\n";
    const bool written = std::fwrite(line.data(), 1, line.size(), f) == line.size();
    if (std::fclose(f) != 0 || !written || std::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(temp.c_str());
        throw std::runtime_error("cannot write --ports-file " + path + ": " + why);
    }
}

void Server::stop() {
    // The listener first: requests in flight finish and publish their events; idle connections
    // close. Then the WebSockets, then the io threads, then the database.
    if (m_afterHours)
        m_afterHours->stop();
    if (m_replyMail)
        m_replyMail->stop(); // a send in progress finishes first (bounded by the SMTP timeout)
    if (m_http)
        m_http->stop();
    if (m_realtime) {
        setEventSink(nullptr);
        m_realtime->stop();
    }
    if (m_io)
        m_io->stop();
    // Nothing runs on the io_context any more: what was queued on it is destroyed with it.
    m_http.reset();
    m_api.reset();
    m_realtime.reset();
    m_io.reset();
    m_afterHours.reset();
    m_replyMail.reset();
    m_mailTransport.reset();
    m_insights.reset();
    if (m_store) {
        if (m_sqliteStore)
            m_sqliteStore->close();
        if (m_pgStore)
            m_pgStore->close();
        m_store = nullptr;
        m_sqliteStore.reset();
        m_pgStore.reset();
        log::info("database closed cleanly");
    }
}

} // namespace parley::server
