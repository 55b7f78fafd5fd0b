// Every way a shopper's message or a new chat reaches the console announces it exactly once:
// a live event, the REST history that loads when a chat becomes mine, a resume backlog after a
// lost connection, and the history of a chat that became mine while the console was away. The
// order of events is not left to timing: the console talks to the server through TcpProxy, and
// the test holds back and releases what it hears.
#include "ConsoleTestUtil.h"
#include "TcpProxy.h"

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestArrivals : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir; // replies waiting to be sent are saved there
    std::string m_adminId;
    std::unique_ptr<TcpProxy> m_httpProxy;
    std::unique_ptr<TcpProxy> m_wsProxy;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<QSignalSpy> m_messages;    // Session::customerMessage
    std::unique_ptr<QSignalSpy> m_assignments; // Session::newAssignment

    int announced(const std::string& conversationId, const QString& text) const {
        int n = 0;
        for (const auto& args : *m_messages)
            n += args.at(0).toString() == qs(conversationId) && args.at(1).toString() == text ? 1 : 0;
        return n;
    }
    int assignedCount(const std::string& conversationId) const {
        int n = 0;
        for (const auto& args : *m_assignments)
            n += args.at(0).toString() == qs(conversationId) ? 1 : 0;
        return n;
    }
    // The console has heard everything the server sent it up to now: a message of the customer's
    // that the console must receive live comes after all of it on the same socket.
    bool heardUpTo(const Customer& c, const std::string& marker) {
        if (customerSays(*m_http, c, marker) != 201)
            return false;
        return QTest::qWaitFor([&] { return announced(c.conversationId, qs(marker)) == 1; }, 10000);
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QVERIFY(startServerAsAdmin());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        QVERIFY(!m_adminId.empty());
    }

    void init() {
        m_httpProxy = std::make_unique<TcpProxy>(m_server.httpPort());
        m_wsProxy = std::make_unique<TcpProxy>(m_server.wsPort());
        QVERIFY(m_httpProxy->listen());
        QVERIFY(m_wsProxy->listen());
        m_session = std::make_unique<Session>();
        m_session->realtime()->setBackoff(100, 400);
        m_session->setWsUrlOverride(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(m_wsProxy->port())));
        m_messages = std::make_unique<QSignalSpy>(m_session.get(), &Session::customerMessage);
        m_assignments = std::make_unique<QSignalSpy>(m_session.get(), &Session::newAssignment);
        QSignalSpy signedIn(m_session.get(), &Session::signedIn);
        m_session->signIn(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_httpProxy->port())),
                          QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword));
        QTRY_COMPARE_WITH_TIMEOUT(signedIn.count(), 1, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->realtime()->isConnected(), 15000);
        m_session->setPresence(proto::Presence::Online);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->me().presence, proto::Presence::Online, 10000);
    }

    void cleanup() {
        m_messages.reset();
        m_assignments.reset();
        m_session.reset();
        m_wsProxy.reset();
        m_httpProxy.reset();
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId));
    }

    void liveMessageOnce() {
        const Customer c = customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(assignedCount(c.conversationId), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->messages(qs(c.conversationId))->isLoaded(), 10000);
        QVERIFY(heardUpTo(c, "Is anyone there?"));
        QVERIFY(heardUpTo(c, "marker"));
        QCOMPARE(announced(c.conversationId, QStringLiteral("Is anyone there?")), 1);
        QCOMPARE(m_session->myConversations()->unread(qs(c.conversationId)), 2);
        QCOMPARE(assignedCount(c.conversationId), 1);
    }

    // Issue 16: the shopper writes after the chat became mine but before the console's history
    // request is answered, and the live event of that message comes after the history.
    void messageInHistoryBeforeItsLiveEventOnce() {
        m_httpProxy->holdUpstream(true);
        const Customer c = customerWantingAgent(*m_http);
        // The assignment is heard; the history request it starts waits in the proxy.
        QTRY_COMPARE_WITH_TIMEOUT(assignedCount(c.conversationId), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_httpProxy->heldUpstreamBytes() > 0, 10000);
        m_wsProxy->holdDownstream(true);
        // The console's resume after the history must not reach the server before the live event
        // has left it: told that the client has the message, the server would not send it live.
        m_wsProxy->holdUpstream(true);
        QCOMPARE(customerSays(*m_http, c, "My first message"), 201);
        // The history (with the message) arrives first, then the message's live event.
        m_httpProxy->holdUpstream(false);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->messages(qs(c.conversationId))->isLoaded(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_wsProxy->heldDownstreamBytes() > 0, 10000);
        m_wsProxy->holdDownstream(false);
        m_wsProxy->holdUpstream(false);
        QVERIFY(heardUpTo(c, "marker"));
        QCOMPARE(announced(c.conversationId, QStringLiteral("My first message")), 1);
        QCOMPARE(m_session->myConversations()->unread(qs(c.conversationId)), 2);
        QCOMPARE(assignedCount(c.conversationId), 1);
    }

    // The other order: the live event first, then a history that holds the same message.
    void liveEventBeforeHistoryOnce() {
        m_httpProxy->holdDownstream(true);
        const Customer c = customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(assignedCount(c.conversationId), 1, 10000);
        QCOMPARE(customerSays(*m_http, c, "Hello?"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(announced(c.conversationId, QStringLiteral("Hello?")), 1, 10000);
        QVERIFY(!m_session->messages(qs(c.conversationId))->isLoaded());
        m_httpProxy->holdDownstream(false);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->messages(qs(c.conversationId))->isLoaded(), 10000);
        QVERIFY(heardUpTo(c, "marker"));
        QCOMPARE(announced(c.conversationId, QStringLiteral("Hello?")), 1);
        QCOMPARE(m_session->myConversations()->unread(qs(c.conversationId)), 2);
    }

    // The connection drops; what the shopper wrote meanwhile comes in the resume backlog.
    void resumeBacklogOnce() {
        const Customer c = customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(assignedCount(c.conversationId), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->messages(qs(c.conversationId))->isLoaded(), 10000);
        QVERIFY(heardUpTo(c, "before"));
        const int reconnects = m_session->realtime()->reconnectCount();
        m_wsProxy->setRefusing(true);
        QTRY_VERIFY_WITH_TIMEOUT(!m_session->realtime()->isConnected(), 10000);
        QCOMPARE(customerSays(*m_http, c, "While you were away"), 201);
        QCOMPARE(customerSays(*m_http, c, "And again"), 201);
        m_wsProxy->setRefusing(false);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->realtime()->reconnectCount() > reconnects, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(announced(c.conversationId, QStringLiteral("And again")), 1, 10000);
        QVERIFY(heardUpTo(c, "after"));
        QCOMPARE(announced(c.conversationId, QStringLiteral("While you were away")), 1);
        QCOMPARE(announced(c.conversationId, QStringLiteral("And again")), 1);
        QCOMPARE(m_session->myConversations()->unread(qs(c.conversationId)), 4);
        QCOMPARE(assignedCount(c.conversationId), 1);
    }

    // A chat becomes mine while the console is away: after the reconnect, the snapshot of my chats
    // announces it once and its history announces what the shopper wrote to me, once.
    void assignedWhileAwayOnce() {
        m_wsProxy->setRefusing(true);
        QTRY_VERIFY_WITH_TIMEOUT(!m_session->realtime()->isConnected(), 10000);
        const int reconnects = m_session->realtime()->reconnectCount();
        const Customer c = customerWantingAgent(*m_http);
        QCOMPARE(js(m_http->get("/api/v1/conversations/" + c.conversationId, c.token)
                        .body["conversation"]["assigned_agent_id"]),
                 qs(m_adminId));
        QCOMPARE(customerSays(*m_http, c, "Written to you while you were away"), 201);
        QCOMPARE(assignedCount(c.conversationId), 0);
        m_wsProxy->setRefusing(false);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->realtime()->reconnectCount() > reconnects, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(assignedCount(c.conversationId), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(
            announced(c.conversationId, QStringLiteral("Written to you while you were away")), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->messages(qs(c.conversationId))->isLoaded(), 10000);
        QVERIFY(heardUpTo(c, "marker"));
        QCOMPARE(announced(c.conversationId, QStringLiteral("Written to you while you were away")), 1);
        QCOMPARE(assignedCount(c.conversationId), 1);
        QCOMPARE(m_session->myConversations()->unread(qs(c.conversationId)), 2);
    }

    // Issue 19: an offline console saw "Queue (0)" while a shopper waited, and later a shopper who
    // had already been assigned. Whatever its presence, each reconnect brings the queue up to date,
    // and whoever left it meanwhile is looked up (here: now with Bob).
    void queueIsRightAfterAReconnectWhileOffline() {
        m_session->setPresence(proto::Presence::Offline);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->me().presence, proto::Presence::Offline, 10000);
        const std::string bobId = createAgent(*m_http, m_adminToken, "queue-bob", "Queue Bob", 1);
        QVERIFY(!bobId.empty());
        const std::string bob = m_http->login("queue-bob", "agent-pass-1");
        const Customer first = customerWantingAgent(*m_http); // nobody online: it waits
        m_session->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(m_session->queueModel()->contains(qs(first.conversationId)), 10000);

        m_wsProxy->setRefusing(true);
        QTRY_VERIFY_WITH_TIMEOUT(!m_session->realtime()->isConnected(), 10000);
        const int reconnects = m_session->realtime()->reconnectCount();
        const Customer second = customerWantingAgent(*m_http);
        QVERIFY(setPresence(*m_http, bob, "online")); // takes the first, the oldest
        QCOMPARE(js(m_http->get("/api/v1/conversations/" + first.conversationId, first.token)
                        .body["conversation"]["assigned_agent_id"]),
                 qs(bobId));
        m_wsProxy->setRefusing(false);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->realtime()->reconnectCount() > reconnects, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->queueModel()->contains(qs(second.conversationId)), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!m_session->queueModel()->contains(qs(first.conversationId)), 10000);
        QCOMPARE(m_session->queueModel()->rowCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->teamChats()->contains(qs(first.conversationId)), 10000);
        QCOMPARE(m_session->teamChats()->countFor(qs(bobId)), 1);
        QVERIFY(setPresence(*m_http, bob, "offline"));
        closeOpenChats(*m_http, bob);
    }

    // What the shopper wrote to the bot before the handoff is context, not news.
    void historyBeforeTheAssignmentIsNotNews() {
        auto s = m_http->newCustomer();
        Customer c;
        c.token = s.token;
        c.sessionId = s.sessionId;
        c.conversationId = m_http->post("/api/v1/conversations", nlohmann::json::object(), c.token)
                               .body["conversation"]
                               .value("id", "");
        QCOMPARE(customerSays(*m_http, c, "Where is my parcel?"), 201);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + c.conversationId + "/handoff",
                            nlohmann::json::object(), c.token)
                     .status,
                 200);
        QTRY_COMPARE_WITH_TIMEOUT(assignedCount(c.conversationId), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->messages(qs(c.conversationId))->isLoaded(), 10000);
        QVERIFY(heardUpTo(c, "marker"));
        QCOMPARE(announced(c.conversationId, QStringLiteral("Where is my parcel?")), 0);
        QCOMPARE(m_session->myConversations()->unread(qs(c.conversationId)), 1);
    }
};

QTEST_GUILESS_MAIN(TestArrivals)
#include "tst_console_arrivals.moc"
