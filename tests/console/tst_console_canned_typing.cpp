// Issue 19 in the composer and the transcript: canned replies offered for "/…" and inserted for
// editing (never sent by choosing), typing both ways ("Shopper is typing…", the agent's typing
// frame at most once a second), and read marks ("/read" when the agent sees the newest message,
// "Seen" under the agent's last message the shopper has read).
#include "AgentsAtWorkTestUtil.h"
#include "GuiTestUtil.h"

#include "core/Outbox.h"
#include "gui/ConversationView.h"
#include "gui/MainWindow.h"

#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QTextBrowser>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::MainWindow;
namespace proto = parley::protocol;

class TestCannedTyping : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    std::string m_adminId;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;

    QWidget* w() { return m_window.get(); }
    QString transcript() { return find<QTextBrowser>(w(), "transcript")->toPlainText(); }

    Customer myOpenChat() {
        const Customer c = customerWantingAgent(*m_http);
        const QString id = qs(c.conversationId);
        if (!QTest::qWaitFor([&] { return m_session->isMine(id); }, 10000))
            return {};
        m_window->showConversation(id);
        return c;
    }
    nlohmann::json conversationAs(const std::string& token, const std::string& id) {
        return m_http->get("/api/v1/conversations/" + id, token).body["conversation"];
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QApplication::setStyle(QStringLiteral("Fusion"));
        QVERIFY(startServerAsAdmin());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        for (const auto& [shortcut, title, content] :
             {std::tuple{"shipping", "Shipping times", "We ship within two working days."},
              std::tuple{"refund", "Refunds", "Refunds reach your account within a week."}})
            QCOMPARE(m_http
                         ->post("/api/v1/admin/canned",
                                {{"shortcut", shortcut}, {"title", title}, {"content", content}},
                                m_adminToken)
                         .status,
                     201);
    }

    void init() {
        m_session = std::make_unique<Session>();
        m_window = std::make_unique<MainWindow>(m_session.get());
        m_window->resize(1280, 800);
        QVERIFY(signInThroughDialog(*m_session, m_server, QStringLiteral("admin"),
                                    QString::fromLatin1(ServerProcess::kAdminPassword)));
        m_window->show();
        bool online = false;
        m_session->setPresence(proto::Presence::Online, [&](bool ok) { online = ok; });
        QTRY_VERIFY_WITH_TIMEOUT(online, 10000);
    }

    void cleanup() {
        m_window.reset();
        m_session.reset();
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId));
    }

    void slashOffersCannedReplies() {
        const Customer c = myOpenChat();
        QVERIFY(!c.conversationId.empty());
        auto* composer = find<QPlainTextEdit>(w(), "composer");
        auto* list = find<QListWidget>(w(), "cannedList");
        QVERIFY(!list->isVisible());
        composer->setFocus();
        QTest::keyClicks(composer, QStringLiteral("/ship"));
        QTRY_VERIFY_WITH_TIMEOUT(list->isVisible() && list->count() == 1, 10000);
        QCOMPARE(list->item(0)->text(), QStringLiteral("/shipping \u2014 Shipping times"));
        QVERIFY(saveScreenshot(m_window->conversationView(), QStringLiteral("console-canned.png")));

        // Enter takes the reply into the composer, to edit; nothing is sent.
        QTest::keyClick(composer, Qt::Key_Return);
        QCOMPARE(composer->toPlainText(), QStringLiteral("We ship within two working days."));
        QVERIFY(!list->isVisible());
        QTest::keyClicks(composer, QStringLiteral(" Sorry!"));
        QTest::qWait(0);
        for (const auto& m : messagesOf(*m_http, c.token, c.conversationId))
            QVERIFY(m["content"] != "We ship within two working days.");
        QTest::keyClick(composer, Qt::Key_Return); // now it is sent
        QTRY_VERIFY_WITH_TIMEOUT(
            transcript().contains(QLatin1String("We ship within two working days. Sorry!")), 10000);

        // A word of the content finds it too; Down picks the next; Esc closes; "/" mid-text does nothing.
        QTest::keyClicks(composer, QStringLiteral("/"));
        QTRY_VERIFY_WITH_TIMEOUT(list->isVisible() && list->count() == 2, 10000);
        QTest::keyClick(composer, Qt::Key_Escape);
        QVERIFY(!list->isVisible());
        QCOMPARE(composer->toPlainText(), QStringLiteral("/"));
        QTest::keyClicks(composer, QStringLiteral("account"));
        QTRY_VERIFY_WITH_TIMEOUT(list->isVisible() && list->count() == 1, 10000);
        QTest::keyClick(composer, Qt::Key_Tab);
        QCOMPARE(composer->toPlainText(), QStringLiteral("Refunds reach your account within a week."));
        composer->clear();
        QTest::keyClicks(composer, QStringLiteral("see /refund"));
        QTest::qWait(400); // longer than the debounce: a wrong query would have shown the list by now
        QVERIFY(!list->isVisible());
    }

    void typingBothWays() {
        const Customer c = myOpenChat();
        QVERIFY(!c.conversationId.empty());
        CustomerSocket shopper;
        QVERIFY(shopper.open(m_server.wsUrl(), c.token));
        auto* typing = find<QLabel>(w(), "typingIndicator");
        QVERIFY(!typing->isVisible());

        shopper.send({{"type", "typing"}, {"conversation_id", c.conversationId}});
        QTRY_VERIFY_WITH_TIMEOUT(typing->isVisible(), 10000);
        QCOMPARE(typing->text(), QStringLiteral("Shopper is typing\u2026"));
        QVERIFY(saveScreenshot(m_window->conversationView(), QStringLiteral("console-typing.png")));
        // Its message ends it.
        QCOMPARE(customerSays(*m_http, c, "Where is my parcel?"), 201);
        QTRY_VERIFY_WITH_TIMEOUT(!typing->isVisible(), 10000);

        // The agent types: the shopper hears it once, however fast the keys come.
        auto* composer = find<QPlainTextEdit>(w(), "composer");
        QTest::keyClicks(composer, QStringLiteral("Let me check"));
        QTRY_COMPARE_WITH_TIMEOUT(shopper.count("typing"), 1, 10000);
        for (const auto& f : shopper.frames())
            if (f["type"] == "typing")
                QVERIFY(f["data"]["sender_type"] == "agent");
        QTest::keyClicks(composer, QStringLiteral(" now"));
        QTest::qWait(200);
        QCOMPARE(shopper.count("typing"), 1); // within the second: not sent again
        // (The server forwards at most one a second anyway: the console's own rule is seen here.)
        QVERIFY(!m_session->realtime()->sendTyping(qs(c.conversationId)));
    }

    void readMarksBothWays() {
        const Customer c = myOpenChat();
        QVERIFY(!c.conversationId.empty());
        auto* view = m_window->conversationView();
        // The agent has the chat in front, scrolled to the end: the newest message is read.
        QCOMPARE(customerSays(*m_http, c, "Hello?"), 201);
        QTRY_VERIFY_WITH_TIMEOUT(transcript().contains(QLatin1String("Hello?")), 10000);
        const auto last = messagesOf(*m_http, c.token, c.conversationId).back()["seq"].get<qint64>();
        QTRY_COMPARE_WITH_TIMEOUT(
            conversationAs(c.token, c.conversationId)["agent_last_read_seq"].get<qint64>(), last, 10000);

        // The agent answers twice; the shopper reads the first: "Seen" under it, then under the second.
        const QString id = qs(c.conversationId);
        m_session->sendMessage(id, QStringLiteral("First answer"));
        // (The transcript shows a pending reply at once: wait for the server to have it.)
        QTRY_VERIFY_WITH_TIMEOUT(
            messagesOf(*m_http, c.token, c.conversationId).back()["content"] == "First answer", 10000);
        const auto first = messagesOf(*m_http, c.token, c.conversationId).back()["seq"].get<qint64>();
        m_session->sendMessage(id, QStringLiteral("Second answer"));
        QTRY_VERIFY_WITH_TIMEOUT(
            messagesOf(*m_http, c.token, c.conversationId).back()["content"] == "Second answer", 10000);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->outbox()->pending(id).size(), qsizetype(0), 10000);
        QVERIFY(!transcript().contains(QLatin1String("Seen")));
        QCOMPARE(
            m_http->post("/api/v1/conversations/" + c.conversationId + "/read", {{"seq", first}}, c.token)
                .status,
            200);
        QTRY_COMPARE_WITH_TIMEOUT(view->seenSeq(), first, 10000);
        QVERIFY(transcript().contains(QLatin1String("First answer\nSeen")));
        QCOMPARE(transcript().count(QLatin1String("Seen")), 1);
        QCOMPARE(
            m_http->post("/api/v1/conversations/" + c.conversationId + "/read", {{"seq", first + 1}}, c.token)
                .status,
            200);
        QTRY_COMPARE_WITH_TIMEOUT(view->seenSeq(), first + 1, 10000);
        QVERIFY(transcript().contains(QLatin1String("Second answer\nSeen")));
        QCOMPARE(transcript().count(QLatin1String("Seen")), 1);
        QVERIFY(saveScreenshot(view, QStringLiteral("console-seen.png")));
        // Drawn anew (a theme change), the mark stays where it belongs.
        view->setConversation({});
        m_window->showConversation(id);
        QTRY_VERIFY_WITH_TIMEOUT(transcript().contains(QLatin1String("Second answer\nSeen")), 10000);
    }
};

QTEST_MAIN(TestCannedTyping)
#include "tst_console_canned_typing.moc"
