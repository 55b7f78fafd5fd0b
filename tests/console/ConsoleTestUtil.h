#pragma once
// Shared helpers of the console suites: a real parley-server, customers driven over REST with the
// blocking HttpClient, and a way to wait for the console's asynchronous calls.

#include "HttpClient.h"
#include "ServerProcess.h"

#include "core/ApiClient.h"
#include "core/Session.h"

#include <parley/protocol/Codec.h>

#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>
#include <string_view>

// QCOMPARE of the contract's enums. QTest's generic qCompare calls toString(value) unqualified, and
// argument-dependent lookup then prefers parley::protocol::toString (which answers the wire name as
// a std::string_view, not the char* QTest wants): compare and report them by wire name instead.
namespace QTest {
#define PARLEY_QCOMPARE_PROTOCOL_ENUM(Enum)                                                                  \
    inline bool qCompare(parley::protocol::Enum t1, parley::protocol::Enum t2, const char* actual,           \
                         const char* expected, const char* file, int line) {                                 \
        const std::string_view n1 = parley::protocol::toString(t1), n2 = parley::protocol::toString(t2);     \
        return qCompare(QString::fromUtf8(n1.data(), qsizetype(n1.size())),                                  \
                        QString::fromUtf8(n2.data(), qsizetype(n2.size())), actual, expected, file, line);   \
    }
PARLEY_QCOMPARE_PROTOCOL_ENUM(ConversationStatus)
PARLEY_QCOMPARE_PROTOCOL_ENUM(SenderType)
PARLEY_QCOMPARE_PROTOCOL_ENUM(MessageKind)
PARLEY_QCOMPARE_PROTOCOL_ENUM(Role)
PARLEY_QCOMPARE_PROTOCOL_ENUM(Presence)
#undef PARLEY_QCOMPARE_PROTOCOL_ENUM
} // namespace QTest

namespace parley::test::console {

using parley::console::ApiClient;
using parley::console::ApiResult;
using parley::console::Session;

inline QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// A JSON value for QCOMPARE: a string as it is, anything else (null, numbers, objects) as JSON text.
inline QString js(const nlohmann::json& j) {
    return j.is_string() ? qs(j.get<std::string>()) : qs(j.dump());
}

// Runs one asynchronous ApiClient call to its end (processing events meanwhile). A call that does
// not answer in time leaves the result empty: callers QVERIFY(result), so the timeout fails the test.
template <typename T, typename Start>
[[nodiscard]] std::optional<ApiResult<T>> await(Start&& start, int timeoutMs = 15000) {
    // Shared with the callback: an answer arriving after the timeout must not write into a dead frame.
    auto out = std::make_shared<std::optional<ApiResult<T>>>();
    start([out](const ApiResult<T>& r) { *out = r; });
    if (!QTest::qWaitFor([&] { return out->has_value(); }, timeoutMs))
        qWarning("await: the call did not answer within %d ms", timeoutMs);
    return *out;
}

// Keeps QSettings of the console under test out of the user's real configuration.
inline void isolateSettings(QTemporaryDir& dir) {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("ParleyTest"));
    QCoreApplication::setApplicationName(QStringLiteral("parley-console-test"));
}

// What most suites start from: a real server, a blocking REST client for it (m_http) and the
// admin's token. A suite derives from it after QObject and starts it in initTestCase.
struct ServerFixture {
    ServerProcess m_server;
    std::unique_ptr<HttpClient> m_http;
    std::string m_adminToken;

    // Starts the server and makes m_http for it.
    [[nodiscard]] bool startServer() {
        if (!m_server.start())
            return false;
        m_http = std::make_unique<HttpClient>(m_server.httpPort());
        return true;
    }

    // startServer(), then the admin signs in over REST (m_adminToken).
    [[nodiscard]] bool startServerAsAdmin() {
        if (!startServer())
            return false;
        m_adminToken = m_http->login("admin", ServerProcess::kAdminPassword);
        if (m_adminToken.empty())
            qWarning("startServerAsAdmin: the admin could not sign in");
        return !m_adminToken.empty();
    }
};

// An ApiClient for the server, signed in with `token` when one is given.
inline std::unique_ptr<ApiClient> apiClientFor(const ServerProcess& server, const std::string& token = {}) {
    auto api = std::make_unique<ApiClient>();
    api->setBaseUrl(server.httpUrl());
    if (!token.empty())
        api->setToken(qs(token));
    return api;
}

struct Customer {
    std::string token;
    std::string sessionId;
    std::string conversationId;
};

// A customer with a conversation who asked for an agent (the handoff answer in *handoff).
inline Customer customerWantingAgent(const HttpClient& http, nlohmann::json* handoff = nullptr) {
    Customer c;
    auto s = http.newCustomer();
    c.token = s.token;
    c.sessionId = s.sessionId;
    auto conv = http.post("/api/v1/conversations", nlohmann::json::object(), c.token);
    c.conversationId = conv.body["conversation"].value("id", "");
    auto h = http.post("/api/v1/conversations/" + c.conversationId + "/handoff", nlohmann::json::object(),
                       c.token);
    if (handoff)
        *handoff = h.body;
    return c;
}

inline int customerSays(const HttpClient& http, const Customer& c, const std::string& text) {
    return http.post("/api/v1/conversations/" + c.conversationId + "/messages", {{"content", text}}, c.token)
        .status;
}

// One key of a GET answer's body, by value. (Never range-for over `http.get(...).body[key]`: the
// response is a temporary that dies before the loop body runs.)
inline nlohmann::json getBody(const HttpClient& http, const std::string& path, const std::string& token,
                              const char* key) {
    const HttpResponse r = http.get(path, token);
    return r.body.is_object() && r.body.contains(key) ? r.body[key] : nlohmann::json::array();
}

// The id of an agent by username ("" when there is none).
inline std::string agentIdOf(const HttpClient& http, const std::string& token, const std::string& username) {
    for (const auto& a : getBody(http, "/api/v1/agents", token, "agents"))
        if (a.value("username", "") == username)
            return a.value("id", "");
    return {};
}

// Closes every open conversation assigned to the agent of `token`; returns how many it closed.
inline int closeOpenChats(const HttpClient& http, const std::string& token) {
    int closed = 0;
    for (const auto& c : getBody(http, "/api/v1/agent/conversations", token, "conversations")) {
        const std::string path = "/api/v1/conversations/" + c.value("id", "") + "/close";
        if (http.post(path, nlohmann::json::object(), token).status == 200)
            ++closed;
    }
    return closed;
}

inline nlohmann::json messagesOf(const HttpClient& http, const std::string& token,
                                 const std::string& conversationId) {
    return http.get("/api/v1/conversations/" + conversationId + "/messages?after_seq=0", token)
        .body["messages"];
}

// Creates an agent as admin; returns its id ("" on failure).
inline std::string createAgent(const HttpClient& http, const std::string& adminToken,
                               const std::string& username, const std::string& displayName, int maxChats,
                               const std::string& password = "agent-pass-1") {
    auto r = http.post("/api/v1/admin/agents",
                       {{"username", username},
                        {"display_name", displayName},
                        {"password", password},
                        {"max_active_chats", maxChats},
                        {"role", "agent"}},
                       adminToken);
    return r.status == 201 ? r.body["agent"].value("id", "") : std::string();
}

// PUT /admin/agents/{id} {"max_active_chats": n} as admin.
inline bool setMaxChats(const HttpClient& http, const std::string& adminToken, const std::string& agentId,
                        int maxChats) {
    return http.put("/api/v1/admin/agents/" + agentId, {{"max_active_chats", maxChats}}, adminToken).status ==
           200;
}

inline bool setPresence(const HttpClient& http, const std::string& token, const char* presence) {
    return http.put("/api/v1/agent/presence", {{"presence", presence}}, token).status == 200;
}

// Between tests: admin offline with the default maximum (5), no open chat of admin's, and the queue
// empty (admin goes online with room for everyone waiting, takes them and closes them). Other agents
// must be offline for this. True when the queue is empty afterwards.
[[nodiscard]] inline bool resetAdminAndQueue(const HttpClient& http, const std::string& adminToken,
                                             const std::string& adminId) {
    bool ok = setMaxChats(http, adminToken, adminId, 100);
    closeOpenChats(http, adminToken);
    ok = http.put("/api/v1/agent/presence", {{"presence", "online"}}, adminToken).status == 200 && ok;
    closeOpenChats(http, adminToken);
    ok = http.put("/api/v1/agent/presence", {{"presence", "offline"}}, adminToken).status == 200 && ok;
    ok = setMaxChats(http, adminToken, adminId, 5) && ok;
    return ok && getBody(http, "/api/v1/queue", adminToken, "conversations").empty();
}

// Signs the session in and waits until it is live (REST signed in and the WebSocket said hello.ok).
inline bool signIn(Session& session, const ServerProcess& server, const QString& username,
                   const QString& password) {
    QSignalSpy signedIn(&session, &Session::signedIn);
    session.signIn(server.httpUrl(), username, password);
    if (!QTest::qWaitFor([&] { return signedIn.count() > 0; }, 15000))
        return false;
    return QTest::qWaitFor([&] { return session.realtime()->isConnected(); }, 15000);
}

} // namespace parley::test::console
