#include "realtime/WsListener.h"

#include "util/Log.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include <stdexcept>

namespace parley::server {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

WsListener::WsListener(net::io_context& io, SessionContext& ctx)
    : m_io(io)
    , m_ctx(ctx)
    , m_strand(net::make_strand(io))
    , m_acceptor(m_strand)
    , m_retry(m_strand) {}

void WsListener::listen(const std::string& host, std::uint16_t port, int backlog) {
    beast::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec)
        throw std::runtime_error("realtime: invalid --host address '" + host + "': " + ec.message());
    tcp::endpoint endpoint(address, port);
    auto fail = [&](const char* what) {
        throw std::runtime_error("realtime: cannot " + std::string(what) + " " +
                                 endpoint.address().to_string() + ":" + std::to_string(port) + ": " +
                                 ec.message());
    };
    m_acceptor.open(endpoint.protocol(), ec);
    if (ec)
        fail("open");
    m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
    m_acceptor.bind(endpoint, ec);
    if (ec)
        fail("bind");
    // Far above the default of 128: a reconnect storm after a restart must not be refused.
    m_acceptor.listen(backlog, ec);
    if (ec)
        fail("listen on");
    m_port = m_acceptor.local_endpoint().port();
}

void WsListener::run() {
    net::post(m_strand, [self = shared_from_this()] { self->doAccept(); });
}

void WsListener::stop() {
    net::post(m_strand, [self = shared_from_this()] {
        self->m_stopped = true;
        beast::error_code ignored;
        self->m_retry.cancel();
        self->m_acceptor.close(ignored);
    });
}

void WsListener::doAccept() {
    if (m_stopped)
        return;
    // Each connection gets its own strand on the shared io_context.
    m_acceptor.async_accept(net::make_strand(m_io),
                            beast::bind_front_handler(&WsListener::onAccept, shared_from_this()));
}

void WsListener::onAccept(beast::error_code ec, tcp::socket socket) {
    if (m_stopped || ec == net::error::operation_aborted)
        return;
    if (ec) {
        // Out of descriptors or similar: retry shortly instead of spinning on the error.
        log::warn("realtime: accept failed: " + ec.message());
        m_retry.expires_after(std::chrono::milliseconds(100));
        m_retry.async_wait([self = shared_from_this()](beast::error_code e) {
            if (!e)
                self->doAccept();
        });
        return;
    }
    std::make_shared<WsSession>(std::move(socket), m_ctx)->start();
    doAccept();
}

} // namespace parley::server
