#include "http/HttpServer.h"

#include "http/WorkerPool.h"
#include "parley/protocol/Errors.h"
#include "util/Log.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unordered_map>
#include <vector>

namespace parley::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace errors = protocol::errors;
using tcp = net::ip::tcp;

namespace {

using SteadyClock = std::chrono::steady_clock;
using BeastRequest = bhttp::request<bhttp::string_body>;
using BeastResponse = bhttp::response<bhttp::string_body>;

constexpr std::size_t kReadBufferLimit = 64 * 1024; // bytes read ahead of the parser
constexpr std::size_t kKeepBufferBytes = 8 * 1024;  // an idle connection gives back more than this
constexpr std::size_t kFirstReadBytes = 1024;       // what an idle connection reads into
constexpr std::chrono::seconds kLingerTimeout{2};   // reading what a refused client still sends
constexpr std::chrono::seconds kStopTimeout{15};    // stop() waits this long for requests in flight
constexpr std::chrono::milliseconds kAcceptRetry{100};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kWsPath = "/ws";

HttpMethod methodOf(bhttp::verb v) {
    switch (v) {
    case bhttp::verb::get:
        return HttpMethod::Get;
    case bhttp::verb::head:
        return HttpMethod::Head;
    case bhttp::verb::post:
        return HttpMethod::Post;
    case bhttp::verb::put:
        return HttpMethod::Put;
    case bhttp::verb::delete_:
        return HttpMethod::Delete;
    case bhttp::verb::options:
        return HttpMethod::Options;
    case bhttp::verb::patch:
        return HttpMethod::Patch;
    default:
        return HttpMethod::Other;
    }
}

std::string_view pathOf(beast::string_view target) {
    const std::string_view t(target.data(), target.size());
    return t.substr(0, t.find('?'));
}

// Method, target and headers of a parsed head: enough for the router to decorate an error.
Request headOf(const BeastRequest& msg) {
    Request r;
    r.method = methodOf(msg.method());
    r.methodName = std::string(msg.method_string());
    r.target = std::string(msg.target());
    r.headers.reserve(8);
    for (const auto& f : msg)
        r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return r;
}

} // namespace

// --- shared state ----------------------------------------------------------------------------

class Session;
class Listener;

// Deadlines are steady-clock nanoseconds in an atomic per connection (0: none), checked by one
// sweep every kSweepEvery for all connections: setting one costs a store, not a timer, so a
// request arms and cancels no timer at all (with a timer per read and write, as Beast's
// tcp_stream has, the timer queue and the handlers of cancelled waits cost more than parsing).
constexpr std::chrono::milliseconds kSweepEvery{250};

std::int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
        .count();
}
std::int64_t fromNowNs(SteadyClock::duration d) {
    return nowNs() + std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

struct HttpServerState : std::enable_shared_from_this<HttpServerState> {
    HttpServerState(std::vector<net::io_context*> contexts, HttpServerOptions o)
        : contexts(std::move(contexts))
        , io(*this->contexts.front())
        , options(std::move(o))
        , sweepTimer(net::make_strand(io)) {}

    // Where the next connection goes: each io thread runs an io_context of its own, so a
    // connection's handlers never wait for a lock or a wake-up of another io thread.
    net::io_context& nextContext() {
        return *contexts[nextContextIndex.fetch_add(1, std::memory_order_relaxed) % contexts.size()];
    }

    const std::vector<net::io_context*> contexts;
    std::atomic<std::size_t> nextContextIndex{0};
    net::io_context& io; // the listeners' and the sweep's
    const Router* router = nullptr;
    const HttpServerOptions options;
    std::unique_ptr<WorkerPool> pool;
    UpgradeHandler upgrade;
    std::vector<std::shared_ptr<Listener>> listeners;
    std::atomic<bool> started{false};
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> connections{0};
    net::steady_timer sweepTimer; // on its own strand
    std::atomic<bool> sweeping{true};

    // Every open connection, so that the sweep can close the overdue ones and stop() the idle
    // ones, and wait for the rest. The raw pointer is valid while the entry exists: a session
    // leaves (finish(), under the mutex) before any of its members is destroyed.
    struct Entry {
        Session* session;
        std::weak_ptr<Session> weak;
    };
    std::mutex mutex;
    std::condition_variable emptied;
    std::unordered_map<std::uint64_t, Entry> sessions;
    std::uint64_t nextId = 1;

    std::uint64_t add(const std::shared_ptr<Session>& s);
    void remove(std::uint64_t id);
    void sweep();
};

// --- responses ---------------------------------------------------------------------------------

// The status line and header fields of a response, ready to go out before its body. Header values
// come from our own code, but a CR or LF in one would split the response: they are dropped.
std::string serializeHead(const Response& res, unsigned version, bool keepAlive,
                          std::chrono::seconds keepAliveTime) {
    std::string out;
    out.reserve(160 + res.headers.size() * 48);
    out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(res.status);
    out += ' ';
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
    out.append(reason.data(), reason.size());
    out += "\r\n";
    auto field = [&out](std::string_view name, std::string_view value) {
        out += name;
        out += ": ";
        for (char c : value)
            if (c != '\r' && c != '\n')
                out += c;
        out += "\r\n";
    };
    if (!res.contentType.empty())
        field("Content-Type", res.contentType);
    for (const auto& [name, value] : res.headers)
        field(name, value);
    // No Content-Length on 204 and 304 (RFC 9110 8.6); a HEAD answer names the GET body's length.
    if (res.status != 204 && res.status != 304)
        field("Content-Length", std::to_string(res.body.size()));
    if (!keepAlive) {
        field("Connection", "close");
    } else {
        if (version == 10)
            field("Connection", "keep-alive");
        field("Keep-Alive", "timeout=" + std::to_string(keepAliveTime.count()));
    }
    out += "\r\n";
    return out;
}

// A serialized response: head and body, sent as one gathered write.
struct Outgoing {
    std::string head;
    std::string body; // empty for HEAD, 204 and 304
    std::size_t sent = 0;

    std::size_t size() const { return head.size() + body.size(); }
};

// --- one connection --------------------------------------------------------------------------

// A connection's life runs on its strand: waiting for a request, reading and parsing it, and
// writing the answers made on the io thread. A handler on the worker pool writes its answer itself
// (a non-blocking send on the socket's descriptor, no Asio object touched), so a request costs one
// hand-over to a worker and none back. Meanwhile the strand reads ahead (the next request, or the
// peer closing): `m_workerOwns` says the worker may still use the descriptor, so nothing on the
// strand closes it until the worker lets go, or hands the connection back with a post when it
// could not send everything at once or the connection must close.
class Session final : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket&& socket, std::shared_ptr<HttpServerState> server, HttpServer::Serves serves)
        : m_socket(std::move(socket))
        , m_executor(m_socket.get_executor())
        , m_buffer(kReadBufferLimit)
        , m_server(std::move(server))
        , m_serves(serves) {}

    ~Session() { finish(); }

    void start() {
        m_id = m_server->add(shared_from_this());
        beast::error_code ignored;
        // Without TCP_NODELAY every response waits ~40 ms (Nagle + delayed ACK).
        m_socket.set_option(tcp::no_delay(true), ignored);
        net::post(m_executor, [self = shared_from_this()] { self->awaitRequest(); });
    }

    // On stop: an idle connection, or one whose request is still arriving, closes now; one with a
    // request in a worker or a response being written finishes it first (with Connection: close).
    void stop() {
        net::post(m_executor, [self = shared_from_this()] {
            if (self->m_state == State::Idle || self->m_state == State::Reading)
                self->close();
            else if (self->m_state == State::Handling)
                self->wantConnection();
        });
    }

    const net::any_io_executor& executor() const { return m_executor; }

    // For the sweep (any thread): the deadline if it has passed, claimed (reset to none), else 0.
    std::int64_t claimOverdue(std::int64_t now) {
        auto d = m_deadline.load();
        if (d == 0 || d > now || !m_deadline.compare_exchange_strong(d, 0))
            return 0;
        return d;
    }

    // On the strand, after the sweep claimed the deadline.
    void overdue() {
        if (m_state == State::Closed || m_deadline.load() != 0)
            return; // closed meanwhile, or a new deadline was set after the claim
        if (m_state == State::Handling && m_workerOwns)
            return; // the handler runs: nothing is overdue
        // Idle past the keep-alive time, a request not whole in time, a response not taken in
        // time, or the end of a lingering close.
        close();
    }

private:
    enum class State { Idle, Reading, Handling, Writing, Closing, Closed };

    void setDeadline(SteadyClock::duration d) { m_deadline = fromNowNs(d); }

    // --- reading ---------------------------------------------------------------------------

    // Waits for the first byte of the next request (a pipelined one may be buffered already). The
    // keep-alive time bounds the wait; the request's own deadline starts with its first byte.
    void awaitRequest() {
        if (m_state == State::Closed)
            return;
        if (m_server->stopping || m_readError) {
            close();
            return;
        }
        if (m_buffer.size() > 0) {
            readRequest();
            return;
        }
        if (m_buffer.capacity() > kKeepBufferBytes && !m_readPending)
            m_buffer.shrink_to_fit(); // an idle connection holds no large buffer
        m_state = State::Idle;
        setDeadline(m_server->options.keepAlive);
        readAhead();
    }

    // A read of whatever comes next, while idle or while a worker answers the last request. Only
    // with an empty buffer, one at a time.
    void readAhead() {
        if (m_readPending)
            return;
        m_readPending = true;
        m_socket.async_read_some(m_buffer.prepare(kFirstReadBytes),
                                 beast::bind_front_handler(&Session::onReadAhead, shared_from_this()));
    }

    void onReadAhead(beast::error_code ec, std::size_t n) {
        m_readPending = false;
        if (ec)
            m_readError = true; // the peer closed, or close() did
        else
            m_buffer.commit(n);
        switch (m_state) {
        case State::Idle:
            if (m_readError)
                close();
            else
                readRequest();
            break;
        case State::Handling: // a worker has the last request: take over once it is done
            wantConnection();
            break;
        default: // writing: awaitRequest() takes it from the buffer afterwards
            break;
        }
    }

    void readRequest() {
        m_state = State::Reading;
        const auto& o = m_server->options;
        m_parser.emplace();
        m_parser->header_limit(static_cast<std::uint32_t>(o.maxHeaderBytes));
        m_parser->body_limit(o.maxBodyBytes); // chunked bodies count too
        setDeadline(o.requestTimeout);        // for the whole request, however its bytes come
        bhttp::async_read_header(m_socket, m_buffer, *m_parser,
                                 beast::bind_front_handler(&Session::onHeader, shared_from_this()));
    }

    void onHeader(beast::error_code ec, std::size_t) {
        if (ec) {
            readFailed(ec);
            return;
        }
        const auto& msg = m_parser->get();
        // Beast refuses Content-Length with chunked and two different Content-Lengths; it reads a
        // Transfer-Encoding without "chunked" last as no body at all, which a proxy in front may
        // read differently: refuse it.
        const auto te = msg.find(bhttp::field::transfer_encoding);
        if (te != msg.end() && !m_parser->chunked()) {
            refuse(400, errors::kInvalidRequest, "Unsupported Transfer-Encoding: only chunked is accepted.");
            return;
        }
        std::size_t fields = 0; // a request has few, counting them is cheap
        for (auto it = msg.begin(); it != msg.end(); ++it)
            ++fields;
        if (fields > m_server->options.maxHeaderFields) {
            refuse(431, errors::kInvalidRequest, "Too many header fields.");
            return;
        }

        const auto path = pathOf(msg.target());
        if (path == kWsPath || m_serves == HttpServer::Serves::WebSocketOnly) {
            upgradeOrRefuse(path);
            return;
        }
        if (!m_parser->is_done()) {
            if (msg.version() >= 11 && beast::iequals(msg[bhttp::field::expect], "100-continue")) {
                // The client waits for this before it sends the body.
                net::async_write(m_socket, net::buffer(kContinue.data(), kContinue.size()),
                                 [self = shared_from_this()](beast::error_code e, std::size_t) {
                                     if (e)
                                         return self->close();
                                     self->readBody();
                                 });
                return;
            }
            readBody();
            return;
        }
        onRequest();
    }

    void readBody() {
        bhttp::async_read(m_socket, m_buffer, *m_parser,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec)
                                  return self->readFailed(ec);
                              self->onRequest();
                          });
    }

    void readFailed(beast::error_code ec) {
        if (m_state == State::Closed) {
            return; // the deadline passed, or stop(): closed already, no answer
        } else if (ec == bhttp::error::body_limit) {
            auto head = headOf(m_parser->get());
            refuse(413, errors::kPayloadTooLarge, "The request body is too large.", &head);
        } else if (ec == bhttp::error::header_limit) {
            // The parser takes the request line and each whole field as they come: no target yet
            // and no line end within the limit means the request line itself (the URL) is too long.
            const auto data = m_buffer.cdata();
            const std::string_view bytes(static_cast<const char*>(data.data()),
                                         std::min(data.size(), m_server->options.maxHeaderBytes));
            if (m_parser->get().target().empty() && bytes.find("\r\n") == std::string_view::npos)
                refuse(414, errors::kInvalidRequest, "The request target is too long.");
            else
                refuse(431, errors::kInvalidRequest, "The request header is too large.");
        } else if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
                   ec == net::error::connection_reset || ec == bhttp::error::partial_message ||
                   ec == net::error::eof) {
            close(); // gone
        } else {
            // Malformed: bad characters in a field value, a bad or repeated Content-Length,
            // Content-Length with chunked, a bad chunk, a bad request line...
            refuse(400, errors::kInvalidRequest, "Malformed request: " + ec.message() + ".");
        }
    }

    // --- WebSocket upgrade ----------------------------------------------------------------

    void upgradeOrRefuse(std::string_view path) {
        const bool wsOnly = m_serves == HttpServer::Serves::WebSocketOnly;
        if (path != kWsPath) { // only on the WebSocket-only port
            refuseText(404, "Not found. The WebSocket endpoint is /ws.\n");
            return;
        }
        if (!m_parser->is_done() || !beast::websocket::is_upgrade(m_parser->get())) {
            if (wsOnly) {
                refuseText(426, "This endpoint speaks WebSocket only.\n");
            } else {
                auto head = headOf(m_parser->get());
                refuse(426, errors::kInvalidRequest, "/ws speaks WebSocket only: send an Upgrade request.",
                       &head);
            }
            return;
        }
        if (!m_server->upgrade) {
            refuseText(404, "Not found.\n");
            return;
        }
        // The realtime module takes the socket and the request it already read. Bytes after the
        // request are not expected: a client sends frames only after the 101.
        m_deadline = 0;
        auto request = m_parser->release();
        m_parser.reset();
        m_state = State::Closed;
        m_server->upgrade(std::move(m_socket), std::move(request));
        finish();
    }

    // --- handling --------------------------------------------------------------------------

    Response overloaded(const Request& req) const {
        Response busy;
        busy.error(503, errors::kOverloaded, "The server is busy. Please try again shortly.");
        busy.setHeader("Retry-After", std::to_string(m_server->options.overloadRetryAfterSeconds));
        m_server->router->decorate(req, busy);
        return busy;
    }

    void onRequest() {
        auto msg = m_parser->release();
        m_parser.reset();
        m_keepAlive = msg.keep_alive();
        m_version = msg.version();
        m_head = msg.method() == bhttp::verb::head;

        Request req;
        req.method = methodOf(msg.method());
        req.methodName = std::string(msg.method_string());
        req.target = std::string(msg.target());
        req.headers.reserve(8);
        for (const auto& f : msg)
            req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        req.body = std::move(msg.body());

        Response res;
        const auto& router = *m_server->router;
        const auto match = router.match(req, res);
        if (!match.handler) {
            respond(std::move(res));
            return;
        }
        if (match.run == Router::Run::Inline) {
            router.run(*match.handler, req, res);
            respond(std::move(res));
            return;
        }
        m_state = State::Handling;
        m_deadline = 0; // a handler takes what it takes; the keep-alive time starts with its answer
        m_fd = m_socket.native_handle();
        m_workerOwns = true;
        WorkerPool::Job job = [self = shared_from_this(), handler = match.handler, req = std::move(req)](
                                  WorkerPool::Waited queued) { self->handleOnWorker(*handler, req, queued); };
        if (!m_server->pool->tryPost(job)) {
            m_workerOwns = false;
            // Full: answer at once rather than queue without bound; nothing has run, nothing is
            // created. (tryPost leaves the job, and the request in it, alone when it refuses.)
            Request head;
            head.target = std::string(msg.target());
            respond(overloaded(head));
            return;
        }
        if (m_buffer.size() > 0) // the next request is here already (pipelined)
            wantConnection();
        else
            readAhead(); // the next request, or the peer closing
    }

    // On a worker thread. Only this thread uses the socket's descriptor until it lets go of
    // m_workerOwns or posts the connection back to the strand.
    void handleOnWorker(const Router::Handler& handler, const Request& req, WorkerPool::Waited queued) {
        Response res;
        // Waited too long in the queue for a worker: the server is past saturation. Refusing now
        // (nothing has run) keeps the answer time of the excess bounded and spends no work on a
        // request whose client may be about to give up; the client retries after Retry-After.
        if (queued > m_server->options.maxQueueWait)
            res = overloaded(req);
        else
            m_server->router->run(handler, req, res);
        const bool keepAlive = m_keepAlive && !m_server->stopping;
        auto out = std::make_shared<Outgoing>(prepare(std::move(res), keepAlive));
        const bool failed = !sendNow(m_fd, *out);
        if (!failed && out->sent == out->size() && keepAlive) {
            setDeadline(m_server->options.keepAlive);
            m_workerOwns = false;
            if (m_wanted.exchange(false))
                net::post(m_executor, [self = shared_from_this()] { self->resume(); });
            return;
        }
        // The rest (or the close) on the strand; the worker keeps nothing.
        net::post(m_executor, [self = shared_from_this(), out, keepAlive, failed] {
            self->takeBack();
            if (failed)
                return self->close();
            self->write(out, keepAlive, false);
        });
    }

    // Non-blocking sends while the socket takes them; false on an error (the peer is gone).
    static bool sendNow(int fd, Outgoing& out) {
        while (out.sent < out.size()) {
            iovec parts[2];
            int count = 0;
            if (out.sent < out.head.size())
                parts[count++] = {out.head.data() + out.sent, out.head.size() - out.sent};
            const std::size_t bodyFrom = out.sent > out.head.size() ? out.sent - out.head.size() : 0;
            if (bodyFrom < out.body.size())
                parts[count++] = {out.body.data() + bodyFrom, out.body.size() - bodyFrom};
            msghdr msg{};
            msg.msg_iov = parts;
            msg.msg_iovlen = static_cast<std::size_t>(count);
            const auto n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return errno == EAGAIN || errno == EWOULDBLOCK; // the strand sends the rest
            }
            out.sent += static_cast<std::size_t>(n);
        }
        return true;
    }

    // The next request arrived, the peer closed, or stop() wants the connection: take it back
    // from the worker now if it is done with it, else the worker posts resume() when it is.
    void wantConnection() {
        m_wanted = true;
        if (!m_workerOwns && m_wanted.exchange(false))
            resume();
    }

    void resume() {
        if (m_state != State::Handling)
            return;
        takeBack();
        awaitRequest();
    }

    // The strand has the connection again.
    void takeBack() {
        m_workerOwns = false;
        m_wanted = false;
    }

    // --- writing ---------------------------------------------------------------------------

    Outgoing prepare(Response res, bool keepAlive) const {
        Outgoing out;
        out.head = serializeHead(res, m_version, keepAlive, m_server->options.keepAlive);
        if (!m_head && res.status != 204 && res.status != 304)
            out.body = std::move(res.body);
        return out;
    }

    void respond(Response res, bool forceClose = false) {
        if (m_state == State::Closed)
            return;
        const bool keepAlive = m_keepAlive && !forceClose && !m_server->stopping;
        write(std::make_shared<Outgoing>(prepare(std::move(res), keepAlive)), keepAlive, forceClose);
    }

    void write(std::shared_ptr<Outgoing> out, bool keepAlive, bool linger) {
        m_state = State::Writing;
        setDeadline(m_server->options.writeTimeout);
        std::array<net::const_buffer, 2> parts{};
        if (out->sent < out->head.size())
            parts[0] = net::buffer(out->head.data() + out->sent, out->head.size() - out->sent);
        const std::size_t bodyFrom = out->sent > out->head.size() ? out->sent - out->head.size() : 0;
        parts[1] = net::buffer(out->body.data() + bodyFrom, out->body.size() - bodyFrom);
        net::async_write(
            m_socket, parts,
            [self = shared_from_this(), out, keepAlive, linger](beast::error_code ec, std::size_t) {
                if (ec)
                    return self->close();
                if (linger)
                    return self->linger();
                if (!keepAlive)
                    return self->closeAfterSend();
                self->awaitRequest();
            });
    }

    // The server's own refusal of a request it would not read to the end: the contract's body,
    // Connection: close, and the client's remaining bytes read and dropped for a moment, so that
    // closing does not reset the connection before the client has read the answer.
    void refuse(int status, const char* code, const std::string& message, const Request* head = nullptr) {
        m_parser.reset();
        m_head = false;
        Response res;
        res.error(status, code, message);
        if (head)
            m_server->router->decorate(*head, res);
        respond(std::move(res), true);
    }

    void refuseText(int status, const char* text) {
        m_parser.reset();
        m_head = false;
        Response res;
        res.status = status;
        res.contentType = "text/plain; charset=utf-8";
        res.body = text;
        respond(std::move(res), true);
    }

    void closeAfterSend() {
        beast::error_code ignored;
        m_socket.shutdown(tcp::socket::shutdown_send, ignored);
        close();
    }

    void linger() {
        m_state = State::Closing;
        beast::error_code ignored;
        m_socket.shutdown(tcp::socket::shutdown_send, ignored);
        m_buffer.consume(m_buffer.size());
        setDeadline(kLingerTimeout);
        drain();
    }

    void drain() {
        m_socket.async_read_some(net::buffer(m_discard),
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     if (ec)
                                         return self->close();
                                     self->drain();
                                 });
    }

    // Never while a worker owns the socket (the strand only closes after takeBack, or when the
    // worker has let go).
    void close() {
        if (m_state == State::Closed)
            return;
        m_state = State::Closed;
        m_deadline = 0;
        beast::error_code ignored;
        m_socket.shutdown(tcp::socket::shutdown_both, ignored);
        m_socket.close(ignored); // pending reads and writes end with operation_aborted
        finish();
    }

    // Leaves the server's books (idempotent).
    void finish() {
        if (m_finished)
            return;
        m_finished = true;
        m_server->remove(m_id);
    }

    tcp::socket m_socket;
    const net::any_io_executor m_executor; // the connection's strand; workers post to it
    beast::flat_buffer m_buffer;
    std::shared_ptr<HttpServerState> m_server;
    HttpServer::Serves m_serves;
    std::optional<bhttp::request_parser<bhttp::string_body>> m_parser;
    std::array<char, 4096> m_discard{};
    std::uint64_t m_id = 0;
    int m_fd = -1; // the socket's descriptor, for the worker's send
    State m_state = State::Idle;
    std::atomic<std::int64_t> m_deadline{0}; // see kSweepEvery
    std::atomic<bool> m_workerOwns{false};   // a worker may be sending on the descriptor
    std::atomic<bool> m_wanted{false};       // the strand wants the connection back from the worker
    bool m_readPending = false;
    bool m_readError = false;
    bool m_keepAlive = true;
    bool m_head = false;
    bool m_finished = false;
    unsigned m_version = 11;
};

std::uint64_t HttpServerState::add(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(mutex);
    const auto id = nextId++;
    sessions.emplace(id, Entry{s.get(), s});
    return id;
}

void HttpServerState::remove(std::uint64_t id) {
    connections.fetch_sub(1);
    std::lock_guard lock(mutex);
    if (sessions.erase(id) > 0 && sessions.empty())
        emptied.notify_all();
}

// Every kSweepEvery: connections past their deadline are closed on their strand. Only those are
// locked (weak_ptr), so a sweep of many idle connections is a loop of atomic loads.
void HttpServerState::sweep() {
    const auto now = nowNs();
    {
        std::lock_guard lock(mutex);
        for (auto& [id, entry] : sessions) {
            if (entry.session->claimOverdue(now) == 0)
                continue;
            if (auto s = entry.weak.lock()) {
                const auto strand = s->executor();
                net::post(strand, [s = std::move(s)] { s->overdue(); });
            }
        }
    }
    if (!sweeping)
        return;
    sweepTimer.expires_after(kSweepEvery);
    sweepTimer.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec)
            self->sweep();
    });
}

// --- accepting -------------------------------------------------------------------------------

class Listener final : public std::enable_shared_from_this<Listener> {
public:
    Listener(std::shared_ptr<HttpServerState> server, HttpServer::Serves serves)
        : m_server(std::move(server))
        , m_serves(serves)
        , m_strand(net::make_strand(m_server->io))
        , m_acceptor(m_strand)
        , m_retry(m_strand) {}

    std::uint16_t listen(const std::string& host, std::uint16_t port) {
        const char* what = m_serves == HttpServer::Serves::Everything ? "HTTP" : "WebSocket";
        beast::error_code ec;
        const auto address = net::ip::make_address(host, ec);
        if (ec)
            throw std::runtime_error(std::string("invalid --host address '") + host + "': " + ec.message());
        const tcp::endpoint endpoint(address, port);
        auto fail = [&](const char* step) {
            std::string message = std::string("cannot ") + step + " " + address.to_string() + ":" +
                                  std::to_string(port) + " for " + what + ": " + ec.message();
            if (ec == net::error::address_in_use)
                message += " (another program, perhaps another parley-server, is using this port)";
            throw std::runtime_error(message);
        };
        m_acceptor.open(endpoint.protocol(), ec);
        if (ec)
            fail("open a socket on");
        // SO_REUSEADDR: a port whose old connections are in TIME_WAIT can be bound again at once.
        // Never SO_REUSEPORT: a second server on the same port must fail, not share the traffic.
        m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
        m_acceptor.bind(endpoint, ec);
        if (ec)
            fail("bind");
        m_acceptor.listen(m_server->options.listenBacklog, ec);
        if (ec)
            fail("listen on");
        return m_acceptor.local_endpoint().port();
    }

    void run() {
        net::post(m_strand, [self = shared_from_this()] { self->accept(); });
    }

    void close() {
        net::post(m_strand, [self = shared_from_this()] {
            self->m_closed = true;
            beast::error_code ignored;
            self->m_retry.cancel();
            self->m_acceptor.close(ignored);
        });
    }

private:
    void accept() {
        if (m_closed)
            return;
        if (m_server->connections.load() >= m_server->options.maxConnections) {
            // At the cap: stop accepting (new clients wait in the backlog) until some close.
            if (!m_paused)
                log::warn("HTTP: " + std::to_string(m_server->options.maxConnections) +
                          " connections open; accepting pauses until some close");
            m_paused = true;
            retryLater();
            return;
        }
        m_paused = false;
        // A connection lives on one io_context, run by one thread: that is its strand.
        m_acceptor.async_accept(m_server->nextContext(),
                                beast::bind_front_handler(&Listener::onAccept, shared_from_this()));
    }

    void onAccept(beast::error_code ec, tcp::socket socket) {
        if (m_closed || ec == net::error::operation_aborted)
            return;
        if (ec) {
            // Out of descriptors (EMFILE) or similar: retry shortly instead of spinning on the error.
            log::warn("HTTP: accept failed: " + ec.message());
            retryLater();
            return;
        }
        if (m_server->stopping) {
            beast::error_code ignored;
            socket.close(ignored);
            return;
        }
        m_server->connections.fetch_add(1);
        std::make_shared<Session>(std::move(socket), m_server, m_serves)->start();
        accept();
    }

    void retryLater() {
        m_retry.expires_after(kAcceptRetry);
        m_retry.async_wait([self = shared_from_this()](beast::error_code e) {
            if (!e)
                self->accept();
        });
    }

    std::shared_ptr<HttpServerState> m_server;
    HttpServer::Serves m_serves;
    net::strand<net::io_context::executor_type> m_strand;
    tcp::acceptor m_acceptor;
    net::steady_timer m_retry;
    bool m_closed = false;
    bool m_paused = false;
};

// --- the server ------------------------------------------------------------------------------

HttpServer::HttpServer(std::vector<net::io_context*> contexts, HttpServerOptions options)
    : m_impl(std::make_shared<HttpServerState>(std::move(contexts), std::move(options))) {}

HttpServer::~HttpServer() {
    stop();
    m_impl->listeners.clear(); // they hold m_impl too
}

std::uint16_t HttpServer::listen(const std::string& host, std::uint16_t port, Serves serves) {
    auto listener = std::make_shared<Listener>(m_impl, serves);
    const auto bound = listener->listen(host, port); // throws
    m_impl->listeners.push_back(std::move(listener));
    return bound;
}

void HttpServer::start(const Router& router, UpgradeHandler upgrade) {
    auto& d = *m_impl;
    if (d.started)
        return;
    d.router = &router;
    d.upgrade = std::move(upgrade);
    d.pool = std::make_unique<WorkerPool>(d.options.workerThreads, d.options.queueCapacity,
                                          d.options.maxQueueWait);
    d.started = true;
    net::post(d.sweepTimer.get_executor(), [state = m_impl] { state->sweep(); });
    for (auto& l : d.listeners)
        l->run();
}

void HttpServer::stop() {
    auto& d = *m_impl;
    if (!d.started || d.stopping.exchange(true))
        return;
    for (auto& l : d.listeners)
        l->close();
    std::vector<std::shared_ptr<Session>> open;
    {
        std::lock_guard lock(d.mutex);
        for (auto& [id, entry] : d.sessions)
            if (auto s = entry.weak.lock())
                open.push_back(std::move(s));
    }
    for (auto& s : open)
        s->stop();
    open.clear();
    {
        std::unique_lock lock(d.mutex);
        if (!d.emptied.wait_for(lock, kStopTimeout, [&] { return d.sessions.empty(); }))
            log::warn("HTTP: " + std::to_string(d.sessions.size()) + " connection(s) did not finish in time");
    }
    // Jobs still queued run to the end (their responses may no longer be written).
    d.pool->stop();
    d.sweeping = false;
    net::post(d.sweepTimer.get_executor(), [state = m_impl] { state->sweepTimer.cancel(); });
}

bool HttpServer::accepting() const {
    return m_impl->started && !m_impl->stopping;
}

} // namespace parley::server
