#include "http/KeepAliveServer.h"

#include "util/Log.h"
#include "util/Threads.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace parley::server {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until fd has one of events (or an error or hang-up, which the next call reports).
bool waitFor(int fd, short events, int timeoutMs) {
    pollfd p{fd, events, 0};
    for (;;) {
        const int n = ::poll(&p, 1, timeoutMs);
        if (n >= 0)
            return n > 0;
        if (errno != EINTR)
            return false;
    }
}

void addressOf(const sockaddr_storage& addr, std::string& ip, int& port) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (addr.ss_family == AF_INET) {
        const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
        ::inet_ntop(AF_INET, &a.sin_addr, text.data(), text.size());
        port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
        ::inet_ntop(AF_INET6, &a.sin6_addr, text.data(), text.size());
        port = ntohs(a.sin6_port);
    }
    ip = text.data();
}

// A connection's two addresses, read once: httplib asks for them on every request.
struct Addresses {
    std::string remoteIp, localIp;
    int remotePort = 0, localPort = 0;

    explicit Addresses(int fd) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            addressOf(addr, remoteIp, remotePort);
        len = sizeof addr;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            addressOf(addr, localIp, localPort);
    }
};

// httplib reads a request line byte by byte, so the stream buffers like httplib's own. Bytes of
// a pipelined next request stay here; a connection is parked only when this buffer is empty.
// Reads and writes try the socket first and wait (poll) only when it is not ready: a request
// that has arrived and a response that fits the send buffer cost one system call each. httplib
// writes a response's head and body separately; small writes gather in an output buffer that
// goes out when the response is done (flush()) or before the stream waits for input, so a
// response is one send and one TCP segment, not two.
class SocketStream final : public httplib::Stream {
public:
    SocketStream(int fd, const Addresses& addresses, int readTimeoutMs, int writeTimeoutMs)
        : m_fd(fd)
        , m_addresses(addresses)
        , m_readTimeoutMs(readTimeoutMs)
        , m_writeTimeoutMs(writeTimeoutMs) {}

    bool hasBuffered() const { return m_begin < m_end; }

    enum class Fill { Data, Empty, Closed };
    // Whatever has arrived, without waiting: Empty when nothing has.
    Fill fillNow() {
        const auto n = refill();
        if (n > 0)
            return Fill::Data;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Fill::Empty : Fill::Closed;
    }

    // Sends what write() gathered; false if the connection failed.
    bool flush() const {
        std::size_t sent = 0;
        while (sent < m_out.size()) {
            const auto n = sendSome(m_out.data() + sent, m_out.size() - sent);
            if (n < 0) {
                m_out.clear();
                return false;
            }
            sent += static_cast<std::size_t>(n);
        }
        m_out.clear();
        return true;
    }

    // Flushes first: the peer may be waiting for what was written (100 Continue) before it sends.
    bool is_readable() const override {
        return hasBuffered() || (flush() && waitFor(m_fd, POLLIN, m_readTimeoutMs));
    }
    bool is_writable() const override { return waitFor(m_fd, POLLOUT, m_writeTimeoutMs); }

    ssize_t read(char* ptr, size_t size) override {
        if (!hasBuffered()) {
            if (!flush())
                return -1;
            const bool direct = size >= m_buffer.size();
            for (;;) {
                const auto n = direct ? receive(ptr, size, MSG_DONTWAIT) : refill();
                if (n >= 0 && direct)
                    return n;
                if (n == 0)
                    return 0;
                if (n > 0)
                    break;
                if ((errno != EAGAIN && errno != EWOULDBLOCK) || !waitFor(m_fd, POLLIN, m_readTimeoutMs))
                    return -1;
            }
        }
        const auto n = std::min(size, m_end - m_begin);
        std::memcpy(ptr, m_buffer.data() + m_begin, n);
        m_begin += n;
        return static_cast<ssize_t>(n);
    }

    using httplib::Stream::write;
    ssize_t write(const char* ptr, size_t size) override {
        if (m_out.size() + size > kOutCapacity && !flush())
            return -1;
        if (size > kOutCapacity)
            return sendSome(ptr, size);
        m_out.append(ptr, size);
        return static_cast<ssize_t>(size);
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = m_addresses.remoteIp;
        port = m_addresses.remotePort;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        ip = m_addresses.localIp;
        port = m_addresses.localPort;
    }
    socket_t socket() const override { return m_fd; }

private:
    static constexpr std::size_t kOutCapacity = 16 * 1024;

    ssize_t sendSome(const char* ptr, size_t size) const {
        for (;;) {
            const auto n = ::send(m_fd, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n >= 0)
                return n;
            if (errno == EINTR)
                continue;
            if ((errno != EAGAIN && errno != EWOULDBLOCK) || !waitFor(m_fd, POLLOUT, m_writeTimeoutMs))
                return -1;
        }
    }

    // One recv into the empty buffer without waiting; returns what recv returned.
    ssize_t refill() {
        const auto n = receive(m_buffer.data(), m_buffer.size(), MSG_DONTWAIT);
        if (n > 0) {
            m_begin = 0;
            m_end = static_cast<std::size_t>(n);
        }
        return n;
    }
    ssize_t receive(char* ptr, size_t size, int flags) {
        for (;;) {
            const auto n = ::recv(m_fd, ptr, size, flags);
            if (n >= 0 || errno != EINTR)
                return n;
        }
    }

    int m_fd;
    const Addresses& m_addresses;
    int m_readTimeoutMs;
    int m_writeTimeoutMs;
    std::array<char, 4096> m_buffer{};
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
    mutable std::string m_out; // written, not yet sent: is_readable() is const in httplib
};

int toMs(time_t sec, time_t usec) {
    return static_cast<int>(std::min<long long>(sec * 1000LL + usec / 1000, 24LL * 3600 * 1000));
}

} // namespace

// The workers all wait in one epoll set. Its members: every parked (idle) connection, an eventfd
// for the queue of jobs (httplib hands each accepted socket over as a job), a 1 s timer that
// closes connections idle past the keep-alive time, and an eventfd that tells workers to quit.
// Connections are edge-triggered, the rest EPOLLONESHOT: each event wakes exactly one worker.
class KeepAliveServer::WorkerPool final : public httplib::TaskQueue {
public:
    WorkerPool(KeepAliveServer& server, std::size_t workers)
        : m_server(server)
        , m_keepAlive(std::chrono::seconds(std::max<time_t>(server.keep_alive_timeout_sec_, 1)))
        , m_readTimeoutMs(toMs(server.read_timeout_sec_, server.read_timeout_usec_))
        , m_writeTimeoutMs(toMs(server.write_timeout_sec_, server.write_timeout_usec_)) {
        m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
        m_jobsFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        m_quitFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        m_timerFd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (m_epoll < 0 || m_jobsFd < 0 || m_quitFd < 0 || m_timerFd < 0)
            throw std::runtime_error(std::string("HTTP worker pool: ") + std::strerror(errno));
        const itimerspec everySecond{{1, 0}, {1, 0}};
        ::timerfd_settime(m_timerFd, 0, &everySecond, nullptr);
        arm(m_jobsFd, kJobs, EPOLL_CTL_ADD);
        arm(m_quitFd, kQuit, EPOLL_CTL_ADD);
        arm(m_timerFd, kTimer, EPOLL_CTL_ADD);
        m_threads.reserve(workers);
        for (std::size_t i = 0; i < workers; ++i)
            m_threads.emplace_back([this] {
                threads::nameThisThread("http-worker");
                run();
            });
    }

    ~WorkerPool() override {
        if (!m_threads.empty())
            shutdown();
        for (int fd : {m_timerFd, m_quitFd, m_jobsFd, m_epoll})
            ::close(fd);
    }

    void enqueue(std::function<void()> fn) override {
        std::lock_guard lock(m_mutex);
        m_jobs.push_back(std::move(fn));
        signal(m_jobsFd);
    }

    // httplib calls this once its accept loop has ended. Requests in flight still get their
    // response (with Connection: close); idle connections are closed; a connection waiting for
    // the rest of a request sees end of input and is closed.
    void shutdown() override {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
            for (auto it = m_connections.begin(); it != m_connections.end();) {
                if (it->second.parked) {
                    closeLocked(it->second);
                    it = m_connections.erase(it);
                } else {
                    ::shutdown(it->second.fd, SHUT_RD);
                    ++it;
                }
            }
        }
        signal(m_quitFd);
        for (auto& t : m_threads)
            t.join();
        m_threads.clear();
        // Sockets accepted just before the stop and not picked up yet: closed.
        for (;;) {
            std::function<void()> job;
            {
                std::lock_guard lock(m_mutex);
                if (m_jobs.empty())
                    break;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            job();
        }
    }

    // A newly accepted socket, on a worker thread. It joins the epoll set for good: readiness is
    // edge-triggered, one event per arrival of data, so serving a request needs no epoll_ctl.
    void accept(int fd) {
        const int on = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        auto addresses = std::make_shared<const Addresses>(fd);
        std::uint64_t id = 0;
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) {
                ::close(fd);
                return;
            }
            id = m_nextId++;
            m_connections.emplace(id, Connection{fd, addresses});
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
            ev.data.u64 = id;
            if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev) != 0) {
                log::error(std::string("HTTP worker pool: cannot watch a connection: ") +
                           std::strerror(errno));
                m_connections.erase(id);
                ::close(fd);
                return;
            }
        }
        serve(id, fd, *addresses);
    }

private:
    struct Connection {
        int fd;
        std::shared_ptr<const Addresses> addresses;
        bool parked = false;  // idle: waiting in the epoll set for its next request; no worker has it
        bool pending = false; // data arrived while a worker had it: look again before parking
        Clock::time_point idleSince{};
    };
    // epoll user data: connection ids start above these.
    static constexpr std::uint64_t kJobs = 1, kQuit = 2, kTimer = 3;

    void arm(int fd, std::uint64_t tag, int op) {
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLONESHOT;
        ev.data.u64 = tag;
        if (::epoll_ctl(m_epoll, op, fd, &ev) != 0)
            log::error(std::string("HTTP worker pool: epoll_ctl: ") + std::strerror(errno));
    }
    static void signal(int eventFd) {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(eventFd, &one, sizeof one);
    }
    static void drain(int fd) {
        std::uint64_t value = 0;
        [[maybe_unused]] auto n = ::read(fd, &value, sizeof value);
    }

    void run() {
        for (;;) {
            epoll_event ev{};
            const int n = ::epoll_wait(m_epoll, &ev, 1, -1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                log::error(std::string("HTTP worker pool: epoll_wait: ") + std::strerror(errno));
                return;
            }
            switch (ev.data.u64) {
            case kQuit:
                arm(m_quitFd, kQuit, EPOLL_CTL_MOD); // wakes the next worker, which quits too
                return;
            case kJobs:
                runJob();
                break;
            case kTimer:
                drain(m_timerFd);
                closeExpired();
                arm(m_timerFd, kTimer, EPOLL_CTL_MOD);
                break;
            default:
                resume(ev.data.u64);
            }
        }
    }

    void runJob() {
        std::function<void()> job;
        {
            std::lock_guard lock(m_mutex);
            drain(m_jobsFd);
            if (!m_jobs.empty()) {
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            if (!m_jobs.empty())
                signal(m_jobsFd);
        }
        arm(m_jobsFd, kJobs, EPOLL_CTL_MOD);
        if (job)
            job();
    }

    // Data arrived on a connection (a request, or the peer closed).
    void resume(std::uint64_t id) {
        int fd = -1;
        std::shared_ptr<const Addresses> addresses;
        {
            std::lock_guard lock(m_mutex);
            auto it = m_connections.find(id);
            if (it == m_connections.end())
                return; // closed meanwhile by the keep-alive timer or by shutdown
            if (!it->second.parked) {
                it->second.pending = true; // its worker looks again before it parks it
                return;
            }
            it->second.parked = false;
            fd = it->second.fd;
            addresses = it->second.addresses;
        }
        serve(id, fd, *addresses);
    }

    // Serves requests while there are some, then parks the connection or closes it. An event can
    // name data that the previous request's worker has read already, so each round starts with
    // a read that does not wait.
    void serve(std::uint64_t id, int fd, const Addresses& addresses) {
        SocketStream stream(fd, addresses, m_readTimeoutMs, m_writeTimeoutMs);
        for (;;) {
            if (!stream.hasBuffered()) {
                auto fill = stream.fillNow();
                if (fill == SocketStream::Fill::Empty)
                    fill = park(id, stream);
                if (fill == SocketStream::Fill::Empty)
                    return; // parked
                if (fill == SocketStream::Fill::Closed)
                    break;
            }
            bool clientClosed = false;
            bool ok = false;
            try {
                ok = m_server.process_request(stream, m_stopping, clientClosed, nullptr);
                ok = stream.flush() && ok;
            } catch (const std::exception& e) { // handlers catch their own; this is httplib's
                log::error(std::string("HTTP connection failed: ") + e.what());
            }
            if (!ok || clientClosed || m_stopping)
                break;
        }
        std::lock_guard lock(m_mutex);
        if (auto it = m_connections.find(id); it != m_connections.end()) {
            closeLocked(it->second);
            m_connections.erase(it);
        }
    }

    // Parks the connection unless data arrived meanwhile (then reads it: Data). No event can be
    // lost: an arrival while a worker has the connection sets `pending`, and one after parking
    // wakes a worker. Empty: parked. Closed: stopping, or the peer closed.
    SocketStream::Fill park(std::uint64_t id, SocketStream& stream) {
        for (;;) {
            {
                std::lock_guard lock(m_mutex);
                auto it = m_connections.find(id);
                if (m_stopping || it == m_connections.end())
                    return SocketStream::Fill::Closed;
                auto& c = it->second;
                if (!c.pending) {
                    c.parked = true;
                    c.idleSince = Clock::now();
                    return SocketStream::Fill::Empty;
                }
                c.pending = false;
            }
            // The arrival may have been read already, as part of the last request.
            if (const auto fill = stream.fillNow(); fill != SocketStream::Fill::Empty)
                return fill;
        }
    }

    void closeExpired() {
        const auto deadline = Clock::now() - m_keepAlive;
        std::lock_guard lock(m_mutex);
        for (auto it = m_connections.begin(); it != m_connections.end();) {
            if (it->second.parked && it->second.idleSince < deadline) {
                closeLocked(it->second);
                it = m_connections.erase(it);
            } else {
                ++it;
            }
        }
    }

    // Under m_mutex, so that shutdown() never touches a descriptor number already reused.
    void closeLocked(const Connection& c) {
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::shutdown(c.fd, SHUT_RDWR);
        ::close(c.fd);
    }

    KeepAliveServer& m_server;
    const Clock::duration m_keepAlive;
    const int m_readTimeoutMs;
    const int m_writeTimeoutMs;
    int m_epoll = -1;
    int m_jobsFd = -1;
    int m_quitFd = -1;
    int m_timerFd = -1;
    std::vector<std::thread> m_threads;

    std::mutex m_mutex; // guards everything below
    std::deque<std::function<void()>> m_jobs;
    std::unordered_map<std::uint64_t, Connection> m_connections;
    std::uint64_t m_nextId = 16;
    std::atomic<bool> m_stopping{false};
};

KeepAliveServer::KeepAliveServer(std::size_t workers)
    : m_workers(std::max<std::size_t>(workers, 1)) {
    // httplib owns the pool (it deletes it when listen returns); one pool per listen call.
    new_task_queue = [this] {
        m_pool = new WorkerPool(*this, m_workers);
        return m_pool;
    };
}

KeepAliveServer::~KeepAliveServer() = default;

void KeepAliveServer::raiseListenBacklog(int backlog) {
    // On Linux, listen() on a listening socket changes its backlog.
    if (svr_sock_ != INVALID_SOCKET && ::listen(svr_sock_, backlog) != 0)
        log::warn("could not raise the HTTP listen backlog");
}

bool KeepAliveServer::process_and_close_socket(socket_t sock) {
    m_pool->accept(sock);
    return true;
}

} // namespace parley::server
