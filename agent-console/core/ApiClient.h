#pragma once
// The contract's REST API on QNetworkAccessManager. Every call is asynchronous and reports
// through its callback exactly once, with the decoded contract object or a typed ApiError.

#include "core/ApiError.h"

#include <parley/protocol/Types.h>

#include <QDate>
#include <QNetworkAccessManager>
#include <QObject>
#include <QSet>
#include <QUrl>

#include <functional>
#include <optional>
#include <variant>
#include <vector>

class QTimer;

namespace parley::console {

struct LoginResult {
    QString token;
    protocol::Agent agent;
};

struct ConversationWithMessages {
    protocol::Conversation conversation;
    std::vector<protocol::Message> messages;
};

// Issue 19 "Agents at work": a search hit, the conversation and the message that matched.
struct SearchHit {
    protocol::Conversation conversation;
    protocol::Message message;
};

struct NewAgent {
    QString username;
    QString displayName;
    QString password;
    int maxActiveChats = 3;
    protocol::Role role = protocol::Role::Agent;
};

// Only the fields that are set are sent (PUT /admin/agents/{id} takes "any of").
struct AgentPatch {
    std::optional<QString> displayName;
    std::optional<QString> password;
    std::optional<int> maxActiveChats;
    std::optional<protocol::Role> role;
    std::optional<bool> disabled; // issue 19
};

class ApiClient : public QObject {
    Q_OBJECT
public:
    template <typename T>
    using Callback = std::function<void(const ApiResult<T>&)>;
    using Done = Callback<std::monostate>;
    // Told before a call answered 503 "overloaded" goes out again, with the wait in ms.
    using Retrying = std::function<void(int delayMs)>;

    // A call answered 503 "overloaded" (the server refused it at once and did nothing) is sent
    // again after the answer's Retry-After, plus up to half of it at random so that clients refused
    // together do not come back together, at most this often; then its callback gets the 503.
    static constexpr int kOverloadRetries = 4;

    explicit ApiClient(QObject* parent = nullptr);

    // The server's HTTP root, e.g. http://127.0.0.1:8080 (a path prefix is kept).
    void setBaseUrl(const QUrl& url) { m_baseUrl = url; }
    QUrl baseUrl() const { return m_baseUrl; }
    // A different token (signing out, or in as someone else) cancels the 503 retries still waiting.
    void setToken(const QString& token);
    void cancelRetries();
    int pendingRetries() const { return int(m_retries.size()); } // for tests
    QString token() const { return m_token; }
    void setTimeout(int ms) { m_timeoutMs = ms; }

    // Agents.
    void login(const QString& username, const QString& password, Callback<LoginResult> done);
    void fetchWsUrl(Callback<QUrl> done); // server extension GET /api/v1/widget/config
    void setPresence(protocol::Presence presence, Callback<protocol::Agent> done);
    void myConversations(Callback<std::vector<protocol::Conversation>> done);
    void queue(Callback<std::vector<protocol::Conversation>> done);
    void agents(Callback<std::vector<protocol::Agent>> done);
    void conversation(const QString& id, Callback<ConversationWithMessages> done);
    void messagesAfter(const QString& id, qint64 afterSeq, Callback<std::vector<protocol::Message>> done);
    // Sent again unchanged (the same clientMsgId) while the server is overloaded; retrying, if
    // given, hears of each new attempt.
    void sendMessage(const QString& conversationId, const QString& content, const QString& clientMsgId,
                     Callback<protocol::Message> done, Retrying retrying = {});
    void closeConversation(const QString& id, Callback<protocol::Conversation> done);
    void publicFaq(Callback<std::vector<protocol::FaqEntry>> done);

    // Issue 19 "Agents at work" (contract v1.1): notes, transfer, canned replies, read marks,
    // a shopper's past chats and search.
    void notes(const QString& conversationId, Callback<std::vector<protocol::Note>> done);
    void addNote(const QString& conversationId, const QString& content, Callback<protocol::Note> done);
    // toAgentId empty: back to the queue. note (optional) becomes an internal note.
    void transfer(const QString& conversationId, const QString& toAgentId, const QString& note,
                  Callback<protocol::Conversation> done);
    void canned(const QString& query, Callback<std::vector<protocol::CannedReply>> done);
    void markRead(const QString& conversationId, qint64 seq, Callback<protocol::Conversation> done);
    void customerConversations(const QString& customerSessionId,
                               Callback<std::vector<protocol::Conversation>> done);
    void search(const QString& query, int limit, Callback<std::vector<SearchHit>> done);

    // Admins.
    void adminFaq(Callback<std::vector<protocol::FaqEntry>> done);
    void createFaq(const protocol::FaqEntry& entry, Callback<protocol::FaqEntry> done);
    void updateFaq(const QString& slug, const protocol::FaqEntry& entry, Callback<protocol::FaqEntry> done);
    // A PUT naming only `fields` (wire names): the server merges it, so another admin's edit of
    // the other fields survives.
    void patchFaq(const QString& slug, const nlohmann::json& fields, Callback<protocol::FaqEntry> done);
    void deleteFaq(const QString& slug, Done done);
    // Issue 19: the canned-reply editor. create sends shortcut, title and content only.
    void adminCanned(Callback<std::vector<protocol::CannedReply>> done);
    void createCanned(const protocol::CannedReply& reply, Callback<protocol::CannedReply> done);
    // A PUT naming only `fields` (wire names), merged by the server as patchFaq's.
    void patchCanned(const QString& id, const nlohmann::json& fields, Callback<protocol::CannedReply> done);
    void deleteCanned(const QString& id, Done done);
    void adminAgents(Callback<std::vector<protocol::Agent>> done);
    void createAgent(const NewAgent& agent, Callback<protocol::Agent> done);
    void updateAgent(const QString& id, const AgentPatch& patch, Callback<protocol::Agent> done);
    // GET/PUT /api/v1/admin/settings: the whole settings object; PUT sends only the keys to change.
    void adminSettings(Callback<nlohmann::json> done);
    void updateSettings(const nlohmann::json& patch, Callback<nlohmann::json> done);

    // Reports and data rights (issue 22, admins). The report as the server sends it (ReportsModel
    // reads it); the CSV variant as its bytes; a shopper's export as JSON; erase (204).
    void reports(const QDate& from, const QDate& to, const QString& timeZone, Callback<nlohmann::json> done);
    void reportsCsv(const QDate& from, const QDate& to, const QString& timeZone, Callback<QByteArray> done);
    void exportCustomer(const QString& customerSessionId, Callback<nlohmann::json> done);
    void eraseCustomer(const QString& customerSessionId, Done done);

signals:
    // A call with our token answered 401: the session is over, sign in again.
    void sessionExpired();

private:
    using RawHandler = std::function<void(const nlohmann::json& body, const ApiError* error)>;
    void send(const QByteArray& verb, const QString& path, const std::optional<nlohmann::json>& body,
              RawHandler handler, Retrying retrying = {}, int attempt = 0);
    template <typename T>
    void call(const QByteArray& verb, const QString& path, const std::optional<nlohmann::json>& body,
              std::function<T(const nlohmann::json&)> decode, Callback<T> done, Retrying retrying = {});

    QNetworkAccessManager m_nam;
    QUrl m_baseUrl;
    QString m_token;
    int m_timeoutMs = 30000;
    QSet<QTimer*> m_retries; // 503 retries waiting to go out again
};

} // namespace parley::console
