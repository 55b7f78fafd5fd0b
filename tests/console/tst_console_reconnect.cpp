// The server restarts in the middle of a chat: the console shows the "connection lost" banner,
// keeps the replies typed meanwhile as pending bubbles (nothing goes back into the composer as
// "Not sent"), keeps trying for as long as it takes, sends them in order once the server is back,
// and its transcript ends up with every message exactly once.
#include "GuiTestUtil.h"
#include "TcpProxy.h"

#include "core/Outbox.h"
#include "gui/ConversationView.h"
#include "gui/MainWindow.h"
#include "gui/Style.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextBrowser>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::MainWindow;
using parley::console::gui::NoticeBar;
namespace proto = parley::protocol;

class TestReconnect : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;

    std::vector<qint64> serverSeqs(const Customer& c) {
        std::vector<qint64> out;
        for (const auto& m : messagesOf(*m_http, c.token, c.conversationId))
            out.push_back(m["seq"].get<qint64>());
        return out;
    }
    static std::vector<qint64> modelSeqs(MessagesModel* m) {
        std::vector<qint64> out;
        for (const auto& msg : m->messages())
            out.push_back(msg.seq);
        return out;
    }
    int serverCount(const Customer& c, const char* text) {
        int n = 0;
        for (const auto& m : messagesOf(*m_http, c.token, c.conversationId))
            n += m["content"] == text ? 1 : 0;
        return n;
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QVERIFY(startServer());
    }
    void init() {}
    void cleanup() {}

    void serverRestartMidChat() {
        Session session;
        session.realtime()->setBackoff(300, 1500);
        // Quick retries, so that "it does not give up" is seen in a short test: the old console
        // stopped after five attempts (about 15 s).
        session.outbox()->setBackoff(100, 300);
        MainWindow window(&session);
        QVERIFY(signInThroughDialog(session, m_server, QStringLiteral("admin"),
                                    QString::fromLatin1(ServerProcess::kAdminPassword)));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        session.setPresence(proto::Presence::Online);
        QTRY_COMPARE_WITH_TIMEOUT(session.me().presence, proto::Presence::Online, 10000);

        const Customer c = customerWantingAgent(*m_http);
        const QString id = qs(c.conversationId);
        QTRY_COMPARE_WITH_TIMEOUT(window.conversationView()->conversationId(), id, 10000);
        auto* composer = find<QPlainTextEdit>(&window, "composer");
        auto* transcript = find<QTextBrowser>(&window, "transcript");
        QTRY_VERIFY_WITH_TIMEOUT(composer->isEnabled(), 10000);
        QTest::keyClicks(composer, QStringLiteral("Hi, checking your order now."));
        QTest::keyClick(composer, Qt::Key_Return);
        QCOMPARE(customerSays(*m_http, c, "Thank you!"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(modelSeqs(session.messages(id)), serverSeqs(c), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(session.outbox()->count(), 0, 10000);

        // Down: the banner tells the agent.
        auto* banner = find<NoticeBar>(&window, "connectionBanner");
        QVERIFY(!banner->isVisible());
        QVERIFY(m_server.stop());
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 10000);
        QVERIFY(banner->text().startsWith(QLatin1String("Connection lost")));

        // Typed while the server is down: two replies, shown as pending bubbles, in order.
        QTest::keyClicks(composer, QStringLiteral("Sorry, a short hiccup on our side."));
        QTest::keyClick(composer, Qt::Key_Return);
        QTest::keyClicks(composer, QStringLiteral("Back in a second."));
        QTest::keyClick(composer, Qt::Key_Return);
        QVERIFY(composer->toPlainText().isEmpty());
        QCOMPARE(session.outbox()->pending(id).size(), 2);
        QVERIFY(transcript->toPlainText().contains(QLatin1String("Sorry, a short hiccup on our side.")));
        QVERIFY(transcript->toPlainText().contains(QLatin1String("Back in a second.")));
        QTRY_VERIFY_WITH_TIMEOUT(
            transcript->toPlainText().contains(QLatin1String("will be sent automatically")), 10000);
        QVERIFY(!find<QLabel>(&window, "sendError")->isVisible());
        // It keeps trying (far more than the five attempts the console used to give up after).
        QTRY_VERIFY_WITH_TIMEOUT(session.outbox()->attemptCount() >= 12, 20000);
        QCOMPARE(session.outbox()->pending(id).size(), 2);
        QCOMPARE(session.outbox()->pending(id).at(0).text,
                 QStringLiteral("Sorry, a short hiccup on our side."));
        QVERIFY(composer->toPlainText().isEmpty());

        QVERIFY(m_server.start());
        // The customer writes before the console has reconnected: resume must bring it.
        QCOMPARE(customerSays(*m_http, c, "No problem. Any news?"), 201);
        QTRY_VERIFY_WITH_TIMEOUT(!banner->isVisible(), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(session.realtime()->isConnected(), 15000);
        QTRY_COMPARE_WITH_TIMEOUT(session.outbox()->count(), 0, 15000);
        QCOMPARE(customerSays(*m_http, c, "Hello again"), 201);

        QTRY_COMPARE_WITH_TIMEOUT(modelSeqs(session.messages(id)), serverSeqs(c), 15000);
        QCOMPARE(serverCount(c, "Sorry, a short hiccup on our side."), 1);
        QCOMPARE(serverCount(c, "Back in a second."), 1);
        // In the order typed.
        const auto server = messagesOf(*m_http, c.token, c.conversationId);
        qint64 first = 0, second = 0;
        for (const auto& m : server) {
            if (m["content"] == "Sorry, a short hiccup on our side.")
                first = m["seq"].get<qint64>();
            if (m["content"] == "Back in a second.")
                second = m["seq"].get<qint64>();
        }
        QVERIFY(first > 0 && second > first);
        const QString text = transcript->toPlainText();
        for (const char* line : {"Thank you!", "No problem. Any news?", "Hello again",
                                 "Sorry, a short hiccup on our side.", "Back in a second."}) {
            QCOMPARE(text.count(QString::fromUtf8(line)), 1);
        }
        QVERIFY(!text.contains(QLatin1String("will be sent automatically")));
        QVERIFY(composer->isEnabled());
        QVERIFY(composer->toPlainText().isEmpty());
    }

    // A reply the server refuses for good (the chat was closed meanwhile) says so on its bubble
    // and stays until the agent deletes it; it never lands back in the composer.
    // Audit: back after an outage longer than the grace period, the agent was offline without
    // being told, and the banner meanwhile promised that replies would be sent. A server of its
    // own with a 2 s grace period, reached through a proxy that can cut the console off.
    void backAfterTheGracePeriodIsTold() {
        ServerProcess server;
        QVERIFY(server.start({QStringLiteral("--agent-grace-seconds"), QStringLiteral("2")}));
        HttpClient http(server.httpPort());
        const std::string admin = http.login("admin", ServerProcess::kAdminPassword);
        QVERIFY(!admin.empty());
        TcpProxy proxy(server.httpPort());
        QVERIFY(proxy.listen());
        QUrl base = server.httpUrl();
        base.setPort(proxy.port());

        Session session;
        session.realtime()->setBackoff(200, 500);
        MainWindow window(&session);
        session.signIn(base, QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword));
        QTRY_VERIFY_WITH_TIMEOUT(session.realtime()->isConnected(), 15000);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        session.setPresence(proto::Presence::Online);
        QTRY_VERIFY_WITH_TIMEOUT(session.isOnline(), 10000);
        customerWantingAgent(http);
        QTRY_COMPARE_WITH_TIMEOUT(session.myConversations()->openIds().size(), size_t(1), 10000);

        auto* away = find<NoticeBar>(&window, "awayBanner");
        auto* lost = find<NoticeBar>(&window, "connectionBanner");
        QVERIFY(!away->isVisible());
        proxy.setRefusing(true);
        QTRY_VERIFY_WITH_TIMEOUT(lost->isVisible(), 10000);
        QVERIFY(!lost->text().contains(QLatin1String("kept and sent as soon as")));
        QVERIFY(lost->text().contains(QLatin1String("if the chat is still yours")));
        // The server gives up on the agent.
        QTRY_VERIFY_WITH_TIMEOUT(getBody(http, "/api/v1/agent/conversations", admin, "conversations").empty(),
                                 15000);
        proxy.setRefusing(false);
        QTRY_VERIFY_WITH_TIMEOUT(session.realtime()->isConnected(), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(away->isVisible(), 10000);
        QVERIFY(away->text().contains(QLatin1String("your chats went back to the queue")));
        QVERIFY(away->text().contains(QLatin1String("you are offline")));
        QVERIFY(!session.isOnline()); // not restored unasked
        QVERIFY(window.lastNotification().startsWith(QLatin1String("You are offline")));
        QTest::mouseClick(find<QPushButton>(&window, "awayGoOnlineButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(session.isOnline(), 10000);
        QTRY_VERIFY(!away->isVisible());
        session.signOut();
    }

    void permanentErrorShowsOnTheBubble() {
        Session session;
        MainWindow window(&session);
        QVERIFY(signInThroughDialog(session, m_server, QStringLiteral("admin"),
                                    QString::fromLatin1(ServerProcess::kAdminPassword)));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        session.setPresence(proto::Presence::Online);
        QTRY_COMPARE_WITH_TIMEOUT(session.me().presence, proto::Presence::Online, 10000);
        const Customer c = customerWantingAgent(*m_http);
        const QString id = qs(c.conversationId);
        QTRY_COMPARE_WITH_TIMEOUT(window.conversationView()->conversationId(), id, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(session.messages(id)->isLoaded(), 10000);
        const std::string admin = m_http->login("admin", ServerProcess::kAdminPassword);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + c.conversationId + "/close", nlohmann::json::object(),
                            admin)
                     .status,
                 200);
        // Sent before the console has heard of the close.
        QSignalSpy failed(&session, &Session::sendFailed);
        session.sendMessage(id, QStringLiteral("One more thing"));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        auto* transcript = find<QTextBrowser>(&window, "transcript");
        QTRY_VERIFY_WITH_TIMEOUT(
            transcript->toPlainText().contains(QLatin1String("Not sent: This conversation is closed.")),
            10000);
        QCOMPARE(session.outbox()->pending(id).size(), 1);
        QVERIFY(find<QPlainTextEdit>(&window, "composer")->toPlainText().isEmpty());
        // Delete is an action on the bubble.
        QVERIFY(session.outbox()->remove(session.outbox()->pending(id).at(0).clientMsgId));
        QTRY_VERIFY_WITH_TIMEOUT(!transcript->toPlainText().contains(QLatin1String("One more thing")), 10000);
        QVERIFY(setPresence(*m_http, admin, "offline"));
    }
};

QTEST_MAIN(TestReconnect)
#include "tst_console_reconnect.moc"
