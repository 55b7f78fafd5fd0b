#include "Targets.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace parley::bench {
namespace {

using json = nlohmann::json;

// Blocking REST calls for the set-up (never during a step).
class Rest {
public:
    explicit Rest(int port)
        : m_cli("127.0.0.1", port) {
        m_cli.set_keep_alive(true);
        m_cli.set_tcp_nodelay(true);
        m_cli.set_connection_timeout(5);
        m_cli.set_read_timeout(60);
    }

    // The body of an answer with one of the expected statuses; throws otherwise.
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

    // The writer's figures of GET /api/v1/admin/stats, which both targets answer. Past saturation
    // the call may be refused like any other: it is asked again, for at most about a second. A
    // failure is reported and leaves the figures out.
    std::optional<WriterStats> writerStats(const std::string& token) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            try {
                const auto stats = call("GET", "/api/v1/admin/stats", token, json::object(), 200, 503);
                if (!stats.contains("error")) {
                    const auto& w = stats.at("writer");
                    return WriterStats{w.at("cpu_seconds").get<double>(), w.at("groups").get<std::uint64_t>(),
                                       w.at("jobs").get<std::uint64_t>()};
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "GET /api/v1/admin/stats: %s\n", e.what());
                return std::nullopt;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10)); // Retry-After is for people
        }
        std::fprintf(stderr, "GET /api/v1/admin/stats: still 503 after 100 tries\n");
        return std::nullopt;
    }

    // ws_url from GET /api/v1/widget/config, or ws://127.0.0.1:fallbackPort/ws.
    WsEndpoint wsEndpoint(int fallbackPort) {
        if (auto r = m_cli.Get("/api/v1/widget/config"); r && r->status == 200) {
            const auto body = json::parse(r->body, nullptr, false);
            if (body.is_object() && body.contains("ws_url") && body["ws_url"].is_string())
                return parseWsUrl(body["ws_url"].get<std::string>());
        }
        return parseWsUrl("ws://127.0.0.1:" + std::to_string(fallbackPort) + "/ws");
    }

private:
    httplib::Client m_cli;
};

class ParleyTarget final : public Target {
public:
    ParleyTarget(int httpPort, int wsPort, const std::string& adminPassword)
        : m_rest(httpPort)
        , m_httpPort(httpPort)
        , m_wsPort(wsPort ? wsPort : httpPort) {
        m_adminToken = m_rest
                           .call("POST", "/api/v1/agent/login", "",
                                 {{"username", "admin"}, {"password", adminPassword}})["token"]
                           .get<std::string>();
    }

    WsEndpoint wsEndpoint() override { return m_rest.wsEndpoint(m_wsPort); }

    Accounts createAccounts(int pairs, int agents) override {
        Accounts out;
        const int perAgent = (pairs + agents - 1) / agents;
        const auto tag = std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr) % 100000);
        for (int a = 0; a < agents; ++a) {
            const std::string username = "bench-" + tag + "-agent-" + std::to_string(a);
            const std::string password = "bench-password-" + std::to_string(a);
            auto created = m_rest.call("POST", "/api/v1/admin/agents", m_adminToken,
                                       {{"username", username},
                                        {"display_name", "Bench Agent " + std::to_string(a)},
                                        {"password", password},
                                        {"max_active_chats", perAgent},
                                        {"role", "agent"}},
                                       201);
            auto login = m_rest.call("POST", "/api/v1/agent/login", "",
                                     {{"username", username}, {"password", password}});
            m_agentIds.push_back(created["agent"]["id"].get<std::string>());
            out.agentTokens.push_back(login["token"].get<std::string>());
        }
        for (int c = 0; c < pairs; ++c) {
            auto session = m_rest.call("POST", "/api/v1/customer/session", "", json::object(), 201);
            PairSpec p;
            p.customerToken = session["token"].get<std::string>();
            p.conversationId = m_rest
                                   .call("POST", "/api/v1/conversations", p.customerToken, json::object(),
                                         201, 200)["conversation"]["id"]
                                   .get<std::string>();
            out.pairs.push_back(std::move(p));
        }
        return out;
    }

    // Agents online (their sockets are up), then every conversation is handed off and assigned.
    void assign(Accounts& accounts) override {
        for (const auto& token : accounts.agentTokens)
            m_rest.call("PUT", "/api/v1/agent/presence", token, {{"presence", "online"}});
        for (auto& p : accounts.pairs) {
            auto r = m_rest.call("POST", "/api/v1/conversations/" + p.conversationId + "/handoff",
                                 p.customerToken);
            const auto& assigned = r["conversation"]["assigned_agent_id"];
            if (!assigned.is_string())
                throw std::runtime_error("conversation " + p.conversationId +
                                         " was not assigned: " + r.dump());
            for (std::size_t a = 0; a < m_agentIds.size(); ++a)
                if (m_agentIds[a] == assigned.get<std::string>())
                    p.agent = static_cast<int>(a);
            if (p.agent < 0)
                throw std::runtime_error("conversation assigned to an agent that is not ours");
        }
    }

    std::vector<std::string> idleTokens(int n) override {
        std::vector<std::string> out;
        out.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            out.push_back(m_rest.call("POST", "/api/v1/customer/session", "", json::object(), 201)["token"]
                              .get<std::string>());
        return out;
    }

    std::optional<WriterStats> writerStats() override { return m_rest.writerStats(m_adminToken); }

private:
    Rest m_rest;
    int m_httpPort;
    int m_wsPort;
    std::string m_adminToken;
    std::vector<std::string> m_agentIds;
};

// Tokens and ids of the sizes parley-server uses (a signed token is about 150 characters).
std::string token(const std::string& kind, std::size_t i) {
    std::string t = "bare-" + kind + "-" + std::to_string(i) + "-";
    t.resize(150, 'x');
    return t;
}
std::string uuidLike(int kind, std::size_t i) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%08zx-0000-4000-8000-%012d", i, kind);
    return buf;
}

class BareTarget final : public Target {
public:
    explicit BareTarget(int httpPort)
        : m_rest(httpPort)
        , m_port(httpPort) {}

    WsEndpoint wsEndpoint() override { return m_rest.wsEndpoint(m_port); }

    Accounts createAccounts(int pairs, int agents) override {
        Accounts out;
        json body{{"agents", json::array()}, {"conversations", json::array()}};
        for (int a = 0; a < agents; ++a) {
            out.agentTokens.push_back(token("agent", static_cast<std::size_t>(a)));
            m_agentIds.push_back(uuidLike(1, static_cast<std::size_t>(a)));
            body["agents"].push_back({{"id", m_agentIds.back()}, {"token", out.agentTokens.back()}});
        }
        for (int c = 0; c < pairs; ++c) {
            PairSpec p;
            p.conversationId = uuidLike(2, static_cast<std::size_t>(c));
            p.customerToken = token("customer", static_cast<std::size_t>(c));
            p.agent = c % agents; // as the server's least-loaded assignment spreads them
            body["conversations"].push_back({{"id", p.conversationId},
                                             {"customer_token", p.customerToken},
                                             {"agent_id", m_agentIds[static_cast<std::size_t>(p.agent)]}});
            out.pairs.push_back(std::move(p));
        }
        m_rest.call("POST", "/bare/setup", "", body, 201);
        return out;
    }

    void assign(Accounts&) override {} // done by createAccounts

    std::optional<WriterStats> writerStats() override { return m_rest.writerStats(""); }

    std::vector<std::string> idleTokens(int n) override {
        std::vector<std::string> out;
        for (int i = 0; i < n; ++i)
            out.push_back(token("idle", static_cast<std::size_t>(i)));
        return out;
    }

private:
    Rest m_rest;
    int m_port;
    std::vector<std::string> m_agentIds;
};

} // namespace

std::unique_ptr<Target> makeParleyTarget(int httpPort, int wsPort, const std::string& adminPassword) {
    return std::make_unique<ParleyTarget>(httpPort, wsPort, adminPassword);
}
std::unique_ptr<Target> makeBareTarget(int httpPort) {
    return std::make_unique<BareTarget>(httpPort);
}

} // namespace parley::bench
