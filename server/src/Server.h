#pragma once
// The composition root: data dir, store, use cases, and the two listeners, started and
// stopped in the right order (listeners stop first so in-flight work finishes before the
// database closes).

#include "ServerConfig.h"

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace parley::server {

class DataDir;
class SqliteStore;
class TokenSigner;
class ChatService;
class HttpApi;
class RealtimeServer;
class SystemClock;

class Server {
public:
    explicit Server(ServerConfig config);
    ~Server();

    // Opens everything and starts both listeners. Returns the admin password when it was
    // generated for a new data dir (to print once), else an empty string. Throws on failure.
    std::string start();
    void stop();

    std::uint16_t httpPort() const; // the bound port (also when --http-port 0 let the system pick)

private:
    ServerConfig m_config;
    std::unique_ptr<SystemClock> m_clock;
    std::unique_ptr<DataDir> m_dataDir;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<TokenSigner> m_tokens;
    std::unique_ptr<ChatService> m_chat;
    std::unique_ptr<RealtimeServer> m_realtime;
    std::unique_ptr<HttpApi> m_http;
    std::thread m_httpThread;
};

} // namespace parley::server
