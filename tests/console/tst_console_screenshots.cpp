// Screenshots of a busy console in a light and a dark palette, for people to look at: the main
// window with a chat open, the team view with an agent's chats, and the agents editor showing its
// validation errors. Written to $PARLEY_TEST_ARTIFACTS (build/test-artifacts under CTest). The test
// also checks what a screenshot cannot be trusted to show: that the colours follow the palette.
#include "GuiTestUtil.h"

#include "core/AgentListModel.h"
#include "gui/AgentsEditor.h"
#include "gui/ConversationView.h"
#include "gui/MainWindow.h"
#include "gui/Style.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QPlainTextEdit>
#include <QStyle>
#include <QTableView>
#include <QTextBrowser>
#include <QTextTable>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::AgentsEditor;
using parley::console::gui::MainWindow;
namespace proto = parley::protocol;
namespace theme = parley::console::gui::theme;

namespace {

// The usual dark palette of Fusion-styled applications (what a dark desktop hands Qt).
QPalette darkPalette() {
    QPalette p;
    const QColor window(0x2d, 0x2f, 0x33), base(0x1f, 0x21, 0x24), text(0xe8, 0xea, 0xed);
    const QColor disabled(0x80, 0x84, 0x8a);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x27, 0x29, 0x2d));
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabled);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x36, 0x39, 0x3e));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    p.setColor(QPalette::Midlight, QColor(0x3d, 0x40, 0x45));
    p.setColor(QPalette::Mid, QColor(0x25, 0x27, 0x2a));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Shadow, Qt::black);
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xe0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x7c, 0xb0, 0xff));
    p.setColor(QPalette::LinkVisited, QColor(0xb3, 0x9d, 0xff));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabled);
    return p;
}

} // namespace

class TestScreenshots : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    std::string m_adminId;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;
    QPointer<AgentsEditor> m_editor;
    std::vector<Customer> m_chats;
    QString m_dir;

    bool save(QWidget* w, const QString& name) {
        const QString file = m_dir + QLatin1Char('/') + name;
        if (!w->grab().save(file))
            return false;
        qInfo("screenshot: %s", qPrintable(file));
        return true;
    }
    // The background of the first message bubble in the transcript.
    QColor firstBubble() {
        auto* transcript = find<QTextBrowser>(m_window.get(), "transcript");
        for (QTextBlock b = transcript->document()->begin(); b.isValid(); b = b.next())
            if (QTextTable* table = QTextCursor(b).currentTable())
                if (table->format().background().style() != Qt::NoBrush)
                    return table->format().background().color();
        return {};
    }
    // Switches the application's palette and waits until the transcript is drawn in it.
    bool usePalette(const QPalette& palette) {
        const int renders = m_window->conversationView()->fullRenderCount();
        QApplication::setPalette(palette);
        return QTest::qWaitFor([&] { return m_window->conversationView()->fullRenderCount() > renders; },
                               5000);
    }
    bool shoot(const QString& variant) {
        if (!QTest::qWaitForWindowExposed(m_window.get()))
            return false;
        auto* team = m_window->findChild<QDockWidget*>(QStringLiteral("teamDock"));
        return save(m_window.get(), QStringLiteral("console-main-%1.png").arg(variant)) &&
               save(team, QStringLiteral("console-team-%1.png").arg(variant)) &&
               save(m_editor, QStringLiteral("console-agents-editor-%1.png").arg(variant));
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QApplication::setStyle(QStringLiteral("Fusion"));
        QVERIFY(startServerAsAdmin());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        QVERIFY(!createAgent(*m_http, m_adminToken, "bob", "Bob Baker", 1).empty());
        QVERIFY(!createAgent(*m_http, m_adminToken, "carol", "Carol Chen", 4).empty());
        m_dir = qEnvironmentVariable("PARLEY_TEST_ARTIFACTS", QDir::tempPath());
        QVERIFY(QDir().mkpath(m_dir));

        // A busy shift: three chats for admin (one in front, two with unread messages), Bob online
        // with one, Carol offline, two shoppers waiting.
        QVERIFY(setMaxChats(*m_http, m_adminToken, m_adminId, 3));
        m_session = std::make_unique<Session>();
        m_window = std::make_unique<MainWindow>(m_session.get());
        m_window->resize(1360, 820);
        QVERIFY(signInThroughDialog(*m_session, m_server, QStringLiteral("admin"),
                                    QString::fromLatin1(ServerProcess::kAdminPassword)));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        m_session->setPresence(proto::Presence::Online);
        QTRY_VERIFY_WITH_TIMEOUT(m_session->isOnline(), 10000);
        const char* lines[] = {"Hi! My order #1042 shows delivered but nothing arrived.",
                               "Can I change the size of the shoes I ordered yesterday?",
                               "Do you ship to Norway?"};
        for (const char* line : lines) {
            m_chats.push_back(customerWantingAgent(*m_http));
            QCOMPARE(customerSays(*m_http, m_chats.back(), line), 201);
        }
        QTRY_COMPARE_WITH_TIMEOUT(m_session->myConversations()->rowCount(), 3, 10000);
        const std::string bob = m_http->login("bob", "agent-pass-1");
        QVERIFY(setPresence(*m_http, bob, "online"));
        const Customer bobs = customerWantingAgent(*m_http);
        QCOMPARE(customerSays(*m_http, bobs, "Is the green jacket back in stock?"), 201);
        customerWantingAgent(*m_http);
        customerWantingAgent(*m_http);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->queueModel()->rowCount(), 2, 10000);

        m_window->showConversation(qs(m_chats[0].conversationId));
        auto* composer = find<QPlainTextEdit>(m_window.get(), "composer");
        QTRY_VERIFY_WITH_TIMEOUT(composer->isEnabled(), 10000);
        QTest::keyClicks(composer, QStringLiteral("I am sorry to hear that! Let me check with the carrier."));
        QTest::keyClick(composer, Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->outbox()->count(), 0, 10000);
        QCOMPARE(customerSays(*m_http, m_chats[0],
                              "Thanks. The tracking number is 00340434161094042557, see "
                              "https://tracking.example/00340434161094042557"),
                 201);
        QCOMPARE(customerSays(*m_http, m_chats[2], "Also: how long does it take?"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(m_session->myConversations()->unread(qs(m_chats[2].conversationId)), 2,
                                  10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            m_window->conversationView()->transcriptText().contains(QLatin1String("tracking.example")),
            10000);
        // The team view with Bob picked: his chat below.
        auto* team = find<QTableView>(m_window.get(), "teamView");
        QTRY_COMPARE_WITH_TIMEOUT(team->model()->rowCount(), 3, 10000);
        const std::string bobId = agentIdOf(*m_http, m_adminToken, "bob");
        QTRY_VERIFY_WITH_TIMEOUT(m_session->teamChats()->countFor(qs(bobId)) == 1, 10000);
        for (int r = 0; r < team->model()->rowCount(); ++r)
            if (team->model()->index(r, 0).data(AgentListModel::AgentIdRole).toString() == qs(bobId))
                clickRow(team, r);

        // The agents editor, with a new agent that breaks three rules at once.
        m_editor = m_window->openAgentsEditor();
        QVERIFY(m_editor);
        QTRY_VERIFY_WITH_TIMEOUT(!m_editor->isBusy() && m_editor->model()->rowCount() == 3, 10000);
        QTest::mouseClick(find<QPushButton>(m_editor, "newAgentButton"), Qt::LeftButton);
        QTest::keyClicks(find<QLineEdit>(m_editor, "usernameEdit"), QStringLiteral("dana smith"));
        QTest::keyClicks(find<QLineEdit>(m_editor, "passwordEdit"), QStringLiteral("short"));
        QTest::mouseClick(find<QPushButton>(m_editor, "saveAgentButton"), Qt::LeftButton);
        QCOMPARE(m_editor->fieldError(QStringLiteral("password")),
                 QStringLiteral("Use at least 8 characters."));
        QVERIFY(QTest::qWaitForWindowExposed(m_editor));
    }

    void lightAndDark() {
        QVERIFY(usePalette(QApplication::style()->standardPalette()));
        QVERIFY(!theme::isDark(QApplication::palette()));
        const QColor light = firstBubble();
        QVERIFY(light.isValid());
        QVERIFY(light.lightness() > 200);
        QVERIFY(shoot(QStringLiteral("light")));

        QVERIFY(usePalette(darkPalette()));
        QVERIFY(theme::isDark(QApplication::palette()));
        const QColor dark = firstBubble();
        QVERIFY(dark.isValid());
        QVERIFY2(dark.lightness() < 90, qPrintable(dark.name())); // no light bubbles on a dark page
        // Error text must stand out from a dark background too.
        const QColor error = theme::toneText(QApplication::palette(), theme::Tone::Error);
        QVERIFY(error.lightness() > QApplication::palette().color(QPalette::Window).lightness() + 80);
        QVERIFY(shoot(QStringLiteral("dark")));
    }

    void cleanupTestCase() {
        delete m_editor;
        m_window.reset();
        m_session.reset();
    }
};

QTEST_MAIN(TestScreenshots)
#include "tst_console_screenshots.moc"
