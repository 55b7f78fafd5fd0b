// The server restarts in the middle of a chat: the console shows the "connection lost" banner,
// reconnects by itself, and its transcript ends up with every message exactly once.
#include "GuiTestUtil.h"

#include "gui/ConversationView.h"
#include "gui/MainWindow.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QTextBrowser>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::MainWindow;
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
        QTRY_VERIFY_WITH_TIMEOUT(composer->isEnabled(), 10000);
        QTest::keyClicks(composer, QStringLiteral("Hi, checking your order now."));
        QTest::keyClick(composer, Qt::Key_Return);
        QCOMPARE(customerSays(*m_http, c, "Thank you!"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(modelSeqs(session.messages(id)), serverSeqs(c), 10000);

        // Down: the banner tells the agent.
        auto* banner = find<QLabel>(&window, "connectionBanner");
        QVERIFY(!banner->isVisible());
        QVERIFY(m_server.stop());
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisible(), 10000);
        QVERIFY(banner->text().startsWith(QLatin1String("Connection lost")));

        // Typed while the server is down: sent once it is back (client_msg_id makes the retry safe).
        QTest::keyClicks(composer, QStringLiteral("Sorry, a short hiccup on our side."));
        QTest::keyClick(composer, Qt::Key_Return);

        QVERIFY(m_server.start());
        // The customer writes before the console has reconnected: resume must bring it.
        QCOMPARE(customerSays(*m_http, c, "No problem. Any news?"), 201);
        QTRY_VERIFY_WITH_TIMEOUT(!banner->isVisible(), 15000);
        QTRY_VERIFY_WITH_TIMEOUT(session.realtime()->isConnected(), 15000);
        QCOMPARE(customerSays(*m_http, c, "Hello again"), 201);

        QTRY_COMPARE_WITH_TIMEOUT(modelSeqs(session.messages(id)), serverSeqs(c), 15000);
        const auto server = messagesOf(*m_http, c.token, c.conversationId);
        int hiccups = 0;
        for (const auto& m : server)
            hiccups += m["content"] == "Sorry, a short hiccup on our side." ? 1 : 0;
        QCOMPARE(hiccups, 1);
        const QString transcript = find<QTextBrowser>(&window, "transcript")->toPlainText();
        for (const char* text :
             {"Thank you!", "No problem. Any news?", "Hello again", "Sorry, a short hiccup on our side."}) {
            QCOMPARE(transcript.count(QString::fromUtf8(text)), 1);
        }
        QVERIFY(composer->isEnabled());
    }
};

QTEST_MAIN(TestReconnect)
#include "tst_console_reconnect.moc"
