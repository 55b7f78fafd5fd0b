#pragma once
// The WebSocket side of parley-server: a Boost.Beast listener on Asio (epoll) at --ws-port,
// path /ws, a hub that routes committed events to connections, and the agent presence tracker
// that gives a lost agent's chats back to the queue after the grace period.
// The HTTP side publishes into eventSink(); nothing here runs inside a store transaction.

#include "store/Event.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::server {

class ChatService;
class Clock;

struct RealtimeOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8081;
    std::chrono::seconds agentGrace{60};
    std::chrono::seconds helloTimeout{10}; // contract: first frame within 10 s
    std::chrono::seconds handshakeTimeout{10};
    // Contract: no pong for 30 s -> dropped. A connection silent for half of it gets a ping.
    std::chrono::seconds idleTimeout{30};
    std::size_t maxMessageBytes = 64 * 1024;
    std::size_t maxSendQueueBytes = 4 * 1024 * 1024; // a slower reader is dropped; it resumes
    int listenBacklog = 4096;
    int ioThreads = 1;
};

class RealtimeServer {
public:
    RealtimeServer(ChatService& chat, const Clock& clock, RealtimeOptions options);
    ~RealtimeServer();
    RealtimeServer(const RealtimeServer&) = delete;
    RealtimeServer& operator=(const RealtimeServer&) = delete;

    // Binds and starts accepting on its own io threads; throws std::runtime_error when the
    // port cannot be bound. Starts grace timers for agents that are online but not connected
    // (after a restart nobody is connected yet).
    void start();
    // Closes the listener and every connection, joins the io threads.
    void stop();
    bool accepting() const;
    std::uint16_t port() const; // the bound port (useful with port 0)

    // Thread-safe; called by the store's writer after each commit, in commit order.
    EventSink& eventSink();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace parley::server
