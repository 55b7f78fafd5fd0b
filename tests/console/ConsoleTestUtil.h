#pragma once
// Shared helpers of the console suites: a real parley-server, customers driven over REST with the
// blocking HttpClient, and a way to wait for the console's asynchronous calls.

#include "HttpClient.h"
#include "ServerProcess.h"

#include "core/ApiClient.h"
#include "core/Session.h"

#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

namespace parley::test::console {

using parley::console::ApiClient;
using parley::console::ApiResult;
using parley::console::Session;

inline QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

// Runs one asynchronous ApiClient call to its end (processing events meanwhile).
template <typename T, typename Start>
std::optional<ApiResult<T>> await(Start&& start, int timeoutMs = 15000) {
    std::optional<ApiResult<T>> out;
    start([&out](const ApiResult<T>& r) { out = r; });
    // A timeout leaves out empty: the caller's QVERIFY(result) reports it.
    (void)QTest::qWaitFor([&] { return out.has_value(); }, timeoutMs);
    return out;
}

// Keeps QSettings of the console under test out of the user's real configuration.
inline void isolateSettings(QTemporaryDir& dir) {
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("ParleyTest"));
    QCoreApplication::setApplicationName(QStringLiteral("parley-console-test"));
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

inline bool setPresence(const HttpClient& http, const std::string& token, const char* presence) {
    return http.put("/api/v1/agent/presence", {{"presence", presence}}, token).status == 200;
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
