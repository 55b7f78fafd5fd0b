#pragma once
// The HTTP listener on Boost.Beast: REST, the widget's files and the WebSocket upgrade at /ws on
// one port. io threads (an io_context each) only accept, read, parse and write; handlers that
// may block on the store run on the worker pool behind a bounded queue, and a request that finds
// the queue full is answered 503 "overloaded" at once. A request (head and body) must arrive
// within a bounded time from its first byte, whatever the byte rate, so a slow client holds no
// thread and cannot keep a connection forever; heads and bodies are bounded (chunked ones too),
// and ambiguous framing (Content-Length with Transfer-Encoding, two different Content-Lengths,
// control characters in header values) is refused with 400 and a close.

#include "http/Router.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace parley::server {

struct HttpServerOptions {
    std::size_t workerThreads = 64;   // --http-threads: handlers running at once
    std::size_t queueCapacity = 1024; // --http-queue: requests waiting for a worker, then 503
    // --http-queue-wait-ms: a request that waited this long for a worker is answered 503 instead
    // of being handled, so past saturation the excess is refused quickly instead of queueing.
    std::chrono::milliseconds maxQueueWait{40};
    std::size_t maxBodyBytes = 64 * 1024;
    std::size_t maxHeaderBytes = 16 * 1024; // request line and header fields together
    std::size_t maxHeaderFields = 100;
    std::chrono::seconds keepAlive{10};      // an idle connection closes after this long
    std::chrono::seconds requestTimeout{10}; // a whole request, from its first byte
    std::chrono::seconds writeTimeout{30};   // a whole response
    std::size_t maxConnections = 10000;      // HTTP connections open at once; accept pauses beyond
    int listenBacklog = 4096;
    int overloadRetryAfterSeconds = 1;
};

// The already-read upgrade request of a WebSocket, handed over with its socket.
using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;
using UpgradeHandler = std::function<void(boost::asio::ip::tcp::socket&&, UpgradeRequest&&)>;

struct HttpServerState; // shared with the connections, which may outlive a stop() that timed out

class HttpServer {
public:
    // What a listening port serves: everything (the HTTP port), or only the WebSocket upgrade at
    // /ws (--ws-port).
    enum class Serves { Everything, WebSocketOnly };

    // contexts: one per io thread (at least one); connections are spread over them in turn, and
    // the listeners run on the first.
    HttpServer(std::vector<boost::asio::io_context*> contexts, HttpServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and listens (SO_REUSEADDR, never SO_REUSEPORT); returns the bound port (port 0: the
    // one the system chose). Throws std::runtime_error with a message for people when the address
    // cannot be bound, e.g. because another server has the port.
    std::uint16_t listen(const std::string& host, std::uint16_t port, Serves serves);
    // Starts accepting on the io_context's threads, routing requests with router (which must
    // outlive the server) and handing /ws upgrades to upgrade (without one, /ws answers 404).
    void start(const Router& router, UpgradeHandler upgrade);
    // Stops accepting, closes idle connections at once, lets requests in flight finish (their
    // responses say Connection: close), waits for them, then joins the workers. Blocking.
    void stop();
    bool accepting() const;

private:
    std::shared_ptr<HttpServerState> m_impl;
};

} // namespace parley::server
