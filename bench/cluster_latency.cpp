// parley-bench-cluster: delivery latency of message.created across nodes (issue 20), a benchmark,
// not a pass/fail test.
//
// It starts a throw-away PostgreSQL and Redis (tests/pg/start.sh, tests/redis/start.sh) and two
// parley-server nodes on them with --bus, then has one agent connected twice, once to each node,
// and a customer that sends --messages messages over REST to node A, one after the other (each
// sent once the previous one reached both connections). For each message it measures the time
// from the request written to message.created read on node A's connection (same node) and on
// node B's (other node). With --no-bus the same runs on one node without the outbox (events
// handed to the hub straight after COMMIT), for comparison. See bench/README.md.

#include "lib/Launcher.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#ifndef PARLEY_SERVER_BINARY
#define PARLEY_SERVER_BINARY "parley-server"
#endif

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace net = boost::asio;
namespace beast = boost::beast;

const char* kUsage = R"(Usage: parley-bench-cluster [--messages N] [--no-bus] [--keep]

Two parley-server nodes on a throw-away PostgreSQL with --bus; an agent connected to both; a
customer sending N messages (default 500) over REST to node A, one at a time. Reports p50/p99/max
of the delivery latency (request written -> message.created read) on the same node and on the
other node. --no-bus: one node, no outbox (today's single-node path), for comparison.
)";

constexpr const char* kAdminPassword = "bench-admin-password";

json post(httplib::Client& c, const std::string& path, const json& body, const std::string& token) {
    httplib::Headers h;
    if (!token.empty())
        h.emplace("Authorization", "Bearer " + token);
    auto r = c.Post(path, h, body.dump(), "application/json");
    if (!r || r->status / 100 != 2)
        throw std::runtime_error("POST " + path +
                                 " failed: " + (r ? std::to_string(r->status) + " " + r->body : "no answer"));
    return json::parse(r->body);
}

json put(httplib::Client& c, const std::string& path, const json& body, const std::string& token) {
    auto r = c.Put(path, {{"Authorization", "Bearer " + token}}, body.dump(), "application/json");
    if (!r || r->status / 100 != 2)
        throw std::runtime_error("PUT " + path + " failed");
    return json::parse(r->body);
}

// One agent WebSocket that records when each "bench-N" message.created arrived.
class Watcher {
public:
    Watcher(int port, const std::string& token) {
        net::ip::tcp::resolver resolver(m_io);
        net::connect(m_ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
        m_ws.handshake("127.0.0.1", "/ws");
        m_ws.write(net::buffer(json{{"type", "hello"}, {"token", token}}.dump()));
        beast::flat_buffer b;
        m_ws.read(b);
        if (json::parse(beast::buffers_to_string(b.data())).value("type", "") != "hello.ok")
            throw std::runtime_error("hello failed");
        m_thread = std::thread([this] { run(); });
    }
    ~Watcher() {
        beast::error_code ec;
        m_ws.next_layer().shutdown(net::ip::tcp::socket::shutdown_both, ec);
        m_ws.next_layer().close(ec);
        m_thread.join();
    }
    // Waits until message n arrived; its arrival time.
    Clock::time_point waitFor(int n) {
        std::unique_lock lock(m_mutex);
        if (!m_arrived.wait_for(lock, std::chrono::seconds(30), [&] { return m_at.count(n) > 0; }))
            throw std::runtime_error("message " + std::to_string(n) + " did not arrive");
        return m_at[n];
    }

private:
    void run() {
        for (;;) {
            beast::flat_buffer b;
            beast::error_code ec;
            m_ws.read(b, ec);
            if (ec)
                return;
            const auto now = Clock::now();
            const auto f = json::parse(beast::buffers_to_string(b.data()), nullptr, false);
            if (f.is_discarded() || f.value("type", "") != "message.created")
                continue;
            const auto content = f["data"]["message"].value("content", "");
            if (content.rfind("bench-", 0) != 0)
                continue;
            std::lock_guard lock(m_mutex);
            m_at[std::stoi(content.substr(6))] = now;
            m_arrived.notify_all();
        }
    }

    net::io_context m_io;
    beast::websocket::stream<net::ip::tcp::socket> m_ws{m_io};
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_arrived;
    std::map<int, Clock::time_point> m_at;
};

struct Percentiles {
    double p50, p99, max;
};

Percentiles percentiles(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * v.size()))]; };
    return {at(0.50), at(0.99), v.back()};
}

} // namespace

int main(int argc, char** argv) {
    int messages = 500;
    bool bus = true;
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--messages" && i + 1 < argc)
            messages = std::atoi(argv[++i]);
        else if (a == "--no-bus")
            bus = false;
        else if (a == "--keep")
            keep = true;
        else {
            std::cout << kUsage;
            return a == "--help" ? 0 : 2;
        }
    }
    char dirTemplate[] = "/tmp/parley-bench-cluster-XXXXXX";
    if (!::mkdtemp(dirTemplate)) {
        std::perror("mkdtemp");
        return 1;
    }
    const std::string dir = dirTemplate;
    ::chmod(dirTemplate, 0755); // PostgreSQL runs as postgres when we are root (tests/pg/start.sh)
    const std::string pgDir = dir + "/pg", redisDir = dir + "/redis";
    const std::string src = PARLEY_SOURCE_DIR;
    auto sh = [](const std::string& cmd) {
        if (std::system(cmd.c_str()) != 0)
            throw std::runtime_error("failed: " + cmd);
    };
    int rc = 0;
    try {
        sh(src + "/tests/pg/start.sh " + pgDir + " >/dev/null");
        sh(src + "/tests/redis/start.sh " + redisDir + " >/dev/null");
        const std::string url = "postgresql:///postgres?host=" + pgDir + "&user=postgres";
        std::vector<std::string> args{"--database",
                                      url,
                                      "--admin-password",
                                      kAdminPassword,
                                      "--customer-rate-burst",
                                      "1000000",
                                      "--customer-rate-per-minute",
                                      "1000000"};
        if (bus)
            args.insert(args.end(), {"--bus", "unix://" + redisDir + "/redis.sock"});
        parley::bench::LaunchSpec spec{PARLEY_SERVER_BINARY, args, dir, {}, keep};
        parley::bench::LaunchedProcess nodeA, nodeB;
        nodeA.start(spec);
        if (bus)
            nodeB.start(spec);
        const int portA = nodeA.httpPort();
        const int portB = bus ? nodeB.httpPort() : portA;

        httplib::Client http("127.0.0.1", portA);
        http.set_keep_alive(true);
        http.set_tcp_nodelay(true); // else Nagle and delayed ACKs add 40 ms to every POST
        const auto admin =
            post(http, "/api/v1/agent/login", {{"username", "admin"}, {"password", kAdminPassword}}, "")
                .value("token", "");
        post(http, "/api/v1/admin/agents",
             {{"username", "bench"},
              {"display_name", "Bench"},
              {"password", "bench-password"},
              {"max_active_chats", 5},
              {"role", "agent"}},
             admin);
        const auto agent =
            post(http, "/api/v1/agent/login", {{"username", "bench"}, {"password", "bench-password"}}, "")
                .value("token", "");
        put(http, "/api/v1/agent/presence", {{"presence", "online"}}, agent);
        const auto customer = post(http, "/api/v1/customer/session", json::object(), "").value("token", "");
        const auto conversation =
            post(http, "/api/v1/conversations", json::object(), customer)["conversation"].value("id", "");
        post(http, "/api/v1/conversations/" + conversation + "/handoff", json::object(), customer);

        Watcher same(portA, agent), other(portB, agent);
        std::vector<double> sameMs, otherMs, restMs;
        for (int n = 0; n < messages; ++n) {
            const auto t0 = Clock::now();
            post(http, "/api/v1/conversations/" + conversation + "/messages",
                 {{"content", "bench-" + std::to_string(n)}}, customer);
            const auto t1 = Clock::now();
            auto ms = [&](Clock::time_point t) {
                return std::chrono::duration<double, std::milli>(t - t0).count();
            };
            restMs.push_back(ms(t1));
            sameMs.push_back(ms(same.waitFor(n)));
            otherMs.push_back(ms(other.waitFor(n)));
        }
        auto line = [](const char* what, const std::vector<double>& v) {
            const auto p = percentiles(v);
            std::printf("%-34s p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms\n", what, p.p50, p.p99, p.max);
        };
        std::printf("parley-bench-cluster: %d messages, %s\n", messages,
                    bus ? "2 nodes, --bus (event outbox)" : "1 node, no --bus (direct publish)");
        line("REST round trip (201)", restMs);
        line("message.created, same node", sameMs);
        line(bus ? "message.created, other node" : "message.created, 2nd connection", otherMs);
        nodeB.stop();
        nodeA.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parley-bench-cluster: %s\n", e.what());
        rc = 1;
    }
    std::system((src + "/tests/redis/stop.sh " + redisDir + " >/dev/null 2>&1").c_str());
    std::system((src + "/tests/pg/stop.sh " + pgDir + " >/dev/null 2>&1").c_str());
    if (!keep)
        std::system(("rm -rf '" + dir + "'").c_str());
    return rc;
}
