#pragma once
// The WebSocket side of parley-server: sessions on Boost.Beast, a hub that routes committed events
// to connections, and the agent presence tracker that gives a lost agent's chats back to the queue
// after the grace period. It has no listener of its own: the HTTP listener reads the upgrade
// request at /ws and hands the socket over (acceptUpgrade), on the HTTP port and on --ws-port.
// The store publishes into eventSink(); nothing here runs inside a store transaction.

#include "store/Event.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::server {

class ChatService;
class Clock;
class CustomerConnections;
class InsightService;
class PresenceDirectory;

struct RealtimeOptions {
    std::chrono::seconds agentGrace{60};
    std::chrono::seconds helloTimeout{10}; // contract: first frame within 10 s
    std::chrono::seconds handshakeTimeout{10};
    // Contract: no pong for 30 s -> dropped. A connection silent for half of it gets a ping.
    std::chrono::seconds idleTimeout{30};
    std::size_t maxMessageBytes = 64 * 1024;
    std::size_t maxSendQueueBytes = 4 * 1024 * 1024; // a slower reader is dropped; it resumes
    // After hello.ok, how long a conversation's new messages wait for the client's resume of it,
    // so that the backlog goes out before them (WsSession::deliverLive).
    std::chrono::milliseconds resumeWindow{500};
};

class RealtimeServer {
public:
    // The hub, the presence timers and every session run on io (an io thread's; the server keeps
    // HTTP off it when it has more than one): a commit's frames are routed and written by one
    // thread.
    // insights: typing frames (v1.1); without it they are answered with an error.
    RealtimeServer(ChatService& chat, const Clock& clock, RealtimeOptions options,
                   boost::asio::io_context& io, InsightService* insights = nullptr);
    ~RealtimeServer();
    RealtimeServer(const RealtimeServer&) = delete;
    RealtimeServer& operator=(const RealtimeServer&) = delete;

    // Starts taking upgrades, and grace timers for agents that are online but not connected
    // (after a restart nobody is connected yet).
    void start();
    // Takes a WebSocket whose upgrade request the HTTP listener has read (path /ws), and moves it
    // to io. Called on the socket's strand; does not block. After stop() the socket is closed.
    void acceptUpgrade(boost::asio::ip::tcp::socket&& socket,
                       boost::beast::http::request<boost::beast::http::string_body>&& upgrade);
    // Closes every connection (going away) and waits for them, a second at most; joins the
    // blocking pool. The io_context's threads keep running (they are not ours).
    void stop();
    bool accepting() const;

    // Reply mail (issue 21): which shoppers have a connection open. Before start().
    void setCustomerConnections(CustomerConnections* customers);

    // Several nodes (issue 20): typing signals go to relay as well (they are never stored, so the
    // event outbox does not carry them). Before start(); must outlive this.
    void setTypingRelay(EventSink* relay);
    // Several nodes (issue 20): presence shared with the other nodes through the directory (its
    // heartbeat runs here too). Before start(); it must outlive this.
    void setPresenceDirectory(PresenceDirectory* directory);

    // Thread-safe; called by the store's writer after each commit, in commit order.
    EventSink& eventSink();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace parley::server
