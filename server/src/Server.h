#pragma once
// The composition root: data dir, store, use cases, the io threads, and the HTTP listener with
// the realtime module behind its /ws upgrade, started and stopped in the right order (the
// listener stops first so in-flight work finishes before the database closes).

#include "ServerConfig.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace parley::server {

class DataDir;
class Store;
class EventSink;
class SqliteStore;
class PgStore;
class TokenSigner;
class ChatService;
class AfterHoursService;
class AgentsAtWorkService;
class InsightService;
class ErasedCustomers;
class ReportsService;
class NodeCaches;
class CustomerConnections;
class MailTransport;
class ReplyMailService;
class HttpApi;
class HttpServer;
class RealtimeServer;
class RedisBus;
class SystemClock;

class Server {
public:
    explicit Server(ServerConfig config);
    ~Server();

    // Opens everything and starts listening. Returns the admin password when it was generated
    // for a new data dir (to print once), else an empty string. Throws on failure (e.g. a port
    // in use). With --ports-file, the file is written once the listeners accept.
    std::string start();
    void stop();

    // The bound ports (also when port 0 let the system pick); wsPort only with --ws-port.
    std::uint16_t httpPort() const { return m_httpPort; }
    std::optional<std::uint16_t> wsPort() const { return m_wsPort; }
    // --node-id, or "<host name>:<http port>" once start() has bound the port.
    const std::string& nodeId() const { return m_config.nodeId; }

private:
    struct IoThreads;

    void writePortsFile() const;
    void setEventSink(EventSink* sink);

    ServerConfig m_config;
    std::unique_ptr<SystemClock> m_clock;
    std::unique_ptr<DataDir> m_dataDir;
    // One of the two stores (--database); m_store is the one in use.
    std::unique_ptr<SqliteStore> m_sqliteStore;
    std::unique_ptr<PgStore> m_pgStore;
    Store* m_store = nullptr;
    std::unique_ptr<TokenSigner> m_tokens;
    std::unique_ptr<ErasedCustomers> m_erasedCustomers;
    std::unique_ptr<ChatService> m_chat;
    std::unique_ptr<AfterHoursService> m_afterHours; // issue 21: hours, contact, rating, idle close
    std::unique_ptr<AgentsAtWorkService> m_agentsAtWork;
    std::unique_ptr<InsightService> m_insights;
    std::unique_ptr<ReportsService> m_reports;
    std::unique_ptr<NodeCaches> m_nodeCaches; // issue 20: with --bus, in front of the hub
    // Reply mail (issue 21): with --smtp only.
    std::unique_ptr<CustomerConnections> m_customerConnections;
    std::unique_ptr<MailTransport> m_mailTransport;
    std::unique_ptr<ReplyMailService> m_replyMail;
    // Declared before what runs on it: the io_contexts are destroyed after them.
    std::unique_ptr<IoThreads> m_io;
    std::unique_ptr<RedisBus> m_bus; // --bus (issue 20): outlives the realtime side that uses it
    std::unique_ptr<RealtimeServer> m_realtime;
    std::unique_ptr<HttpApi> m_api;
    std::unique_ptr<HttpServer> m_http;
    std::uint16_t m_httpPort = 0;
    std::optional<std::uint16_t> m_wsPort;
};

// "parley-server listening http=PORT ws=PORT": the line main prints on stdout and --ports-file
// holds. ws is the --ws-port when there is one, else the HTTP port (which serves /ws too).
std::string listeningLine(std::uint16_t httpPort, std::optional<std::uint16_t> wsPort);

} // namespace parley::server
