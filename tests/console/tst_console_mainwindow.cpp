// MainWindow driven like an agent would: sign in, go online, take a customer's chat, reply, see the
// answer live, close it; the queue view follows a waiting customer; a busy screenshot is saved.
#include "GuiTestUtil.h"

#include "gui/ConversationView.h"
#include "gui/MainWindow.h"

#include <QDir>
#include <QDockWidget>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QTableView>
#include <QTextBrowser>
#include <QToolButton>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::MainWindow;
namespace proto = parley::protocol;

class TestMainWindow : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    std::string m_adminId;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;

    QWidget* w() { return m_window.get(); }
    QString transcript() { return find<QTextBrowser>(w(), "transcript")->toPlainText(); }
    bool customerSees(const Customer& c, const std::string& text) {
        for (const auto& m : messagesOf(*m_http, c.token, c.conversationId))
            if (m["content"] == text && m["sender_type"] == "agent")
                return true;
        return false;
    }
    void confirmClose() {
        QTRY_VERIFY_WITH_TIMEOUT(w()->findChild<QMessageBox*>(QStringLiteral("confirmCloseBox")), 10000);
        auto* box = w()->findChild<QMessageBox*>(QStringLiteral("confirmCloseBox"));
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QVERIFY(startServerAsAdmin());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        QVERIFY(!m_adminId.empty());
        QVERIFY(!createAgent(*m_http, m_adminToken, "bob", "Bob Baker", 1).empty());
        QVERIFY(!createAgent(*m_http, m_adminToken, "carol", "Carol Chen", 4).empty());
    }

    void init() {
        m_session = std::make_unique<Session>();
        m_session->realtime()->setBackoff(200, 1000);
        m_window = std::make_unique<MainWindow>(m_session.get());
        m_window->resize(1280, 800);
        QVERIFY(signInThroughDialog(*m_session, m_server, QStringLiteral("admin"),
                                    QString::fromLatin1(ServerProcess::kAdminPassword)));
        m_window->show();
        m_window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    }

    void cleanup() {
        m_window.reset();
        m_session.reset();
        const std::string bob = m_http->login("bob", "agent-pass-1");
        QVERIFY(setPresence(*m_http, bob, "offline"));
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId));
    }

    void chatFromHandoffToClose() {
        // Go online with the toolbar switch.
        auto* presence = find<QToolButton>(w(), "presenceButton");
        QCOMPARE(presence->text(), QStringLiteral("Offline"));
        auto* queueDock = find<QDockWidget>(w(), "queueDock");
        QVERIFY(queueDock->windowTitle().contains(QStringLiteral("live when you are online")));
        QTest::mouseClick(presence, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->me().presence, proto::Presence::Online, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(presence->text(), QStringLiteral("Online"), 10000);
        QVERIFY(queueDock->windowTitle().startsWith(QStringLiteral("Queue (")));
        QVERIFY(!queueDock->windowTitle().contains(QStringLiteral("online")));
        QVERIFY(presence->isChecked());

        // A customer asks for an agent: it becomes my chat, announced and shown.
        auto* mine = find<QListView>(w(), "myConversationsView");
        const Customer c = customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(mine->model()->rowCount(), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->notificationCount() >= 1, 10000);
        QVERIFY(m_window->lastNotification().startsWith(QLatin1String("New chat assigned")));
        clickRow(mine, 0);
        QCOMPARE(m_window->conversationView()->conversationId(), qs(c.conversationId));
        QTRY_VERIFY_WITH_TIMEOUT(transcript().contains(QLatin1String("Bot")), 10000);
        QVERIFY(!find<QLabel>(w(), "readOnlyBanner")->isVisible());

        // Reply: Enter sends.
        auto* composer = find<QPlainTextEdit>(w(), "composer");
        QVERIFY(composer->isEnabled());
        QTest::keyClicks(composer, QStringLiteral("Hello, I am Admin. How can I help?"));
        QTest::keyClick(composer, Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(customerSees(c, "Hello, I am Admin. How can I help?"), 10000);
        QVERIFY(composer->toPlainText().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(transcript().contains(QLatin1String("Hello, I am Admin. How can I help?")),
                                 10000);

        // Shift+Enter is a new line, not a send.
        QTest::keyClicks(composer, QStringLiteral("Line one"));
        QTest::keyClick(composer, Qt::Key_Return, Qt::ShiftModifier);
        QTest::keyClicks(composer, QStringLiteral("Line two"));
        QCOMPARE(composer->toPlainText(), QStringLiteral("Line one\nLine two"));
        QTest::mouseClick(find<QPushButton>(w(), "sendButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(customerSees(c, "Line one\nLine two"), 10000);

        // The customer's answer appears live.
        QCOMPARE(customerSays(*m_http, c, "My parcel from Tuesday has not arrived."), 201);
        QTRY_VERIFY_WITH_TIMEOUT(
            transcript().contains(QLatin1String("My parcel from Tuesday has not arrived.")), 10000);

        // Close, with confirmation: the chat becomes read-only.
        QTest::mouseClick(find<QPushButton>(w(), "closeChatButton"), Qt::LeftButton);
        confirmClose();
        QTRY_COMPARE_WITH_TIMEOUT(m_session->conversation(qs(c.conversationId))->status,
                                  proto::ConversationStatus::Closed, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!composer->isEnabled(), 10000);
        QVERIFY(!find<QPushButton>(w(), "sendButton")->isEnabled());
        QVERIFY(find<QLabel>(w(), "readOnlyBanner")->isVisible());
        QVERIFY(find<QLabel>(w(), "readOnlyBanner")->text().contains(QLatin1String("closed")));
        QCOMPARE(js(m_http->get("/api/v1/conversations/" + c.conversationId, c.token)
                        .body["conversation"]["status"]),
                 QStringLiteral("closed"));
        QVERIFY(mine->model()->index(0, 0).data().toString().contains(QLatin1String("[closed]")));
    }

    void cancelledCloseKeepsTheChat() {
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        const Customer c = customerWantingAgent(*m_http);
        auto* mine = find<QListView>(w(), "myConversationsView");
        QTRY_COMPARE_WITH_TIMEOUT(mine->model()->rowCount(), 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->conversationView()->conversationId(), qs(c.conversationId),
                                  10000);
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(w(), "closeChatButton")->isEnabled(), 10000);
        // The keyboard shortcut asks too; Cancel keeps it open.
        QTest::keyClick(w(), Qt::Key_W, Qt::ControlModifier | Qt::ShiftModifier);
        QTRY_VERIFY_WITH_TIMEOUT(w()->findChild<QMessageBox*>(QStringLiteral("confirmCloseBox")), 10000);
        auto* box = w()->findChild<QMessageBox*>(QStringLiteral("confirmCloseBox"));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!w()->findChild<QMessageBox*>(QStringLiteral("confirmCloseBox")), 10000);
        QCOMPARE(js(m_http->get("/api/v1/conversations/" + c.conversationId, c.token)
                        .body["conversation"]["status"]),
                 QStringLiteral("agent"));
        QVERIFY(m_session->canWrite(qs(c.conversationId)));
    }

    void queueViewFollowsAWaitingCustomer() {
        // One chat at most: the second customer has to wait.
        QCOMPARE(
            m_http->put("/api/v1/admin/agents/" + m_adminId, {{"max_active_chats", 1}}, m_adminToken).status,
            200);
        QTest::mouseClick(find<QToolButton>(w(), "presenceButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->me().presence, proto::Presence::Online, 10000);
        auto* queue = find<QTableView>(w(), "queueView");
        auto* mine = find<QListView>(w(), "myConversationsView");
        const Customer first = customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(mine->model()->rowCount(), 1, 10000);
        QCOMPARE(queue->model()->rowCount(), 0);

        const Customer second = customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(queue->model()->rowCount(), 1, 10000);
        QCOMPARE(queue->model()->index(0, 0).data(QueueModel::ConversationIdRole).toString(),
                 qs(second.conversationId));
        QCOMPARE(queue->model()->index(0, QueueModel::PositionColumn).data().toInt(), 1);
        QVERIFY(queue->model()
                    ->index(0, QueueModel::WaitingColumn)
                    .data()
                    .toString()
                    .endsWith(QLatin1String(" s")));

        // Double-click watches it read-only.
        doubleClickRow(queue, 0, QueueModel::CustomerColumn);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->conversationView()->conversationId(), qs(second.conversationId),
                                  10000);
        QTRY_VERIFY_WITH_TIMEOUT(find<QLabel>(w(), "readOnlyBanner")->isVisible(), 10000);
        QVERIFY(find<QLabel>(w(), "readOnlyBanner")->text().startsWith(QLatin1String("Watching")));
        QVERIFY(!find<QPlainTextEdit>(w(), "composer")->isEnabled());

        // Closing the first frees capacity: the waiting customer leaves the queue and becomes mine.
        clickRow(mine, 0);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->conversationView()->conversationId(), qs(first.conversationId),
                                  10000);
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(w(), "closeChatButton")->isEnabled(), 10000);
        QTest::mouseClick(find<QPushButton>(w(), "closeChatButton"), Qt::LeftButton);
        confirmClose();
        QTRY_COMPARE_WITH_TIMEOUT(queue->model()->rowCount(), 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->myConversations()->contains(qs(second.conversationId)), 10000);
        QCOMPARE(
            m_http->put("/api/v1/admin/agents/" + m_adminId, {{"max_active_chats", 5}}, m_adminToken).status,
            200);
    }

    void backgroundMessageNotifiesAndMarksUnread() {
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        const Customer a = customerWantingAgent(*m_http);
        const Customer b = customerWantingAgent(*m_http);
        auto* mine = find<QListView>(w(), "myConversationsView");
        QTRY_COMPARE_WITH_TIMEOUT(mine->model()->rowCount(), 2, 10000);
        m_window->showConversation(qs(b.conversationId));
        const int before = m_window->notificationCount();
        QCOMPARE(customerSays(*m_http, a, "Are you there?"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->notificationCount(), before + 1, 10000);
        QVERIFY(m_window->lastNotification().endsWith(QLatin1String("Are you there?")));
        QCOMPARE(m_session->myConversations()->unread(qs(a.conversationId)), 1);
        QVERIFY(m_window->windowTitle().startsWith(QLatin1String("(1) ")));
        // The unread row is bold and newest first.
        QCOMPARE(mine->model()->index(0, 0).data(MyConversationsModel::ConversationIdRole).toString(),
                 qs(a.conversationId));
        QVERIFY(mine->model()->index(0, 0).data(Qt::FontRole).value<QFont>().bold());
        // Ctrl+PgUp/PgDown walk the list; showing it reads it.
        QTest::keyClick(w(), Qt::Key_PageUp, Qt::ControlModifier);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->conversationView()->conversationId(), qs(a.conversationId),
                                  10000);
        QCOMPARE(m_session->myConversations()->unread(qs(a.conversationId)), 0);
        QVERIFY(!m_window->windowTitle().startsWith(QLatin1String("(")));
    }

    void busyWindowScreenshot() {
        // Three chats for admin (two with unread customer messages), Bob online with his one chat, Carol
        // offline, two customers waiting.
        QCOMPARE(
            m_http->put("/api/v1/admin/agents/" + m_adminId, {{"max_active_chats", 3}}, m_adminToken).status,
            200);
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        std::vector<Customer> chats;
        const char* lines[] = {"Hi! My order #1042 shows delivered but nothing arrived.",
                               "Can I change the size of the shoes I ordered yesterday?",
                               "Do you ship to Norway?"};
        for (const char* line : lines) {
            chats.push_back(customerWantingAgent(*m_http));
            QCOMPARE(customerSays(*m_http, chats.back(), line), 201);
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_session->myConversations()->rowCount(), 3, 10000);
        const std::string bob = m_http->login("bob", "agent-pass-1");
        QVERIFY(setPresence(*m_http, bob, "online"));
        const Customer bobs = customerWantingAgent(*m_http);
        Q_UNUSED(bobs);
        customerWantingAgent(*m_http);
        customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->queueModel()->rowCount(), 2, 10000);

        m_window->showConversation(qs(chats[0].conversationId));
        QTest::keyClicks(find<QPlainTextEdit>(w(), "composer"),
                         QStringLiteral("I am sorry to hear that! Let me check with the carrier."));
        QTest::keyClick(find<QPlainTextEdit>(w(), "composer"), Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(
            customerSees(chats[0], "I am sorry to hear that! Let me check with the carrier."), 10000);
        QCOMPARE(customerSays(*m_http, chats[0], "Thanks. The tracking number is 00340434161094042557."),
                 201);
        QCOMPARE(customerSays(*m_http, chats[2], "Also: how long does it take?"), 201);
        QTRY_VERIFY_WITH_TIMEOUT(transcript().contains(QLatin1String("00340434161094042557")), 10000);
        // Unread: what each customer wrote since the chat became mine and that was not in front.
        QTRY_COMPARE_WITH_TIMEOUT(m_session->myConversations()->unread(qs(chats[2].conversationId)), 2,
                                  10000);
        QCOMPARE(m_session->myConversations()->unread(qs(chats[1].conversationId)), 1);
        QCOMPARE(m_session->myConversations()->unread(qs(chats[0].conversationId)), 0);
        auto* team = find<QTableView>(w(), "teamView");
        QTRY_COMPARE_WITH_TIMEOUT(team->model()->rowCount(), 3, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(team->model()->index(0, 2).data().toString() +
                                      team->model()->index(1, 2).data().toString(),
                                  QStringLiteral("3 / 31 / 1"), 10000);

        const QString dir = qEnvironmentVariable("PARLEY_TEST_ARTIFACTS", QDir::tempPath());
        QVERIFY(QDir().mkpath(dir));
        const QString file = dir + QStringLiteral("/console-main-window.png");
        QVERIFY(m_window->grab().save(file));
        qInfo("screenshot: %s", qPrintable(file));
        QVERIFY(setPresence(*m_http, bob, "offline"));
        QCOMPARE(
            m_http->put("/api/v1/admin/agents/" + m_adminId, {{"max_active_chats", 5}}, m_adminToken).status,
            200);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_console_mainwindow.moc"
