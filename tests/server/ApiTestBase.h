#pragma once
// Shared set-up of API tests: a real parley-server on free ports with its own data dir, and
// shortcuts for the flows most tests start with. Include in exactly one .cpp per test.

#include "BackgroundThreads.h"
#include "HttpClient.h"
#include "ServerProcess.h"

#include <QTest>

#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

// Compares two JSON values as text, so a failure prints both.
#define QCOMPARE_JSON(actual, expected)                                                                      \
    QCOMPARE(QString::fromStdString(nlohmann::json(actual).dump()),                                          \
             QString::fromStdString(nlohmann::json(expected).dump()))

namespace parley::test {

using nlohmann::json;

struct AgentLogin {
    std::string id;
    std::string token;
};

class ApiFixture {
public:
    ServerProcess server;
    std::unique_ptr<HttpClient> http;
    std::string adminToken;

    bool start(const QStringList& args = {}) {
        if (!server.start(args))
            return false;
        http = std::make_unique<HttpClient>(server.httpPort());
        // A server started with a tiny --http-queue-wait-ms may refuse the login as overloaded
        // (503) on a slow build (sanitizers) or a busy machine: asked again, a bounded number of times.
        for (int attempt = 0; attempt < 50 && adminToken.empty(); ++attempt)
            adminToken = http->login("admin", ServerProcess::kAdminPassword);
        return !adminToken.empty();
    }

    // A customer with an open conversation: {token, conversation id}.
    std::pair<std::string, std::string> customerWithConversation() const {
        const auto c = http->newCustomer();
        const auto r = http->post("/api/v1/conversations", json::object(), c.token);
        return {c.token, r.body["conversation"].value("id", "")};
    }

    AgentLogin createAgent(const std::string& username, int maxChats, bool online,
                           const std::string& role = "agent") const {
        const auto r = http->post("/api/v1/admin/agents",
                                  {{"username", username},
                                   {"display_name", "Agent " + username},
                                   {"password", "password-" + username},
                                   {"max_active_chats", maxChats},
                                   {"role", role}},
                                  adminToken);
        AgentLogin a{r.body["agent"].value("id", ""), http->login(username, "password-" + username)};
        if (online)
            http->put("/api/v1/agent/presence", {{"presence", "online"}}, a.token);
        return a;
    }

    json conversation(const std::string& id, const std::string& token) const {
        return http->get("/api/v1/conversations/" + id, token).body;
    }
};

// Runs fn(i) for i in [0, n) on n threads released at once, so the calls really race.
inline void race(int n, const std::function<void(int)>& fn) {
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
            ++ready;
            while (!go.load())
                std::this_thread::yield();
            fn(i);
        });
    while (ready.load() < n)
        std::this_thread::yield();
    go = true;
    for (auto& t : threads)
        t.join();
}

// The contract's exact queued message. Spelled out here rather than taken from the server's
// constant, so a drift in the server's text fails the tests.
inline const std::string kBusyMessage = "All agents are busy. You are in queue.";

inline int countContent(const json& messages, const std::string& content) {
    int n = 0;
    for (const auto& m : messages)
        if (m.value("content", "") == content)
            ++n;
    return n;
}

} // namespace parley::test
