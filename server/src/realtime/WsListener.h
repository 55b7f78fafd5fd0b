#pragma once
// Accepts TCP connections on the WebSocket port and hands each to a WsSession on its own strand.

#include "realtime/WsSession.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::server {

class WsListener final : public std::enable_shared_from_this<WsListener> {
public:
    WsListener(boost::asio::io_context& io, SessionContext& ctx);

    // Binds and listens (synchronously, so that failures reach the caller); throws
    // std::runtime_error when the address cannot be bound.
    void listen(const std::string& host, std::uint16_t port, int backlog);
    void run();  // starts the accept loop
    void stop(); // thread-safe: closes the acceptor; sessions are closed by the caller
    std::uint16_t port() const { return m_port.load(); }

private:
    void doAccept();
    void onAccept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

    boost::asio::io_context& m_io;
    SessionContext& m_ctx;
    boost::asio::strand<boost::asio::io_context::executor_type> m_strand;
    boost::asio::ip::tcp::acceptor m_acceptor;
    boost::asio::steady_timer m_retry; // back-off after EMFILE and friends
    std::atomic<std::uint16_t> m_port{0};
    bool m_stopped = false;
};

} // namespace parley::server
