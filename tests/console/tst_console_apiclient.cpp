// ApiClient against the real server: every call's decoding and the typed contract errors; and
// against a scripted server, the retries of a call answered 503 overloaded.
#include "ConsoleTestUtil.h"

#include <parley/protocol/Errors.h>

#include <QTcpServer>
#include <QTcpSocket>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;
namespace errors = parley::protocol::errors;

namespace {

QByteArray answer(const QByteArray& status, const QByteArray& extra, const QByteArray& body) {
    return "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\n" + extra +
           "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

QByteArray overloaded() {
    return answer(
        "503 Service Unavailable", "Retry-After: 0\r\n",
        R"({"error":{"code":"overloaded","message":"The server is busy. Please try again shortly."}})");
}

QByteArray created() {
    return answer("201 Created", {},
                  R"({"message":{"id":"m1","conversation_id":"c1","seq":2,"sender_type":"agent",)"
                  R"("sender_agent_id":"a1","kind":"text","content":"hello","metadata":{},)"
                  R"("client_msg_id":"cid-1","created_at":"2026-01-01T00:00:00Z"},"replies":[]})");
}

// Answers each request it reads with the next scripted response (one connection per request:
// Connection: close), and records the bodies it got.
class ScriptedServer : public QObject {
public:
    explicit ScriptedServer(QList<QByteArray> answers)
        : m_answers(std::move(answers)) {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (auto* socket = m_server.nextPendingConnection()) {
                auto buffer = std::make_shared<QByteArray>();
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket, buffer] {
                    *buffer += socket->readAll();
                    const auto end = buffer->indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    qsizetype length = 0;
                    for (const auto& line : buffer->left(end).split('\n'))
                        if (line.toLower().startsWith("content-length:"))
                            length = line.mid(15).trimmed().toLongLong();
                    if (buffer->size() < end + 4 + length)
                        return;
                    m_heads.append(buffer->left(end));
                    m_bodies.append(buffer->mid(end + 4, length));
                    socket->write(m_answers.isEmpty() ? overloaded() : m_answers.takeFirst());
                    socket->disconnectFromHost();
                });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort())); }
    const QList<QByteArray>& bodies() const { return m_bodies; }
    const QList<QByteArray>& heads() const { return m_heads; } // request line and headers

private:
    QTcpServer m_server;
    QList<QByteArray> m_answers;
    QList<QByteArray> m_bodies;
    QList<QByteArray> m_heads;
};

} // namespace

class TestApiClient : public QObject, private ServerFixture {
    Q_OBJECT
private:
    std::unique_ptr<ApiClient> m_api;

    [[nodiscard]] bool loginAdmin() {
        auto r = await<LoginResult>([&](auto cb) {
            m_api->login(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), cb);
        });
        if (!r || !r->ok())
            return false;
        m_api->setToken(r->value.token);
        return true;
    }

private slots:
    void initTestCase() { QVERIFY(startServerAsAdmin()); }

    void init() { m_api = apiClientFor(m_server); }

    void cleanup() {
        m_api.reset();
        setPresence(*m_http, m_adminToken, "offline");
    }

    void loginReturnsTokenAndAgent() {
        auto r = await<LoginResult>([&](auto cb) {
            m_api->login(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), cb);
        });
        QVERIFY(r);
        QVERIFY(r->ok());
        QVERIFY(!r->value.token.isEmpty());
        QCOMPARE(r->value.agent.username, std::string("admin"));
        QCOMPARE(r->value.agent.role, proto::Role::Admin);
    }

    void wrongPasswordIsUnauthorizedInWords() {
        QSignalSpy expired(m_api.get(), &ApiClient::sessionExpired);
        auto r = await<LoginResult>(
            [&](auto cb) { m_api->login(QStringLiteral("admin"), QStringLiteral("nope-nope"), cb); });
        QVERIFY(r && !r->ok());
        QCOMPARE(r->error->kind, ApiError::Kind::Http);
        QCOMPARE(r->error->status, 401);
        QVERIFY(r->error->is(errors::kUnauthorized));
        QVERIFY(r->error->describe().contains(QLatin1String("password")));
        QCOMPARE(expired.count(), 0); // a failed login is not an expired session
    }

    void unreachableServerIsANetworkError() {
        // Port 1: nothing listens there (a privileged port no test server can have).
        m_api->setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:1")));
        auto r = await<std::vector<proto::Conversation>>([&](auto cb) { m_api->queue(cb); });
        QVERIFY(r && !r->ok());
        QCOMPARE(r->error->kind, ApiError::Kind::Network);
        QVERIFY(r->error->describe().startsWith(QLatin1String("Cannot reach the server")));
    }

    void badTokenExpiresTheSession() {
        m_api->setToken(QStringLiteral("forged.token.value"));
        QSignalSpy expired(m_api.get(), &ApiClient::sessionExpired);
        auto r = await<std::vector<proto::Agent>>([&](auto cb) { m_api->agents(cb); });
        QVERIFY(r && !r->ok());
        QVERIFY(r->error->is(errors::kUnauthorized));
        QCOMPARE(expired.count(), 1);
    }

    void wsUrlComesFromTheWidgetConfig() {
        auto r = await<QUrl>([&](auto cb) { m_api->fetchWsUrl(cb); });
        QVERIFY(r && r->ok());
        QCOMPARE(r->value.port(), int(m_server.httpPort())); // one port: /ws on the HTTP port
        QCOMPARE(r->value.path(), QStringLiteral("/ws"));
        QCOMPARE(r->value.scheme(), QStringLiteral("ws"));
    }

    // 503 "overloaded" means the server did nothing: the same request goes again after
    // Retry-After (with jitter), the same client_msg_id each time, and the caller hears of each
    // new attempt; only the answer after that reaches the callback.
    void overloadedSendIsRetriedUnchanged() {
        ScriptedServer fake({overloaded(), overloaded(), created()});
        ApiClient api;
        api.setBaseUrl(fake.url());
        api.setToken(QStringLiteral("token"));
        QList<int> retries;
        auto r = await<proto::Message>([&](auto cb) {
            api.sendMessage(QStringLiteral("c1"), QStringLiteral("hello"), QStringLiteral("cid-1"), cb,
                            [&](int delayMs) { retries.append(delayMs); });
        });
        QVERIFY(r);
        QVERIFY(r->ok());
        QCOMPARE(r->value.content, std::string("hello"));
        QCOMPARE(retries.size(), 2);
        for (int ms : retries)
            QVERIFY2(ms >= 250 && ms <= 375,
                     qPrintable(QString::number(ms))); // Retry-After 0: 250 ms + jitter
        QCOMPARE(fake.bodies().size(), 3);
        for (const auto& body : fake.bodies())
            QCOMPARE(body, fake.bodies().front()); // unchanged: the same client_msg_id
        QVERIFY(fake.bodies().front().contains("\"client_msg_id\":\"cid-1\""));
    }

    void overloadedForeverGivesUpWithTheError() {
        QList<QByteArray> answers;
        for (int i = 0; i <= ApiClient::kOverloadRetries; ++i)
            answers.append(overloaded());
        ScriptedServer fake(answers);
        ApiClient api;
        api.setBaseUrl(fake.url());
        auto r = await<std::vector<proto::FaqEntry>>([&](auto cb) { api.publicFaq(cb); });
        QVERIFY(r && !r->ok());
        QCOMPARE(r->error->status, 503);
        QVERIFY(r->error->is(errors::kOverloaded));
        QCOMPARE(fake.bodies().size(), ApiClient::kOverloadRetries + 1);
    }

    // Audit: a retry read the token when it fired, so after a sign-out and a sign-in as someone
    // else it went out with the new user's token. A new token cancels the retries still waiting.
    void retriesDieWithTheToken() {
        ScriptedServer fake({overloaded(), created()});
        ApiClient api;
        api.setBaseUrl(fake.url());
        api.setToken(QStringLiteral("token-a"));
        bool answered = false;
        int retries = 0;
        api.sendMessage(
            QStringLiteral("c1"), QStringLiteral("hello"), QStringLiteral("cid-1"),
            [&](const ApiResult<proto::Message>&) { answered = true; }, [&](int) { ++retries; });
        QTRY_COMPARE_WITH_TIMEOUT(retries, 1, 10000);
        QCOMPARE(api.pendingRetries(), 1);
        api.setToken(QStringLiteral("token-a")); // the same token: nothing changes
        QCOMPARE(api.pendingRetries(), 1);
        api.setToken({}); // signed out
        QCOMPARE(api.pendingRetries(), 0);
        api.setToken(QStringLiteral("token-b")); // someone else signs in
        // The next request is the second the server sees, with the new token; the old one never went.
        auto r = await<proto::Message>([&](auto cb) {
            api.sendMessage(QStringLiteral("c1"), QStringLiteral("hello"), QStringLiteral("cid-2"), cb);
        });
        QVERIFY(r && r->ok());
        QCOMPARE(fake.heads().size(), 2);
        QVERIFY(fake.heads().at(0).contains("Bearer token-a"));
        QVERIFY(fake.heads().at(1).contains("Bearer token-b"));
        QVERIFY(fake.bodies().at(1).contains("cid-2"));
        QVERIFY(!answered);
    }

    void presenceQueueAndMyConversations() {
        QVERIFY(loginAdmin());
        auto team = await<std::vector<proto::Agent>>([&](auto cb) { m_api->agents(cb); });
        QVERIFY(team && team->ok());
        QVERIFY(!team->value.empty());

        // Offline: a handoff waits in the queue.
        auto off = await<proto::Agent>([&](auto cb) { m_api->setPresence(proto::Presence::Offline, cb); });
        QVERIFY(off && off->ok());
        QCOMPARE(off->value.presence, proto::Presence::Offline);
        const Customer c = customerWantingAgent(*m_http);
        auto queue = await<std::vector<proto::Conversation>>([&](auto cb) { m_api->queue(cb); });
        QVERIFY(queue && queue->ok());
        QVERIFY(std::any_of(queue->value.begin(), queue->value.end(), [&](const proto::Conversation& q) {
            return q.id == c.conversationId && q.isQueued();
        }));

        // Online: it is served to us.
        auto on = await<proto::Agent>([&](auto cb) { m_api->setPresence(proto::Presence::Online, cb); });
        QVERIFY(on && on->ok());
        QCOMPARE(on->value.presence, proto::Presence::Online);
        auto mine = await<std::vector<proto::Conversation>>([&](auto cb) { m_api->myConversations(cb); });
        QVERIFY(mine && mine->ok());
        QVERIFY(std::any_of(mine->value.begin(), mine->value.end(),
                            [&](const proto::Conversation& m) { return m.id == c.conversationId; }));
    }

    void conversationMessagesSendAndClose() {
        QVERIFY(loginAdmin());
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        const Customer c = customerWantingAgent(*m_http);
        QCOMPARE(customerSays(*m_http, c, "Where is my parcel?"), 201);
        const QString id = qs(c.conversationId);

        auto conv = await<ConversationWithMessages>([&](auto cb) { m_api->conversation(id, cb); });
        QVERIFY(conv && conv->ok());
        QCOMPARE(conv->value.conversation.status, proto::ConversationStatus::Agent);
        QVERIFY(conv->value.messages.size() >= 2);
        for (std::size_t i = 0; i < conv->value.messages.size(); ++i)
            QCOMPARE(conv->value.messages[i].seq, std::int64_t(i + 1));
        const auto lastSeq = conv->value.messages.back().seq;

        auto sent = await<proto::Message>([&](auto cb) {
            m_api->sendMessage(id, QStringLiteral("On its way!"), QStringLiteral("cm-1"), cb);
        });
        QVERIFY(sent && sent->ok());
        QCOMPARE(sent->value.senderType, proto::SenderType::Agent);
        QCOMPARE(sent->value.seq, lastSeq + 1);
        // The same client_msg_id again creates nothing new.
        auto again = await<proto::Message>([&](auto cb) {
            m_api->sendMessage(id, QStringLiteral("On its way!"), QStringLiteral("cm-1"), cb);
        });
        QVERIFY(again && again->ok());
        QCOMPARE(again->value.id, sent->value.id);

        auto after =
            await<std::vector<proto::Message>>([&](auto cb) { m_api->messagesAfter(id, lastSeq, cb); });
        QVERIFY(after && after->ok());
        QCOMPARE(after->value.size(), std::size_t(1));
        QCOMPARE(after->value.front().content, std::string("On its way!"));

        auto empty =
            await<proto::Message>([&](auto cb) { m_api->sendMessage(id, QStringLiteral(""), {}, cb); });
        QVERIFY(empty && !empty->ok());
        QCOMPARE(empty->error->status, 400);

        auto closed = await<proto::Conversation>([&](auto cb) { m_api->closeConversation(id, cb); });
        QVERIFY(closed && closed->ok());
        QCOMPARE(closed->value.status, proto::ConversationStatus::Closed);
        auto twice = await<proto::Conversation>([&](auto cb) { m_api->closeConversation(id, cb); });
        QVERIFY(twice && !twice->ok());
        QVERIFY(twice->error->is(errors::kInvalidTransition)); // closing one that is not in `agent`
        QCOMPARE(twice->error->describe(), QStringLiteral("This conversation is already closed."));
        auto late =
            await<proto::Message>([&](auto cb) { m_api->sendMessage(id, QStringLiteral("hello?"), {}, cb); });
        QVERIFY(late && !late->ok());
        QCOMPARE(late->error->status, 409);
    }

    void unknownConversationIsNotFound() {
        QVERIFY(loginAdmin());
        auto r = await<ConversationWithMessages>([&](auto cb) {
            m_api->conversation(QStringLiteral("00000000-0000-4000-8000-000000000000"), cb);
        });
        QVERIFY(r && !r->ok());
        QVERIFY(r->error->is(errors::kNotFound));
    }

    void agentsCannotAdministrate() {
        const std::string id = createAgent(*m_http, m_adminToken, "carol", "Carol", 2);
        QVERIFY(!id.empty());
        auto r = await<LoginResult>(
            [&](auto cb) { m_api->login(QStringLiteral("carol"), QStringLiteral("agent-pass-1"), cb); });
        QVERIFY(r && r->ok());
        m_api->setToken(r->value.token);
        auto faq = await<std::vector<proto::FaqEntry>>([&](auto cb) { m_api->adminFaq(cb); });
        QVERIFY(faq && !faq->ok());
        QVERIFY(faq->error->is(errors::kForbidden));
        QCOMPARE(faq->error->describe(), QStringLiteral("You are not allowed to do that."));
    }

    void adminFaqLifecycle() {
        QVERIFY(loginAdmin());
        proto::FaqEntry e{"gift-wrap", "Do you gift wrap?", "Yes, for 2 EUR.", 50, true, "present wrapping"};
        auto created = await<proto::FaqEntry>([&](auto cb) { m_api->createFaq(e, cb); });
        QVERIFY(created && created->ok());
        QCOMPARE(created->value, e);

        auto dup = await<proto::FaqEntry>([&](auto cb) { m_api->createFaq(e, cb); });
        QVERIFY(dup && !dup->ok());
        QVERIFY(dup->error->is(errors::kConflict));

        proto::FaqEntry bad{"Bad Slug!", "q", "a", 1, true, ""};
        auto invalid = await<proto::FaqEntry>([&](auto cb) { m_api->createFaq(bad, cb); });
        QVERIFY(invalid && !invalid->ok());
        QVERIFY(invalid->error->is(errors::kInvalidRequest));
        QVERIFY(invalid->error->message.contains(QLatin1String("slug")));

        e.isActive = false;
        e.answer = "No longer.";
        auto updated =
            await<proto::FaqEntry>([&](auto cb) { m_api->updateFaq(QStringLiteral("gift-wrap"), e, cb); });
        QVERIFY(updated && updated->ok());
        QCOMPARE(updated->value.isActive, false);

        auto all = await<std::vector<proto::FaqEntry>>([&](auto cb) { m_api->adminFaq(cb); });
        QVERIFY(all && all->ok());
        QVERIFY(std::any_of(all->value.begin(), all->value.end(),
                            [](auto& f) { return f.slug == "gift-wrap" && !f.isActive; }));
        auto pub = await<std::vector<proto::FaqEntry>>([&](auto cb) { m_api->publicFaq(cb); });
        QVERIFY(pub && pub->ok());
        QVERIFY(std::none_of(pub->value.begin(), pub->value.end(),
                             [](auto& f) { return f.slug == "gift-wrap"; }));

        auto del = await<std::monostate>([&](auto cb) { m_api->deleteFaq(QStringLiteral("gift-wrap"), cb); });
        QVERIFY(del && del->ok());
        auto gone =
            await<std::monostate>([&](auto cb) { m_api->deleteFaq(QStringLiteral("gift-wrap"), cb); });
        QVERIFY(gone && !gone->ok());
        QVERIFY(gone->error->is(errors::kNotFound));
    }

    void adminAgentsLifecycle() {
        QVERIFY(loginAdmin());
        NewAgent n{QStringLiteral("dave"), QStringLiteral("Dave D."), QStringLiteral("dave-pass-1"), 4,
                   proto::Role::Agent};
        auto created = await<proto::Agent>([&](auto cb) { m_api->createAgent(n, cb); });
        QVERIFY(created && created->ok());
        QCOMPARE(created->value.username, std::string("dave"));
        QCOMPARE(created->value.maxActiveChats, 4);
        QCOMPARE(created->value.presence, proto::Presence::Offline);

        auto dup = await<proto::Agent>([&](auto cb) { m_api->createAgent(n, cb); });
        QVERIFY(dup && !dup->ok());
        QVERIFY(dup->error->is(errors::kConflict));

        AgentPatch p;
        p.displayName = QStringLiteral("David");
        p.maxActiveChats = 7;
        p.password = QStringLiteral("dave-pass-2");
        auto updated =
            await<proto::Agent>([&](auto cb) { m_api->updateAgent(qs(created->value.id), p, cb); });
        QVERIFY(updated && updated->ok());
        QCOMPARE(updated->value.displayName, std::string("David"));
        QCOMPARE(updated->value.maxActiveChats, 7);
        QVERIFY(m_http->login("dave", "dave-pass-1").empty());
        QVERIFY(!m_http->login("dave", "dave-pass-2").empty());

        AgentPatch tooMany;
        tooMany.maxActiveChats = 101;
        auto bad =
            await<proto::Agent>([&](auto cb) { m_api->updateAgent(qs(created->value.id), tooMany, cb); });
        QVERIFY(bad && !bad->ok());
        QCOMPARE(bad->error->status, 400);

        auto list = await<std::vector<proto::Agent>>([&](auto cb) { m_api->adminAgents(cb); });
        QVERIFY(list && list->ok());
        QVERIFY(std::any_of(list->value.begin(), list->value.end(),
                            [](auto& a) { return a.username == "dave"; }));
    }
};

QTEST_GUILESS_MAIN(TestApiClient)
#include "tst_console_apiclient.moc"
