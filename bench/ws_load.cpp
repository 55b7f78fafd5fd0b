// parley-bench-ws: the realtime load benchmark of issue 5 (a benchmark, not a pass/fail test).
//
// It starts a real parley-server on free loopback ports with a temporary data dir (or uses one
// that is already running), opens many idle customer WebSockets (distinct customer sessions that
// said hello), sets up customer <-> agent conversations, and then makes the active pairs exchange
// messages over REST at a fixed total rate. It measures, per message, the time from just before the
// REST request is written to the arrival of the recipient's message.created frame, and reports
// percentiles, the REST round trip, the server's CPU over the measured window and its RSS.
//
// One load-generator thread: every socket lives on a single-threaded io_context (epoll). A second
// thread only drives the set-up calls (blocking cpp-httplib) and waits for the phases.
// See bench/README.md for how to run it and for the latest figures.

#include "ServerLauncher.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PARLEY_SERVER_BINARY
#define PARLEY_SERVER_BINARY "parley-server"
#endif

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using namespace std::chrono_literals;

double ms(SteadyClock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// --- options -------------------------------------------------------------------------------------

constexpr int kPinNone = -1;
constexpr int kPinFirstCpu = -2; // the first CPU of the process's affinity mask
constexpr int kPinDefault = -3;  // kPinFirstCpu, or kPinNone with --realtime

struct Options {
    std::string serverBinary = PARLEY_SERVER_BINARY;
    int httpPort = 0; // with --ws-port: use a running server instead of starting one
    int wsPort = 0;
    pid_t serverPid = 0; // of a running server, for its CPU and RSS
    std::string adminPassword = "bench-admin-password";
    std::string dataParent; // where the temporary data dir goes
    int idle = 10000;
    int conversations = 50;
    int agents = 10;
    int rate = 1000;
    int duration = 30;
    int warmup = 3;
    int connectConcurrency = 256;
    bool keep = false;
    // The CPU the load generator runs on: kPinDefault, kPinFirstCpu, a CPU number, or kPinNone.
    int pinCpu = kPinDefault;
    bool realtime = false;   // the server and the load generator under SCHED_FIFO
    std::string samplesFile; // per-message timings as CSV
    std::vector<std::string> serverArgs;
};

const char* kUsage = R"(Usage: parley-bench-ws [OPTIONS] [-- EXTRA SERVER FLAGS]

Opens --idle idle customer WebSockets, then makes --conversations customer<->agent pairs exchange
--rate messages per second (in total, alternating customer->agent and agent->customer, each sent
over REST) for --duration seconds after --warmup seconds, and reports the delivery latency (REST
request written -> recipient's message.created frame read), the REST round trip, and the server's
CPU and RSS. Loopback only; it stops by itself and stops the server it started.

  --idle N                 idle customer WebSockets, one customer session each (default 10000)
  --conversations N        active customer<->agent conversations (default 50)
  --agents N               agents sharing them, one WebSocket each (default 10)
  --rate N                 messages per second, all conversations together (default 1000)
  --duration S             measured seconds (default 30)
  --warmup S               seconds of traffic before measuring (default 3)
  --connect-concurrency N  WebSocket handshakes in flight while connecting (default 256)
  --server PATH            parley-server binary (default: the one built with this benchmark)
  --data-parent DIR        where the temporary data dir is made (default $TMPDIR or /tmp);
                           e.g. /dev/shm to take the disk's fsync out of the figures
  --keep                   keep the temporary dir (data and server.log)
  --pin-cpu N|none         run the load generator on CPU N only, as if it had a machine of its own;
                           the server it starts keeps every CPU (default: the first CPU it may run
                           on, none with --realtime; none: no pinning; with only one CPU to run on
                           it is not pinned)
  --realtime               start the server with --cpu-scheduling fifo and run the load generator
                           under SCHED_FIFO at the same priority (1), so that neither preempts the
                           other and ordinary processes and kernel threads preempt neither (needs
                           root, CAP_SYS_NICE or an RLIMIT_RTPRIO of 1)
  --samples FILE           write every measured message's timings to FILE (CSV, milliseconds)
  --http-port N --ws-port N  use a server already running on 127.0.0.1 instead (it must have been
                           started with high --customer-rate-burst/--customer-rate-per-minute)
  --server-pid PID         that server's pid, for its CPU and RSS
  --admin-password PW      admin password (default bench-admin-password)
  --help
Flags after "--" are passed to the server it starts.
)";

Options parseOptions(int argc, char** argv) {
    Options o;
    if (const char* t = std::getenv("TMPDIR"); t && *t)
        o.dataParent = t;
    else
        o.dataParent = "/tmp";
    auto number = [](const std::string& flag, const char* v, long min, long max) {
        char* end = nullptr;
        const long n = std::strtol(v, &end, 10);
        if (!*v || *end || n < min || n > max)
            throw std::invalid_argument(flag + " needs a number from " + std::to_string(min) + " to " +
                                        std::to_string(max));
        return static_cast<int>(n);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (a == "--") {
            for (++i; i < argc; ++i)
                o.serverArgs.emplace_back(argv[i]);
        } else if (a == "--idle")
            o.idle = number(a, value(), 0, 100000);
        else if (a == "--conversations")
            o.conversations = number(a, value(), 1, 10000);
        else if (a == "--agents")
            o.agents = number(a, value(), 1, 1000);
        else if (a == "--rate")
            o.rate = number(a, value(), 1, 100000);
        else if (a == "--duration")
            o.duration = number(a, value(), 1, 600);
        else if (a == "--warmup")
            o.warmup = number(a, value(), 0, 600);
        else if (a == "--connect-concurrency")
            o.connectConcurrency = number(a, value(), 1, 10000);
        else if (a == "--server")
            o.serverBinary = value();
        else if (a == "--data-parent")
            o.dataParent = value();
        else if (a == "--keep")
            o.keep = true;
        else if (a == "--realtime")
            o.realtime = true;
        else if (a == "--pin-cpu") {
            const std::string v = value();
            o.pinCpu = v == "none" ? kPinNone : number(a, v.c_str(), 0, CPU_SETSIZE - 1);
        } else if (a == "--samples")
            o.samplesFile = value();
        else if (a == "--http-port")
            o.httpPort = number(a, value(), 1, 65535);
        else if (a == "--ws-port")
            o.wsPort = number(a, value(), 1, 65535);
        else if (a == "--server-pid")
            o.serverPid = number(a, value(), 1, 1 << 30);
        else if (a == "--admin-password")
            o.adminPassword = value();
        else
            throw std::invalid_argument("unknown option " + a + " (see --help)");
    }
    if ((o.httpPort == 0) != (o.wsPort == 0))
        throw std::invalid_argument("--http-port and --ws-port go together");
    if (o.agents > o.conversations)
        o.agents = o.conversations;
    if ((o.conversations + o.agents - 1) / o.agents > 100)
        throw std::invalid_argument("at most 100 conversations per agent (max_active_chats): add --agents");
    return o;
}

// --- processes ---------------------------------------------------------------------------------

struct ProcSample {
    double cpuSeconds = 0; // user + system
    double rssMb = 0;
    double peakRssMb = 0;
    int threads = 0;
    long long contextSwitches = 0; // voluntary + involuntary, all threads
    bool ok = false;
};

// /proc/PID/stat of a process: its name and the fields after the name (field 3 onwards).
struct StatLine {
    std::string name;
    std::vector<std::string> fields; // fields[0] is field 3 (state)
    double cpuSeconds() const {      // fields 14 and 15: utime, stime
        return (std::stod(fields[11]) + std::stod(fields[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
};

std::optional<StatLine> readStat(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return std::nullopt;
    const auto open = line.find('(');
    const auto close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return std::nullopt;
    StatLine out;
    out.name = line.substr(open + 1, close - open - 1);
    std::istringstream fields(line.substr(close + 2));
    for (std::string t; fields >> t;)
        out.fields.push_back(t);
    if (out.fields.size() < 18)
        return std::nullopt;
    return out;
}

ProcSample sampleProcess(pid_t pid) {
    ProcSample s;
    if (pid <= 0)
        return s;
    const auto stat = readStat(pid);
    if (!stat)
        return s;
    s.cpuSeconds = stat->cpuSeconds();
    s.threads = std::stoi(stat->fields[17]); // field 20
    std::string line;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            s.rssMb = std::stod(line.substr(6)) / 1024.0;
        else if (line.rfind("VmHWM:", 0) == 0)
            s.peakRssMb = std::stod(line.substr(6)) / 1024.0;
    }
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream ts(task.path() / "status");
        while (std::getline(ts, line))
            if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
                line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)
                s.contextSwitches += std::stoll(line.substr(line.find(':') + 1));
    }
    s.ok = true;
    return s;
}

double ownCpuSeconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

// CPU seconds used so far by every process but the server and the bench, kernel threads included,
// from each /proc/PID/stat. (The machine-wide /proc/stat disagreed with the per-process figures on
// the development VM, by far: it once showed 7% of two cores busy while the server used 40% of one.)
struct OtherProcess {
    std::string name;
    std::string startTime; // field 22: tells a reused pid from the process that had it before
    double cpuSeconds = 0;
};
std::map<pid_t, OtherProcess> sampleOtherProcesses(pid_t serverPid) {
    std::map<pid_t, OtherProcess> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() ||
            !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        const pid_t pid = static_cast<pid_t>(std::stol(name));
        if (pid == serverPid || pid == getpid())
            continue;
        if (const auto stat = readStat(pid))
            out[pid] = {stat->name, stat->fields[19], stat->cpuSeconds()};
    }
    return out;
}

std::string loadAverage() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

std::string fileSystemOf(const std::string& path) {
    struct statfs s {};
    if (statfs(path.c_str(), &s) != 0)
        return "?";
    switch (static_cast<unsigned long>(s.f_type)) {
    case TMPFS_MAGIC:
        return "tmpfs";
    case EXT4_SUPER_MAGIC:
        return "ext4";
    case XFS_SUPER_MAGIC:
        return "xfs";
    case BTRFS_SUPER_MAGIC:
        return "btrfs";
    case OVERLAYFS_SUPER_MAGIC:
        return "overlayfs";
    default: {
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(s.f_type));
        return hex;
    }
    }
}

// Each idle WebSocket is a descriptor here and one in the server: use the whole hard limit.
rlim_t raiseFileLimit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit want = lim;
        want.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            lim = want;
    }
    return lim.rlim_cur;
}

// The server this benchmark starts: its own temp dir, killed with the benchmark (PDEATHSIG).
class ServerProcess {
public:
    ~ServerProcess() { stop(); }

    // Through the launcher the tests use (tests/support/ServerLauncher): on ports the server picks
    // itself, read back from its --ports-file; one port serves REST and /ws.
    void start(const Options& o) {
        std::string pattern = o.dataParent + "/parley-bench-XXXXXX";
        if (!mkdtemp(pattern.data()))
            throw std::runtime_error("cannot create a temporary dir in " + o.dataParent + ": " +
                                     std::strerror(errno));
        m_root = pattern;
        m_keep = o.keep;
        const std::string dataDir = m_root + "/data";
        m_launcher = std::make_unique<parley::test::ServerLauncher>(o.serverBinary, m_root);
        m_log = m_launcher->logPath();
        std::vector<std::string> args = {
            "--host", "127.0.0.1", "--data-dir", dataDir, "--admin-password", o.adminPassword,
            // Each bench customer sends rate/2/conversations messages a second.
            "--customer-rate-burst", "1000000", "--customer-rate-per-minute", "1000000"};
        if (o.realtime) // before the flags after "--", which may override it
            args.insert(args.end(), {"--cpu-scheduling", "fifo"});
        args.insert(args.end(), o.serverArgs.begin(), o.serverArgs.end());
        dataDirPath = dataDir;
        if (!m_launcher->start(args))
            throw std::runtime_error(m_launcher->error());
        pid = m_launcher->pid();
        httpPort = m_launcher->httpPort();
        wsPort = m_launcher->wsPort();
    }

    // SIGTERM, then SIGKILL after 20 s. Returns the exit description.
    std::string stop() {
        std::string result;
        if (m_launcher && pid > 0) {
            const int code = m_launcher->stop(20s);
            result = code >= 0 ? "exit code " + std::to_string(code) : "killed, or died of a signal";
            pid = 0;
        }
        if (!m_root.empty()) {
            if (m_keep) {
                std::printf("kept %s (data and server.log)\n", m_root.c_str());
            } else {
                std::error_code ec;
                std::filesystem::remove_all(m_root, ec);
            }
            m_root.clear();
        }
        return result;
    }

    std::string logTail(std::size_t maxLines = 40) const {
        std::ifstream f(m_log);
        std::deque<std::string> lines;
        for (std::string l; std::getline(f, l);) {
            lines.push_back(l);
            if (lines.size() > maxLines)
                lines.pop_front();
        }
        std::string out;
        for (const auto& l : lines)
            out += "  | " + l + "\n";
        return out;
    }

    // Server log lines at WARN or ERROR level (the server logs nothing per request).
    std::vector<std::string> problems() const {
        std::ifstream f(m_log);
        std::vector<std::string> out;
        for (std::string l; std::getline(f, l);)
            if (l.find(" WARN ") != std::string::npos || l.find(" ERROR ") != std::string::npos)
                out.push_back(l);
        return out;
    }

    pid_t pid = 0;
    int httpPort = 0;
    int wsPort = 0;
    std::string dataDirPath;

private:
    std::unique_ptr<parley::test::ServerLauncher> m_launcher;
    std::string m_root;
    std::string m_log;
    bool m_keep = false;
};

// --- set-up calls (blocking, off the io thread) ------------------------------------------------

class Rest {
public:
    explicit Rest(int port)
        : m_cli("127.0.0.1", port) {
        m_cli.set_keep_alive(true);
        m_cli.set_tcp_nodelay(true);
        m_cli.set_connection_timeout(5);
        m_cli.set_read_timeout(30);
    }

    json call(const std::string& method, const std::string& path, const std::string& token,
              const json& body = json::object(), int expect = 200, int alsoOk = 0) {
        httplib::Headers headers;
        if (!token.empty())
            headers.emplace("Authorization", "Bearer " + token);
        auto r = method == "GET"   ? m_cli.Get(path, headers)
                 : method == "PUT" ? m_cli.Put(path, headers, body.dump(), "application/json")
                                   : m_cli.Post(path, headers, body.dump(), "application/json");
        if (!r)
            throw std::runtime_error(method + " " + path + ": no answer (" + httplib::to_string(r.error()) +
                                     ")");
        if (r->status != expect && (alsoOk == 0 || r->status != alsoOk))
            throw std::runtime_error(method + " " + path + ": HTTP " + std::to_string(r->status) + " " +
                                     r->body.substr(0, 300));
        return r->body.empty() ? json::object() : json::parse(r->body);
    }

private:
    httplib::Client m_cli;
};

// --- the load generator (everything below runs on the one io thread) ----------------------------

// A TCP socket that also reports when the kernel received the bytes it returns: SO_TIMESTAMPNS
// puts the receive time in a control message of recvmsg(), which Asio's own reads discard. With it
// the bench can tell the server's part of a delivery (up to the frame's arrival in the recipient's
// socket) from its own part (the load generator getting round to reading it). On loopback the
// receive time is taken while the server's send() runs. Reads wait for readiness, then recvmsg().
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
    // Receive time (on the steady clock) of the last bytes the latest read returned; a frame that
    // completes in that read arrived no later than this.
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
void beast_close_socket(StampedSocket& s) {
    beast::close_socket(s.socket());
}
template <typename TeardownHandler>
void async_teardown(beast::role_type role, StampedSocket& s, TeardownHandler&& handler) {
    websocket::async_teardown(role, s.socket(), std::forward<TeardownHandler>(handler));
}

class Bench;

class WsConn {
public:
    enum class Kind { Idle, Customer, Agent };

    WsConn(Bench& bench, Kind kind, int index, std::string token);
    void open(const tcp::endpoint& ep);
    void close();

    const Kind kind;
    const int index;
    bool ready = false;
    bool closed = false;

private:
    void onConnect(beast::error_code ec);
    void onHandshake(beast::error_code ec);
    void doRead();
    void onRead(beast::error_code ec);
    void failed(const std::string& why);

    Bench& m_bench;
    websocket::stream<StampedSocket> m_ws;
    beast::flat_buffer m_buf;
    std::string m_hello;

public:
    std::optional<TimePoint> lastArrival() const { return m_ws.next_layer().lastArrival(); }
};

// One keep-alive HTTP/1.1 connection that posts the messages of one side of one conversation.
class Sender {
public:
    Sender(Bench& bench, std::string token, const std::string& conversationId);
    void connect(std::function<void(bool)> done);
    void send(std::size_t msg);
    void close();

    std::size_t queuedBehindBusy = 0;
    std::size_t reconnects = 0;

private:
    void doConnect();
    void write(std::size_t msg);
    void onRead(beast::error_code ec);
    void next();

    Bench& m_bench;
    beast::tcp_stream m_stream;
    beast::flat_buffer m_buf;
    http::request<http::string_body> m_req;
    std::optional<http::response<http::string_body>> m_res;
    std::deque<std::size_t> m_queue;
    std::function<void(bool)> m_connected;
    std::string m_auth;
    std::string m_target;
    std::size_t m_current = 0;
    bool m_busy = false;
    bool m_up = false;
    bool m_closed = false;
};

struct Msg {
    TimePoint scheduled{};
    TimePoint sent{};
    TimePoint responded{};
    TimePoint delivered{};
    TimePoint arrived{}; // kernel receive time of the frame in the recipient's socket
    const WsConn* recipient = nullptr;
    int status = 0;
    int deliveries = 0;
    bool toAgent = false;
    bool measured = false;
};

struct Conversation {
    std::string id;
    std::string customerToken;
    int agent = -1;
    std::unique_ptr<WsConn> customerWs;
    std::unique_ptr<Sender> customerSender;
    std::unique_ptr<Sender> agentSender;
};

struct Agent {
    std::string id;
    std::string token;
    std::unique_ptr<WsConn> ws;
};

class Bench {
public:
    Bench(const Options& o, net::io_context& io, int wsPort, int httpPort, pid_t serverPid)
        : options(o)
        , io(io)
        , wsEndpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(wsPort))
        , httpEndpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(httpPort))
        , serverPid(serverPid)
        , m_timer(io) {}

    // Connects (at most --connect-concurrency at a time) and says hello; done(failures) on the io thread.
    void connectAll(std::vector<WsConn*> conns, std::function<void(std::size_t)> done) {
        m_connectList = std::move(conns);
        m_connectNext = 0;
        m_connectDone = 0;
        m_connectFailures = 0;
        m_connectFinished = std::move(done);
        if (m_connectList.empty()) {
            m_connectFinished(0);
            return;
        }
        const auto n = std::min<std::size_t>(m_connectList.size(), options.connectConcurrency);
        for (std::size_t i = 0; i < n; ++i)
            m_connectList[m_connectNext++]->open(wsEndpoint);
    }

    void onWsReady(WsConn& c, bool ok, const std::string& why) {
        if (!ok) {
            ++m_connectFailures;
            if (m_connectFailures <= 5)
                std::fprintf(stderr, "WebSocket %d failed: %s\n", c.index, why.c_str());
        }
        ++m_connectDone;
        if (m_connectNext < m_connectList.size())
            m_connectList[m_connectNext++]->open(wsEndpoint);
        if (m_connectDone == m_connectList.size() && m_connectFinished)
            std::exchange(m_connectFinished, nullptr)(m_connectFailures);
    }

    void onWsFrame(WsConn& c, std::string_view text) {
        if (c.kind == WsConn::Kind::Idle) {
            ++idleFrames;
            return;
        }
        if (!m_recording || text.find("\"message.created\"") == std::string_view::npos)
            return;
        const auto frame = json::parse(text, nullptr, false);
        if (!frame.is_object())
            return;
        const auto data = frame.find("data");
        if (data == frame.end() || !data->is_object())
            return;
        const auto m = data->find("message");
        if (m == data->end() || !m->is_object())
            return;
        const auto id = m->find("client_msg_id");
        if (id == m->end() || !id->is_string())
            return;
        const auto& s = id->get_ref<const std::string&>();
        if (s.size() < 2 || s[0] != 'b')
            return;
        const std::size_t k = std::strtoull(s.c_str() + 1, nullptr, 10);
        if (k >= msgs.size() || msgs[k].recipient != &c)
            return; // the sender's own copy
        auto& msg = msgs[k];
        if (msg.deliveries++ == 0) {
            msg.delivered = SteadyClock::now();
            const auto arrival = c.lastArrival();
            if (!arrival)
                ++unstamped;
            msg.arrived = arrival.value_or(msg.delivered); // no stamp: count it as read, the later time
        }
    }

    void onWsClosed(WsConn& c) {
        if (m_shuttingDown)
            return;
        if (c.kind == WsConn::Kind::Idle)
            ++idleDropped;
        else
            ++activeDropped;
    }

    void onResponse(std::size_t k, int status, const std::string& body) {
        auto& msg = msgs[k];
        msg.responded = SteadyClock::now();
        msg.status = status;
        if (status != 201) {
            ++httpErrors;
            if (httpErrors <= 5)
                std::fprintf(stderr, "message %zu: HTTP %d %s\n", k, status, body.substr(0, 200).c_str());
        }
    }
    void onSendFailed(std::size_t k, const std::string& why) {
        msgs[k].status = -1;
        ++httpErrors;
        if (httpErrors <= 5)
            std::fprintf(stderr, "message %zu: %s\n", k, why.c_str());
    }

    // Paces the messages: message k is due at start + k/rate; conversation k % C, and each
    // conversation alternates customer->agent and agent->customer.
    void runTraffic(TimePoint start, std::function<void()> done) {
        m_trafficDone = std::move(done);
        const std::size_t total =
            static_cast<std::size_t>(options.rate) * (options.warmup + options.duration);
        msgs.assign(total, Msg{});
        const auto period = std::chrono::duration<double>(1.0 / options.rate);
        const std::size_t warmupMsgs = static_cast<std::size_t>(options.rate) * options.warmup;
        const auto C = conversations.size();
        for (std::size_t k = 0; k < total; ++k) {
            auto& m = msgs[k];
            m.scheduled = start + std::chrono::duration_cast<SteadyClock::duration>(period * k);
            m.measured = k >= warmupMsgs;
            const auto& conv = conversations[k % C];
            m.toAgent = (k / C) % 2 == 0;
            m.recipient = m.toAgent ? agents[conv.agent].ws.get() : conv.customerWs.get();
        }
        m_next = 0;
        m_recording = true;
        tick();
    }

    void tick() {
        const auto now = SteadyClock::now();
        while (m_next < msgs.size() && msgs[m_next].scheduled <= now) {
            const auto k = m_next++;
            auto& conv = conversations[k % conversations.size()];
            (msgs[k].toAgent ? conv.customerSender : conv.agentSender)->send(k);
        }
        if (m_next < msgs.size()) {
            m_timer.expires_at(msgs[m_next].scheduled);
            m_timer.async_wait([this](beast::error_code ec) {
                if (!ec)
                    tick();
            });
            return;
        }
        // Everything is sent: wait (at most 5 s) for the last answers and frames.
        m_drainDeadline = SteadyClock::now() + 5s;
        drain();
    }

    void drain() {
        const bool complete = std::all_of(msgs.begin(), msgs.end(), [](const Msg& m) {
            return m.status != 0 && (m.deliveries > 0 || m.status != 201);
        });
        if (complete || SteadyClock::now() > m_drainDeadline) {
            m_recording = false;
            std::exchange(m_trafficDone, nullptr)();
            return;
        }
        m_timer.expires_after(10ms);
        m_timer.async_wait([this](beast::error_code) { drain(); });
    }

    void shutdown() {
        m_shuttingDown = true;
        m_timer.cancel();
        for (auto& c : idle)
            c->close();
        for (auto& c : conversations) {
            c.customerWs->close();
            if (c.customerSender)
                c.customerSender->close();
            if (c.agentSender)
                c.agentSender->close();
        }
        for (auto& a : agents)
            a.ws->close();
    }

    const Options& options;
    net::io_context& io;
    const tcp::endpoint wsEndpoint;
    const tcp::endpoint httpEndpoint;
    const pid_t serverPid;

    std::vector<std::unique_ptr<WsConn>> idle;
    std::vector<Conversation> conversations;
    std::vector<Agent> agents;
    std::vector<Msg> msgs;

    std::size_t idleFrames = 0;
    std::size_t unstamped = 0; // deliveries whose read carried no kernel receive time
    std::size_t idleDropped = 0;
    std::size_t activeDropped = 0;
    std::size_t httpErrors = 0;

private:
    net::steady_timer m_timer;
    std::vector<WsConn*> m_connectList;
    std::size_t m_connectNext = 0;
    std::size_t m_connectDone = 0;
    std::size_t m_connectFailures = 0;
    std::function<void(std::size_t)> m_connectFinished;
    std::function<void()> m_trafficDone;
    std::size_t m_next = 0;
    TimePoint m_drainDeadline{};
    bool m_recording = false;
    bool m_shuttingDown = false;
};

// --- WsConn ---

WsConn::WsConn(Bench& bench, Kind k, int i, std::string token)
    : kind(k)
    , index(i)
    , m_bench(bench)
    , m_ws(bench.io)
    , m_hello(json{{"type", "hello"}, {"token", std::move(token)}}.dump()) {}

void WsConn::open(const tcp::endpoint& ep) {
    // No per-connection timer: the connect phase as a whole has its own deadline.
    m_ws.next_layer().socket().async_connect(ep, [this](beast::error_code ec) { onConnect(ec); });
}

void WsConn::onConnect(beast::error_code ec) {
    if (ec)
        return failed("connect: " + ec.message());
    auto& s = m_ws.next_layer();
    s.socket().set_option(tcp::no_delay(true), ec);
    if (kind != Kind::Idle && !s.enableTimestamps())
        return failed(std::string("SO_TIMESTAMPNS: ") + std::strerror(errno));
    m_ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    m_ws.async_handshake("127.0.0.1", "/ws", [this](beast::error_code ec) { onHandshake(ec); });
}

void WsConn::onHandshake(beast::error_code ec) {
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

void WsConn::doRead() {
    m_ws.async_read(m_buf, [this](beast::error_code ec, std::size_t) { onRead(ec); });
}

void WsConn::onRead(beast::error_code ec) {
    if (ec) {
        if (!ready)
            return failed("read: " + ec.message());
        closed = true;
        m_bench.onWsClosed(*this);
        return;
    }
    const std::string_view text(static_cast<const char*>(m_buf.data().data()), m_buf.size());
    if (!ready) {
        const auto frame = json::parse(text, nullptr, false);
        if (!frame.is_object() || frame.value("type", "") != "hello.ok")
            return failed("no hello.ok: " + std::string(text.substr(0, 200)));
        ready = true;
        m_bench.onWsReady(*this, true, {});
    } else {
        m_bench.onWsFrame(*this, text);
    }
    m_buf.consume(m_buf.size());
    doRead();
}

void WsConn::failed(const std::string& why) {
    closed = true;
    beast::error_code ignored;
    beast::get_lowest_layer(m_ws).socket().close(ignored);
    m_bench.onWsReady(*this, false, why);
}

void WsConn::close() {
    beast::error_code ignored;
    beast::get_lowest_layer(m_ws).socket().close(ignored);
}

// --- Sender ---

Sender::Sender(Bench& bench, std::string token, const std::string& conversationId)
    : m_bench(bench)
    , m_stream(bench.io)
    , m_auth("Bearer " + std::move(token))
    , m_target("/api/v1/conversations/" + conversationId + "/messages") {}

void Sender::connect(std::function<void(bool)> done) {
    m_connected = std::move(done);
    doConnect();
}

void Sender::doConnect() {
    m_up = false;
    m_stream.expires_after(10s);
    m_stream.async_connect(m_bench.httpEndpoint, [this](beast::error_code ec) {
        if (ec) {
            std::fprintf(stderr, "HTTP connect: %s\n", ec.message().c_str());
            if (m_connected)
                std::exchange(m_connected, nullptr)(false);
            return;
        }
        m_stream.socket().set_option(tcp::no_delay(true), ec);
        m_stream.expires_never();
        m_up = true;
        if (m_connected)
            std::exchange(m_connected, nullptr)(true);
        next();
    });
}

void Sender::send(std::size_t msg) {
    if (m_busy || !m_up) {
        ++queuedBehindBusy;
        m_queue.push_back(msg);
        return;
    }
    write(msg);
}

void Sender::next() {
    if (m_busy || !m_up || m_queue.empty() || m_closed)
        return;
    const auto k = m_queue.front();
    m_queue.pop_front();
    write(k);
}

void Sender::write(std::size_t k) {
    m_busy = true;
    m_current = k;
    const auto& msg = m_bench.msgs[k];
    m_req = {};
    m_req.method(http::verb::post);
    m_req.target(m_target);
    m_req.version(11);
    m_req.set(http::field::host, "127.0.0.1");
    m_req.set(http::field::authorization, m_auth);
    m_req.set(http::field::content_type, "application/json");
    m_req.keep_alive(true);
    m_req.body() = json{{"content", std::string(msg.toAgent ? "Customer" : "Agent") + " message " +
                                        std::to_string(k) + ": where is my order? It was due on Monday."},
                        {"client_msg_id", "b" + std::to_string(k)}}
                       .dump();
    m_req.prepare_payload();
    m_res.emplace();
    m_stream.expires_after(30s);
    m_bench.msgs[k].sent = SteadyClock::now();
    http::async_write(m_stream, m_req, [this](beast::error_code ec, std::size_t) {
        if (ec) {
            m_bench.onSendFailed(m_current, "write: " + ec.message());
            m_busy = false;
            if (!m_closed)
                doConnect();
            return;
        }
        http::async_read(m_stream, m_buf, *m_res, [this](beast::error_code ec, std::size_t) { onRead(ec); });
    });
}

void Sender::onRead(beast::error_code ec) {
    m_busy = false;
    if (ec) {
        m_bench.onSendFailed(m_current, "read: " + ec.message());
        if (!m_closed)
            doConnect();
        return;
    }
    m_bench.onResponse(m_current, static_cast<int>(m_res->result_int()), m_res->body());
    if (!m_res->keep_alive()) {
        // The server closes a keep-alive connection after a number of requests: open another one.
        ++reconnects;
        beast::error_code ignored;
        m_stream.socket().close(ignored);
        if (!m_closed)
            doConnect();
        return;
    }
    next();
}

void Sender::close() {
    m_closed = true;
    beast::error_code ignored;
    m_stream.socket().close(ignored);
}

// --- statistics --------------------------------------------------------------------------------

struct Dist {
    std::vector<double> v; // ms
    void add(double x) { v.push_back(x); }
    double pct(double p) {
        if (v.empty())
            return NAN;
        std::sort(v.begin(), v.end());
        auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
        return v[std::clamp<std::size_t>(i, 1, v.size()) - 1];
    }
    std::string line() {
        char b[256];
        std::snprintf(b, sizeof b, "p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms  (n=%zu)", pct(50),
                      pct(90), pct(99), pct(99.9), pct(100), v.size());
        return b;
    }
};

// On one machine the load generator and the server compete for the same CPUs, and the figures
// then measure the load generator's scheduling as much as the server. Pinned to one CPU, it
// leaves the server the others more nearly as clients on their own machines would (on the 2-core
// VM this lowered delivery p99 in eight of ten alternating pairs; bench/README.md). Called after
// the server is started, so that it keeps every CPU; threads started later inherit the mask.
std::string pinLoadGenerator(int cpu) {
    if (cpu == kPinNone)
        return "not pinned (--pin-cpu none)";
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        throw std::runtime_error(std::string("sched_getaffinity: ") + std::strerror(errno));
    const int count = CPU_COUNT(&allowed);
    if (count < 2)
        return "not pinned (only one CPU to run on)";
    if (cpu == kPinFirstCpu) {
        cpu = 0;
        while (!CPU_ISSET(cpu, &allowed)) // count >= 2: one is set
            ++cpu;
    } else if (!CPU_ISSET(cpu, &allowed))
        throw std::runtime_error("--pin-cpu " + std::to_string(cpu) + ": not a CPU this process may run on");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        throw std::runtime_error("--pin-cpu " + std::to_string(cpu) + ": " + std::strerror(errno));
    return "on CPU " + std::to_string(cpu) + " only (--pin-cpu), of " + std::to_string(count) +
           " it may run on";
}

// --realtime: the load generator at the server's real-time priority. Same priority, so that
// neither preempts the other (as on machines of their own); above every ordinary process and
// kernel thread, so that what it measures is the server and not its own waits for a CPU.
// The server's priority under --cpu-scheduling fifo (kFifoPriority in server/src/util/CpuScheduling.h;
// the benchmark is a client and does not link the server's library).
constexpr int kServerFifoPriority = 1;

void enterRealtime() {
    const sched_param param{kServerFifoPriority};
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0)
        throw std::runtime_error(std::string("--realtime: the load generator cannot use SCHED_FIFO (it needs "
                                             "root, CAP_SYS_NICE or an RLIMIT_RTPRIO of 1): ") +
                                 std::strerror(errno));
}

// How the server's threads are scheduled, e.g. "SCHED_FIFO 1 (70 threads)": a server that could
// not enter real time falls back to SCHED_BATCH, and the figures must say which one was measured.
std::string schedulingOf(pid_t pid) {
    std::map<std::string, int> counts;
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        const auto stat = readStat(static_cast<pid_t>(std::stol(task.path().filename().string())));
        if (!stat || stat->fields.size() < 39)
            continue;
        const int policy = std::stoi(stat->fields[38]); // field 41
        const std::string priority = stat->fields[37];  // field 40, rt_priority
        const char* names[] = {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "?", "SCHED_IDLE"};
        std::string name = policy >= 0 && policy <= 5 ? names[policy] : "policy " + std::to_string(policy);
        if (policy == SCHED_FIFO || policy == SCHED_RR)
            name += " " + priority;
        ++counts[name];
    }
    if (counts.empty())
        return "unknown";
    std::string out;
    for (const auto& [name, n] : counts)
        out +=
            (out.empty() ? "" : ", ") + name + " (" + std::to_string(n) + (n == 1 ? " thread)" : " threads)");
    return out;
}

// Runs fn on the io thread and waits for it to call done().
template <typename F>
void onIoAndWait(net::io_context& io, std::chrono::seconds timeout, const char* what, F fn) {
    auto promise = std::make_shared<std::promise<void>>();
    auto future = promise->get_future();
    net::post(io, [fn = std::move(fn), promise]() mutable { fn([promise] { promise->set_value(); }); });
    if (future.wait_for(timeout) != std::future_status::ready)
        throw std::runtime_error(std::string("timed out: ") + what);
}

int run(const Options& o) {
    const auto fdLimit = raiseFileLimit();
    const rlim_t needed = static_cast<rlim_t>(o.idle + 3 * o.conversations + o.agents + 64);
    if (fdLimit < needed)
        throw std::runtime_error("RLIMIT_NOFILE is " + std::to_string(fdLimit) + ", need " +
                                 std::to_string(needed) +
                                 ": raise the hard limit (ulimit -Hn) or lower --idle");

    const auto loadBefore = loadAverage();
    ServerProcess server;
    int httpPort = o.httpPort, wsPort = o.wsPort;
    pid_t serverPid = o.serverPid;
    std::string dataFs = "unknown (a server already running)";
    if (httpPort == 0) {
        server.start(o);
        httpPort = server.httpPort;
        wsPort = server.wsPort;
        serverPid = server.pid;
        dataFs = fileSystemOf(server.dataDirPath);
    }
    const std::string placement = pinLoadGenerator(o.pinCpu != kPinDefault ? o.pinCpu
                                                   : o.realtime            ? kPinNone
                                                                           : kPinFirstCpu);
    if (o.realtime)
        enterRealtime(); // threads started from here on inherit it
    const auto atStart = sampleProcess(serverPid);
    std::printf("parley-bench-ws: %d idle WebSockets, %d conversations (%d agents), %d msg/s for %d s "
                "(+%d s warm-up)\n",
                o.idle, o.conversations, o.agents, o.rate, o.duration, o.warmup);
    std::printf("server: pid %d, http %d, ws %d, data dir on %s; %ld cores, load average %s\n",
                static_cast<int>(serverPid), httpPort, wsPort, dataFs.c_str(), sysconf(_SC_NPROCESSORS_ONLN),
                loadBefore.c_str());
    std::printf("load generator: %s, %s\n", placement.c_str(),
                o.realtime ? "SCHED_FIFO 1 (--realtime)" : "ordinary scheduling");
    if (serverPid > 0)
        std::printf("server threads: %s\n", schedulingOf(serverPid).c_str());
    std::fflush(stdout);

    // --- set-up over REST -----------------------------------------------------------------------
    auto t0 = SteadyClock::now();
    Rest rest(httpPort);
    const auto adminToken = rest.call("POST", "/api/v1/agent/login", "",
                                      {{"username", "admin"}, {"password", o.adminPassword}})["token"]
                                .get<std::string>();
    const int perAgent = (o.conversations + o.agents - 1) / o.agents;
    const auto runTag = std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr) % 100000);

    net::io_context io(1);
    Bench bench(o, io, wsPort, httpPort, serverPid);
    for (int a = 0; a < o.agents; ++a) {
        const std::string username = "bench-" + runTag + "-agent-" + std::to_string(a);
        const std::string password = "bench-password-" + std::to_string(a);
        auto created = rest.call("POST", "/api/v1/admin/agents", adminToken,
                                 {{"username", username},
                                  {"display_name", "Bench Agent " + std::to_string(a)},
                                  {"password", password},
                                  {"max_active_chats", perAgent},
                                  {"role", "agent"}},
                                 201);
        auto login =
            rest.call("POST", "/api/v1/agent/login", "", {{"username", username}, {"password", password}});
        Agent agent;
        agent.id = created["agent"]["id"].get<std::string>();
        agent.token = login["token"].get<std::string>();
        agent.ws = std::make_unique<WsConn>(bench, WsConn::Kind::Agent, a, agent.token);
        bench.agents.push_back(std::move(agent));
    }
    for (int c = 0; c < o.conversations; ++c) {
        auto session = rest.call("POST", "/api/v1/customer/session", "", json::object(), 201);
        Conversation conv;
        conv.customerToken = session["token"].get<std::string>();
        auto opened =
            rest.call("POST", "/api/v1/conversations", conv.customerToken, json::object(), 201, 200);
        conv.id = opened["conversation"]["id"].get<std::string>();
        conv.customerWs = std::make_unique<WsConn>(bench, WsConn::Kind::Customer, c, conv.customerToken);
        bench.conversations.push_back(std::move(conv));
    }
    bench.idle.reserve(static_cast<std::size_t>(o.idle));
    for (int i = 0; i < o.idle; ++i) {
        auto session = rest.call("POST", "/api/v1/customer/session", "", json::object(), 201);
        bench.idle.push_back(
            std::make_unique<WsConn>(bench, WsConn::Kind::Idle, i, session["token"].get<std::string>()));
    }
    const double restSetupSeconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    std::printf("set-up: %d agents, %d conversations and %d idle customer sessions over REST in %.1f s\n",
                o.agents, o.conversations, o.idle, restSetupSeconds);
    std::fflush(stdout);

    // --- the io thread from here on -------------------------------------------------------------
    auto guard = net::make_work_guard(io);
    std::thread ioThread([&io] { io.run(); });
    struct Joiner {
        net::io_context& io;
        std::thread& t;
        net::executor_work_guard<net::io_context::executor_type>& g;
        ~Joiner() {
            if (t.joinable()) {
                g.reset();
                io.stop();
                t.join();
            }
        }
    } joiner{io, ioThread, guard};

    std::size_t failures = 0;
    onIoAndWait(io, 60s, "connecting the agents' and customers' WebSockets", [&](auto done) {
        std::vector<WsConn*> list;
        for (auto& a : bench.agents)
            list.push_back(a.ws.get());
        for (auto& c : bench.conversations)
            list.push_back(c.customerWs.get());
        bench.connectAll(std::move(list), [&failures, done](std::size_t f) {
            failures = f;
            done();
        });
    });
    if (failures)
        throw std::runtime_error(std::to_string(failures) + " active WebSockets failed to connect");

    // Agents online (they are connected), then each conversation is handed off and assigned.
    for (auto& a : bench.agents)
        rest.call("PUT", "/api/v1/agent/presence", a.token, {{"presence", "online"}});
    for (auto& c : bench.conversations) {
        auto r = rest.call("POST", "/api/v1/conversations/" + c.id + "/handoff", c.customerToken);
        const auto& assigned = r["conversation"]["assigned_agent_id"];
        if (!assigned.is_string())
            throw std::runtime_error("conversation " + c.id + " was not assigned: " + r.dump());
        for (std::size_t a = 0; a < bench.agents.size(); ++a)
            if (bench.agents[a].id == assigned.get<std::string>())
                c.agent = static_cast<int>(a);
        if (c.agent < 0)
            throw std::runtime_error("conversation assigned to an agent that is not ours");
    }

    t0 = SteadyClock::now();
    onIoAndWait(io, 300s, "connecting the idle WebSockets", [&](auto done) {
        std::vector<WsConn*> list;
        for (auto& c : bench.idle)
            list.push_back(c.get());
        bench.connectAll(std::move(list), [&failures, done](std::size_t f) {
            failures = f;
            done();
        });
    });
    const double idleSeconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    const std::size_t idleUp = static_cast<std::size_t>(o.idle) - failures;
    std::printf("idle WebSockets: %zu of %d connected and said hello in %.1f s (%.0f/s)\n", idleUp, o.idle,
                idleSeconds, idleSeconds > 0 ? static_cast<double>(idleUp) / idleSeconds : 0.0);
    std::this_thread::sleep_for(1s); // let the server settle after the connection storm
    const auto withIdle = sampleProcess(serverPid);

    std::atomic<int> sendersUp{0}, sendersFailed{0};
    onIoAndWait(io, 30s, "connecting the HTTP senders", [&](auto done) {
        const int total = 2 * o.conversations;
        auto one = [&, done, total](bool ok) {
            (ok ? sendersUp : sendersFailed)++;
            if (sendersUp + sendersFailed == total)
                done();
        };
        for (auto& c : bench.conversations) {
            c.customerSender = std::make_unique<Sender>(bench, c.customerToken, c.id);
            c.agentSender = std::make_unique<Sender>(bench, bench.agents[c.agent].token, c.id);
            c.customerSender->connect(one);
            c.agentSender->connect(one);
        }
    });
    if (sendersFailed)
        throw std::runtime_error("HTTP sender connections failed");

    std::printf("traffic: %d msg/s for %d s + %d s warm-up...\n", o.rate, o.duration, o.warmup);
    std::fflush(stdout);
    // The io thread only sends and reads; /proc is read here, at the window's edges.
    const auto trafficStart = SteadyClock::now() + 50ms;
    const auto windowStart = trafficStart + std::chrono::seconds(o.warmup);
    const auto windowEnd = windowStart + std::chrono::seconds(o.duration);
    auto trafficDone = std::make_shared<std::promise<void>>();
    auto trafficFuture = trafficDone->get_future();
    net::post(io, [&bench, trafficStart, trafficDone] {
        bench.runTraffic(trafficStart, [trafficDone] { trafficDone->set_value(); });
    });
    std::this_thread::sleep_until(windowStart);
    const auto s0 = sampleProcess(serverPid);
    const double ownCpuAtStart = ownCpuSeconds();
    const auto othersAtStart = sampleOtherProcesses(serverPid);
    std::this_thread::sleep_until(windowEnd);
    const auto s1 = sampleProcess(serverPid);
    const double ownCpuAtEnd = ownCpuSeconds();
    const auto othersAtEnd = sampleOtherProcesses(serverPid);
    if (trafficFuture.wait_for(60s) != std::future_status::ready)
        throw std::runtime_error("timed out: the traffic phase");
    const auto loadAfter = loadAverage();

    // --- figures (the io thread no longer touches msgs: recording stopped) -----------------------
    Dist delivery, toAgent, toCustomer, restRtt, wsMinusResponse, lag, fromSchedule, atSocket, readDelay;
    std::size_t measured = 0, lost = 0, duplicates = 0, failed = 0;
    for (const auto& m : bench.msgs) {
        if (!m.measured)
            continue;
        ++measured;
        if (m.status != 201) {
            ++failed;
            continue;
        }
        restRtt.add(ms(m.responded - m.sent));
        lag.add(ms(m.sent - m.scheduled));
        if (m.deliveries == 0) {
            ++lost;
            continue;
        }
        duplicates += static_cast<std::size_t>(m.deliveries - 1);
        const double d = ms(m.delivered - m.sent);
        delivery.add(d);
        fromSchedule.add(ms(m.delivered - m.scheduled));
        (m.toAgent ? toAgent : toCustomer).add(d);
        wsMinusResponse.add(ms(m.delivered - m.responded));
        atSocket.add(ms(m.arrived - m.sent));
        readDelay.add(ms(m.delivered - m.arrived));
    }
    if (!o.samplesFile.empty()) {
        std::ofstream csv(o.samplesFile);
        // monotonic_s: CLOCK_MONOTONIC (steady_clock) of the scheduled send, to line up with perf traces.
        // socket_ms: request written -> the frame's kernel receive time in the recipient's socket.
        csv << "msg,direction,monotonic_s,scheduled_ms,send_lag_ms,rest_rtt_ms,delivery_ms,status,socket_"
               "ms\n";
        csv.precision(9);
        for (std::size_t k = 0; k < bench.msgs.size(); ++k) {
            const auto& m = bench.msgs[k];
            if (!m.measured)
                continue;
            csv << k << ',' << (m.toAgent ? "to_agent" : "to_customer") << ','
                << std::chrono::duration<double>(m.scheduled.time_since_epoch()).count() << ','
                << ms(m.scheduled - windowStart) << ',' << ms(m.sent - m.scheduled) << ','
                << (m.status ? ms(m.responded - m.sent) : NAN) << ','
                << (m.deliveries ? ms(m.delivered - m.sent) : NAN) << ',' << m.status << ','
                << (m.deliveries ? ms(m.arrived - m.sent) : NAN) << '\n';
        }
    }
    std::size_t queued = 0, reconnects = 0;
    for (auto& c : bench.conversations) {
        queued += c.customerSender->queuedBehindBusy + c.agentSender->queuedBehindBusy;
        reconnects += c.customerSender->reconnects + c.agentSender->reconnects;
    }
    const double window = std::chrono::duration<double>(windowEnd - windowStart).count();
    const double serverCpu = s0.ok && s1.ok ? 100.0 * (s1.cpuSeconds - s0.cpuSeconds) / window : NAN;
    const double ownCpu = 100.0 * (ownCpuAtEnd - ownCpuAtStart) / window;
    const double achieved = static_cast<double>(measured) / window;

    std::printf("\n== results (measured window %.0f s, %.0f msg/s) ==\n", window, achieved);
    std::printf(
        "delivery latency, REST request written -> recipient's message.created read:\n  all         %s\n",
        delivery.line().c_str());
    std::printf("  to agent    %s\n  to customer %s\n", toAgent.line().c_str(), toCustomer.line().c_str());
    std::printf("  from the scheduled send time (adds any wait for the sender's connection): %s\n",
                fromSchedule.line().c_str());
    std::printf(
        "  the server's part: request written -> frame in the recipient's socket (kernel receive time):\n"
        "              %s\n",
        atSocket.line().c_str());
    std::printf("  the load generator's part: frame in the socket -> read: p50 %.3f  p99 %.3f  max %.3f ms; "
                "%zu reads without a receive time\n",
                readDelay.pct(50), readDelay.pct(99), readDelay.pct(100), bench.unstamped);
    std::printf("REST round trip, request written -> 201 read:\n  %s\n", restRtt.line().c_str());
    std::printf(
        "frame after the 201 (frame time - response time; negative: frame first):\n  p50 %.3f  p99 %.3f ms\n",
        wsMinusResponse.pct(50), wsMinusResponse.pct(99));
    std::printf(
        "send lag behind schedule (load generator): p50 %.3f  p99 %.3f  max %.3f ms; %zu sends waited for "
        "their connection's previous request\n",
        lag.pct(50), lag.pct(99), lag.pct(100), queued);
    std::printf("lost %zu, duplicates %zu, failed sends %zu, HTTP reconnects %zu; idle sockets dropped %zu, "
                "frames on idle "
                "sockets %zu, active sockets dropped %zu\n",
                lost, duplicates, failed, reconnects, bench.idleDropped, bench.idleFrames,
                bench.activeDropped);
    if (s1.ok) {
        std::printf(
            "server: CPU %.1f%% of one core over the window; RSS %.1f MB at the end (peak %.1f MB), %.1f MB "
            "with the idle sockets before traffic, %.1f MB at start; %d threads\n",
            serverCpu, s1.rssMb, s1.peakRssMb, withIdle.rssMb, atStart.rssMb, s1.threads);
    } else {
        std::printf("server: CPU and RSS unknown (give --server-pid)\n");
    }
    if (s1.ok) {
        const double switches = static_cast<double>(s1.contextSwitches - s0.contextSwitches) / window;
        std::printf("server: %.0f context switches/s (%.1f per message)\n", switches, switches / achieved);
    }
    std::printf("bench: CPU %.1f%% of one core over the window\n", ownCpu);
    {
        // Everything else that ran meanwhile (other builds and tests on a shared machine, the
        // kernel's own threads) competes with the server and the load generator for the cores: the
        // figures are only as good as this. A process that started and ended inside the window is
        // missed; one that started inside it counts whole.
        double others = 0, busiest = 0;
        std::string busiestName = "-";
        for (const auto& [pid, end] : othersAtEnd) {
            const auto start = othersAtStart.find(pid);
            const bool same = start != othersAtStart.end() && start->second.startTime == end.startTime;
            const double used = std::max(0.0, end.cpuSeconds - (same ? start->second.cpuSeconds : 0.0));
            others += used;
            if (used > busiest) {
                busiest = used;
                busiestName = end.name;
            }
        }
        std::printf("other processes: CPU %.1f%% of one core over the window (busiest: %s, %.1f%%)\n",
                    100.0 * others / window, busiestName.c_str(), 100.0 * busiest / window);
    }
    std::printf("load average before %s, after %s\n", loadBefore.c_str(), loadAfter.c_str());
    const double p99 = delivery.pct(99);
    std::printf("target: p99 <= 2 ms: %s (%.3f ms); RSS <= 200 MB: %s (%.1f MB)\n",
                p99 <= 2.0 ? "met" : "MISSED", p99,
                s1.ok && s1.rssMb <= 200.0 ? "met" : (s1.ok ? "MISSED" : "unknown"), s1.rssMb);

    // --- tear down ---------------------------------------------------------------------------------
    onIoAndWait(io, 30s, "closing", [&](auto done) {
        bench.shutdown();
        done();
    });
    guard.reset();
    ioThread.join(); // returns once every aborted operation has completed
    if (server.pid > 0) {
        const auto problems = server.problems();
        if (!problems.empty()) {
            std::printf("server warnings/errors (%zu):\n", problems.size());
            for (std::size_t i = 0; i < problems.size() && i < 10; ++i)
                std::printf("  %s\n", problems[i].c_str());
        }
        std::printf("server stopped: %s\n", server.stop().c_str());
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run(parseOptions(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parley-bench-ws: %s\n", e.what());
        return 1;
    }
}
