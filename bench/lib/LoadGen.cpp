#include "LoadGen.h"

#include "Proc.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <sys/socket.h>
#include <unistd.h>

namespace parley::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

// A TCP socket that also reports when the kernel received the bytes it returns: SO_TIMESTAMPNS
// puts the receive time in a control message of recvmsg(), which Asio's own reads discard. With it
// a delivery splits into the server's part (up to the frame's arrival in the recipient's socket;
// on loopback the stamp is taken inside the server's send()) and the load generator's part (getting
// round to reading it). Reads wait for readiness, then recvmsg().
class StampedSocket {
public:
    using executor_type = tcp::socket::executor_type;

    explicit StampedSocket(net::io_context& io)
        : m_socket(io) {}
    executor_type get_executor() noexcept { return m_socket.get_executor(); }
    tcp::socket& socket() { return m_socket; }

    bool enableTimestamps() {
        const int on = 1;
        return ::setsockopt(m_socket.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0;
    }
    // Receive time (steady clock) of the last bytes the latest read returned.
    std::optional<TimePoint> lastArrival() const { return m_lastArrival; }

    template <typename MutableBufferSequence, typename ReadHandler>
    auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
        return net::async_initiate<ReadHandler, void(beast::error_code, std::size_t)>(
            [this](auto h, const MutableBufferSequence& b) { waitThenReceive(std::move(h), b); }, handler,
            buffers);
    }
    template <typename ConstBufferSequence, typename WriteHandler>
    auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
        return m_socket.async_write_some(buffers, std::forward<WriteHandler>(handler));
    }

private:
    template <typename Handler, typename Buffers>
    void waitThenReceive(Handler h, const Buffers& b) {
        m_socket.async_wait(tcp::socket::wait_read,
                            [this, h = std::move(h), b](beast::error_code ec) mutable {
                                std::size_t n = 0;
                                if (!ec)
                                    ec = receive(b, n);
                                if (ec == net::error::would_block)
                                    return waitThenReceive(std::move(h), b);
                                h(ec, n);
                            });
    }

    template <typename Buffers>
    beast::error_code receive(const Buffers& buffers, std::size_t& n) {
        iovec iov[8];
        std::size_t count = 0;
        for (auto it = net::buffer_sequence_begin(buffers);
             it != net::buffer_sequence_end(buffers) && count < 8; ++it) {
            const net::mutable_buffer b(*it);
            if (b.size() > 0)
                iov[count++] = iovec{b.data(), b.size()};
        }
        if (count == 0)
            return {};
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = count;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t r = ::recvmsg(m_socket.native_handle(), &msg, MSG_DONTWAIT);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return net::error::would_block;
            return beast::error_code(errno, boost::system::system_category());
        }
        if (r == 0)
            return net::error::eof;
        n = static_cast<std::size_t>(r);
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
                continue;
            timespec rx{};
            std::memcpy(&rx, CMSG_DATA(c), sizeof rx);
            // The stamp is on CLOCK_REALTIME; carry it over to the steady clock by its age now.
            timespec nowReal{};
            ::clock_gettime(CLOCK_REALTIME, &nowReal);
            const auto nowSteady = SteadyClock::now();
            const auto age = std::chrono::seconds(nowReal.tv_sec - rx.tv_sec) +
                             std::chrono::nanoseconds(nowReal.tv_nsec - rx.tv_nsec);
            m_lastArrival = nowSteady - std::chrono::duration_cast<SteadyClock::duration>(age);
        }
        return {};
    }

    tcp::socket m_socket;
    std::optional<TimePoint> m_lastArrival;
};

// Closing a WebSocket over a StampedSocket closes the TCP socket as usual (found by ADL).
[[maybe_unused]] void beast_close_socket(StampedSocket& s) {
    beast::close_socket(s.socket());
}
template <typename TeardownHandler>
void async_teardown(beast::role_type role, StampedSocket& s, TeardownHandler&& handler) {
    websocket::async_teardown(role, s.socket(), std::forward<TeardownHandler>(handler));
}

class WsConn;
class HttpConn;

// What the connections report to their worker (all on the worker's thread).
class ConnEvents {
public:
    virtual void onWsReady(WsConn& c, bool ok, const std::string& why) = 0;
    virtual void onWsFrame(WsConn& c, std::string_view text) = 0;
    virtual void onWsClosed(WsConn& c) = 0;
    virtual void onHttpConnected(HttpConn& c, bool ok, const std::string& why) = 0;
    virtual void onHttpAnswer(HttpConn& c, std::size_t msg, int status, std::string_view body) = 0;
    virtual void onHttpFailed(HttpConn& c, std::size_t msg, const std::string& why, bool mayRetry) = 0;

protected:
    ~ConnEvents() = default;
};

class WsConn {
public:
    enum class Kind { Idle, Customer, Agent };

    WsConn(net::io_context& io, ConnEvents& events, Kind kind, std::string token)
        : kind(kind)
        , m_events(events)
        , m_ws(io)
        , m_hello(nlohmann::json{{"type", "hello"}, {"token", std::move(token)}}.dump()) {}

    void open(const tcp::endpoint& ep, const WsEndpoint& url) {
        m_url = &url;
        m_ws.next_layer().socket().async_connect(ep, [this](beast::error_code ec) { onConnect(ec); });
    }
    void close() {
        closed = true;
        beast::error_code ignored;
        m_ws.next_layer().socket().close(ignored);
    }
    std::optional<TimePoint> lastArrival() const { return m_ws.next_layer().lastArrival(); }

    const Kind kind;
    bool ready = false;
    bool closed = false;

private:
    void onConnect(beast::error_code ec) {
        if (ec)
            return failed("connect: " + ec.message());
        auto& s = m_ws.next_layer();
        s.socket().set_option(tcp::no_delay(true), ec);
        if (kind != Kind::Idle && !s.enableTimestamps())
            return failed(std::string("SO_TIMESTAMPNS: ") + std::strerror(errno));
        m_ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        m_ws.async_handshake(m_url->host + ":" + std::to_string(m_url->port), m_url->path,
                             [this](beast::error_code ec) { onHandshake(ec); });
    }
    void onHandshake(beast::error_code ec) {
        if (ec)
            return failed("handshake: " + ec.message());
        m_ws.text(true);
        m_ws.async_write(net::buffer(m_hello), [this](beast::error_code ec, std::size_t) {
            if (ec)
                return failed("hello: " + ec.message());
            m_hello.clear();
            m_hello.shrink_to_fit();
            doRead();
        });
    }
    void doRead() {
        m_ws.async_read(m_buf, [this](beast::error_code ec, std::size_t) { onRead(ec); });
    }
    void onRead(beast::error_code ec) {
        if (ec) {
            if (!ready)
                return failed("read: " + ec.message());
            if (!closed) {
                closed = true;
                m_events.onWsClosed(*this);
            }
            return;
        }
        const std::string_view text(static_cast<const char*>(m_buf.data().data()), m_buf.size());
        if (!ready) {
            const auto frame = nlohmann::json::parse(text, nullptr, false);
            if (!frame.is_object() || frame.value("type", "") != "hello.ok")
                return failed("no hello.ok: " + std::string(text.substr(0, 200)));
            ready = true;
            m_events.onWsReady(*this, true, {});
        } else {
            m_events.onWsFrame(*this, text);
        }
        m_buf.consume(m_buf.size());
        doRead();
    }
    void failed(const std::string& why) {
        closed = true;
        beast::error_code ignored;
        m_ws.next_layer().socket().close(ignored);
        m_events.onWsReady(*this, false, why);
    }

    ConnEvents& m_events;
    websocket::stream<StampedSocket> m_ws;
    beast::flat_buffer m_buf;
    std::string m_hello;
    const WsEndpoint* m_url = nullptr;
};

// One keep-alive HTTP/1.1 connection, one request at a time. The request is written as one
// prepared string; the answer is read with Beast's parser.
class HttpConn {
public:
    enum class State { Down, Connecting, Idle, Busy };

    HttpConn(net::io_context& io, ConnEvents& events, const tcp::endpoint& ep)
        : m_events(events)
        , m_socket(io)
        , m_ep(ep) {}

    void connect() {
        state = State::Connecting;
        served = 0;
        const unsigned gen = ++m_gen;
        m_buf.clear();
        beast::error_code ignored;
        m_socket.close(ignored);
        m_socket.async_connect(m_ep, [this, gen](beast::error_code ec) {
            if (gen != m_gen)
                return;
            if (ec) {
                state = State::Down;
                return m_events.onHttpConnected(*this, false, "connect: " + ec.message());
            }
            m_socket.set_option(tcp::no_delay(true), ec);
            state = State::Idle;
            lastUsed = SteadyClock::now();
            m_events.onHttpConnected(*this, true, {});
        });
    }

    void send(std::size_t msg, std::string request) {
        state = State::Busy;
        m_msg = msg;
        m_request = std::move(request);
        const unsigned gen = m_gen;
        net::async_write(m_socket, net::buffer(m_request), [this, gen](beast::error_code ec, std::size_t) {
            if (gen != m_gen)
                return;
            if (ec)
                return fail("write: " + ec.message());
            m_parser.emplace();
            m_parser->body_limit(1 << 20);
            http::async_read(m_socket, m_buf, *m_parser, [this, gen](beast::error_code ec, std::size_t) {
                if (gen != m_gen)
                    return;
                if (ec)
                    return fail("read: " + ec.message());
                ++served;
                lastUsed = SteadyClock::now();
                auto& res = m_parser->get();
                const bool keepAlive = res.keep_alive();
                state = keepAlive ? State::Idle : State::Down;
                if (!keepAlive) {
                    ++m_gen;
                    beast::error_code ignored;
                    m_socket.close(ignored);
                }
                m_events.onHttpAnswer(*this, m_msg, static_cast<int>(res.result_int()), res.body());
            });
        });
    }

    // An idle keep-alive connection the server may have closed meanwhile (it closes idle ones
    // after a while): a non-blocking peek reads end-of-file then.
    bool peerClosed() {
        char c;
        const ssize_t r = ::recv(m_socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
    }

    void close() {
        ++m_gen; // completions still under way are ignored
        state = State::Down;
        beast::error_code ignored;
        m_socket.close(ignored);
    }

    State state = State::Down;
    std::size_t served = 0; // answers on this connection since it was opened
    TimePoint lastUsed{};
    bool slot = false; // closed loop: sends its next message when answered

private:
    void fail(const std::string& why) {
        const bool mayRetry = served > 0; // a reused keep-alive connection the server may have closed
        close();
        m_events.onHttpFailed(*this, m_msg, why, mayRetry);
    }

    ConnEvents& m_events;
    tcp::socket m_socket;
    tcp::endpoint m_ep;
    beast::flat_buffer m_buf;
    std::optional<http::response_parser<http::string_body>> m_parser;
    std::string m_request;
    std::size_t m_msg = 0;
    unsigned m_gen = 0;
};

constexpr std::string_view kIdKey = "\"client_msg_id\":\"b";

} // namespace

WsEndpoint parseWsUrl(const std::string& url) {
    static const std::regex re(R"(ws://([^/:]+|\[[^\]]+\]):(\d+)(/.*)?)");
    std::smatch m;
    if (!std::regex_match(url, m, re))
        throw std::invalid_argument("not a ws:// URL with a port: " + url);
    WsEndpoint e;
    e.host = m[1].str();
    e.port = std::stoi(m[2].str());
    e.path = m[3].matched ? m[3].str() : "/";
    if (e.port <= 0 || e.port > 65535)
        throw std::invalid_argument("bad port in " + url);
    return e;
}

// --- a worker: one thread, one io_context -----------------------------------------------------

class LoadGenerator::Worker final : public ConnEvents {
public:
    struct Msg {
        TimePoint scheduled{}, sent{}, responded{}, delivered{}, arrived{};
        std::uint32_t conv = 0;
        std::int16_t status = 0; // 0: not answered (yet); -1: transport error; -2: never sent
        std::uint8_t deliveries = 0;
        bool toAgent = false;
        bool measured = false;
        bool retried = false;
        bool wasSent = false;
    };
    struct Conv {
        std::string target; // /api/v1/conversations/{id}/messages
        std::string customerToken;
        std::string agentToken;
        WsConn* customer = nullptr;
        WsConn* agent = nullptr;
        bool nextToAgent = true;
    };

    Worker(int index, std::optional<int> cpu, int httpPort, const WsEndpoint& ws, int maxConns,
           int connectConcurrency)
        : m_index(index)
        , m_cpu(cpu)
        , m_httpEp(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(httpPort))
        , m_ws(ws)
        , m_wsEp(net::ip::make_address(ws.host == "localhost" ? "127.0.0.1" : ws.host),
                 static_cast<unsigned short>(ws.port))
        , m_hostHeader("127.0.0.1:" + std::to_string(httpPort))
        , m_maxConns(std::max(1, maxConns))
        , m_connectConcurrency(std::max(1, connectConcurrency))
        , m_timer(m_io) {
        std::promise<std::string> started;
        auto startedFuture = started.get_future();
        m_thread = std::thread([this, &started] {
            std::string error;
            if (m_cpu) {
                try {
                    setAffinity(0, {*m_cpu});
                } catch (const std::exception& e) {
                    error = e.what();
                }
            }
            m_tid = ::gettid();
            started.set_value(error);
            if (error.empty())
                m_io.run();
        });
        if (const auto error = startedFuture.get(); !error.empty()) {
            m_thread.join();
            throw std::runtime_error("load generator worker " + std::to_string(index) + ": " + error);
        }
    }

    ~Worker() { stop(); }

    void stop() {
        if (!m_thread.joinable())
            return;
        net::post(m_io, [this] {
            m_shuttingDown = true;
            m_timer.cancel();
            for (auto& c : m_wsConns)
                c->close();
            for (auto& c : m_conns)
                c->close();
        });
        m_guard.reset();
        // Give the aborted operations a moment to complete, then stop whatever is left.
        std::promise<void> closed;
        auto f = closed.get_future();
        net::post(m_io, [&closed] { closed.set_value(); });
        f.wait_for(5s);
        m_io.stop();
        m_thread.join();
    }

    // Runs fn(done) on the worker's thread and waits until it calls done().
    template <typename F>
    void callAndWait(std::chrono::seconds timeout, const std::string& what, F fn) {
        auto promise = std::make_shared<std::promise<void>>();
        auto future = promise->get_future();
        net::post(m_io, [fn = std::move(fn), promise]() mutable { fn([promise] { promise->set_value(); }); });
        if (future.wait_for(timeout) != std::future_status::ready)
            throw std::runtime_error("timed out: " + what);
    }
    template <typename F>
    void post(F fn) {
        net::post(m_io, std::move(fn));
    }

    pid_t tid() const { return m_tid; }
    std::size_t convCount() const { return m_convs.size(); }

    // --- set-up (call on the worker's thread) ---

    WsConn* addWs(WsConn::Kind kind, const std::string& token) {
        m_wsConns.push_back(std::make_unique<WsConn>(m_io, *this, kind, token));
        return m_wsConns.back().get();
    }
    void addConv(const std::string& conversationId, const std::string& customerToken,
                 const std::string& agentToken, WsConn* customer, WsConn* agent) {
        Conv c;
        c.target = "/api/v1/conversations/" + conversationId + "/messages";
        c.customerToken = customerToken;
        c.agentToken = agentToken;
        c.customer = customer;
        c.agent = agent;
        m_convs.push_back(std::move(c));
    }

    // Connects (at most connectConcurrency at a time) and says hello; done(failed) when all are through.
    void connectAll(std::vector<WsConn*> list, std::function<void(std::size_t, std::string)> done) {
        m_connectList = std::move(list);
        m_connectNext = m_connectDone = m_connectFailures = 0;
        m_connectError.clear();
        m_connectFinished = std::move(done);
        if (m_connectList.empty())
            return std::exchange(m_connectFinished, nullptr)(0, {});
        const auto n =
            std::min<std::size_t>(m_connectList.size(), static_cast<std::size_t>(m_connectConcurrency));
        for (std::size_t i = 0; i < n; ++i)
            m_connectList[m_connectNext++]->open(m_wsEp, m_ws);
    }

    // Opens HTTP connections until n exist; done() when they are all through.
    void openConnections(int n, std::function<void()> done) {
        m_openWaiter = std::move(done);
        while (static_cast<int>(m_conns.size()) < std::min(n, m_maxConns))
            startConnect(newConn());
        for (auto& c : m_conns)
            if (c->state == HttpConn::State::Down && m_opening < n)
                startConnect(c.get());
        checkOpenWaiter();
    }

    // --- a step ---

    void beginStep(int stepId, const StepSpec& spec, TimePoint start, TimePoint windowStart, TimePoint end,
                   double rate, int slots, std::function<void(StepResult)> done) {
        m_stepId = stepId;
        m_spec = spec;
        m_windowStart = windowStart;
        m_end = end;
        m_slots = slots;
        m_slotsActive = 0;
        m_stepDone = std::move(done);
        m_msgs.clear();
        m_pending.clear();
        m_outstanding = m_undelivered = 0;
        m_retries = m_transportErrors = m_duplicates = 0;
        m_errorSamples.clear();
        m_recording = true;
        m_sending = true;
        m_nextDue = 0;
        const std::size_t n = m_convs.size();
        if (!spec.closedLoop && n > 0 && rate > 0) {
            const auto total =
                static_cast<std::size_t>(rate * std::chrono::duration<double>(end - start).count());
            m_msgs.resize(total);
            const std::chrono::duration<double> period(1.0 / rate);
            for (std::size_t j = 0; j < total; ++j) {
                auto& m = m_msgs[j];
                m.scheduled = start + std::chrono::duration_cast<SteadyClock::duration>(
                                          period * static_cast<double>(j));
                m.conv = static_cast<std::uint32_t>(j % n);
                auto& conv = m_convs[m.conv];
                m.toAgent = conv.nextToAgent;
                conv.nextToAgent = !conv.nextToAgent;
                m.measured = m.scheduled >= windowStart && m.scheduled < end;
            }
        } else if (spec.closedLoop) {
            m_msgs.reserve(static_cast<std::size_t>(std::max(1, slots)) * 4096);
        }
        m_timer.expires_at(start);
        m_timer.async_wait([this](beast::error_code ec) {
            if (ec)
                return;
            if (m_spec.closedLoop)
                startClosedLoop();
            else
                paceTick();
        });
    }

    // --- ConnEvents ---

    void onWsReady(WsConn& c, bool ok, const std::string& why) override {
        if (!ok && ++m_connectFailures == 1)
            m_connectError = why;
        ++m_connectDone;
        if (m_connectNext < m_connectList.size())
            m_connectList[m_connectNext++]->open(m_wsEp, m_ws);
        if (m_connectDone == m_connectList.size() && m_connectFinished)
            std::exchange(m_connectFinished, nullptr)(m_connectFailures, m_connectError);
        (void)c;
    }

    void onWsFrame(WsConn& c, std::string_view text) override {
        if (c.kind == WsConn::Kind::Idle) {
            ++m_idleFrames;
            return;
        }
        const auto at = text.find(kIdKey);
        if (at == std::string_view::npos || text.find("\"message.created\"") == std::string_view::npos)
            return;
        // "b<step>-<worker>-<j>"
        const char* p = text.data() + at + kIdKey.size();
        const char* endp = text.data() + text.size();
        auto number = [&](long long& out) {
            out = 0;
            const char* s = p;
            while (p < endp && *p >= '0' && *p <= '9')
                out = out * 10 + (*p++ - '0');
            return p > s;
        };
        long long step = 0, worker = 0, j = 0;
        if (!number(step) || p >= endp || *p++ != '-' || !number(worker) || p >= endp || *p++ != '-' ||
            !number(j))
            return;
        if (worker != m_index)
            return;
        if (step != m_stepId || !m_recording) {
            // Another step's message: its drain ended before this frame came. Only the recipient's
            // copy counts (the sender's own socket gets one too).
            const bool toAgent = text.find("\"sender_type\":\"customer\"") != std::string_view::npos;
            const bool recipientCopy = toAgent == (c.kind == WsConn::Kind::Agent);
            if (recipientCopy && (step < m_stepId || (step == m_stepId && !m_recording)))
                ++m_lateFrames;
            return;
        }
        if (j < 0 || static_cast<std::size_t>(j) >= m_msgs.size())
            return;
        auto& m = m_msgs[static_cast<std::size_t>(j)];
        const auto& conv = m_convs[m.conv];
        if ((m.toAgent ? conv.agent : conv.customer) != &c)
            return; // the sender's own copy
        if (m.deliveries == 255)
            return;
        if (m.deliveries++ == 0) {
            m.delivered = SteadyClock::now();
            m.arrived = c.lastArrival().value_or(m.delivered);
            if ((m.status == 201 || m.status == 200) && m_undelivered > 0)
                --m_undelivered;
        } else {
            ++m_duplicates;
        }
    }

    void onWsClosed(WsConn& c) override {
        if (m_shuttingDown)
            return;
        if (c.kind == WsConn::Kind::Idle)
            ++m_idleDropped;
        else
            ++m_activeDropped;
    }

    void onHttpConnected(HttpConn& c, bool ok, const std::string& why) override {
        --m_opening;
        if (!ok) {
            ++m_connectErrors;
            sample("HTTP " + why);
        } else {
            connFree(c);
        }
        checkOpenWaiter();
    }

    void onHttpAnswer(HttpConn& c, std::size_t j, int status, std::string_view body) override {
        if (j < m_msgs.size() && m_recording) {
            auto& m = m_msgs[j];
            m.responded = SteadyClock::now();
            m.status = static_cast<std::int16_t>(status);
            --m_outstanding;
            // 200: a retried request whose first attempt had been stored (same client_msg_id).
            if ((status == 201 || status == 200) && m.deliveries == 0)
                ++m_undelivered;
            if (status != 201 && status != 200 && status != 503)
                sample("HTTP " + std::to_string(status) + " " + std::string(body.substr(0, 160)));
        }
        if (c.state == HttpConn::State::Idle)
            connFree(c);
        else
            reopenOrGrow(c); // the server closed the connection after this answer
    }

    void onHttpFailed(HttpConn& c, std::size_t j, const std::string& why, bool mayRetry) override {
        if (j >= m_msgs.size() || !m_recording)
            return;
        auto& m = m_msgs[j];
        --m_outstanding;
        if (mayRetry && !m.retried && m_sending) {
            // The server may close an idle keep-alive connection just as a request goes out; the
            // same client_msg_id again is safe (a stored message answers 200 and is not repeated).
            m.retried = true;
            ++m_retries;
            m_pending.push_front(j);
            reopenOrGrow(c);
            return;
        }
        m.status = -1;
        ++m_transportErrors;
        sample(why);
        reopenOrGrow(c);
    }

    std::size_t idleFrames() const { return m_idleFrames; }
    std::size_t idleDropped() const { return m_idleDropped; }
    std::size_t activeDropped() const { return m_activeDropped; }
    std::size_t lateFrames() const { return m_lateFrames; }

private:
    HttpConn* newConn() {
        m_conns.push_back(std::make_unique<HttpConn>(m_io, *this, m_httpEp));
        return m_conns.back().get();
    }
    void startConnect(HttpConn* c) {
        ++m_opening;
        c->connect();
    }
    void checkOpenWaiter() {
        if (m_openWaiter && m_opening == 0)
            std::exchange(m_openWaiter, nullptr)();
    }

    // Opens connections for the messages waiting, as far as the maximum allows.
    void grow() {
        if (!m_sending)
            return;
        for (auto& c : m_conns) {
            if (static_cast<std::size_t>(m_opening) >= m_pending.size())
                return;
            if (c->state == HttpConn::State::Down)
                startConnect(c.get());
        }
        while (static_cast<std::size_t>(m_opening) < m_pending.size() &&
               static_cast<int>(m_conns.size()) < m_maxConns)
            startConnect(newConn());
    }

    // A connection went down: a closed-loop slot gets it back at once (its request is in flight
    // again once it is up); otherwise messages that wait may need another connection.
    void reopenOrGrow(HttpConn& c) {
        if (c.slot && m_sending && m_spec.closedLoop)
            return startConnect(&c);
        if (!m_pending.empty())
            grow();
    }

    HttpConn* takeIdle() {
        const auto now = SteadyClock::now();
        while (!m_idle.empty()) {
            HttpConn* c = m_idle.front(); // the longest idle: requests spread over every connection,
            m_idle.pop_front();           // as over many clients' own
            if (c->state != HttpConn::State::Idle)
                continue;
            if (now - c->lastUsed > 1s && c->peerClosed()) {
                c->close();
                continue;
            }
            return c;
        }
        return nullptr;
    }

    void connFree(HttpConn& c) {
        if (m_sending && m_spec.closedLoop && (c.slot || m_slotsActive < m_slots)) {
            if (!c.slot) {
                c.slot = true;
                ++m_slotsActive;
            }
            if (!m_pending.empty()) { // a retry first
                const auto j = m_pending.front();
                m_pending.pop_front();
                return sendOn(c, j);
            }
            return sendOn(c, newClosedLoopMsg());
        }
        if (m_sending && !m_pending.empty()) {
            const auto j = m_pending.front();
            m_pending.pop_front();
            return sendOn(c, j);
        }
        if (m_sending && !m_spec.closedLoop && m_nextDue < m_msgs.size() &&
            m_msgs[m_nextDue].scheduled <= SteadyClock::now())
            return sendOn(c, m_nextDue++); // due since the last tick
        if (c.slot) {
            c.slot = false;
            --m_slotsActive;
        }
        m_idle.push_back(&c);
    }

    void sendOn(HttpConn& c, std::size_t j) {
        auto& m = m_msgs[j];
        const auto& conv = m_convs[m.conv];
        m_body.clear();
        m_body += R"({"content":")";
        m_body += m.toAgent ? "Customer" : "Agent";
        m_body += " message ";
        m_body += std::to_string(j);
        m_body += R"(: where is my order? It was due on Monday.","client_msg_id":"b)";
        m_body += std::to_string(m_stepId);
        m_body += '-';
        m_body += std::to_string(m_index);
        m_body += '-';
        m_body += std::to_string(j);
        m_body += "\"}";
        std::string req;
        req.reserve(conv.target.size() + 320 + m_body.size());
        req += "POST ";
        req += conv.target;
        req += " HTTP/1.1\r\nHost: ";
        req += m_hostHeader;
        req += "\r\nAuthorization: Bearer ";
        req += m.toAgent ? conv.customerToken : conv.agentToken;
        req += "\r\nContent-Type: application/json\r\nContent-Length: ";
        req += std::to_string(m_body.size());
        req += "\r\n\r\n";
        req += m_body;
        ++m_outstanding;
        m.wasSent = true;
        m.sent = SteadyClock::now();
        c.send(j, std::move(req));
    }

    std::size_t newClosedLoopMsg() {
        const auto now = SteadyClock::now();
        Msg m;
        m.scheduled = now;
        m.conv = static_cast<std::uint32_t>(m_convCursor++ % m_convs.size());
        auto& conv = m_convs[m.conv];
        m.toAgent = conv.nextToAgent;
        conv.nextToAgent = !conv.nextToAgent;
        m.measured = now >= m_windowStart && now < m_end;
        m_msgs.push_back(m);
        return m_msgs.size() - 1;
    }

    void paceTick() {
        const auto now = SteadyClock::now();
        // Each due message goes out on an idle connection; once none is idle, the rest wait in the
        // line, and connections are opened for them once (grow() looks at every connection).
        while (m_nextDue < m_msgs.size() && m_msgs[m_nextDue].scheduled <= now) {
            if (HttpConn* c = takeIdle())
                sendOn(*c, m_nextDue++);
            else
                m_pending.push_back(m_nextDue++);
        }
        if (!m_pending.empty())
            grow();
        if (m_nextDue < m_msgs.size()) {
            // While messages wait for a connection, a freed one takes the next due itself
            // (connFree), so this only moves the due ones into the line (and opens connections)
            // each millisecond: a wake-up per message at 4x saturation took a tenth of a core
            // from the server it measures, on a machine they share.
            const auto next = m_msgs[m_nextDue].scheduled;
            m_timer.expires_at(m_pending.empty() ? next : std::max(next, now + 1ms));
        } else if (now < m_end) {
            m_timer.expires_at(m_end);
        } else {
            return endSending();
        }
        m_timer.async_wait([this](beast::error_code ec) {
            if (!ec)
                paceTick();
        });
    }

    void startClosedLoop() {
        if (m_convs.empty() || m_slots <= 0) {
            m_timer.expires_at(m_end);
        } else {
            int started = 0;
            while (started < m_slots) {
                HttpConn* c = takeIdle();
                if (!c)
                    break;
                connFree(*c); // becomes a slot and sends
                ++started;
            }
            // Connections still missing are opened; each becomes a slot when it is up.
            for (int missing = m_slots - started; missing > 0; --missing) {
                HttpConn* down = nullptr;
                for (auto& c : m_conns)
                    if (c->state == HttpConn::State::Down) {
                        down = c.get();
                        break;
                    }
                if (!down && static_cast<int>(m_conns.size()) >= m_maxConns)
                    break;
                startConnect(down ? down : newConn());
            }
            m_timer.expires_at(m_end);
        }
        m_timer.async_wait([this](beast::error_code ec) {
            if (!ec)
                endSending();
        });
    }

    // The schedule is over: what never went out is given up, and the step drains.
    void endSending() {
        m_sending = false;
        for (const auto j : m_pending)
            m_msgs[j].status = -2;
        m_pending.clear();
        for (std::size_t j = m_nextDue; j < m_msgs.size() && !m_spec.closedLoop; ++j)
            m_msgs[j].status = -2; // (none: the last ones are due before the end)
        drainTick();
    }

    void drainTick() {
        const auto now = SteadyClock::now();
        const bool complete = m_outstanding == 0 && m_undelivered == 0;
        const auto deadline = m_end + std::chrono::duration_cast<SteadyClock::duration>(
                                          std::chrono::duration<double>(m_spec.drainTimeout));
        if (complete || now > deadline)
            return finish(now);
        m_timer.expires_after(2ms);
        m_timer.async_wait([this](beast::error_code ec) {
            if (!ec)
                drainTick();
        });
    }

    void finish(TimePoint now) {
        m_recording = false;
        StepResult r;
        r.drainSeconds = std::chrono::duration<double>(now - m_end).count();
        for (const auto& m : m_msgs) {
            const bool ok = m.status == 201 || m.status == 200;
            if (m.deliveries > 0 && m.delivered >= m_windowStart && m.delivered < m_end)
                ++r.deliveredInWindow;
            if (m.wasSent && m.status == 0)
                ++r.unanswered;
            if (ok && m.deliveries == 0)
                ++r.lost;
            if (!ok && m.deliveries > 0)
                ++r.deliveredNot201;
            if (!m.measured)
                continue;
            ++r.offered;
            if (m.status == -2 || !m.wasSent) {
                ++r.unsent;
                continue;
            }
            ++r.sent;
            if (!m_spec.closedLoop)
                r.sendLag.add(msBetween(m.scheduled, m.sent));
            if (ok) {
                ++r.ok201;
                r.rtt201.add(msBetween(m.sent, m.responded));
                if (m.deliveries > 0) {
                    const double d = msBetween(m.sent, m.delivered);
                    r.delivery.add(d);
                    (m.toAgent ? r.toAgent : r.toCustomer).add(d);
                    r.fromSchedule.add(msBetween(m.scheduled, m.delivered));
                    r.serverPart.add(msBetween(m.sent, m.arrived));
                    r.readDelay.add(msBetween(m.arrived, m.delivered));
                    r.frameAfter201.add(msBetween(m.responded, m.delivered));
                }
            } else if (m.status == 503) {
                ++r.overloaded503;
                r.rtt503.add(msBetween(m.sent, m.responded));
            } else if (m.status > 0) {
                ++r.otherStatus;
            }
        }
        r.transportErrors = m_transportErrors;
        r.retries = m_retries;
        r.duplicates = m_duplicates;
        r.lateFrames = m_lateFrames.exchange(0);
        r.errorSamples = m_errorSamples;
        // Requests still unanswered after the drain: their connections are given up.
        for (auto& c : m_conns) {
            if (c->state == HttpConn::State::Busy || c->state == HttpConn::State::Connecting) {
                if (c->state == HttpConn::State::Connecting)
                    --m_opening;
                c->close();
            }
            c->slot = false;
            if (c->state != HttpConn::State::Down)
                ++r.connections;
        }
        m_slotsActive = 0;
        m_outstanding = 0;
        m_undelivered = 0;
        std::exchange(m_stepDone, nullptr)(std::move(r));
    }

    void sample(const std::string& what) {
        if (m_errorSamples.size() < 3)
            m_errorSamples.push_back("worker " + std::to_string(m_index) + ": " + what);
    }

    // Declared first: destroyed last, after every socket and timer below.
    net::io_context m_io{1};
    net::executor_work_guard<net::io_context::executor_type> m_guard = net::make_work_guard(m_io);
    const int m_index;
    const std::optional<int> m_cpu;
    const tcp::endpoint m_httpEp;
    const WsEndpoint m_ws;
    const tcp::endpoint m_wsEp;
    const std::string m_hostHeader;
    const int m_maxConns;
    const int m_connectConcurrency;
    net::steady_timer m_timer;
    std::thread m_thread;
    pid_t m_tid = 0;

    std::vector<std::unique_ptr<WsConn>> m_wsConns;
    std::vector<Conv> m_convs;
    std::vector<std::unique_ptr<HttpConn>> m_conns;
    std::deque<HttpConn*> m_idle;
    int m_opening = 0;
    std::function<void()> m_openWaiter;
    std::size_t m_connectErrors = 0;

    std::vector<WsConn*> m_connectList;
    std::size_t m_connectNext = 0, m_connectDone = 0, m_connectFailures = 0;
    std::string m_connectError;
    std::function<void(std::size_t, std::string)> m_connectFinished;

    int m_stepId = 0;
    StepSpec m_spec;
    TimePoint m_windowStart{}, m_end{};
    int m_slots = 0, m_slotsActive = 0;
    std::vector<Msg> m_msgs;
    std::deque<std::size_t> m_pending;
    std::size_t m_nextDue = 0;
    std::size_t m_convCursor = 0;
    std::size_t m_outstanding = 0, m_undelivered = 0;
    std::size_t m_retries = 0, m_transportErrors = 0, m_duplicates = 0;
    std::vector<std::string> m_errorSamples;
    std::string m_body;
    bool m_recording = false;
    bool m_sending = false;
    bool m_shuttingDown = false;
    std::function<void(StepResult)> m_stepDone;

    std::atomic<std::size_t> m_idleFrames{0}, m_idleDropped{0}, m_activeDropped{0};
    std::atomic<std::size_t> m_lateFrames{0}; // recipients' frames of a step whose drain had ended
};

// --- LoadGenerator ------------------------------------------------------------------------------

LoadGenerator::LoadGenerator(const LoadOptions& options, int httpPort, const WsEndpoint& ws)
    : LoadGenerator(options, std::vector<int>{httpPort}, std::vector<WsEndpoint>{ws}) {}

LoadGenerator::LoadGenerator(const LoadOptions& options, const std::vector<int>& httpPorts,
                             const std::vector<WsEndpoint>& ws)
    : m_options(options) {
    if (httpPorts.empty() || httpPorts.size() != ws.size())
        throw std::invalid_argument("LoadGenerator: one WebSocket endpoint per HTTP port");
    const int n = std::max(1, options.threads);
    const std::size_t nodes = httpPorts.size();
    for (int i = 0; i < n; ++i) {
        std::optional<int> cpu;
        if (!options.cpus.empty())
            cpu = options.cpus[static_cast<std::size_t>(i) % options.cpus.size()];
        const auto w = static_cast<std::size_t>(i);
        m_workers.push_back(std::make_unique<Worker>(i, cpu, httpPorts[w % nodes], ws[(w + 1) % nodes],
                                                     (options.maxConnections + n - 1) / n,
                                                     (options.connectConcurrency + n - 1) / n));
    }
}

LoadGenerator::~LoadGenerator() {
    shutdown();
}

void LoadGenerator::shutdown() {
    for (auto& w : m_workers)
        w->stop();
}

int LoadGenerator::threads() const {
    return static_cast<int>(m_workers.size());
}

std::vector<pid_t> LoadGenerator::threadIds() const {
    std::vector<pid_t> out;
    for (const auto& w : m_workers)
        out.push_back(w->tid());
    return out;
}

// Connects lists[i] on worker i, all workers at once; throws if any failed.
void LoadGenerator::connectOnWorkers(std::vector<std::vector<void*>> lists, const std::string& what) {
    const std::size_t n = m_workers.size();
    std::mutex mu;
    std::size_t failures = 0;
    std::string firstError;
    std::vector<std::promise<void>> promises(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<WsConn*> list;
        for (void* c : lists[i])
            list.push_back(static_cast<WsConn*>(c));
        m_workers[i]->post([&, i, list = std::move(list)]() mutable {
            m_workers[i]->connectAll(std::move(list), [&, i](std::size_t f, std::string why) {
                if (f) {
                    std::lock_guard lock(mu);
                    failures += f;
                    if (firstError.empty())
                        firstError = why;
                }
                promises[i].set_value();
            });
        });
    }
    for (auto& p : promises)
        if (p.get_future().wait_for(120s) != std::future_status::ready)
            throw std::runtime_error("timed out: connecting " + what);
    if (failures)
        throw std::runtime_error(std::to_string(failures) + " " + what + " failed to connect: " + firstError);
}

void LoadGenerator::connectAgents(const std::vector<std::string>& tokens) {
    const std::size_t n = m_workers.size();
    std::vector<std::vector<void*>> lists(n);
    m_agentWs.assign(tokens.size(), nullptr);
    m_agentTokens = tokens;
    for (std::size_t a = 0; a < tokens.size(); ++a) {
        auto& w = *m_workers[a % n];
        w.callAndWait(10s, "set-up", [&](auto done) {
            auto* c = w.addWs(WsConn::Kind::Agent, tokens[a]);
            m_agentWs[a] = c;
            lists[a % n].push_back(c);
            done();
        });
    }
    connectOnWorkers(std::move(lists), "agents' WebSockets");
}

void LoadGenerator::connectPairs(const std::vector<PairSpec>& pairs) {
    // A pair lives on its agent's worker, with both of its sockets.
    const std::size_t n = m_workers.size();
    std::vector<std::vector<void*>> lists(n);
    for (const auto& p : pairs) {
        if (p.agent < 0 || static_cast<std::size_t>(p.agent) >= m_agentWs.size())
            throw std::runtime_error("conversation " + p.conversationId + " has no agent of ours");
        const auto a = static_cast<std::size_t>(p.agent);
        auto& w = *m_workers[a % n];
        w.callAndWait(10s, "set-up", [&](auto done) {
            WsConn* customer = w.addWs(WsConn::Kind::Customer, p.customerToken);
            lists[a % n].push_back(customer);
            w.addConv(p.conversationId, p.customerToken, m_agentTokens[a], customer,
                      static_cast<WsConn*>(m_agentWs[a]));
            done();
        });
    }
    connectOnWorkers(std::move(lists), "customers' WebSockets");
}

LoadGenerator::ConnectStats LoadGenerator::connectIdle(const std::vector<std::string>& tokens) {
    const std::size_t n = m_workers.size();
    const auto t0 = SteadyClock::now();
    std::vector<std::vector<WsConn*>> lists(n);
    for (std::size_t i = 0; i < n; ++i)
        m_workers[i]->callAndWait(30s, "set-up", [&, i](auto done) {
            for (std::size_t k = i; k < tokens.size(); k += n)
                lists[i].push_back(m_workers[i]->addWs(WsConn::Kind::Idle, tokens[k]));
            done();
        });
    std::mutex mu;
    std::size_t failures = 0;
    std::vector<std::promise<void>> promises(n);
    for (std::size_t i = 0; i < n; ++i)
        m_workers[i]->post([&, i] {
            m_workers[i]->connectAll(std::move(lists[i]), [&, i](std::size_t f, std::string why) {
                {
                    std::lock_guard lock(mu);
                    failures += f;
                    if (f && failures == f)
                        std::fprintf(stderr, "idle WebSockets: %zu failed, e.g. %s\n", f, why.c_str());
                }
                promises[i].set_value();
            });
        });
    for (auto& p : promises)
        if (p.get_future().wait_for(300s) != std::future_status::ready)
            throw std::runtime_error("timed out: connecting the idle WebSockets");
    ConnectStats s;
    s.failed = failures;
    s.connected = tokens.size() - failures;
    s.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    return s;
}

void LoadGenerator::openConnections(int total) {
    const int n = static_cast<int>(m_workers.size());
    std::vector<std::promise<void>> promises(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const int share = total / n + (i < total % n ? 1 : 0);
        m_workers[static_cast<std::size_t>(i)]->post([this, i, share, &promises] {
            m_workers[static_cast<std::size_t>(i)]->openConnections(
                share, [&promises, i] { promises[static_cast<std::size_t>(i)].set_value(); });
        });
    }
    for (auto& p : promises)
        if (p.get_future().wait_for(60s) != std::future_status::ready)
            throw std::runtime_error("timed out: opening HTTP connections");
}

StepResult LoadGenerator::runStep(const StepSpec& spec, const std::function<void(bool)>& atWindowEdge) {
    const int stepId = ++m_stepId;
    const auto toDuration = [](double s) {
        return std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(s));
    };
    const auto start = SteadyClock::now() + 30ms;
    const auto windowStart = start + toDuration(spec.warmup);
    const auto end = windowStart + toDuration(spec.duration);

    std::size_t totalConvs = 0;
    for (const auto& w : m_workers)
        totalConvs += w->convCount();
    if (totalConvs == 0)
        throw std::runtime_error("no conversations to send in");
    // Each worker offers its share: in proportion to its pairs.
    std::vector<int> slots(m_workers.size(), 0);
    if (spec.closedLoop) {
        std::size_t given = 0;
        for (std::size_t i = 0; i < m_workers.size(); ++i) {
            slots[i] = static_cast<int>(static_cast<std::size_t>(spec.inFlight) * m_workers[i]->convCount() /
                                        totalConvs);
            given += static_cast<std::size_t>(slots[i]);
        }
        for (std::size_t i = 0; given < static_cast<std::size_t>(spec.inFlight);
             i = (i + 1) % m_workers.size())
            if (m_workers[i]->convCount() > 0) {
                ++slots[i];
                ++given;
            }
    }
    std::vector<std::promise<StepResult>> promises(m_workers.size());
    for (std::size_t i = 0; i < m_workers.size(); ++i) {
        const double rate =
            spec.rate * static_cast<double>(m_workers[i]->convCount()) / static_cast<double>(totalConvs);
        m_workers[i]->post([this, i, stepId, spec, start, windowStart, end, rate, s = slots[i], &promises] {
            m_workers[i]->beginStep(stepId, spec, start, windowStart, end, rate, s,
                                    [&promises, i](StepResult r) { promises[i].set_value(std::move(r)); });
        });
    }
    std::this_thread::sleep_until(windowStart);
    atWindowEdge(false);
    std::this_thread::sleep_until(end);
    atWindowEdge(true);

    StepResult total;
    total.window = spec.duration;
    const auto deadline = end + toDuration(spec.drainTimeout) + 30s;
    for (auto& p : promises) {
        auto f = p.get_future();
        if (f.wait_until(deadline) != std::future_status::ready)
            throw std::runtime_error("timed out: a load generator worker did not finish its step");
        auto r = f.get();
        total.offered += r.offered;
        total.sent += r.sent;
        total.unsent += r.unsent;
        total.deliveredInWindow += r.deliveredInWindow;
        total.ok201 += r.ok201;
        total.overloaded503 += r.overloaded503;
        total.otherStatus += r.otherStatus;
        total.transportErrors += r.transportErrors;
        total.retries += r.retries;
        total.lost += r.lost;
        total.unanswered += r.unanswered;
        total.duplicates += r.duplicates;
        total.deliveredNot201 += r.deliveredNot201;
        total.lateFrames += r.lateFrames;
        total.connections += r.connections;
        total.drainSeconds = std::max(total.drainSeconds, r.drainSeconds);
        total.delivery.merge(r.delivery);
        total.fromSchedule.merge(r.fromSchedule);
        total.toAgent.merge(r.toAgent);
        total.toCustomer.merge(r.toCustomer);
        total.serverPart.merge(r.serverPart);
        total.readDelay.merge(r.readDelay);
        total.rtt201.merge(r.rtt201);
        total.rtt503.merge(r.rtt503);
        total.frameAfter201.merge(r.frameAfter201);
        total.sendLag.merge(r.sendLag);
        for (auto& e : r.errorSamples)
            if (total.errorSamples.size() < 5)
                total.errorSamples.push_back(std::move(e));
    }
    return total;
}

std::size_t LoadGenerator::activeDropped() const {
    std::size_t n = 0;
    for (const auto& w : m_workers)
        n += w->activeDropped();
    return n;
}
std::size_t LoadGenerator::idleDropped() const {
    std::size_t n = 0;
    for (const auto& w : m_workers)
        n += w->idleDropped();
    return n;
}
std::size_t LoadGenerator::lateFrames() const {
    std::size_t n = 0;
    for (const auto& w : m_workers)
        n += w->lateFrames();
    return n;
}
std::size_t LoadGenerator::idleFrames() const {
    std::size_t n = 0;
    for (const auto& w : m_workers)
        n += w->idleFrames();
    return n;
}

} // namespace parley::bench
