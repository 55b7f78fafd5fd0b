#pragma once
// The TCP stream under a WebSocket session, whose teardown drains what the peer still sends.
//
// After sending its close frame (at the peer's close, or when the peer broke the protocol or sent
// more than the message limit), Beast reads from the socket until the peer closes, so that
// nothing the peer sent is left unread when the socket closes: unread data makes the kernel answer
// with a reset, and a peer that gets a reset may lose the close frame it has not read yet, and
// with it the reason (1009, 1008...). Boost 1.74's loop (websocket/impl/teardown.hpp) stops after
// the first read that follows a wait: it tests the coroutine's byte count, which is zero after
// the wait, instead of what the read returned. A peer still writing, like a client sending past
// the message limit, then got a reset. This stream's async_teardown, found by argument-dependent
// lookup before Beast's own for tcp_stream, reads until the peer closes, for at most kDrainBytes
// or kDrainTime: a peer that never stops writing cannot hold the connection.

#include <boost/asio/compose.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>

namespace parley::server {

class WsTcpStream : public boost::beast::tcp_stream {
public:
    using boost::beast::tcp_stream::tcp_stream;

    static constexpr std::size_t kDrainBytes = 1024 * 1024;
    static constexpr std::chrono::seconds kDrainTime{5};
};

namespace ws_detail {

struct DrainOp {
    WsTcpStream& stream;
    boost::beast::role_type role;
    std::unique_ptr<std::array<char, 4096>> buffer = std::make_unique<std::array<char, 4096>>();
    std::size_t drained = 0;
    bool started = false;

    template <class Self>
    void operator()(Self& self, boost::beast::error_code ec = {}, std::size_t bytes = 0) {
        if (!started) {
            started = true;
            if (role == boost::beast::role_type::server)
                stream.socket().shutdown(boost::asio::socket_base::shutdown_send, ec);
            if (ec)
                return finish(self, ec);
            stream.expires_after(WsTcpStream::kDrainTime);
        } else {
            drained += bytes;
            if (ec == boost::asio::error::eof)
                return finish(self, {});
            if (ec)
                return finish(self, ec);
            if (drained > WsTcpStream::kDrainBytes)
                return finish(self, {});
        }
        stream.async_read_some(boost::asio::buffer(*buffer), std::move(self));
    }

    template <class Self>
    void finish(Self& self, boost::beast::error_code ec) {
        boost::beast::error_code ignored;
        stream.socket().close(ignored);
        self.complete(ec);
    }
};

} // namespace ws_detail

// Beast's customization point for websocket::stream<WsTcpStream> (see the comment at the top).
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, WsTcpStream& stream, TeardownHandler&& handler) {
    boost::asio::async_compose<TeardownHandler, void(boost::beast::error_code)>(
        ws_detail::DrainOp{stream, role}, handler, stream);
}

} // namespace parley::server
