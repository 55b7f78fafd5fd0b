#include "core/ApiClient.h"

#include "core/Util.h"

#include <parley/protocol/Codec.h>
#include <parley/protocol/Errors.h>

#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QTimer>
#include <QUrlQuery>

using nlohmann::json;
namespace proto = parley::protocol;

namespace parley::console {
namespace {

template <typename T>
std::vector<T> listOf(const json& body, const char* key) {
    return body.at(key).get<std::vector<T>>();
}

// Admin create/update answers are documented as "FaqEntry" / {"agent"}: accept the object
// either wrapped under its name or bare, so a wrapping choice of the server does not break us.
const json& unwrap(const json& body, const char* key) {
    auto it = body.find(key);
    if (it != body.end() && it->is_object())
        return *it;
    return body;
}

QString pathId(const QString& id) {
    return QString::fromLatin1(QUrl::toPercentEncoding(id));
}

// Retry-After, plus up to half of it again at random (250 ms when the server said 0).
int overloadDelayMs(int retryAfterSeconds) {
    const int base = retryAfterSeconds > 0 ? retryAfterSeconds * 1000 : 250;
    return base + QRandomGenerator::global()->bounded(base / 2 + 1);
}

} // namespace

ApiClient::ApiClient(QObject* parent)
    : QObject(parent) {}

void ApiClient::setToken(const QString& token) {
    if (token != m_token)
        cancelRetries(); // they were asked for by the previous user (or none)
    m_token = token;
}

void ApiClient::cancelRetries() {
    for (QTimer* t : std::as_const(m_retries))
        delete t; // its callback, and the handler it holds, go with it
    m_retries.clear();
}

void ApiClient::send(const QByteArray& verb, const QString& path, const std::optional<json>& body,
                     RawHandler handler, Retrying retrying, int attempt) {
    QString base = m_baseUrl.toString(QUrl::StripTrailingSlash);
    while (base.endsWith(QLatin1Char('/'))) // StripTrailingSlash keeps a root path's lone "/"
        base.chop(1);
    QNetworkRequest req(QUrl(base + path));
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    req.setRawHeader("Accept", "application/json");
    if (!m_token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    req.setTransferTimeout(m_timeoutMs);
    QByteArray data;
    if (body)
        data = QByteArray::fromStdString(body->dump());
    QNetworkReply* reply = m_nam.sendCustomRequest(req, verb, data);
    const bool isLogin = path.endsWith(QLatin1String("/agent/login"));
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, handler = std::move(handler), retrying = std::move(retrying), isLogin, verb, path,
             body, attempt]() mutable {
                reply->deleteLater();
                const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (status == 0) {
                    ApiError e = ApiError::network(reply->errorString());
                    handler(json(), &e);
                    return;
                }
                const QByteArray bytes = reply->readAll();
                // A text answer (the reports' CSV) is handed over as it came, as a JSON string.
                if (status < 400 &&
                    reply->header(QNetworkRequest::ContentTypeHeader).toByteArray().startsWith("text/")) {
                    handler(json(bytes.toStdString()), nullptr);
                    return;
                }
                json parsed = bytes.isEmpty() ? json() : json::parse(bytes.toStdString(), nullptr, false);
                if (status >= 400) {
                    ApiError e;
                    e.status = status;
                    if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
                        const json& err = parsed["error"];
                        e.code = qs(err.value("code", std::string()));
                        e.message = qs(err.value("message", std::string()));
                        // Not in the contract, but if a server names the offending field we show it there.
                        if (err.contains("field") && err["field"].is_string())
                            e.field = qs(err["field"].get<std::string>());
                    }
                    e.retryAfterSeconds = reply->rawHeader("Retry-After").toInt();
                    if (status == 503 && e.is(protocol::errors::kOverloaded) && attempt < kOverloadRetries) {
                        const int delayMs = overloadDelayMs(e.retryAfterSeconds);
                        if (retrying)
                            retrying(delayMs);
                        // Kept so that a new token cancels it: sent later, it would go out
                        // with the next user's token (send() reads it then).
                        auto* timer = new QTimer(this);
                        timer->setSingleShot(true);
                        m_retries.insert(timer);
                        connect(timer, &QTimer::timeout, this,
                                [this, timer, verb, path, body, handler = std::move(handler),
                                 retrying = std::move(retrying), attempt]() mutable {
                                    m_retries.remove(timer);
                                    timer->deleteLater();
                                    send(verb, path, body, std::move(handler), std::move(retrying),
                                         attempt + 1);
                                });
                        timer->start(delayMs);
                        return;
                    }
                    handler(parsed, &e);
                    if (status == 401 && !isLogin)
                        emit sessionExpired();
                    return;
                }
                if (parsed.is_discarded()) {
                    ApiError e = ApiError::invalidResponse(QStringLiteral("not JSON"));
                    handler(json(), &e);
                    return;
                }
                handler(parsed, nullptr);
            });
}

template <typename T>
void ApiClient::call(const QByteArray& verb, const QString& path, const std::optional<json>& body,
                     std::function<T(const json&)> decode, Callback<T> done, Retrying retrying) {
    send(
        verb, path, body,
        [decode = std::move(decode), done = std::move(done)](const json& reply, const ApiError* err) {
            ApiResult<T> r;
            if (err) {
                r.error = *err;
            } else {
                try {
                    r.value = decode(reply);
                } catch (const std::exception& e) {
                    r.error = ApiError::invalidResponse(QString::fromUtf8(e.what()));
                }
            }
            if (done)
                done(r);
        },
        std::move(retrying));
}

void ApiClient::login(const QString& username, const QString& password, Callback<LoginResult> done) {
    call<LoginResult>(
        "POST", QStringLiteral("/api/v1/agent/login"),
        json{{"username", ss(username)}, {"password", ss(password)}},
        [](const json& b) {
            return LoginResult{qs(b.at("token").get<std::string>()), b.at("agent").get<proto::Agent>()};
        },
        std::move(done));
}

void ApiClient::fetchWsUrl(Callback<QUrl> done) {
    call<QUrl>(
        "GET", QStringLiteral("/api/v1/widget/config"), std::nullopt,
        [](const json& b) {
            QUrl url(qs(b.at("ws_url").get<std::string>()));
            if (!url.isValid() ||
                (url.scheme() != QLatin1String("ws") && url.scheme() != QLatin1String("wss")))
                throw std::runtime_error("ws_url is not a ws:// or wss:// URL");
            return url;
        },
        std::move(done));
}

void ApiClient::setPresence(proto::Presence presence, Callback<proto::Agent> done) {
    call<proto::Agent>(
        "PUT", QStringLiteral("/api/v1/agent/presence"), json{{"presence", proto::toString(presence)}},
        [](const json& b) { return b.at("agent").get<proto::Agent>(); }, std::move(done));
}

void ApiClient::myConversations(Callback<std::vector<proto::Conversation>> done) {
    call<std::vector<proto::Conversation>>(
        "GET", QStringLiteral("/api/v1/agent/conversations"), std::nullopt,
        [](const json& b) { return listOf<proto::Conversation>(b, "conversations"); }, std::move(done));
}

void ApiClient::queue(Callback<std::vector<proto::Conversation>> done) {
    call<std::vector<proto::Conversation>>(
        "GET", QStringLiteral("/api/v1/queue"), std::nullopt,
        [](const json& b) { return listOf<proto::Conversation>(b, "conversations"); }, std::move(done));
}

void ApiClient::agents(Callback<std::vector<proto::Agent>> done) {
    call<std::vector<proto::Agent>>(
        "GET", QStringLiteral("/api/v1/agents"), std::nullopt,
        [](const json& b) { return listOf<proto::Agent>(b, "agents"); }, std::move(done));
}

void ApiClient::conversation(const QString& id, Callback<ConversationWithMessages> done) {
    call<ConversationWithMessages>(
        "GET", QStringLiteral("/api/v1/conversations/") + pathId(id), std::nullopt,
        [](const json& b) {
            return ConversationWithMessages{b.at("conversation").get<proto::Conversation>(),
                                            listOf<proto::Message>(b, "messages")};
        },
        std::move(done));
}

void ApiClient::messagesAfter(const QString& id, qint64 afterSeq,
                              Callback<std::vector<proto::Message>> done) {
    call<std::vector<proto::Message>>(
        "GET", QStringLiteral("/api/v1/conversations/%1/messages?after_seq=%2").arg(pathId(id)).arg(afterSeq),
        std::nullopt, [](const json& b) { return listOf<proto::Message>(b, "messages"); }, std::move(done));
}

void ApiClient::sendMessage(const QString& conversationId, const QString& content, const QString& clientMsgId,
                            Callback<proto::Message> done, Retrying retrying) {
    json body{{"content", ss(content)}};
    if (!clientMsgId.isEmpty())
        body["client_msg_id"] = ss(clientMsgId);
    call<proto::Message>(
        "POST", QStringLiteral("/api/v1/conversations/%1/messages").arg(pathId(conversationId)), body,
        [](const json& b) { return b.at("message").get<proto::Message>(); }, std::move(done),
        std::move(retrying));
}

void ApiClient::closeConversation(const QString& id, Callback<proto::Conversation> done) {
    call<proto::Conversation>(
        "POST", QStringLiteral("/api/v1/conversations/%1/close").arg(pathId(id)), json::object(),
        [](const json& b) { return b.at("conversation").get<proto::Conversation>(); }, std::move(done));
}

void ApiClient::publicFaq(Callback<std::vector<proto::FaqEntry>> done) {
    call<std::vector<proto::FaqEntry>>(
        "GET", QStringLiteral("/api/v1/faq"), std::nullopt,
        [](const json& b) { return listOf<proto::FaqEntry>(b, "faq"); }, std::move(done));
}

void ApiClient::adminFaq(Callback<std::vector<proto::FaqEntry>> done) {
    call<std::vector<proto::FaqEntry>>(
        "GET", QStringLiteral("/api/v1/admin/faq"), std::nullopt,
        [](const json& b) { return listOf<proto::FaqEntry>(b, "faq"); }, std::move(done));
}

void ApiClient::createFaq(const proto::FaqEntry& entry, Callback<proto::FaqEntry> done) {
    call<proto::FaqEntry>(
        "POST", QStringLiteral("/api/v1/admin/faq"), json(entry),
        [](const json& b) { return unwrap(b, "faq").get<proto::FaqEntry>(); }, std::move(done));
}

void ApiClient::updateFaq(const QString& slug, const proto::FaqEntry& entry, Callback<proto::FaqEntry> done) {
    call<proto::FaqEntry>(
        "PUT", QStringLiteral("/api/v1/admin/faq/") + pathId(slug), json(entry),
        [](const json& b) { return unwrap(b, "faq").get<proto::FaqEntry>(); }, std::move(done));
}

void ApiClient::patchFaq(const QString& slug, const json& fields, Callback<proto::FaqEntry> done) {
    call<proto::FaqEntry>(
        "PUT", QStringLiteral("/api/v1/admin/faq/") + pathId(slug), fields,
        [](const json& b) { return unwrap(b, "faq").get<proto::FaqEntry>(); }, std::move(done));
}

void ApiClient::deleteFaq(const QString& slug, Done done) {
    call<std::monostate>(
        "DELETE", QStringLiteral("/api/v1/admin/faq/") + pathId(slug), std::nullopt,
        [](const json&) { return std::monostate{}; }, std::move(done));
}

namespace {
json cannedBody(const proto::CannedReply& r) {
    return json{{"shortcut", r.shortcut}, {"title", r.title}, {"content", r.content}};
}
} // namespace

void ApiClient::adminCanned(Callback<std::vector<proto::CannedReply>> done) {
    call<std::vector<proto::CannedReply>>(
        "GET", QStringLiteral("/api/v1/admin/canned"), std::nullopt,
        [](const json& b) { return listOf<proto::CannedReply>(b, "canned"); }, std::move(done));
}

void ApiClient::createCanned(const proto::CannedReply& reply, Callback<proto::CannedReply> done) {
    call<proto::CannedReply>(
        "POST", QStringLiteral("/api/v1/admin/canned"), cannedBody(reply),
        [](const json& b) { return unwrap(b, "canned_reply").get<proto::CannedReply>(); }, std::move(done));
}

void ApiClient::patchCanned(const QString& id, const json& fields, Callback<proto::CannedReply> done) {
    call<proto::CannedReply>(
        "PUT", QStringLiteral("/api/v1/admin/canned/") + pathId(id), fields,
        [](const json& b) { return unwrap(b, "canned_reply").get<proto::CannedReply>(); }, std::move(done));
}

void ApiClient::deleteCanned(const QString& id, Done done) {
    call<std::monostate>(
        "DELETE", QStringLiteral("/api/v1/admin/canned/") + pathId(id), std::nullopt,
        [](const json&) { return std::monostate{}; }, std::move(done));
}

void ApiClient::adminSettings(Callback<json> done) {
    call<json>(
        "GET", QStringLiteral("/api/v1/admin/settings"), std::nullopt, [](const json& b) { return b; },
        std::move(done));
}

void ApiClient::updateSettings(const json& patch, Callback<json> done) {
    call<json>(
        "PUT", QStringLiteral("/api/v1/admin/settings"), patch, [](const json& b) { return b; },
        std::move(done));
}

void ApiClient::adminAgents(Callback<std::vector<proto::Agent>> done) {
    call<std::vector<proto::Agent>>(
        "GET", QStringLiteral("/api/v1/admin/agents"), std::nullopt,
        [](const json& b) { return listOf<proto::Agent>(b, "agents"); }, std::move(done));
}

void ApiClient::createAgent(const NewAgent& a, Callback<proto::Agent> done) {
    json body{{"username", ss(a.username)},
              {"display_name", ss(a.displayName)},
              {"password", ss(a.password)},
              {"max_active_chats", a.maxActiveChats},
              {"role", proto::toString(a.role)}};
    call<proto::Agent>(
        "POST", QStringLiteral("/api/v1/admin/agents"), body,
        [](const json& b) { return unwrap(b, "agent").get<proto::Agent>(); }, std::move(done));
}

void ApiClient::updateAgent(const QString& id, const AgentPatch& p, Callback<proto::Agent> done) {
    json body = json::object();
    if (p.displayName)
        body["display_name"] = ss(*p.displayName);
    if (p.password)
        body["password"] = ss(*p.password);
    if (p.maxActiveChats)
        body["max_active_chats"] = *p.maxActiveChats;
    if (p.role)
        body["role"] = proto::toString(*p.role);
    if (p.disabled)
        body["disabled"] = *p.disabled;
    call<proto::Agent>(
        "PUT", QStringLiteral("/api/v1/admin/agents/") + pathId(id), body,
        [](const json& b) { return unwrap(b, "agent").get<proto::Agent>(); }, std::move(done));
}

// Reports and data rights (issue 22).
namespace {
QString reportQuery(const QDate& from, const QDate& to, const QString& timeZone) {
    return QStringLiteral("from=%1&to=%2&tz=%3")
        .arg(from.toString(Qt::ISODate), to.toString(Qt::ISODate),
             QString::fromLatin1(QUrl::toPercentEncoding(timeZone)));
}
} // namespace

void ApiClient::reports(const QDate& from, const QDate& to, const QString& timeZone, Callback<json> done) {
    call<json>(
        "GET", QStringLiteral("/api/v1/admin/reports?") + reportQuery(from, to, timeZone), std::nullopt,
        [](const json& b) {
            if (!b.is_object() || !b.contains("days") || !b.contains("agents"))
                throw std::runtime_error("the report has no days or agents");
            return b;
        },
        std::move(done));
}

void ApiClient::reportsCsv(const QDate& from, const QDate& to, const QString& timeZone,
                           Callback<QByteArray> done) {
    call<QByteArray>(
        "GET", QStringLiteral("/api/v1/admin/reports.csv?") + reportQuery(from, to, timeZone), std::nullopt,
        [](const json& b) {
            if (!b.is_string())
                throw std::runtime_error("the CSV report is not text");
            return QByteArray::fromStdString(b.get<std::string>());
        },
        std::move(done));
}

void ApiClient::exportCustomer(const QString& customerSessionId, Callback<json> done) {
    call<json>(
        "GET", QStringLiteral("/api/v1/admin/customers/%1/export").arg(pathId(customerSessionId)),
        std::nullopt,
        [](const json& b) {
            if (!b.is_object() || !b.contains("conversations"))
                throw std::runtime_error("the export has no conversations");
            return b;
        },
        std::move(done));
}

void ApiClient::eraseCustomer(const QString& customerSessionId, Done done) {
    call<std::monostate>(
        "DELETE", QStringLiteral("/api/v1/admin/customers/") + pathId(customerSessionId), std::nullopt,
        [](const json&) { return std::monostate{}; }, std::move(done));
}

// --- Issue 19 "Agents at work" ---------------------------------------------------------------

void ApiClient::notes(const QString& conversationId, Callback<std::vector<proto::Note>> done) {
    call<std::vector<proto::Note>>(
        "GET", QStringLiteral("/api/v1/conversations/%1/notes").arg(pathId(conversationId)), std::nullopt,
        [](const json& b) { return listOf<proto::Note>(b, "notes"); }, std::move(done));
}

void ApiClient::addNote(const QString& conversationId, const QString& content, Callback<proto::Note> done) {
    call<proto::Note>(
        "POST", QStringLiteral("/api/v1/conversations/%1/notes").arg(pathId(conversationId)),
        json{{"content", ss(content)}}, [](const json& b) { return b.at("note").get<proto::Note>(); },
        std::move(done));
}

void ApiClient::transfer(const QString& conversationId, const QString& toAgentId, const QString& note,
                         Callback<proto::Conversation> done) {
    json body{{"agent_id", toAgentId.isEmpty() ? json(nullptr) : json(ss(toAgentId))}};
    if (!note.trimmed().isEmpty())
        body["note"] = ss(note.trimmed());
    call<proto::Conversation>(
        "POST", QStringLiteral("/api/v1/conversations/%1/transfer").arg(pathId(conversationId)), body,
        [](const json& b) { return b.at("conversation").get<proto::Conversation>(); }, std::move(done));
}

void ApiClient::canned(const QString& query, Callback<std::vector<proto::CannedReply>> done) {
    call<std::vector<proto::CannedReply>>(
        "GET", QStringLiteral("/api/v1/canned?q=") + QString::fromLatin1(QUrl::toPercentEncoding(query)),
        std::nullopt, [](const json& b) { return listOf<proto::CannedReply>(b, "canned"); }, std::move(done));
}

void ApiClient::markRead(const QString& conversationId, qint64 seq, Callback<proto::Conversation> done) {
    call<proto::Conversation>(
        "POST", QStringLiteral("/api/v1/conversations/%1/read").arg(pathId(conversationId)),
        json{{"seq", seq}}, [](const json& b) { return b.at("conversation").get<proto::Conversation>(); },
        std::move(done));
}

void ApiClient::customerConversations(const QString& customerSessionId,
                                      Callback<std::vector<proto::Conversation>> done) {
    call<std::vector<proto::Conversation>>(
        "GET",
        QStringLiteral("/api/v1/conversations?customer_session_id=") +
            QString::fromLatin1(QUrl::toPercentEncoding(customerSessionId)),
        std::nullopt, [](const json& b) { return listOf<proto::Conversation>(b, "conversations"); },
        std::move(done));
}

void ApiClient::search(const QString& query, int limit, Callback<std::vector<SearchHit>> done) {
    call<std::vector<SearchHit>>(
        "GET",
        QStringLiteral("/api/v1/search?q=%1&limit=%2")
            .arg(QString::fromLatin1(QUrl::toPercentEncoding(query)))
            .arg(limit),
        std::nullopt,
        [](const json& b) {
            std::vector<SearchHit> hits;
            for (const json& r : b.at("results"))
                hits.push_back(
                    {r.at("conversation").get<proto::Conversation>(), r.at("message").get<proto::Message>()});
            return hits;
        },
        std::move(done));
}

} // namespace parley::console
