#include "Server.h"

#include "DataDir.h"
#include "app/ChatService.h"
#include "auth/TokenSigner.h"
#include "http/HttpApi.h"
#include "realtime/RealtimeServer.h"
#include "store/SqliteStore.h"
#include "util/Clock.h"
#include "util/Log.h"
#include "util/Text.h"
#include "util/Threads.h"

namespace parley::server {

Server::Server(ServerConfig config)
    : m_config(std::move(config))
    , m_clock(std::make_unique<SystemClock>()) {}

Server::~Server() {
    stop();
}

std::string Server::start() {
    m_dataDir = std::make_unique<DataDir>(m_config.dataDir);
    SqliteStore::Options storeOptions;
    storeOptions.sync = m_config.dbSyncFull ? SqliteStore::Sync::Full : SqliteStore::Sync::Normal;
    storeOptions.writer.queueLimit = static_cast<std::size_t>(m_config.dbWriteQueue);
    m_store = std::make_unique<SqliteStore>(m_dataDir->databasePath(), nullptr, storeOptions);
    m_tokens = std::make_unique<TokenSigner>(m_dataDir->secret(), *m_clock);

    ChatServiceOptions options;
    options.agentTokenLifetime = std::chrono::hours(m_config.agentTokenHours);
    options.customerRate = {m_config.customerRateBurst, m_config.customerRatePerMinute};
    m_chat = std::make_unique<ChatService>(*m_store, *m_tokens, *m_clock, options);

    std::string generatedPassword;
    std::string adminPassword = m_config.adminPassword.value_or("");
    if (adminPassword.empty())
        adminPassword = generatedPassword = base64UrlEncode(randomBytes(12));
    if (!m_chat->bootstrap(adminPassword))
        generatedPassword.clear(); // an existing data dir keeps its agents and passwords

    RealtimeOptions rt;
    rt.host = m_config.host;
    rt.port = m_config.wsPort;
    rt.agentGrace = std::chrono::seconds(m_config.agentGraceSeconds);
    rt.helloTimeout = std::chrono::seconds(m_config.wsHelloTimeoutSeconds);
    rt.idleTimeout = std::chrono::seconds(m_config.wsIdleTimeoutSeconds);
    m_realtime = std::make_unique<RealtimeServer>(*m_chat, *m_clock, rt);
    m_store->setEventSink(&m_realtime->eventSink());
    m_realtime->start();

    HttpOptions http;
    http.host = m_config.host;
    http.port = m_config.httpPort;
    http.wsPort = m_realtime->port();
    http.publicWsUrl = m_config.publicWsUrl;
    http.webRoot = m_config.webRoot;
    http.allowedOrigin = m_config.allowedOrigin;
    http.threads = m_config.httpThreads;
    http.keepAliveSeconds = m_config.httpKeepAliveSeconds;
    http.maxBodyBytes = m_config.maxBodyBytes;
    m_http = std::make_unique<HttpApi>(*m_chat, http, [rt = m_realtime.get()] { return rt->accepting(); });
    m_http->bind();
    m_httpThread = std::thread([this] {
        threads::nameThisThread("http-accept");
        m_http->serve();
    });
    log::info("parley-server " PARLEY_VERSION " listening: http://" + m_config.host + ":" +
              std::to_string(m_http->port()) + "/ and ws://" + m_config.host + ":" +
              std::to_string(m_realtime->port()) + "/ws, data dir " + m_dataDir->path());
    return generatedPassword;
}

std::uint16_t Server::httpPort() const {
    return m_http ? m_http->port() : m_config.httpPort;
}

void Server::stop() {
    // Listeners first: in-flight requests finish and publish their events; then the database.
    if (m_http) {
        m_http->stop();
        if (m_httpThread.joinable())
            m_httpThread.join();
        m_http.reset();
    }
    if (m_realtime) {
        m_store->setEventSink(nullptr);
        m_realtime->stop();
        m_realtime.reset();
    }
    if (m_store) {
        m_store->close();
        m_store.reset();
        log::info("database closed cleanly");
    }
}

} // namespace parley::server
