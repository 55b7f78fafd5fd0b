// Quitting (Ctrl+Q) while holding chats asks whether to go offline first, and does it; either
// way the chats go back to the queue after the grace period (the server does so for an agent
// gone that long, offline by choice or not), and the question says so. Without chats, or
// offline, it quits without asking (online without chats: it goes offline on the way out).
#include "GuiTestUtil.h"

#include "core/Outbox.h"
#include "gui/FaqEditor.h"
#include "gui/MainWindow.h"
#include "gui/Notifier.h"
#include "gui/SettingsEditor.h"

#include <QAction>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::FaqEditor;
using parley::console::gui::MainWindow;
using parley::console::gui::SettingsEditor;
namespace proto = parley::protocol;

class TestQuit : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    std::string m_adminId;
    std::string m_bobId;

    QString presenceOf(const std::string& agentId) {
        for (const auto& a : getBody(*m_http, "/api/v1/agents", m_adminToken, "agents"))
            if (a.value("id", "") == agentId)
                return qs(a.value("presence", ""));
        return {};
    }
    int chatsOf(const std::string& token) {
        return int(getBody(*m_http, "/api/v1/agent/conversations", token, "conversations").size());
    }
    struct Console {
        std::unique_ptr<Session> session = std::make_unique<Session>();
        std::unique_ptr<MainWindow> window = std::make_unique<MainWindow>(session.get());
    };
    // A console signed in as `user`, online, holding `chats` new chats.
    std::unique_ptr<Console> onlineWithChats(const QString& user, const QString& password, int chats) {
        auto c = std::make_unique<Console>();
        if (!signInThroughDialog(*c->session, m_server, user, password))
            return nullptr;
        c->window->show();
        c->window->activateWindow(); // its shortcuts (Ctrl+Q) work in the active window
        if (!QTest::qWaitForWindowActive(c->window.get()))
            return nullptr;
        c->session->setPresence(proto::Presence::Online);
        if (!QTest::qWaitFor([&] { return c->session->isOnline(); }, 10000))
            return nullptr;
        for (int i = 0; i < chats; ++i)
            customerWantingAgent(*m_http);
        if (!QTest::qWaitFor([&] { return int(c->session->myConversations()->openIds().size()) == chats; },
                             10000))
            return nullptr;
        return c;
    }
    QMessageBox* quitBox(QWidget* window) {
        if (!QTest::qWaitFor(
                [&] { return window->findChild<QMessageBox*>(QStringLiteral("quitConfirmBox")); }, 10000))
            return nullptr;
        return window->findChild<QMessageBox*>(QStringLiteral("quitConfirmBox"));
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        // A short grace period: a lost agent's chats go back to the queue after a second.
        QVERIFY(m_server.start({QStringLiteral("--agent-grace-seconds"), QStringLiteral("1")}));
        m_http = std::make_unique<HttpClient>(m_server.httpPort());
        m_adminToken = m_http->login("admin", ServerProcess::kAdminPassword);
        QVERIFY(!m_adminToken.empty());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        m_bobId = createAgent(*m_http, m_adminToken, "bob", "Bob Baker", 2);
        QVERIFY(!m_bobId.empty());
    }

    void cleanup() {
        const std::string bob = m_http->login("bob", "agent-pass-1");
        QVERIFY(setPresence(*m_http, bob, "offline"));
        closeOpenChats(*m_http, bob);
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId));
    }

    void quitWhileHoldingChatsGoesOfflineFirst() {
        auto admin =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 2);
        QVERIFY(admin);
        QSignalSpy closed(admin->window.get(), &MainWindow::closed);
        QTest::keyClick(admin->window.get(), Qt::Key_Q, Qt::ControlModifier);
        QMessageBox* box = quitBox(admin->window.get());
        QVERIFY(box);
        QVERIFY(box->text().contains(QLatin1String("2 open chats")));
        QVERIFY(box->text().contains(QLatin1String("your chats go back to the queue")));
        QVERIFY(!box->text().contains(QLatin1String("stay yours")));
        QCOMPARE(closed.count(), 0);
        QTest::mouseClick(box->findChild<QPushButton*>(QStringLiteral("quitGoOfflineButton")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
        QCOMPARE(presenceOf(m_adminId), QStringLiteral("offline"));
        admin.reset(); // the console is gone: every connection of admin's closes
        // Once the grace period is over its chats go back to the queue, as the question said.
        QTRY_COMPARE_WITH_TIMEOUT(chatsOf(m_adminToken), 0, 15000);
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId)); // Bob starts from an empty queue

        // Bob quits the other way: online, and his chat goes back to the queue after the grace.
        const std::string bob = m_http->login("bob", "agent-pass-1");
        auto bobs = onlineWithChats(QStringLiteral("bob"), QStringLiteral("agent-pass-1"), 1);
        QVERIFY(bobs);
        QSignalSpy bobClosed(bobs->window.get(), &MainWindow::closed);
        bobs->window->close();
        box = quitBox(bobs->window.get());
        QVERIFY(box);
        QVERIFY(box->text().contains(QLatin1String("an open chat")));
        QTest::mouseClick(box->findChild<QPushButton*>(QStringLiteral("quitStayOnlineButton")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(bobClosed.count(), 1, 10000);
        bobs.reset();
        QTRY_COMPARE_WITH_TIMEOUT(chatsOf(bob), 0, 15000);
        QCOMPARE(presenceOf(m_bobId), QStringLiteral("offline"));
    }

    // Issue 19: a chat reassigned after another agent was lost arrived silently: no unread mark,
    // no preview, below closed chats, no sound. Now it is announced once, marked new, with the
    // shopper's last words, after the last open chat.
    void chatOfALostAgentArrivesLoud() {
        QVERIFY(setMaxChats(*m_http, m_adminToken, m_adminId, 0)); // online, but nothing comes yet
        auto admin =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 0);
        QVERIFY(admin);
        // A closed chat in admin's list first.
        QVERIFY(setMaxChats(*m_http, m_adminToken, m_adminId, 1));
        const Customer done = customerWantingAgent(*m_http);
        QTRY_VERIFY_WITH_TIMEOUT(admin->session->canWrite(qs(done.conversationId)), 10000);
        admin->session->closeConversation(qs(done.conversationId));
        QTRY_VERIFY_WITH_TIMEOUT(!admin->session->canClose(qs(done.conversationId)), 10000);
        QVERIFY(setMaxChats(*m_http, m_adminToken, m_adminId, 0));

        // Bob has the shopper's chat, then his console is lost (no goodbye).
        auto bobs = onlineWithChats(QStringLiteral("bob"), QStringLiteral("agent-pass-1"), 0);
        QVERIFY(bobs);
        const Customer c = customerWantingAgent(*m_http);
        const QString id = qs(c.conversationId);
        QTRY_VERIFY_WITH_TIMEOUT(bobs->session->canWrite(id), 10000);
        QCOMPARE(customerSays(*m_http, c, "Where is my parcel?"), 201);
        const int sounds = admin->window->notifier()->soundsPlayed();
        QSignalSpy assigned(admin->session.get(), &Session::newAssignment);
        QVERIFY(setMaxChats(*m_http, m_adminToken, m_adminId, 2)); // room, for when Bob's chat comes back
        bobs.reset();
        QTRY_COMPARE_WITH_TIMEOUT(assigned.count(), 1, 15000);
        QCOMPARE(assigned.at(0).at(0).toString(), id);
        auto* mine = admin->session->myConversations();
        QCOMPARE(mine->rowCount(), 2);
        QCOMPARE(mine->index(0).data(MyConversationsModel::ConversationIdRole).toString(),
                 id); // above the closed
        QVERIFY(mine->index(0).data(MyConversationsModel::FreshRole).toBool() ||
                admin->session->currentConversation() == id);
        QTRY_COMPARE_WITH_TIMEOUT(mine->index(0).data(MyConversationsModel::PreviewRole).toString(),
                                  QStringLiteral("Where is my parcel?"), 10000);
        QCOMPARE(admin->window->notifier()->soundsPlayed(), sounds + 1);
        QVERIFY(admin->window->lastNotification().startsWith(QLatin1String("New chat assigned")));
        QCOMPARE(assigned.count(), 1);
    }

    // Audit: a reply refused in a chat not in front (closed meanwhile, e.g. by the idle
    // auto-close) went unnoticed, and the quit question promised it would be sent at the next
    // sign-in although refused replies never are.
    void refusedReplyIsToldAndNotPromised() {
        auto admin =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 2);
        QVERIFY(admin);
        const auto ids = admin->session->myConversations()->openIds();
        const QString a = ids.at(0), b = ids.at(1);
        admin->window->showConversation(b);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + a.toStdString() + "/close", nlohmann::json::object(),
                            m_adminToken)
                     .status,
                 200);
        QTRY_VERIFY_WITH_TIMEOUT(!admin->session->canWrite(a), 10000);
        const int before = admin->window->notificationCount();
        // A reply typed before the close reaches the server after it.
        admin->session->sendMessage(a, QStringLiteral("Your refund is on its way"));
        QTRY_COMPARE_WITH_TIMEOUT(admin->window->notificationCount(), before + 1, 10000);
        QVERIFY(admin->window->lastNotification().startsWith(QLatin1String("Reply not sent to ")));
        QVERIFY(admin->window->lastNotification().contains(QLatin1String("Your refund is on its way")));
        QCOMPARE(admin->window->notifier()->bannerConversation(), a);

        admin->window->close();
        QMessageBox* box = quitBox(admin->window.get());
        QVERIFY(box);
        QVERIFY(
            box->text().contains(QLatin1String("1 reply was refused by the server and will not be sent")));
        QVERIFY(!box->text().contains(QLatin1String("kept and sent")));
        QTest::mouseClick(box->findChild<QPushButton*>(QStringLiteral("quitCancelButton")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!admin->window->findChild<QMessageBox*>(QStringLiteral("quitConfirmBox")),
                                 10000);
        const auto replies = admin->session->outbox()->all(); // not left for the next tests' sign-in
        for (const auto& r : replies)
            QVERIFY(admin->session->outbox()->remove(r.clientMsgId));
    }

    void cancelKeepsWorking() {
        auto admin =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 1);
        QVERIFY(admin);
        QSignalSpy closed(admin->window.get(), &MainWindow::closed);
        admin->window->close();
        QMessageBox* box = quitBox(admin->window.get());
        QVERIFY(box);
        QTest::mouseClick(box->findChild<QPushButton*>(QStringLiteral("quitCancelButton")), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!admin->window->findChild<QMessageBox*>(QStringLiteral("quitConfirmBox")),
                                 10000);
        QCOMPARE(closed.count(), 0);
        QVERIFY(admin->window->isVisible());
        QCOMPARE(presenceOf(m_adminId), QStringLiteral("online"));
    }

    // Quitting dropped the unsaved edits of the open editors without a word (closing an editor
    // asks). One question for all of them; Cancel keeps the app and the edits.
    void unsavedEditsAskBeforeQuitting() {
        auto admin =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 1);
        QVERIFY(admin);
        QPointer<FaqEditor> faq = admin->window->openFaqEditor();
        QVERIFY(faq);
        QTRY_VERIFY_WITH_TIMEOUT(!faq->isBusy(), 10000);
        auto* slug = find<QLineEdit>(faq, "slugEdit");
        QTest::keyClicks(slug, QStringLiteral("zz-unsaved"));
        QPointer<SettingsEditor> settings = admin->window->openSettingsEditor();
        QVERIFY(settings);
        auto* thanks = find<QPlainTextEdit>(settings, "thanksEdit");
        QTRY_VERIFY_WITH_TIMEOUT(!settings->isBusy() && !thanks->toPlainText().isEmpty(), 10000);
        QTest::keyClicks(thanks, QStringLiteral(" Really."));

        QSignalSpy closed(admin->window.get(), &MainWindow::closed);
        auto discardBox = [&] {
            return admin->window->findChild<QMessageBox*>(QStringLiteral("quitDiscardBox"));
        };
        find<QAction>(admin->window.get(), "quitAction")->trigger(); // File > Quit
        QTRY_VERIFY(discardBox());
        QVERIFY(discardBox()->text().contains(QLatin1String("FAQ, Settings")));
        QVERIFY(!admin->window->findChild<QMessageBox*>(QStringLiteral("quitConfirmBox")));
        QTest::mouseClick(find<QPushButton>(discardBox(), "quitDiscardCancel"), Qt::LeftButton);
        QTRY_VERIFY(!discardBox());
        QCOMPARE(closed.count(), 0);
        QVERIFY(admin->window->isVisible() && faq && faq->isVisible() && settings && settings->isVisible());
        QCOMPARE(slug->text(), QStringLiteral("zz-unsaved"));
        QVERIFY(thanks->toPlainText().contains(QLatin1String(" Really.")));
        QVERIFY(!admin->window->findChild<QMessageBox*>(QStringLiteral("quitConfirmBox")));

        // Discard: the quit goes on, with the question about the chats held.
        admin->window->close();
        QTRY_VERIFY(discardBox());
        QTest::mouseClick(find<QPushButton>(discardBox(), "quitDiscardYes"), Qt::LeftButton);
        QMessageBox* box = quitBox(admin->window.get());
        QVERIFY(box);
        QCOMPARE(closed.count(), 0);
        QTest::mouseClick(box->findChild<QPushButton*>(QStringLiteral("quitGoOfflineButton")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
        QVERIFY(!discardBox());
        admin.reset();
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId)); // its chat is not the next's

        // An editor without edits asks nothing: offline without chats, it quits at once.
        auto again =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 0);
        QVERIFY(again);
        again->session->setPresence(proto::Presence::Offline);
        QTRY_VERIFY_WITH_TIMEOUT(!again->session->isOnline(), 10000);
        faq = again->window->openFaqEditor();
        QVERIFY(faq);
        QTRY_VERIFY_WITH_TIMEOUT(!faq->isBusy(), 10000);
        QSignalSpy closedAgain(again->window.get(), &MainWindow::closed);
        again->window->close();
        QCOMPARE(closedAgain.count(), 1);
    }

    void withoutChatsNoQuestion() {
        // Online without chats: no question; it goes offline on the way out.
        auto admin =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 0);
        QVERIFY(admin);
        QSignalSpy closed(admin->window.get(), &MainWindow::closed);
        admin->window->close();
        QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
        QVERIFY(!admin->window->findChild<QMessageBox*>(QStringLiteral("quitConfirmBox")));
        QCOMPARE(presenceOf(m_adminId), QStringLiteral("offline"));

        // Offline with chats: they stay anyway, so it quits at once.
        auto again =
            onlineWithChats(QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword), 1);
        QVERIFY(again);
        again->session->setPresence(proto::Presence::Offline);
        QTRY_VERIFY_WITH_TIMEOUT(!again->session->isOnline(), 10000);
        QSignalSpy closedAgain(again->window.get(), &MainWindow::closed);
        again->window->close();
        QCOMPARE(closedAgain.count(), 1);
    }
};

QTEST_MAIN(TestQuit)
#include "tst_console_quit.moc"
