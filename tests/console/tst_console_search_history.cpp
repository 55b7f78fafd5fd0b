// Issue 19 in the shopper panel and the search: the shopper's past chats (openable read-only),
// its contact and its rating, and the search over all messages that opens a conversation at the
// message found.
#include "AgentsAtWorkTestUtil.h"
#include "GuiTestUtil.h"
#include "TcpProxy.h"

#include "gui/ConversationView.h"
#include "gui/MainWindow.h"
#include "gui/SearchDialog.h"
#include "gui/ShopperPanel.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPointer>
#include <QScrollBar>
#include <QTextBrowser>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::MainWindow;
namespace proto = parley::protocol;

class TestSearchHistory : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    std::string m_adminId;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;
    Customer m_shopper;       // its second conversation, with the agent now
    std::string m_pastId;     // its first one, closed and rated
    qint64 m_umbrellaSeq = 0; // the message the search finds

    QWidget* w() { return m_window.get(); }
    QString transcript() { return find<QTextBrowser>(w(), "transcript")->toPlainText(); }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QApplication::setStyle(QStringLiteral("Fusion"));
        QVERIFY(startServerAsAdmin());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        // A first chat: served, closed and rated.
        const Customer first = customerWantingAgent(*m_http);
        m_pastId = first.conversationId;
        QCOMPARE(customerSays(*m_http, first, "Filler before the point."), 201);
        QCOMPARE(customerSays(*m_http, first, "My blue umbrella broke after two days."), 201);
        m_umbrellaSeq = messagesOf(*m_http, first.token, m_pastId).back()["seq"].get<qint64>();
        std::string longAnswer; // enough lines after it that the found message is not in view by itself
        for (int i = 0; i < 40; ++i)
            longAnswer += "Step " + std::to_string(i) + " of what to try.\n";
        for (int i = 0; i < 2; ++i)
            QCOMPARE(m_http
                         ->post("/api/v1/conversations/" + m_pastId + "/messages", {{"content", longAnswer}},
                                m_adminToken)
                         .status,
                     201);
        QCOMPARE(
            m_http
                ->post("/api/v1/conversations/" + m_pastId + "/close", nlohmann::json::object(), m_adminToken)
                .status,
            200);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + m_pastId + "/rating",
                            {{"score", 4}, {"comment", "Quick help"}}, first.token)
                     .status,
                 201);
        // The same shopper comes back, leaves its address, and asks again.
        m_shopper = first;
        const auto conv = m_http->post("/api/v1/conversations", nlohmann::json::object(), first.token);
        m_shopper.conversationId = conv.body["conversation"].value("id", "");
        QVERIFY(!m_shopper.conversationId.empty());
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + m_shopper.conversationId + "/contact",
                            {{"email", "jane@example.com"}, {"name", "Jane Doe"}}, first.token)
                     .status,
                 200);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + m_shopper.conversationId + "/handoff",
                            nlohmann::json::object(), first.token)
                     .status,
                 200);
        QVERIFY(setPresence(*m_http, m_adminToken, "offline"));
    }

    void init() {
        m_session = std::make_unique<Session>();
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
    }

    void pastChatsContactAndRating() {
        const QString current = qs(m_shopper.conversationId);
        m_window->showConversation(current);
        auto* contact = find<QLabel>(w(), "shopperContact");
        QTRY_VERIFY_WITH_TIMEOUT(contact->text().contains(QLatin1String("jane@example.com")), 10000);
        QVERIFY(contact->text().contains(QLatin1String("Jane Doe")));
        auto* rating = find<QLabel>(w(), "conversationRating");
        QVERIFY(!rating->isVisible()); // not rated: nothing said
        auto* past = find<QListWidget>(w(), "pastChatsList");
        QTRY_COMPARE_WITH_TIMEOUT(past->count(), 1, 10000);
        QVERIFY(past->item(0)->text().contains(QLatin1String("closed")));
        QVERIFY(saveScreenshot(m_window->conversationView()->shopperPanel(),
                               QStringLiteral("console-shopper-panel.png")));

        doubleClickRow(past, 0);
        QTRY_COMPARE_WITH_TIMEOUT(m_window->conversationView()->conversationId(), qs(m_pastId), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(transcript().contains(QLatin1String("My blue umbrella broke")), 10000);
        QVERIFY(m_window->conversationView()->isReadOnly());
        QTRY_VERIFY_WITH_TIMEOUT(rating->isVisible(), 10000);
        QCOMPARE(rating->text(),
                 QStringLiteral("Rated \u2605\u2605\u2605\u2605\u2606 4/5: \u201cQuick help\u201d"));
        // And back: the current chat is the past chat of this one.
        QTRY_COMPARE_WITH_TIMEOUT(past->count(), 1, 10000);
        QCOMPARE(past->item(0)->data(Qt::UserRole).toString(), current);
        QVERIFY(saveScreenshot(m_window.get(), QStringLiteral("console-past-chat.png")));
    }

    // Audit: the answer to a search still on its way when the agent closed the window (it
    // deletes itself) was written into the deleted dialog. It is dropped instead.
    void searchAnswerAfterTheWindowClosed() {
        cleanup(); // signed in again below, with REST through a proxy that holds answers back
        TcpProxy proxy(m_server.httpPort());
        QVERIFY(proxy.listen());
        QUrl base = m_server.httpUrl();
        base.setPort(proxy.port());
        m_session = std::make_unique<Session>();
        m_session->setWsUrlOverride(m_server.wsUrl()); // the WebSocket direct
        m_window = std::make_unique<MainWindow>(m_session.get());
        m_session->signIn(base, QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword));
        QTRY_VERIFY_WITH_TIMEOUT(m_session->realtime()->isConnected(), 15000);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));

        QPointer<QDialog> dialog = m_window->openSearch();
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        proxy.holdDownstream(true);
        auto* input = find<QLineEdit>(dialog, "searchInput");
        QTest::keyClicks(input, QStringLiteral("umbrella"));
        QTRY_COMPARE_WITH_TIMEOUT(find<QLabel>(dialog, "searchStatus")->text(),
                                  QStringLiteral("Searching\u2026"), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(proxy.heldDownstreamBytes() > 0, 10000); // the answer waits
        QTest::keyClick(input, Qt::Key_Escape);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog, 5000);
        proxy.holdDownstream(false);
        QTRY_COMPARE_WITH_TIMEOUT(proxy.heldDownstreamBytes(), qint64(0), 5000);

        // Still alive, and a new search window works.
        dialog = m_window->openSearch();
        QVERIFY(dialog);
        QTest::keyClicks(find<QLineEdit>(dialog, "searchInput"), QStringLiteral("umbrella"));
        QTRY_COMPARE_WITH_TIMEOUT(find<QListWidget>(dialog, "searchResults")->count(), 1, 10000);
    }

    void searchOpensTheMessage() {
        QTest::keyClick(w(), Qt::Key_F, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(w()->findChild<QDialog*>(QStringLiteral("searchDialog")), 5000);
        auto* dialog = w()->findChild<QDialog*>(QStringLiteral("searchDialog"));
        QTRY_VERIFY(dialog->isVisible());
        auto* results = find<QListWidget>(dialog, "searchResults");
        // Word endings do not matter: "umbrellas" finds "umbrella".
        QTest::keyClicks(find<QLineEdit>(dialog, "searchInput"), QStringLiteral("umbrellas"));
        QTRY_COMPARE_WITH_TIMEOUT(results->count(), 1, 10000);
        QVERIFY(results->item(0)->text().contains(QLatin1String("My blue umbrella broke")));
        QVERIFY(results->item(0)->text().contains(QStringLiteral(" \u00b7 Shopper\n"))); // who wrote it
        QVERIFY(find<QLabel>(dialog, "searchStatus")->text().startsWith(QLatin1String("1 message found")));
        QVERIFY(saveScreenshot(dialog, QStringLiteral("console-search.png")));

        doubleClickRow(results, 0);
        auto* view = m_window->conversationView();
        QTRY_COMPARE_WITH_TIMEOUT(view->conversationId(), qs(m_pastId), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(view->shownMessage(), m_umbrellaSeq, 10000);
        auto* browser = find<QTextBrowser>(w(), "transcript");
        QVERIFY(browser->textCursor().selectedText().endsWith(
            QStringLiteral("\u2029My blue umbrella broke after two days.")));
        // It is in view, not at the end of the transcript.
        QVERIFY(browser->verticalScrollBar()->value() < browser->verticalScrollBar()->maximum());
        QVERIFY(view->isReadOnly()); // not mine: watched
        QVERIFY(saveScreenshot(m_window.get(), QStringLiteral("console-search-opened.png")));

        QTest::keyClicks(find<QLineEdit>(dialog, "searchInput"), QStringLiteral(" nothingmatcheszzz"));
        QTRY_COMPARE_WITH_TIMEOUT(find<QLabel>(dialog, "searchStatus")->text(),
                                  QStringLiteral("Nothing found."), 10000);
    }
};

QTEST_MAIN(TestSearchHistory)
#include "tst_console_search_history.moc"
