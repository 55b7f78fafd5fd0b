// Issue 19 in the console: internal notes on a conversation (added in the shopper panel, shown
// as notes, never sent to the shopper, live from other agents) and transferring a chat to another
// agent or back to the queue, with the server's 409 agent_unavailable said in the dialog.
#include "AgentsAtWorkTestUtil.h"
#include "GuiTestUtil.h"

#include "core/NotesModel.h"
#include "gui/ConversationView.h"
#include "gui/MainWindow.h"
#include "gui/NotesPanel.h"
#include "gui/ShopperPanel.h"
#include "gui/TransferDialog.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextTable>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::MainWindow;
using parley::console::gui::NotesPanel;
namespace proto = parley::protocol;

class TestNotesTransfer : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    std::string m_adminId;
    std::string m_carolId;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;

    QWidget* w() { return m_window.get(); }
    // The background of the first note card: its tint must follow the palette.
    static QColor noteCard(NotesPanel* panel) {
        auto* view = find<QTextBrowser>(panel, "notesView");
        for (QTextBlock b = view->document()->begin(); b.isValid(); b = b.next())
            if (QTextTable* table = QTextCursor(b).currentTable())
                return table->format().background().color();
        return {};
    }

    // A customer's chat that became admin's, open in the window.
    Customer myOpenChat() {
        const Customer c = customerWantingAgent(*m_http);
        const QString id = qs(c.conversationId);
        if (!QTest::qWaitFor([&] { return m_session->isMine(id); }, 10000))
            return {};
        m_window->showConversation(id);
        return c;
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QApplication::setStyle(QStringLiteral("Fusion"));
        QVERIFY(startServerAsAdmin());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        m_carolId = createAgent(*m_http, m_adminToken, "carol", "Carol Chen", 4);
        QVERIFY(!m_carolId.empty());
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
        const std::string carol = m_http->login("carol", "agent-pass-1");
        QVERIFY(setPresence(*m_http, carol, "offline"));
        closeOpenChats(*m_http, carol);
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId));
    }

    void notesAreForAgentsOnly() {
        const Customer c = myOpenChat();
        QVERIFY(!c.conversationId.empty());
        auto* panel = find<NotesPanel>(w(), "notesPanel");
        QTRY_VERIFY_WITH_TIMEOUT(panel->model()->isLoaded(), 10000);
        QVERIFY(panel->notesText().contains(QLatin1String("No notes yet.")));

        auto* input = find<QLineEdit>(w(), "noteInput");
        QTest::keyClicks(input, QStringLiteral("Regular customer, prefers e-mail."));
        QTest::mouseClick(find<QPushButton>(w(), "addNoteButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            panel->notesText().contains(QLatin1String("Regular customer, prefers e-mail.")), 10000);
        QVERIFY(panel->notesText().contains(QLatin1String("Internal note")));
        // The input clears when the POST is answered, which may come after note.created showed it.
        QTRY_VERIFY_WITH_TIMEOUT(input->text().isEmpty(), 10000);
        QCOMPARE(panel->model()->rowCount(), 1); // the POST answer and note.created are one note

        // Another agent's note arrives live (note.created to the assigned agent).
        const std::string carol = m_http->login("carol", "agent-pass-1");
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + c.conversationId + "/notes",
                            {{"content", "Carol: called the warehouse."}}, carol)
                     .status,
                 201);
        QTRY_VERIFY_WITH_TIMEOUT(panel->notesText().contains(QLatin1String("Carol: called the warehouse.")),
                                 10000);
        QVERIFY(panel->notesText().contains(QLatin1String("Carol Chen")));
        QCOMPARE(panel->model()->rowCount(), 2);

        // In the transcript as note cards among the messages, by time; never a message, never
        // anything the shopper gets.
        auto* transcript = find<QTextBrowser>(w(), "transcript");
        QTRY_VERIFY_WITH_TIMEOUT(
            transcript->toPlainText().contains(QLatin1String("Carol: called the warehouse.")), 10000);
        QVERIFY(transcript->toPlainText().contains(QLatin1String("Internal note")));
        QVERIFY(transcript->toPlainText().contains(QLatin1String("Regular customer, prefers e-mail.")));
        QCOMPARE(customerSays(*m_http, c, "Is it on its way?"), 201);
        QTRY_VERIFY_WITH_TIMEOUT(transcript->toPlainText().contains(QLatin1String("Is it on its way?")),
                                 10000);
        const auto inOrder = [&] {
            const QString text = transcript->toPlainText();
            const auto first = text.indexOf(QLatin1String("Regular customer, prefers e-mail."));
            const auto second = text.indexOf(QLatin1String("Carol: called the warehouse."));
            const auto after = text.indexOf(QLatin1String("Is it on its way?"));
            return first >= 0 && first < second && second < after;
        };
        QVERIFY2(inOrder(), qPrintable(transcript->toPlainText()));
        for (const auto& m : messagesOf(*m_http, c.token, c.conversationId))
            QVERIFY(m["content"].get<std::string>().find("prefers e-mail") == std::string::npos);
        // Reopening the chat loads them again from the server, in the same place among the messages.
        m_window->conversationView()->setConversation({});
        m_window->showConversation(qs(c.conversationId));
        QTRY_COMPARE_WITH_TIMEOUT(panel->model()->rowCount(), 2, 10000);
        QTRY_VERIFY2_WITH_TIMEOUT(inOrder(), qPrintable(transcript->toPlainText()), 10000);
        QVERIFY(saveScreenshot(m_window->conversationView(), QStringLiteral("console-notes-transcript.png")));

        // A light yellow card on a light palette, a dark one on a dark palette: never a message bubble.
        QVERIFY(noteCard(panel).isValid());
        QVERIFY2(noteCard(panel).lightness() > 170, qPrintable(noteCard(panel).name()));
        QVERIFY(noteCard(panel).hue() >= 30 && noteCard(panel).hue() <= 65); // yellow-ish
        QVERIFY(saveScreenshot(m_window->conversationView()->shopperPanel(),
                               QStringLiteral("console-notes-light.png")));
        const QPalette light = QApplication::palette();
        QApplication::setPalette(darkPalette());
        QTRY_VERIFY2(noteCard(panel).lightness() < 100, qPrintable(noteCard(panel).name()));
        QVERIFY(noteCard(panel).hue() >= 30 && noteCard(panel).hue() <= 65);
        QVERIFY(saveScreenshot(m_window->conversationView()->shopperPanel(),
                               QStringLiteral("console-notes-dark.png")));
        QApplication::setPalette(light);
    }

    void transferToAnAgentAndBackToTheQueue() {
        const Customer c = myOpenChat(); // before Carol is online: it is mine
        QVERIFY(!c.conversationId.empty());
        const std::string carol = m_http->login("carol", "agent-pass-1");
        QVERIFY(setPresence(*m_http, carol, "online"));
        const QString id = qs(c.conversationId);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_session->teamModel()->rowOf(qs(m_carolId)) >= 0 &&
                m_session->teamModel()->at(m_session->teamModel()->rowOf(qs(m_carolId))).presence ==
                    proto::Presence::Online,
            10000);

        auto* button = find<QPushButton>(w(), "transferButton");
        QVERIFY(button->isVisible() && button->isEnabled());
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w()->findChild<QDialog*>(QStringLiteral("transferDialog")), 5000);
        auto* dialog = w()->findChild<QDialog*>(QStringLiteral("transferDialog"));
        auto* targets = find<QListWidget>(dialog, "transferTargets");
        // The queue, and Carol (online, room left); not me.
        QCOMPARE(targets->count(), 2);
        QCOMPARE(targets->item(0)->text(), QStringLiteral("Back to the queue"));
        QVERIFY(targets->item(1)->text().startsWith(QLatin1String("Carol Chen (")));
        targets->setCurrentRow(1);

        // Carol goes offline before the click: the choice stays, the server says no, the dialog says why.
        QVERIFY(setPresence(*m_http, carol, "offline"));
        QTRY_VERIFY_WITH_TIMEOUT(targets->currentItem() && targets->currentItem()->text().contains(
                                                               QLatin1String("not available now")),
                                 10000);
        QTest::keyClicks(find<QPlainTextEdit>(dialog, "transferNote"), QStringLiteral("Wants a refund."));
        QTest::mouseClick(find<QPushButton>(dialog, "transferOk"), Qt::LeftButton);
        auto* error = find<QLabel>(dialog, "transferError");
        QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), 10000);
        QVERIFY2(error->text().contains(QLatin1String("Carol Chen cannot take the chat now")),
                 qPrintable(error->text()));
        QVERIFY(dialog->isVisible());
        QVERIFY(m_session->isMine(id));
        QVERIFY(saveScreenshot(dialog, QStringLiteral("console-transfer-unavailable.png")));

        // Carol is back: hand it over, with a note for her.
        QVERIFY(setPresence(*m_http, carol, "online"));
        QTRY_VERIFY_WITH_TIMEOUT(targets->currentItem() &&
                                     targets->currentItem()->text().contains(QLatin1String("of 4 chats")),
                                 10000);
        QTest::mouseClick(find<QPushButton>(dialog, "transferOk"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!w()->findChild<QDialog*>(QStringLiteral("transferDialog")) ||
                                     !w()->findChild<QDialog*>(QStringLiteral("transferDialog"))->isVisible(),
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!m_session->isMine(id), 10000);
        QCOMPARE(m_session->conversation(id)->assignedAgentId.value_or(""), m_carolId);
        // The note went with it, as an internal note.
        const auto notes =
            getBody(*m_http, "/api/v1/conversations/" + c.conversationId + "/notes", carol, "notes");
        QCOMPARE(notes.size(), std::size_t(1));
        QVERIFY(notes[0]["content"] == "Wants a refund.");
        // The chat in front is now Carol's: read-only for me, no transfer for a plain agent... but
        // admin may still transfer it; back to the queue (Carol is excluded for that pass, nobody
        // else is online with room: it waits).
        QVERIFY(m_window->conversationView()->isReadOnly());
        QVERIFY(setPresence(*m_http, m_adminToken, "offline"));
        QTRY_VERIFY(button->isEnabled());
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w()->findChild<QDialog*>(QStringLiteral("transferDialog")) &&
                                     w()->findChild<QDialog*>(QStringLiteral("transferDialog"))->isVisible(),
                                 5000);
        dialog = w()->findChild<QDialog*>(QStringLiteral("transferDialog"));
        targets = find<QListWidget>(dialog, "transferTargets");
        QCOMPARE(targets->currentRow(), 0); // the queue is the default
        QTest::mouseClick(find<QPushButton>(dialog, "transferOk"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_session->conversation(id)->assignedAgentId, 10000);
        QCOMPARE(m_session->conversation(id)->status, proto::ConversationStatus::Agent);
    }
};

QTEST_MAIN(TestNotesTransfer)
#include "tst_console_notes_transfer.moc"
