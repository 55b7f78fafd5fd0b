// The admin editors driven through their widgets: a FAQ entry created in the console is served by
// GET /api/v1/faq; validation errors appear at the field; reorder, deactivate, delete; agents are
// created, edited and get a new password; business hours and idle auto-close (issue 21) are saved
// and shown again.
#include "GuiTestUtil.h"
#include "TcpProxy.h"

#include "core/AgentListModel.h"
#include "core/FaqModel.h"
#include "gui/AgentsEditor.h"
#include "gui/FaqEditor.h"
#include "gui/MainWindow.h"
#include "gui/ReportsView.h"
#include "gui/SettingsEditor.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::AgentsEditor;
using parley::console::gui::FaqEditor;
using parley::console::gui::MainWindow;
using parley::console::gui::ReportsView;
using parley::console::gui::SettingsEditor;
namespace proto = parley::protocol;

class TestAdminEditors : public QObject, private AdminWindowFixture {
    Q_OBJECT
private:
    nlohmann::json publicFaq() { return m_http->get("/api/v1/faq").body["faq"]; }
    int publicIndexOf(const std::string& slug) {
        const auto faq = publicFaq();
        for (std::size_t i = 0; i < faq.size(); ++i)
            if (faq[i]["slug"] == slug)
                return int(i);
        return -1;
    }
    // The editor once its list has loaded; nullptr (and the caller's QVERIFY fails) when it does not.
    FaqEditor* openFaq() {
        FaqEditor* editor = m_window->openFaqEditor();
        if (!editor ||
            !QTest::qWaitFor([&] { return !editor->isBusy() && editor->model()->rowCount() > 0; }, 10000))
            return nullptr;
        return editor;
    }

private slots:
    void initTestCase() { QVERIFY(startAdminServer()); }
    void init() { QVERIFY(openAdminWindow()); }
    void cleanup() { closeAdminWindow(); }

    // Issue 19: "1 agents"; one validation error per save; buttons that jump when the status line
    // appears or clears. (First in this suite: the server knows only admin yet.)
    void agentsEditorValidatesEverythingAtOnce() {
        AgentsEditor* editor = m_window->openAgentsEditor();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowCount() == 1, 10000);
        QCOMPARE(editor->statusText(), QStringLiteral("1 agent."));
        QVERIFY(QTest::qWaitForWindowExposed(editor));
        auto* save = find<QPushButton>(editor, "saveAgentButton");
        auto* newButton = find<QPushButton>(editor, "newAgentButton");
        // Where a button is once every pending layout request has been carried out.
        auto at = [editor](QWidget* w) {
            QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
            editor->layout()->activate();
            return w->mapTo(editor, QPoint(0, 0));
        };
        const QPoint saveAt = at(save);
        const QPoint newAt = at(newButton);

        QTest::mouseClick(newButton, Qt::LeftButton);
        typeInto(find<QLineEdit>(editor, "usernameEdit"), QStringLiteral("frank smith"));
        typeInto(find<QLineEdit>(editor, "passwordEdit"), QStringLiteral("short"));
        QTest::mouseClick(save, Qt::LeftButton);
        // Every problem at once, each at its field, and nothing sent.
        QCOMPARE(editor->fieldError(QStringLiteral("username")),
                 QStringLiteral("Use 1 to 64 letters, digits, dots, dashes or underscores (no spaces)."));
        QCOMPARE(editor->fieldError(QStringLiteral("display_name")),
                 QStringLiteral("Enter the name customers and colleagues see."));
        QCOMPARE(editor->fieldError(QStringLiteral("password")),
                 QStringLiteral("Use at least 8 characters."));
        QCOMPARE(editor->statusText(), QStringLiteral("Not saved: 3 problems, see the marked fields."));
        QVERIFY(!editor->isBusy());
        QCOMPARE(editor->model()->rowCount(), 1);
        QCOMPARE(at(save), saveAt);
        QCOMPARE(at(newButton), newAt);

        // A taken username is caught before asking the server, with the rest.
        typeInto(find<QLineEdit>(editor, "usernameEdit"), QStringLiteral("admin"));
        QTest::mouseClick(save, Qt::LeftButton);
        QCOMPARE(editor->fieldError(QStringLiteral("username")),
                 QStringLiteral("This username is already taken."));
        QCOMPARE(editor->statusText(), QStringLiteral("Not saved: 3 problems, see the marked fields."));

        // The last admin keeps the role. (Another row drops the new agent's form: asked first.)
        clickRow(find<QTableView>(editor, "agentsTable"), 0, AgentsModel::UsernameColumn);
        QVERIFY(answerDiscardQuestion(editor, true));
        QCOMPARE(find<QLineEdit>(editor, "usernameEdit")->text(), QStringLiteral("admin"));
        QCOMPARE(editor->statusText(), QString());
        QCOMPARE(at(save), saveAt);
        find<QComboBox>(editor, "roleCombo")->setCurrentIndex(0);
        QTest::mouseClick(save, Qt::LeftButton);
        QCOMPARE(editor->fieldError(QStringLiteral("role")),
                 QStringLiteral("The last administrator must stay one."));
        QCOMPARE(editor->statusText(), QStringLiteral("Not saved: see the marked field."));
        QCOMPARE(at(save), saveAt);
        QCOMPARE(at(newButton), newAt);
        editor->close();
    }

    void adminMenuOnlyForAdmins() {
        auto* menu = find<QMenu>(m_window.get(), "adminMenu");
        QVERIFY(menu->menuAction()->isVisible());
        QVERIFY(!createAgent(*m_http, m_adminToken, "plain", "Plain Agent", 2).empty());
        Session agentSession;
        MainWindow agentWindow(&agentSession);
        QVERIFY(signIn(agentSession, m_server, QStringLiteral("plain"), QStringLiteral("agent-pass-1")));
        QVERIFY(!find<QMenu>(&agentWindow, "adminMenu")->menuAction()->isVisible());
        QVERIFY(agentWindow.openFaqEditor() == nullptr);
    }

    // Audit: the editor windows stayed open across a sign-out, for whoever signed in next.
    void editorsCloseAtSignOut() {
        QPointer<FaqEditor> faq = m_window->openFaqEditor();
        QPointer<AgentsEditor> agents = m_window->openAgentsEditor();
        QPointer<SettingsEditor> settings = m_window->openSettingsEditor();
        QVERIFY(faq && agents && settings);
        QTRY_VERIFY(faq->isVisible() && agents->isVisible() && settings->isVisible());
        m_session->signOut();
        QTRY_VERIFY(!faq && !agents && !settings);
    }

    // The reports window (admin data) stayed open across a sign-out, for whoever signed in next.
    void reportsCloseAtSignOut() {
        m_window->findChild<QAction*>(QStringLiteral("reportsAction"))->trigger();
        QPointer<ReportsView> reports = m_window->findChild<ReportsView*>(QStringLiteral("reportsView"));
        QVERIFY(reports);
        QTRY_VERIFY(reports->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!reports->isBusy(), 10000);
        m_session->signOut();
        QTRY_VERIFY(!reports);
    }

    // Audit: Esc, Close or picking another row threw unsaved edits away without a word.
    void unsavedEditsAreNotDroppedSilently() {
        QVERIFY(m_http
                    ->post("/api/v1/admin/faq", {{"slug", "zz-ask-a"}, {"question", "QA?"}, {"answer", "AA"}},
                           m_adminToken)
                    .status == 201);
        QVERIFY(m_http
                    ->post("/api/v1/admin/faq", {{"slug", "zz-ask-b"}, {"question", "QB?"}, {"answer", "AB"}},
                           m_adminToken)
                    .status == 201);
        QPointer<FaqEditor> editor = openFaq();
        QVERIFY(editor);
        auto* table = find<QTableView>(editor, "faqTable");
        auto* answer = find<QPlainTextEdit>(editor, "answerEdit");
        auto discardBox = [&] {
            return editor->findChild<QMessageBox*>(QStringLiteral("confirmDiscardBox"));
        };
        clickRow(table, editor->model()->rowOf(QStringLiteral("zz-ask-a")), FaqModel::QuestionColumn);
        QCOMPARE(answer->toPlainText(), QStringLiteral("AA"));
        answer->moveCursor(QTextCursor::End);
        QTest::keyClicks(answer, QStringLiteral(" typed for minutes"));

        // Another row: asked; Cancel keeps the row and the text.
        clickRow(table, editor->model()->rowOf(QStringLiteral("zz-ask-b")), FaqModel::QuestionColumn);
        QTRY_VERIFY(discardBox());
        QTest::mouseClick(discardBox()->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(!discardBox());
        QCOMPARE(answer->toPlainText(), QStringLiteral("AA typed for minutes"));
        QCOMPARE(find<QLineEdit>(editor, "slugEdit")->text(), QStringLiteral("zz-ask-a"));
        QCOMPARE(table->selectionModel()->currentIndex().row(),
                 editor->model()->rowOf(QStringLiteral("zz-ask-a")));
        // Selected too, not the row clicked (the buttons act on the selected row).
        QVERIFY(
            table->selectionModel()->isRowSelected(editor->model()->rowOf(QStringLiteral("zz-ask-a")), {}));
        QVERIFY(
            !table->selectionModel()->isRowSelected(editor->model()->rowOf(QStringLiteral("zz-ask-b")), {}));

        // Esc: asked; Cancel keeps the window; Discard closes it.
        QTest::keyClick(answer, Qt::Key_Escape);
        QTRY_VERIFY(discardBox());
        QTest::mouseClick(discardBox()->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(!discardBox());
        QVERIFY(editor && editor->isVisible());
        QTest::keyClick(answer, Qt::Key_Escape);
        QTRY_VERIFY(discardBox());
        QTest::mouseClick(discardBox()->button(QMessageBox::Yes), Qt::LeftButton);
        QTRY_VERIFY(!editor || !editor->isVisible());

        // Nothing typed: Esc closes at once.
        editor = openFaq();
        QVERIFY(editor);
        clickRow(find<QTableView>(editor, "faqTable"), editor->model()->rowOf(QStringLiteral("zz-ask-b")),
                 FaqModel::QuestionColumn);
        QTest::keyClick(find<QPlainTextEdit>(editor, "answerEdit"), Qt::Key_Escape);
        QTRY_VERIFY(!editor || !editor->isVisible());

        // The settings too.
        QPointer<SettingsEditor> settings = m_window->openSettingsEditor();
        QVERIFY(settings);
        QTRY_VERIFY_WITH_TIMEOUT(
            !settings->isBusy() && !settings->statusText().startsWith(QLatin1String("Could")), 10000);
        auto* thanks = find<QPlainTextEdit>(settings, "thanksEdit");
        QTRY_VERIFY_WITH_TIMEOUT(!thanks->toPlainText().isEmpty(), 10000);
        QTest::keyClick(thanks, Qt::Key_Escape); // nothing changed: closes
        QTRY_VERIFY(!settings || !settings->isVisible());
        settings = m_window->openSettingsEditor();
        thanks = find<QPlainTextEdit>(settings, "thanksEdit");
        QTRY_VERIFY_WITH_TIMEOUT(!thanks->toPlainText().isEmpty(), 10000);
        QTest::keyClicks(thanks, QStringLiteral(" Really."));
        QTest::keyClick(thanks, Qt::Key_Escape);
        QTRY_VERIFY(settings->findChild<QMessageBox*>(QStringLiteral("confirmDiscardBox")));
        QTest::mouseClick(
            settings->findChild<QMessageBox*>(QStringLiteral("confirmDiscardBox"))->button(QMessageBox::Yes),
            Qt::LeftButton);
        QTRY_VERIFY(!settings || !settings->isVisible());
        for (const char* slug : {"zz-ask-a", "zz-ask-b"}) // the other tests count the public FAQ
            QCOMPARE(m_http->del(std::string("/api/v1/admin/faq/") + slug, m_adminToken).status, 204);
    }

    // Review: an answer stored with Windows line ends ("\r\n", through the REST API) comes back
    // from the text edit with "\n": opening the entry counted as an edit, and a save sent it.
    void faqCrlfTextsAreNoEdit() {
        QCOMPARE(m_http
                     ->post("/api/v1/admin/faq",
                            {{"slug", "zz-crlf"},
                             {"question", "Line ends?"},
                             {"answer", "One\r\nTwo\r\n"},
                             {"keywords", "line,\r\nends"}},
                            m_adminToken)
                     .status,
                 201);
        QPointer<FaqEditor> editor = openFaq();
        QVERIFY(editor);
        auto* table = find<QTableView>(editor, "faqTable");
        const int row = editor->model()->rowOf(QStringLiteral("zz-crlf"));
        clickRow(table, row, FaqModel::QuestionColumn);
        QCOMPARE(find<QLineEdit>(editor, "slugEdit")->text(), QStringLiteral("zz-crlf"));
        QVERIFY(!editor->isDirty());
        clickRow(table, row == 0 ? 1 : 0, FaqModel::QuestionColumn);
        QCoreApplication::processEvents();
        QVERIFY(!discardQuestion(editor));
        QVERIFY(find<QLineEdit>(editor, "slugEdit")->text() != QStringLiteral("zz-crlf"));

        // A save sends only what the admin changed: the stored texts keep their line ends.
        clickRow(table, editor->model()->rowOf(QStringLiteral("zz-crlf")), FaqModel::QuestionColumn);
        typeInto(find<QLineEdit>(editor, "questionEdit"), QStringLiteral("Line ends, really?"));
        QSignalSpy saved(editor.data(), &FaqEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        for (const auto& e : m_http->get("/api/v1/admin/faq", m_adminToken).body["faq"])
            if (e["slug"] == "zz-crlf") {
                QCOMPARE(js(e["question"]), QStringLiteral("Line ends, really?"));
                QCOMPARE(js(e["answer"]), QStringLiteral("One\r\nTwo\r\n"));
            }
        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-crlf", m_adminToken).status, 204);
    }

    // New emptied the FAQ form without asking, dropping the edits of the entry in it.
    void faqNewAsksBeforeDiscarding() {
        QVERIFY(m_http
                    ->post("/api/v1/admin/faq", {{"slug", "zz-new-a"}, {"question", "QN?"}, {"answer", "AN"}},
                           m_adminToken)
                    .status == 201);
        QPointer<FaqEditor> editor = openFaq();
        QVERIFY(editor);
        auto* table = find<QTableView>(editor, "faqTable");
        auto* slug = find<QLineEdit>(editor, "slugEdit");
        auto* answer = find<QPlainTextEdit>(editor, "answerEdit");
        auto* newButton = find<QPushButton>(editor, "newFaqButton");
        const int row = editor->model()->rowOf(QStringLiteral("zz-new-a"));
        clickRow(table, row, FaqModel::QuestionColumn);
        answer->moveCursor(QTextCursor::End);
        QTest::keyClicks(answer, QStringLiteral(" and more"));

        // Cancel keeps the form and the row.
        QTest::mouseClick(newButton, Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(editor, false));
        QCOMPARE(slug->text(), QStringLiteral("zz-new-a"));
        QCOMPARE(answer->toPlainText(), QStringLiteral("AN and more"));
        QCOMPARE(table->selectionModel()->currentIndex().row(), row);
        QVERIFY(table->selectionModel()->isRowSelected(row, {}));

        // Discard: a blank new entry.
        QTest::mouseClick(newButton, Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(editor, true));
        QCOMPARE(find<QLabel>(editor, "faqFormTitle")->text(), QStringLiteral("New entry"));
        QVERIFY(slug->text().isEmpty() && slug->isEnabled());
        QVERIFY(answer->toPlainText().isEmpty());
        QVERIFY(!table->selectionModel()->hasSelection());

        // A new entry typed but not saved is asked about too; an empty one is not.
        QTest::keyClicks(slug, QStringLiteral("zz-new-b"));
        QTest::mouseClick(newButton, Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(editor, true));
        QVERIFY(slug->text().isEmpty());
        QTest::mouseClick(newButton, Qt::LeftButton);
        QCoreApplication::processEvents();
        QVERIFY(!discardQuestion(editor));
        QCOMPARE(m_http->get("/api/v1/admin/faq", m_adminToken).body["faq"].dump().find("and more"),
                 std::string::npos);
        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-new-a", m_adminToken).status, 204);
    }

    // Audit: Move down and Deactivate sent whole entries from the editor's list, reverting what
    // another admin had changed meanwhile; the settings sent every key. Only what changes is sent.
    void editsDoNotRevertAnotherAdmin() {
        QVERIFY(m_http
                    ->post("/api/v1/admin/faq",
                           {{"slug", "zz-first"},
                            {"question", "Q1?"},
                            {"answer", "old answer"},
                            {"display_order", 900},
                            {"is_active", true}},
                           m_adminToken)
                    .status == 201);
        QVERIFY(m_http
                    ->post("/api/v1/admin/faq",
                           {{"slug", "zz-second"},
                            {"question", "Q2?"},
                            {"answer", "A2"},
                            {"display_order", 901},
                            {"is_active", true}},
                           m_adminToken)
                    .status == 201);
        FaqEditor* editor = openFaq();
        QVERIFY(editor);
        auto answerOf = [&](const std::string& slug) {
            for (const auto& e : getBody(*m_http, "/api/v1/admin/faq", m_adminToken, "faq"))
                if (e.value("slug", "") == slug)
                    return e.value("answer", "");
            return std::string();
        };
        // Another admin corrects the answer after this editor loaded its list.
        QCOMPARE(
            m_http->put("/api/v1/admin/faq/zz-first", {{"answer", "CORRECTED answer"}}, m_adminToken).status,
            200);
        auto* table = find<QTableView>(editor, "faqTable");
        clickRow(table, editor->model()->rowOf(QStringLiteral("zz-first")), FaqModel::QuestionColumn);
        QTest::mouseClick(find<QPushButton>(editor, "moveDownButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->statusText() == QStringLiteral("Order saved."),
                                 10000);
        QCOMPARE(answerOf("zz-first"), std::string("CORRECTED answer"));
        QCOMPARE(
            m_http->put("/api/v1/admin/faq/zz-first", {{"answer", "CORRECTED again"}}, m_adminToken).status,
            200);
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "toggleActiveButton")->isEnabled(), 10000);
        QTest::mouseClick(find<QPushButton>(editor, "toggleActiveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            !editor->isBusy() && editor->statusText().startsWith(QLatin1String("Deactivated")), 10000);
        QCOMPARE(answerOf("zz-first"), std::string("CORRECTED again"));
        // The form shows what is stored now (not dirty: closing asks nothing).
        QVERIFY(!find<QCheckBox>(editor, "activeCheck")->isChecked());
        QVERIFY(!editor->isDirty());

        // Settings: changing one text sends that text only.
        SettingsEditor* settings = m_window->openSettingsEditor();
        auto* thanks = find<QPlainTextEdit>(settings, "thanksEdit");
        QTRY_VERIFY_WITH_TIMEOUT(!settings->isBusy() && !thanks->toPlainText().isEmpty(), 10000);
        QCOMPARE(m_http
                     ->put("/api/v1/admin/settings", {{"bot", {{"greeting", "Greeting by the other admin"}}}},
                           m_adminToken)
                     .status,
                 200);
        typeInto(thanks, QStringLiteral("Thanks from this console."));
        QSignalSpy saved(settings, &SettingsEditor::saved);
        QTest::mouseClick(find<QPushButton>(settings, "saveSettingsButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        const auto bot = m_http->get("/api/v1/admin/settings", m_adminToken).body["bot"];
        QCOMPARE(js(bot["thanks"]), QStringLiteral("Thanks from this console."));
        QCOMPARE(js(bot["greeting"]), QStringLiteral("Greeting by the other admin"));
        QVERIFY(!settings->isDirty());
        QTest::mouseClick(find<QPushButton>(settings, "saveSettingsButton"), Qt::LeftButton);
        QCOMPARE(settings->statusText(), QStringLiteral("Nothing to save: no changes."));
        for (const char* slug : {"zz-first", "zz-second"}) // the other tests count the public FAQ
            QCOMPARE(m_http->del(std::string("/api/v1/admin/faq/") + slug, m_adminToken).status, 204);
    }

    // Audit: an admin could disable its own account (signed out at once, perhaps with nobody left
    // to undo it).
    void adminCannotDisableItself() {
        AgentsEditor* editor = m_window->openAgentsEditor();
        QVERIFY(editor);
        auto* table = find<QTableView>(editor, "agentsTable");
        QTRY_VERIFY_WITH_TIMEOUT(table->model()->rowCount() > 0, 10000);
        int row = -1;
        for (int r = 0; r < table->model()->rowCount(); ++r)
            if (table->model()->index(r, 0).data().toString() == QLatin1String("admin"))
                row = r;
        QVERIFY(row >= 0);
        clickRow(table, row);
        auto* disabled = find<QCheckBox>(editor, "disabledCheck");
        QVERIFY(!disabled->isEnabled());
        QVERIFY(!disabled->toolTip().isEmpty());
        disabled->setChecked(true); // even so (the widget is off): not sent
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QVERIFY(editor->statusText().contains(QLatin1String("cannot disable your own account")));
        QVERIFY(m_session->isSignedIn());
        for (const auto& a : getBody(*m_http, "/api/v1/admin/agents", m_adminToken, "agents"))
            if (a.value("username", "") == "admin")
                QCOMPARE(a.value("disabled", true), false);
        disabled->setChecked(false);
    }

    void createdFaqEntryIsServedToCustomers() {
        FaqEditor* editor = openFaq();
        QVERIFY(editor);
        const int before = editor->model()->rowCount();
        QTest::mouseClick(find<QPushButton>(editor, "newFaqButton"), Qt::LeftButton);
        typeInto(find<QLineEdit>(editor, "slugEdit"), QStringLiteral("gift-cards"));
        typeInto(find<QLineEdit>(editor, "questionEdit"), QStringLiteral("Do you sell gift cards?"));
        typeInto(find<QPlainTextEdit>(editor, "answerEdit"),
                 QStringLiteral("Yes, from 10 to 200 EUR, by e-mail."));
        QVERIFY(find<QCheckBox>(editor, "activeCheck")->isChecked());
        QSignalSpy saved(editor, &FaqEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QCOMPARE(editor->model()->rowCount(), before + 1);
        // The form now edits the stored entry.
        QCOMPARE(find<QLabel>(editor, "faqFormTitle")->text(), QStringLiteral("Edit \u201cgift-cards\u201d"));
        QVERIFY(!find<QLineEdit>(editor, "slugEdit")->isEnabled());
        QVERIFY(publicIndexOf("gift-cards") >= 0);
        const auto entry = publicFaq()[publicIndexOf("gift-cards")];
        QCOMPARE(js(entry["question"]), QStringLiteral("Do you sell gift cards?"));
        QCOMPARE(js(entry["answer"]), QStringLiteral("Yes, from 10 to 200 EUR, by e-mail."));
        // Created last: it is served last.
        QCOMPARE(publicIndexOf("gift-cards"), int(publicFaq().size()) - 1);
    }

    void validationErrorsAtTheField() {
        FaqEditor* editor = openFaq();
        QVERIFY(editor);
        // Ours: before anything is sent.
        QTest::mouseClick(find<QPushButton>(editor, "newFaqButton"), Qt::LeftButton);
        typeInto(find<QLineEdit>(editor, "slugEdit"), QStringLiteral("Not A Slug"));
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QVERIFY(find<QLabel>(editor, "slugError")->isVisible());
        QVERIFY(find<QLabel>(editor, "questionError")->isVisible());
        QCOMPARE(editor->fieldError(QStringLiteral("question")), QStringLiteral("Enter the question."));
        QVERIFY(find<QLabel>(editor, "answerError")->isVisible());

        // The server's: a slug that exists already.
        typeInto(find<QLineEdit>(editor, "slugEdit"), QStringLiteral("gift-cards"));
        typeInto(find<QLineEdit>(editor, "questionEdit"), QStringLiteral("Again?"));
        typeInto(find<QPlainTextEdit>(editor, "answerEdit"), QStringLiteral("Again."));
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(editor->fieldError(QStringLiteral("slug")),
                                  QStringLiteral("An entry with this slug already exists."), 10000);
        QVERIFY(!find<QLabel>(editor, "questionError")->isVisible());

        // The server's: a question over its limit is reported at the question.
        typeInto(find<QLineEdit>(editor, "slugEdit"), QStringLiteral("long-question"));
        find<QLineEdit>(editor, "questionEdit")->setText(QString(400, QLatin1Char('q')));
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            editor->fieldError(QStringLiteral("question")).contains(QLatin1String("question")), 10000);
        QVERIFY(publicIndexOf("long-question") < 0);
    }

    void reorderDeactivateDelete() {
        FaqEditor* editor = openFaq();
        QVERIFY(editor);
        auto* table = find<QTableView>(editor, "faqTable");
        const int row = editor->model()->rowOf(QStringLiteral("gift-cards"));
        QVERIFY(row > 0);
        const int publicBefore = publicIndexOf("gift-cards");
        clickRow(table, row, FaqModel::QuestionColumn);
        QCOMPARE(find<QLineEdit>(editor, "slugEdit")->text(), QStringLiteral("gift-cards"));
        QVERIFY(!find<QLineEdit>(editor, "slugEdit")->isEnabled());

        QTest::mouseClick(find<QPushButton>(editor, "moveUpButton"), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(!editor->isBusy() &&
                                      editor->model()->rowOf(QStringLiteral("gift-cards")) == row - 1,
                                  qPrintable(QStringLiteral("row %1, busy %2, status \"%3\"")
                                                 .arg(editor->model()->rowOf(QStringLiteral("gift-cards")))
                                                 .arg(editor->isBusy())
                                                 .arg(editor->statusText())),
                                  10000);
        QCOMPARE(publicIndexOf("gift-cards"), publicBefore - 1);

        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "toggleActiveButton")->isEnabled(), 10000);
        QCOMPARE(find<QPushButton>(editor, "toggleActiveButton")->text(), QStringLiteral("&Deactivate"));
        QTest::mouseClick(find<QPushButton>(editor, "toggleActiveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(publicIndexOf("gift-cards") < 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(
            editor->model()
                ->index(editor->model()->rowOf(QStringLiteral("gift-cards")), FaqModel::ActiveColumn)
                .data()
                .toString(),
            QStringLiteral("inactive"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "toggleActiveButton")->isEnabled(), 10000);
        QTest::mouseClick(find<QPushButton>(editor, "toggleActiveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(publicIndexOf("gift-cards") >= 0, 10000);

        // Edit the answer.
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "saveFaqButton")->isEnabled(), 10000);
        typeInto(find<QPlainTextEdit>(editor, "answerEdit"), QStringLiteral("Yes, any amount."));
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(publicIndexOf("gift-cards") >= 0 &&
                                     publicFaq()[publicIndexOf("gift-cards")]["answer"] == "Yes, any amount.",
                                 10000);

        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "deleteFaqButton")->isEnabled(), 10000);
        QTest::mouseClick(find<QPushButton>(editor, "deleteFaqButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(editor->findChild<QMessageBox*>(QStringLiteral("confirmDeleteBox")), 10000);
        QTest::mouseClick(
            editor->findChild<QMessageBox*>(QStringLiteral("confirmDeleteBox"))->button(QMessageBox::Yes),
            Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(editor->model()->rowOf(QStringLiteral("gift-cards")) < 0, 10000);
        QCOMPARE(publicIndexOf("gift-cards"), -1);
        QCOMPARE(m_http->get("/api/v1/admin/faq", m_adminToken).body["faq"].dump().find("gift-cards"),
                 std::string::npos);
    }

    void agentsCreateEditResetPassword() {
        AgentsEditor* editor = m_window->openAgentsEditor();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowCount() > 0, 10000);
        QTest::mouseClick(find<QPushButton>(editor, "newAgentButton"), Qt::LeftButton);
        typeInto(find<QLineEdit>(editor, "usernameEdit"), QStringLiteral("frank"));
        typeInto(find<QLineEdit>(editor, "displayNameEdit"), QStringLiteral("Frank F."));
        typeInto(find<QLineEdit>(editor, "passwordEdit"), QStringLiteral("short"));
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QCOMPARE(editor->fieldError(QStringLiteral("password")),
                 QStringLiteral("Use at least 8 characters."));

        typeInto(find<QLineEdit>(editor, "passwordEdit"), QStringLiteral("frank-pass-1"));
        find<QSpinBox>(editor, "maxChatsSpin")->setValue(6);
        QSignalSpy saved(editor, &AgentsEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QVERIFY(!m_http->login("frank", "frank-pass-1").empty());
        // The team panel knows him at once.
        QVERIFY(m_session->teamModel()->rowOf(saved.at(0).at(0).toString()) >= 0);

        // A taken username is reported at the username.
        QTest::mouseClick(find<QPushButton>(editor, "newAgentButton"), Qt::LeftButton);
        typeInto(find<QLineEdit>(editor, "usernameEdit"), QStringLiteral("frank"));
        typeInto(find<QLineEdit>(editor, "displayNameEdit"), QStringLiteral("Other Frank"));
        typeInto(find<QLineEdit>(editor, "passwordEdit"), QStringLiteral("frank-pass-9"));
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(editor->fieldError(QStringLiteral("username")),
                                  QStringLiteral("This username is already taken."), 10000);

        // Edit: display name, max chats, role, and a password reset. (The refused new agent is
        // dropped: asked first.)
        auto* table = find<QTableView>(editor, "agentsTable");
        clickRow(table, editor->model()->rowOf(saved.at(0).at(0).toString()), AgentsModel::UsernameColumn);
        QVERIFY(answerDiscardQuestion(editor, true));
        QCOMPARE(find<QLineEdit>(editor, "usernameEdit")->text(), QStringLiteral("frank"));
        QVERIFY(!find<QLineEdit>(editor, "usernameEdit")->isEnabled());
        typeInto(find<QLineEdit>(editor, "displayNameEdit"), QStringLiteral("Franklin"));
        find<QSpinBox>(editor, "maxChatsSpin")->setValue(2);
        find<QComboBox>(editor, "roleCombo")->setCurrentIndex(1);
        typeInto(find<QLineEdit>(editor, "passwordEdit"), QStringLiteral("frank-pass-2"));
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 2, 10000);
        QVERIFY(m_http->login("frank", "frank-pass-1").empty());
        const std::string token = m_http->login("frank", "frank-pass-2");
        QVERIFY(!token.empty());
        nlohmann::json frank;
        for (const auto& a : getBody(*m_http, "/api/v1/admin/agents", m_adminToken, "agents"))
            if (a["username"] == "frank")
                frank = a;
        QCOMPARE(js(frank["display_name"]), QStringLiteral("Franklin"));
        QCOMPARE(js(frank["max_active_chats"]), QStringLiteral("2"));
        QCOMPARE(js(frank["role"]), QStringLiteral("admin"));

        // Disabled (issue 19): the box shows the agent's state and a save disables it.
        QVERIFY(!find<QCheckBox>(editor, "disabledCheck")->isChecked());
        find<QCheckBox>(editor, "disabledCheck")->setChecked(true);
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 3, 10000);
        QVERIFY(m_http->login("frank", "frank-pass-2").empty());
        for (const auto& a : getBody(*m_http, "/api/v1/admin/agents", m_adminToken, "agents"))
            if (a["username"] == "frank")
                QCOMPARE(js(a["disabled"]), QStringLiteral("true"));
        QTest::mouseClick(find<QPushButton>(editor, "newAgentButton"), Qt::LeftButton);
        QVERIFY(!find<QCheckBox>(editor, "disabledCheck")->isEnabled());
    }

    // Another row, New, Esc or Close dropped the agents editor's unsaved edits without a word.
    void agentsEditorAsksBeforeDiscarding() {
        const QString annId = qs(createAgent(*m_http, m_adminToken, "ask-ann", "Ann Ask", 2));
        const QString bobId = qs(createAgent(*m_http, m_adminToken, "ask-bob", "Bob Ask", 2));
        QVERIFY(!annId.isEmpty() && !bobId.isEmpty());
        QPointer<AgentsEditor> editor = m_window->openAgentsEditor();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowOf(bobId) >= 0, 10000);
        auto* table = find<QTableView>(editor, "agentsTable");
        auto* username = find<QLineEdit>(editor, "usernameEdit");
        auto* name = find<QLineEdit>(editor, "displayNameEdit");
        const int ann = editor->model()->rowOf(annId);
        const int bob = editor->model()->rowOf(bobId);
        clickRow(table, ann, AgentsModel::UsernameColumn);
        QCOMPARE(name->text(), QStringLiteral("Ann Ask"));
        typeInto(name, QStringLiteral("Ann Asked"));

        // Another row: asked; Cancel keeps the row and the text.
        clickRow(table, bob, AgentsModel::UsernameColumn);
        QVERIFY(answerDiscardQuestion(editor, false));
        QCOMPARE(username->text(), QStringLiteral("ask-ann"));
        QCOMPARE(name->text(), QStringLiteral("Ann Asked"));
        QCOMPARE(table->selectionModel()->currentIndex().row(), ann);
        QVERIFY(table->selectionModel()->isRowSelected(ann, {}));
        // New: asked; Cancel keeps the form.
        QTest::mouseClick(find<QPushButton>(editor, "newAgentButton"), Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(editor, false));
        QCOMPARE(username->text(), QStringLiteral("ask-ann"));
        QCOMPARE(name->text(), QStringLiteral("Ann Asked"));
        // Esc: asked; Cancel keeps the window.
        QTest::keyClick(name, Qt::Key_Escape);
        QVERIFY(answerDiscardQuestion(editor, false));
        QVERIFY(editor && editor->isVisible());
        QCOMPARE(name->text(), QStringLiteral("Ann Asked"));
        // Discard: the other row comes into the form; nothing was sent.
        clickRow(table, bob, AgentsModel::UsernameColumn);
        QVERIFY(answerDiscardQuestion(editor, true));
        QCOMPARE(username->text(), QStringLiteral("ask-bob"));
        QCOMPARE(name->text(), QStringLiteral("Bob Ask"));
        QCOMPARE(table->selectionModel()->currentIndex().row(), bob);
        for (const auto& a : getBody(*m_http, "/api/v1/admin/agents", m_adminToken, "agents"))
            if (a["username"] == "ask-ann")
                QCOMPARE(js(a["display_name"]), QStringLiteral("Ann Ask"));

        // A password reset typed is an edit too. Saved, the form holds nothing unsaved: another
        // row comes without a question. (The saved agent is put back in its sorted place, which
        // moves the current row: that neither asks nor changes the form.)
        typeInto(find<QLineEdit>(editor, "passwordEdit"), QStringLiteral("bob-pass-22"));
        clickRow(table, ann, AgentsModel::UsernameColumn);
        QVERIFY(answerDiscardQuestion(editor, false));
        typeInto(name, QStringLiteral("Bob Asked"));
        QSignalSpy saved(editor.data(), &AgentsEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QVERIFY(!discardQuestion(editor));
        QVERIFY(!m_http->login("ask-bob", "bob-pass-22").empty());
        QVERIFY(find<QLineEdit>(editor, "passwordEdit")->text().isEmpty());
        QCOMPARE(username->text(), QStringLiteral("ask-bob"));
        QCOMPARE(name->text(), QStringLiteral("Bob Asked"));
        QVERIFY(table->selectionModel()->isRowSelected(editor->model()->rowOf(bobId), {}));
        clickRow(table, editor->model()->rowOf(annId), AgentsModel::UsernameColumn);
        QCoreApplication::processEvents();
        QVERIFY(!discardQuestion(editor));
        QCOMPARE(username->text(), QStringLiteral("ask-ann"));

        // Close (the window's button): asked when the form holds edits; Discard closes.
        find<QSpinBox>(editor, "maxChatsSpin")->setValue(5);
        editor->close();
        QVERIFY(answerDiscardQuestion(editor, true));
        QTRY_VERIFY(!editor); // closed and deleted: the next open makes a new one
        // Nothing changed: Esc closes at once.
        editor = m_window->openAgentsEditor();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowOf(annId) >= 0, 10000);
        clickRow(find<QTableView>(editor, "agentsTable"), editor->model()->rowOf(annId),
                 AgentsModel::UsernameColumn);
        QTest::keyClick(find<QLineEdit>(editor, "displayNameEdit"), Qt::Key_Escape);
        QTRY_VERIFY(!editor); // closed and deleted: the next open makes a new one
    }

    // Keywords: typed in the editor, stored by the server, answered by the bot, kept on edits.
    void faqKeywords() {
        FaqEditor* editor = openFaq();
        QVERIFY(editor);
        QTest::mouseClick(find<QPushButton>(editor, "newFaqButton"), Qt::LeftButton);
        QVERIFY(find<QPlainTextEdit>(editor, "keywordsEdit")->toPlainText().isEmpty());
        typeInto(find<QLineEdit>(editor, "slugEdit"), QStringLiteral("brew-guide"));
        typeInto(find<QLineEdit>(editor, "questionEdit"), QStringLiteral("Do you have brewing guides?"));
        typeInto(find<QPlainTextEdit>(editor, "answerEdit"), QStringLiteral("Yes, on our blog."));
        typeInto(find<QPlainTextEdit>(editor, "keywordsEdit"),
                 QStringLiteral("french press, pour over, aeropress"));
        QSignalSpy saved(editor, &FaqEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        auto stored = [&] {
            const auto faq = m_http->get("/api/v1/admin/faq", m_adminToken).body["faq"];
            for (const auto& e : faq)
                if (e["slug"] == "brew-guide")
                    return js(e["keywords"]);
            return QString();
        };
        QCOMPARE(stored(), QStringLiteral("french press, pour over, aeropress"));
        const int row = editor->model()->rowOf(QStringLiteral("brew-guide"));
        QCOMPARE(editor->model()->index(row, 0).data(FaqModel::KeywordsRole).toString(),
                 QStringLiteral("french press, pour over, aeropress"));

        // The bot answers on a keyword.
        const auto customer = m_http->newCustomer();
        const auto id = m_http->post("/api/v1/conversations", nlohmann::json::object(), customer.token)
                            .body["conversation"]["id"]
                            .get<std::string>();
        const auto reply = m_http->post("/api/v1/conversations/" + id + "/messages",
                                        {{"content", "how do I use my aeropress"}}, customer.token);
        QCOMPARE(js(reply.body["replies"][0]["metadata"]["faq_slug"]), QStringLiteral("brew-guide"));

        // Another entry in the form shows its own keywords; back on this one, they are there.
        clickRow(find<QTableView>(editor, "faqTable"), editor->model()->rowOf(QStringLiteral("returns")),
                 FaqModel::QuestionColumn);
        QVERIFY(
            find<QPlainTextEdit>(editor, "keywordsEdit")->toPlainText().contains(QLatin1String("send back")));
        clickRow(find<QTableView>(editor, "faqTable"), editor->model()->rowOf(QStringLiteral("brew-guide")),
                 FaqModel::QuestionColumn);
        QCOMPARE(find<QPlainTextEdit>(editor, "keywordsEdit")->toPlainText(),
                 QStringLiteral("french press, pour over, aeropress"));

        // Too long: shown at the field, nothing sent.
        find<QPlainTextEdit>(editor, "keywordsEdit")->setPlainText(QString(1001, QLatin1Char('k')));
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QVERIFY(find<QLabel>(editor, "keywordsError")->isVisible());
        QVERIFY(editor->fieldError(QStringLiteral("keywords")).contains(QLatin1String("1000")));
        QCOMPARE(stored(), QStringLiteral("french press, pour over, aeropress"));

        // Deactivating keeps the keywords.
        find<QPlainTextEdit>(editor, "keywordsEdit")->setPlainText(QStringLiteral("french press"));
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(stored(), QStringLiteral("french press"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "toggleActiveButton")->isEnabled(), 10000);
        QTest::mouseClick(find<QPushButton>(editor, "toggleActiveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(publicIndexOf("brew-guide") < 0, 10000);
        QCOMPARE(stored(), QStringLiteral("french press"));
    }

    void botSettings() {
        auto* menuAction = m_window->findChild<QAction*>(QStringLiteral("settingsEditorAction"));
        QVERIFY(menuAction && menuAction->isEnabled());
        SettingsEditor* editor = m_window->openSettingsEditor();
        QVERIFY(editor);
        auto* greeting = find<QPlainTextEdit>(editor, "greetingEdit");
        const auto server = m_http->get("/api/v1/admin/settings", m_adminToken).body["bot"];
        QTRY_COMPARE_WITH_TIMEOUT(greeting->toPlainText(), js(server["greeting"]), 10000);
        QCOMPARE(find<QPlainTextEdit>(editor, "fallbackEdit")->toPlainText(), js(server["fallback"]));
        QCOMPARE(find<QPlainTextEdit>(editor, "handoffOfferEdit")->toPlainText(),
                 js(server["handoff_offer"]));
        QCOMPARE(find<QPlainTextEdit>(editor, "thanksEdit")->toPlainText(), js(server["thanks"]));
        QCOMPARE(find<QPlainTextEdit>(editor, "identityEdit")->toPlainText(), js(server["identity"]));
        QCOMPARE(find<QComboBox>(editor, "languageCombo")->currentData().toString(),
                 QStringLiteral("english"));

        // Ours: an empty text is not sent.
        greeting->clear();
        QTest::mouseClick(find<QPushButton>(editor, "saveSettingsButton"), Qt::LeftButton);
        QVERIFY(find<QLabel>(editor, "greetingEditError")->isVisible());
        QCOMPARE(js(m_http->get("/api/v1/admin/settings", m_adminToken).body["bot"]["greeting"]),
                 js(server["greeting"]));

        // Saved: the server has the shop's words, and a new chat opens with them.
        typeInto(greeting, QStringLiteral("Hallo! Wie kann ich helfen?"));
        find<QPlainTextEdit>(editor, "handoffOfferEdit")
            ->setPlainText(QStringLiteral("Gern, ein Mensch übernimmt."));
        find<QComboBox>(editor, "languageCombo")
            ->setCurrentIndex(find<QComboBox>(editor, "languageCombo")->findData(QStringLiteral("german")));
        QSignalSpy saved(editor, &SettingsEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveSettingsButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QVERIFY(!find<QLabel>(editor, "greetingEditError")->isVisible());
        const auto after = m_http->get("/api/v1/admin/settings", m_adminToken).body["bot"];
        QCOMPARE(js(after["greeting"]), QStringLiteral("Hallo! Wie kann ich helfen?"));
        QCOMPARE(js(after["handoff_offer"]), QStringLiteral("Gern, ein Mensch übernimmt."));
        QCOMPARE(js(after["fallback"]), js(server["fallback"]));
        QCOMPARE(js(after["language"]), QStringLiteral("german"));
        const auto customer = m_http->newCustomer();
        const auto opened = m_http->post("/api/v1/conversations", nlohmann::json::object(), customer.token);
        QCOMPARE(js(opened.body["messages"][0]["content"]), QStringLiteral("Hallo! Wie kann ich helfen?"));

        // Too long: shown at its field, nothing sent.
        find<QPlainTextEdit>(editor, "thanksEdit")->setPlainText(QString(1001, QLatin1Char('t')));
        QTest::mouseClick(find<QPushButton>(editor, "saveSettingsButton"), Qt::LeftButton);
        QVERIFY(find<QLabel>(editor, "thanksEditError")->isVisible());

        // A fresh editor shows what is stored (closing asks first: the text was not saved).
        editor->close();
        QTRY_VERIFY(editor->findChild<QMessageBox*>(QStringLiteral("confirmDiscardBox")));
        QTest::mouseClick(
            editor->findChild<QMessageBox*>(QStringLiteral("confirmDiscardBox"))->button(QMessageBox::Yes),
            Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->findChild<SettingsEditor*>(), 10000);
        SettingsEditor* again = m_window->openSettingsEditor();
        QTRY_COMPARE_WITH_TIMEOUT(find<QPlainTextEdit>(again, "greetingEdit")->toPlainText(),
                                  QStringLiteral("Hallo! Wie kann ich helfen?"), 10000);
        QCOMPARE(find<QComboBox>(again, "languageCombo")->currentData().toString(), QStringLiteral("german"));
        m_http->put("/api/v1/admin/settings",
                    {{"bot", {{"greeting", nullptr}, {"handoff_offer", nullptr}, {"language", nullptr}}}},
                    m_adminToken);
    }

    // Issue 21: business hours (zone, ranges per day, closed days) and idle auto-close, saved
    // against the server; the widget's config follows; a screenshot of the page.
    void afterHoursSettings() {
        SettingsEditor* editor = m_window->openSettingsEditor();
        QVERIFY(editor);
        auto* greeting = find<QPlainTextEdit>(editor, "greetingEdit");
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && !greeting->toPlainText().isEmpty(), 10000);
        auto* tabs = find<QTabWidget>(editor, "settingsTabs");
        tabs->setCurrentWidget(find<QWidget>(editor, "afterHoursForm"));
        auto* hoursOn = find<QCheckBox>(editor, "businessHoursCheck");
        auto* zone = find<QComboBox>(editor, "timeZoneCombo");
        auto* idleOn = find<QCheckBox>(editor, "idleCloseCheck");
        auto* idle = find<QSpinBox>(editor, "idleCloseSpin");
        auto day = [&](const char* d) {
            return find<QLineEdit>(editor, (std::string(d) + "HoursEdit").c_str());
        };
        auto* save = find<QPushButton>(editor, "saveSettingsButton");
        const auto stored = [&] { return m_http->get("/api/v1/admin/settings", m_adminToken).body; };
        // A click on the box itself (a check box only takes clicks on its box and text).
        const auto tick = [](QCheckBox* box) {
            QTest::mouseClick(box, Qt::LeftButton, {}, QPoint(6, box->height() / 2));
        };

        // Nothing stored: always open, no auto-close; the fields wait, disabled.
        QVERIFY(!hoursOn->isChecked());
        QVERIFY(!zone->isEnabled() && !day("mon")->isEnabled());
        QVERIFY(!idleOn->isChecked() && !idle->isEnabled());
        tick(hoursOn);
        QVERIFY(zone->isEnabled() && day("mon")->isEnabled());
        QCOMPARE(day("mon")->text(), QStringLiteral("09:00\u201317:00")); // office hours to start from

        // Ours: a range that ends before it starts, and one that is no range, both marked; nothing sent.
        zone->setCurrentText(QStringLiteral("Europe/Berlin"));
        typeInto(day("tue"), QStringLiteral("17:00-09:00"));
        typeInto(day("wed"), QStringLiteral("all day"));
        QTest::mouseClick(save, Qt::LeftButton);
        QVERIFY(find<QLabel>(editor, "tueHoursError")->isVisible());
        QVERIFY(find<QLabel>(editor, "wedHoursError")->isVisible());
        QVERIFY(!find<QLabel>(editor, "monHoursError")->isVisible());
        QCOMPARE(editor->statusText(), QStringLiteral("Not saved: see the marked fields."));
        QVERIFY(stored()["business_hours"].is_null());

        // Saved: several ranges a day, 24:00, closed days, the idle close.
        typeInto(day("tue"), QStringLiteral("9:00-12:00, 13:00 - 24:00"));
        day("wed")->clear();
        day("sat")->setText(QStringLiteral("10:00\u201314:00")); // as the form writes it
        tick(idleOn);
        idle->setValue(45);
        QSignalSpy saved(editor, &SettingsEditor::saved);
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        auto after = stored();
        const nlohmann::json weekly = nlohmann::json::array({
            {{"day", "mon"}, {"from", "09:00"}, {"to", "17:00"}},
            {{"day", "tue"}, {"from", "09:00"}, {"to", "12:00"}},
            {{"day", "tue"}, {"from", "13:00"}, {"to", "24:00"}},
            {{"day", "thu"}, {"from", "09:00"}, {"to", "17:00"}},
            {{"day", "fri"}, {"from", "09:00"}, {"to", "17:00"}},
            {{"day", "sat"}, {"from", "10:00"}, {"to", "14:00"}},
        });
        QCOMPARE(js(after["business_hours"]["timezone"]), QStringLiteral("Europe/Berlin"));
        QCOMPARE(QString::fromStdString(after["business_hours"]["weekly"].dump()),
                 QString::fromStdString(weekly.dump()));
        QVERIFY(after["idle_close_minutes"] == nlohmann::json(45));
        QCOMPARE(js(after["bot"]["greeting"]), greeting->toPlainText()); // the bot page went along
        const auto config = m_http->get("/api/v1/widget/config").body;
        QVERIFY(config["open_now"].is_boolean());
        QVERIFY(config["open_now"].get<bool>() || config["next_open_at"].is_string());

        // The server's word on a zone it does not know, at the field.
        zone->setCurrentText(QStringLiteral("Mars/Olympus"));
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(find<QLabel>(editor, "timeZoneError")->isVisible(), 10000);
        QVERIFY(find<QLabel>(editor, "timeZoneError")->text().contains(QStringLiteral("Mars/Olympus")));
        QCOMPARE(tabs->currentWidget(), find<QWidget>(editor, "afterHoursForm"));
        QCOMPARE(js(stored()["business_hours"]["timezone"]), QStringLiteral("Europe/Berlin"));
        zone->setCurrentText(QStringLiteral("Europe/Berlin"));

        // A fresh editor shows what is stored (the form is as stored again: closing asks nothing).
        editor->close();
        QTRY_VERIFY_WITH_TIMEOUT(!m_window->findChild<SettingsEditor*>(), 10000);
        SettingsEditor* again = m_window->openSettingsEditor();
        QTRY_VERIFY_WITH_TIMEOUT(
            !again->isBusy() && find<QCheckBox>(again, "businessHoursCheck")->isChecked(), 10000);
        find<QTabWidget>(again, "settingsTabs")->setCurrentWidget(find<QWidget>(again, "afterHoursForm"));
        QCOMPARE(find<QComboBox>(again, "timeZoneCombo")->currentText(), QStringLiteral("Europe/Berlin"));
        QCOMPARE(find<QLineEdit>(again, "tueHoursEdit")->text(),
                 QStringLiteral("09:00\u201312:00, 13:00\u201324:00"));
        QCOMPARE(find<QLineEdit>(again, "wedHoursEdit")->text(), QString());
        QCOMPARE(find<QLineEdit>(again, "sunHoursEdit")->placeholderText(), QStringLiteral("Closed"));
        QVERIFY(find<QCheckBox>(again, "idleCloseCheck")->isChecked());
        QCOMPARE(find<QSpinBox>(again, "idleCloseSpin")->value(), 45);
        QVERIFY(QTest::qWaitForWindowExposed(again));
        const QString dir = qEnvironmentVariable("PARLEY_TEST_ARTIFACTS", QDir::tempPath());
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(again->grab().save(dir + QStringLiteral("/console-settings-hours.png")));

        // Switched off again: both back to null.
        tick(find<QCheckBox>(again, "businessHoursCheck"));
        tick(find<QCheckBox>(again, "idleCloseCheck"));
        QSignalSpy savedAgain(again, &SettingsEditor::saved);
        QTest::mouseClick(find<QPushButton>(again, "saveSettingsButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(savedAgain.count(), 1, 10000);
        after = stored();
        QVERIFY(after["business_hours"].is_null());
        QVERIFY(after["idle_close_minutes"].is_null());
        QVERIFY(m_http->get("/api/v1/widget/config").body["open_now"] == nlohmann::json(true));
    }

    // Review: the settings editor counted as edited until the server's values had loaded, and for
    // good when that load failed: Esc and quitting asked to discard edits nobody had made.
    void settingsNotLoadedHoldNoEdits() {
        TcpProxy proxy(m_server.httpPort()); // holds the settings back, then refuses them
        QVERIFY(proxy.listen());
        QVERIFY(openAdminWindowVia(proxy.port()));
        m_session->setPresence(proto::Presence::Offline); // quitting then asks about nothing else
        QTRY_VERIFY_WITH_TIMEOUT(!m_session->isOnline(), 10000);
        const auto discardBox = [](QWidget* w) {
            return w->findChild<QMessageBox*>(QStringLiteral("confirmDiscardBox"));
        };

        // Still loading: Esc closes at once.
        proxy.holdDownstream(true);
        QPointer<SettingsEditor> settings = m_window->openSettingsEditor();
        QVERIFY(settings);
        QTRY_VERIFY_WITH_TIMEOUT(proxy.heldDownstreamBytes() > 0, 10000); // the values wait in the proxy
        QVERIFY(settings->isBusy());
        QVERIFY(!settings->isDirty());
        QTest::keyClick(settings, Qt::Key_Escape); // the fields are off: the dialog gets the key
        QVERIFY(!settings || !discardBox(settings));
        QVERIFY(!settings || !settings->isVisible());

        // Quitting names no editor: offline, the window closes at once.
        settings = m_window->openSettingsEditor();
        QVERIFY(settings && settings->isBusy());
        QSignalSpy closed(m_window.get(), &MainWindow::closed);
        find<QAction>(m_window.get(), "quitAction")->trigger();
        QVERIFY(!m_window->findChild<QMessageBox*>(QStringLiteral("quitDiscardBox")));
        QCOMPARE(closed.count(), 1);

        // The load failed: no edits either (the form stays off until a load succeeds).
        proxy.holdDownstream(false);
        QVERIFY(openAdminWindowVia(proxy.port()));
        proxy.setRefusing(true);
        settings = m_window->openSettingsEditor();
        QVERIFY(settings);
        QTRY_VERIFY_WITH_TIMEOUT(
            !settings->isBusy() && settings->statusText().startsWith(QLatin1String("Could not load")), 10000);
        QVERIFY(!settings->isDirty());
        QTest::keyClick(settings, Qt::Key_Escape);
        QVERIFY(!settings || !discardBox(settings));
        QVERIFY(!settings || !settings->isVisible());
        closeAdminWindow(); // before the proxy it talks through goes
    }

    // Review: the settings' fields took typing while the values were on their way, and the values
    // overwrote it when they came; after a failed load a save would have sent the blank form.
    // The form is off until the values are in; a failed load says so and offers to try again.
    void settingsFormIsOffUntilLoaded() {
        TcpProxy proxy(m_server.httpPort()); // holds the settings back, then refuses them
        QVERIFY(proxy.listen());
        QVERIFY(openAdminWindowVia(proxy.port()));
        const auto server = m_http->get("/api/v1/admin/settings", m_adminToken).body;
        const auto formIsOn = [](SettingsEditor* s, bool on) {
            for (const char* name :
                 {"greetingEdit", "fallbackEdit", "handoffOfferEdit", "thanksEdit", "identityEdit"})
                if (find<QPlainTextEdit>(s, name)->isEnabled() != on)
                    return false;
            return find<QComboBox>(s, "languageCombo")->isEnabled() == on &&
                   find<QWidget>(s, "afterHoursForm")->isEnabled() == on &&
                   find<QPushButton>(s, "saveSettingsButton")->isEnabled() == on;
        };

        // On its way: nothing to type into, nor to save.
        proxy.holdDownstream(true);
        QPointer<SettingsEditor> settings = m_window->openSettingsEditor();
        QVERIFY(settings);
        QTRY_VERIFY_WITH_TIMEOUT(proxy.heldDownstreamBytes() > 0, 10000);
        auto* greeting = find<QPlainTextEdit>(settings, "greetingEdit");
        QVERIFY(formIsOn(settings, false));
        QCOMPARE(settings->statusText(), QStringLiteral("Loading settings\u2026"));
        QTest::keyClicks(greeting, QStringLiteral("Typed too early"));
        QVERIFY(greeting->toPlainText().isEmpty());
        QVERIFY(!find<QPushButton>(settings, "retrySettingsButton")->isVisible());

        // In: the form is on, with the server's values.
        proxy.holdDownstream(false);
        QTRY_VERIFY_WITH_TIMEOUT(!settings->isBusy(), 10000);
        QVERIFY(formIsOn(settings, true));
        QCOMPARE(greeting->toPlainText(), js(server["bot"]["greeting"]));
        QCOMPARE(find<QPlainTextEdit>(settings, "thanksEdit")->toPlainText(), js(server["bot"]["thanks"]));
        QCOMPARE(settings->statusText(), QString());
        QVERIFY(!settings->isDirty());
        settings->close();
        QTRY_VERIFY_WITH_TIMEOUT(!settings, 10000);

        // Refused: the status says so, the form stays off; Try again loads it.
        proxy.setRefusing(true);
        settings = m_window->openSettingsEditor();
        QVERIFY(settings);
        QTRY_VERIFY_WITH_TIMEOUT(!settings->isBusy(), 10000);
        QVERIFY2(settings->statusText().startsWith(QLatin1String("Could not load the settings: ")),
                 qPrintable(settings->statusText()));
        QVERIFY(formIsOn(settings, false));
        greeting = find<QPlainTextEdit>(settings, "greetingEdit");
        QVERIFY(greeting->toPlainText().isEmpty());
        auto* retry = find<QPushButton>(settings, "retrySettingsButton");
        QVERIFY(retry->isVisible() && retry->isEnabled());
        proxy.setRefusing(false);
        QTest::mouseClick(retry, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!settings->isBusy() && formIsOn(settings, true), 10000);
        QCOMPARE(greeting->toPlainText(), js(server["bot"]["greeting"]));
        QCOMPARE(settings->statusText(), QString());
        QVERIFY(!retry->isVisible());
        QVERIFY(!settings->isDirty());
        closeAdminWindow(); // before the proxy it talks through goes
    }

    // A list the server refused (or could not be reached for) looked like an empty one, with
    // nothing to load it again. The status says so, the list and the form stay off (no agent to
    // create unchecked against a list not shown), and Try again loads it.
    void agentsFailedLoadOffersTryAgain() {
        TcpProxy proxy(m_server.httpPort());
        QVERIFY(proxy.listen());
        QVERIFY(openAdminWindowVia(proxy.port()));
        proxy.setRefusing(true);
        QPointer<AgentsEditor> editor = m_window->openAgentsEditor();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy(), 10000);
        QVERIFY2(editor->statusText().startsWith(QLatin1String("Could not load the agents: ")),
                 qPrintable(editor->statusText()));
        QCOMPARE(editor->fieldError(QStringLiteral("role")), QString()); // not the form's error
        QCOMPARE(editor->model()->rowCount(), 0);
        auto* table = find<QTableView>(editor, "agentsTable");
        QVERIFY(!table->isEnabled());
        QVERIFY(!find<QPushButton>(editor, "newAgentButton")->isEnabled());
        QVERIFY(!find<QLineEdit>(editor, "usernameEdit")->isEnabled());
        QVERIFY(!find<QPushButton>(editor, "saveAgentButton")->isEnabled());
        auto* retry = editor->findChild<QPushButton*>(QStringLiteral("retryAgentsButton"));
        QVERIFY(retry);
        QVERIFY(retry->isVisible() && retry->isEnabled());

        proxy.setRefusing(false);
        QTest::mouseClick(retry, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowCount() > 0, 10000);
        const int n = editor->model()->rowCount();
        QCOMPARE(editor->statusText(),
                 n == 1 ? QStringLiteral("1 agent.") : QStringLiteral("%1 agents.").arg(n));
        QVERIFY(!retry->isVisible());
        QVERIFY(table->isEnabled());
        QVERIFY(find<QPushButton>(editor, "saveAgentButton")->isEnabled());
        closeAdminWindow(); // before the proxy it talks through goes
    }

    // A reload showed another admin's change in the list, but the selected entry's form kept the
    // old texts. A form without edits takes the reloaded entry; one with edits keeps them.
    void faqReloadRefreshesTheForm() {
        QCOMPARE(m_http
                     ->post("/api/v1/admin/faq",
                            {{"slug", "zz-reload"},
                             {"question", "Q?"},
                             {"answer", "Old answer."},
                             {"display_order", 9100}},
                            m_adminToken)
                     .status,
                 201);
        FaqEditor* editor = openFaq();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->model()->rowOf(QStringLiteral("zz-reload")) >= 0, 10000);
        auto* table = find<QTableView>(editor, "faqTable");
        clickRow(table, editor->model()->rowOf(QStringLiteral("zz-reload")), FaqModel::QuestionColumn);
        auto* question = find<QLineEdit>(editor, "questionEdit");
        auto* answer = find<QPlainTextEdit>(editor, "answerEdit");
        QCOMPARE(answer->toPlainText(), QStringLiteral("Old answer."));
        QSignalSpy loaded(editor, &FaqEditor::loaded);

        // No edits: the form shows the entry as reloaded.
        QCOMPARE(m_http->put("/api/v1/admin/faq/zz-reload", {{"answer", "New answer."}}, m_adminToken).status,
                 200);
        editor->reload();
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 10000);
        QCOMPARE(answer->toPlainText(), QStringLiteral("New answer."));
        QCOMPARE(find<QLineEdit>(editor, "slugEdit")->text(), QStringLiteral("zz-reload"));
        QVERIFY(
            table->selectionModel()->isRowSelected(editor->model()->rowOf(QStringLiteral("zz-reload")), {}));
        QVERIFY(!editor->isDirty());
        // The FAQ's list row is the fullest: Reload must fit at its right (looked at by a person).
        QVERIFY(QTest::qWaitForWindowExposed(editor));
        const QString dir = qEnvironmentVariable("PARLEY_TEST_ARTIFACTS", QDir::tempPath());
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(editor->grab().save(dir + QStringLiteral("/console-faq-editor.png")));

        // Edits: kept, without asking; a save sends only them.
        typeInto(question, QStringLiteral("Edited question?"));
        QCOMPARE(
            m_http->put("/api/v1/admin/faq/zz-reload", {{"answer", "Newer answer."}}, m_adminToken).status,
            200);
        editor->reload();
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 10000);
        QVERIFY(!discardQuestion(editor));
        QVERIFY2(editor->statusText().endsWith(QStringLiteral(
                     "\u201czz-reload\u201d was changed meanwhile; your unsaved edits are kept.")),
                 qPrintable(editor->statusText()));
        QCOMPARE(question->text(), QStringLiteral("Edited question?"));
        QCOMPARE(answer->toPlainText(), QStringLiteral("New answer."));
        QVERIFY(editor->isDirty());
        QSignalSpy saved(editor, &FaqEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveFaqButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QCOMPARE(answer->toPlainText(), QStringLiteral("Newer answer.")); // the other admin's answer stays
        QCOMPARE(question->text(), QStringLiteral("Edited question?"));
        QVERIFY(!editor->isDirty());
        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-reload", m_adminToken).status, 204);
    }

    // An open agents editor never learned of another admin's change. Reload (the button or F5)
    // loads the list again: a form without edits shows the agent as stored now; edits are kept,
    // with a note, and a save sends only them, so the other admin's change stays.
    void agentsReloadShowsAnotherAdminsChange() {
        const std::string id = createAgent(*m_http, m_adminToken, "reload-agent", "Old Name", 2);
        QVERIFY(!id.empty());
        const QString qid = QString::fromStdString(id);
        AgentsEditor* editor = m_window->openAgentsEditor();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowOf(qid) >= 0, 10000);
        auto* table = find<QTableView>(editor, "agentsTable");
        clickRow(table, editor->model()->rowOf(qid), AgentsModel::DisplayNameColumn);
        auto* name = find<QLineEdit>(editor, "displayNameEdit");
        auto* maxChats = find<QSpinBox>(editor, "maxChatsSpin");
        QCOMPARE(name->text(), QStringLiteral("Old Name"));
        auto* reload = find<QPushButton>(editor, "reloadAgentsButton");
        QVERIFY(reload->isVisible() && reload->isEnabled());
        QSignalSpy loaded(editor, &AgentsEditor::loaded);

        // No edits: the form shows the agent as stored now.
        QCOMPARE(
            m_http->put("/api/v1/admin/agents/" + id, {{"display_name", "New Name"}}, m_adminToken).status,
            200);
        QTest::mouseClick(reload, Qt::LeftButton);
        QVERIFY(!reload->isEnabled()); // off while the list loads, like Save
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 10000);
        QVERIFY(reload->isEnabled());
        QCOMPARE(name->text(), QStringLiteral("New Name"));
        QVERIFY(table->selectionModel()->isRowSelected(editor->model()->rowOf(qid), {}));
        QVERIFY(!editor->isDirty());
        QVERIFY2(editor->statusText().endsWith(QLatin1String(" agents.")), qPrintable(editor->statusText()));

        // Edits: kept without asking, and said so; F5 reloads too.
        maxChats->setValue(5);
        QCOMPARE(
            m_http->put("/api/v1/admin/agents/" + id, {{"display_name", "Newer Name"}}, m_adminToken).status,
            200);
        editor->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(editor));
        QTest::keyClick(table, Qt::Key_F5);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 10000);
        QVERIFY(!discardQuestion(editor));
        QVERIFY2(editor->statusText().endsWith(
                     QLatin1String(" reload-agent was changed meanwhile; your unsaved edits are kept.")),
                 qPrintable(editor->statusText()));
        QCOMPARE(name->text(), QStringLiteral("New Name"));
        QCOMPARE(maxChats->value(), 5);
        QVERIFY(editor->isDirty());
        QSignalSpy saved(editor, &AgentsEditor::saved);
        QTest::mouseClick(find<QPushButton>(editor, "saveAgentButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 10000);
        QCOMPARE(name->text(), QStringLiteral("Newer Name")); // the other admin's name stays
        QCOMPARE(maxChats->value(), 5);
        QVERIFY(!editor->isDirty());
        for (const auto& a : getBody(*m_http, "/api/v1/admin/agents", m_adminToken, "agents"))
            if (a.value("id", "") == id)
                QCOMPARE(a.value("display_name", ""), std::string("Newer Name"));
    }

    // Review: a reorder or (de)activation the server refused (here: another admin had deleted an
    // entry meanwhile) said "Order saved." or an error naming nothing, and the list kept the
    // deleted entry. The status line names the entry, and the list shows what the server has.
    void faqMoveAndToggleErrorsNameTheEntry() {
        for (const auto& [slug, order] :
             {std::pair{"zz-move-a", 9001}, std::pair{"zz-move-b", 9002}, std::pair{"zz-toggle", 9003}})
            QCOMPARE(
                m_http
                    ->post("/api/v1/admin/faq",
                           {{"slug", slug}, {"question", "Q?"}, {"answer", "A."}, {"display_order", order}},
                           m_adminToken)
                    .status,
                201);
        FaqEditor* editor = openFaq();
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->model()->rowOf(QStringLiteral("zz-toggle")) >= 0, 10000);
        auto* table = find<QTableView>(editor, "faqTable");

        // Move up: the entry it swaps with is gone.
        const int row = editor->model()->rowOf(QStringLiteral("zz-move-b"));
        QCOMPARE(editor->model()->rowOf(QStringLiteral("zz-move-a")), row - 1);
        clickRow(table, row, FaqModel::QuestionColumn);
        QCOMPARE(find<QLineEdit>(editor, "slugEdit")->text(), QStringLiteral("zz-move-b"));
        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-move-a", m_adminToken).status, 204);
        auto* answer = find<QPlainTextEdit>(editor, "answerEdit");
        typeInto(answer, QStringLiteral("Unsaved.")); // the reloaded list neither asks nor drops it
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "moveUpButton")->isEnabled(), 10000);
        QTest::mouseClick(find<QPushButton>(editor, "moveUpButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowOf(QStringLiteral("zz-move-a")) < 0,
                                 10000);
        QVERIFY2(editor->statusText().startsWith(QStringLiteral("Moving \u201czz-move-b\u201d failed")) &&
                     editor->statusText().contains(QLatin1String("does not exist")),
                 qPrintable(editor->statusText()));
        QCOMPARE(find<QLineEdit>(editor, "slugEdit")->text(), QStringLiteral("zz-move-b"));
        QCOMPARE(answer->toPlainText(), QStringLiteral("Unsaved."));
        QVERIFY(!discardQuestion(editor));
        QCOMPARE(table->selectionModel()->currentIndex().row(),
                 editor->model()->rowOf(QStringLiteral("zz-move-b")));
        typeInto(answer, QStringLiteral("A."));
        QVERIFY(!editor->isDirty());

        // Deactivate: the entry itself is gone; its form (no edits in it) goes too.
        clickRow(table, editor->model()->rowOf(QStringLiteral("zz-toggle")), FaqModel::QuestionColumn);
        QCOMPARE(find<QLineEdit>(editor, "slugEdit")->text(), QStringLiteral("zz-toggle"));
        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-toggle", m_adminToken).status, 204);
        QTRY_VERIFY_WITH_TIMEOUT(find<QPushButton>(editor, "toggleActiveButton")->isEnabled(), 10000);
        QTest::mouseClick(find<QPushButton>(editor, "toggleActiveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isBusy() && editor->model()->rowOf(QStringLiteral("zz-toggle")) < 0,
                                 10000);
        QVERIFY2(
            editor->statusText().startsWith(QStringLiteral("\u201czz-toggle\u201d was not deactivated: ")) &&
                editor->statusText().contains(QLatin1String("does not exist")),
            qPrintable(editor->statusText()));
        QCOMPARE(editor->fieldError(QStringLiteral("slug")), QString());
        QCOMPARE(find<QLabel>(editor, "faqFormTitle")->text(), QStringLiteral("New entry"));
        QVERIFY(!editor->isDirty());

        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-move-b", m_adminToken).status, 204);
    }

    // Review: New (and Discard) while a create still waited for its answer: the answer filled the
    // blank form with the record just saved. It only updates the list now. (Last in this suite:
    // it leaves an agent behind.)
    void createAnsweredAfterNewKeepsTheBlankForm() {
        // Signed in anew through a proxy that holds the answers back.
        TcpProxy proxy(m_server.httpPort());
        QVERIFY(proxy.listen());
        QVERIFY(openAdminWindowVia(proxy.port()));

        // The FAQ.
        QPointer<FaqEditor> faq = m_window->openFaqEditor();
        QVERIFY(faq);
        QTRY_VERIFY_WITH_TIMEOUT(!faq->isBusy() && faq->model()->rowCount() > 0, 10000);
        auto* slug = find<QLineEdit>(faq, "slugEdit");
        typeInto(slug, QStringLiteral("zz-race"));
        typeInto(find<QLineEdit>(faq, "questionEdit"), QStringLiteral("Race?"));
        typeInto(find<QPlainTextEdit>(faq, "answerEdit"), QStringLiteral("Won."));
        proxy.holdDownstream(true);
        QTest::mouseClick(find<QPushButton>(faq, "saveFaqButton"), Qt::LeftButton);
        QVERIFY(faq->isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(
            m_http->get("/api/v1/admin/faq", m_adminToken).body["faq"].dump().find("zz-race") !=
                std::string::npos,
            10000); // stored; the answer waits in the proxy
        QTest::mouseClick(find<QPushButton>(faq, "newFaqButton"), Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(faq, true));
        QVERIFY(slug->text().isEmpty());
        proxy.holdDownstream(false);
        QTRY_VERIFY_WITH_TIMEOUT(!faq->isBusy() && faq->model()->rowOf(QStringLiteral("zz-race")) >= 0,
                                 10000);
        QVERIFY(slug->text().isEmpty() && slug->isEnabled());
        QVERIFY(find<QPlainTextEdit>(faq, "answerEdit")->toPlainText().isEmpty());
        QCOMPARE(find<QLabel>(faq, "faqFormTitle")->text(), QStringLiteral("New entry"));
        QVERIFY(!find<QTableView>(faq, "faqTable")->selectionModel()->hasSelection());
        QVERIFY(!faq->isDirty());

        // The agents.
        QPointer<AgentsEditor> agents = m_window->openAgentsEditor();
        QVERIFY(agents);
        QTRY_VERIFY_WITH_TIMEOUT(!agents->isBusy() && agents->model()->rowCount() > 0, 10000);
        QTest::mouseClick(find<QPushButton>(agents, "newAgentButton"), Qt::LeftButton);
        auto* username = find<QLineEdit>(agents, "usernameEdit");
        typeInto(username, QStringLiteral("racer"));
        typeInto(find<QLineEdit>(agents, "displayNameEdit"), QStringLiteral("Racer R."));
        typeInto(find<QLineEdit>(agents, "passwordEdit"), QStringLiteral("racer-pass-1"));
        const int before = agents->model()->rowCount();
        proxy.holdDownstream(true);
        QTest::mouseClick(find<QPushButton>(agents, "saveAgentButton"), Qt::LeftButton);
        QVERIFY(agents->isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(!agentIdOf(*m_http, m_adminToken, "racer").empty(), 10000);
        QTest::mouseClick(find<QPushButton>(agents, "newAgentButton"), Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(agents, true));
        QVERIFY(username->text().isEmpty());
        proxy.holdDownstream(false);
        QTRY_VERIFY_WITH_TIMEOUT(!agents->isBusy() && agents->model()->rowCount() == before + 1, 10000);
        QVERIFY(username->text().isEmpty() && username->isEnabled());
        QVERIFY(find<QLineEdit>(agents, "passwordEdit")->text().isEmpty());
        QVERIFY(!find<QTableView>(agents, "agentsTable")->selectionModel()->hasSelection());
        QVERIFY(!agents->isDirty());

        closeAdminWindow(); // before the proxy it talks through goes
        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-race", m_adminToken).status, 204);
    }

    // Review: a save refused after the form had moved on (New) showed its error under the field
    // of the form now shown, which holds another record. The status line names the record now.
    // (After the test above: it leaves an agent behind too.)
    void errorAnsweredAfterNewIsNotShownAtTheField() {
        TcpProxy proxy(m_server.httpPort()); // holds the requests or the answers back
        QVERIFY(proxy.listen());
        QVERIFY(openAdminWindowVia(proxy.port()));

        // The FAQ: a slug that is taken; the 409 waits in the proxy while the admin goes on.
        QCOMPARE(m_http
                     ->post("/api/v1/admin/faq", {{"slug", "zz-taken"}, {"question", "Q?"}, {"answer", "A."}},
                            m_adminToken)
                     .status,
                 201);
        QPointer<FaqEditor> faq = m_window->openFaqEditor();
        QVERIFY(faq);
        QTRY_VERIFY_WITH_TIMEOUT(!faq->isBusy() && faq->model()->rowOf(QStringLiteral("zz-taken")) >= 0,
                                 10000);
        auto* slug = find<QLineEdit>(faq, "slugEdit");
        typeInto(slug, QStringLiteral("zz-taken"));
        typeInto(find<QLineEdit>(faq, "questionEdit"), QStringLiteral("Taken?"));
        typeInto(find<QPlainTextEdit>(faq, "answerEdit"), QStringLiteral("Twice."));
        proxy.holdDownstream(true);
        QTest::mouseClick(find<QPushButton>(faq, "saveFaqButton"), Qt::LeftButton);
        QVERIFY(faq->isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(proxy.heldDownstreamBytes() > 0, 10000);
        QTest::mouseClick(find<QPushButton>(faq, "newFaqButton"), Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(faq, true));
        typeInto(slug, QStringLiteral("zz-next"));
        proxy.holdDownstream(false);
        QTRY_VERIFY_WITH_TIMEOUT(!faq->isBusy(), 10000);
        QCOMPARE(faq->fieldError(QStringLiteral("slug")), QString());
        QVERIFY2(faq->statusText().startsWith(QStringLiteral("\u201czz-taken\u201d was not saved: ")),
                 qPrintable(faq->statusText()));
        QCOMPARE(slug->text(), QStringLiteral("zz-next"));
        QCOMPARE(find<QLabel>(faq, "faqFormTitle")->text(), QStringLiteral("New entry"));
        QVERIFY(m_http->get("/api/v1/admin/faq", m_adminToken).body["faq"].dump().find("Twice.") ==
                std::string::npos); // the stored entry as it was

        // The agents: the username is taken by another admin while the create is on its way (held
        // before the server, so the console's own check let it through).
        QPointer<AgentsEditor> agents = m_window->openAgentsEditor();
        QVERIFY(agents);
        QTRY_VERIFY_WITH_TIMEOUT(!agents->isBusy() && agents->model()->rowCount() > 0, 10000);
        QTest::mouseClick(find<QPushButton>(agents, "newAgentButton"), Qt::LeftButton);
        auto* username = find<QLineEdit>(agents, "usernameEdit");
        typeInto(username, QStringLiteral("twin"));
        typeInto(find<QLineEdit>(agents, "displayNameEdit"), QStringLiteral("Twin T."));
        typeInto(find<QLineEdit>(agents, "passwordEdit"), QStringLiteral("twin-pass-1"));
        proxy.holdUpstream(true);
        QTest::mouseClick(find<QPushButton>(agents, "saveAgentButton"), Qt::LeftButton);
        QVERIFY(agents->isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(proxy.heldUpstreamBytes() > 0, 10000);
        QVERIFY(!createAgent(*m_http, m_adminToken, "twin", "The other twin", 2).empty());
        QTest::mouseClick(find<QPushButton>(agents, "newAgentButton"), Qt::LeftButton);
        QVERIFY(answerDiscardQuestion(agents, true));
        typeInto(username, QStringLiteral("next"));
        proxy.holdUpstream(false);
        QTRY_VERIFY_WITH_TIMEOUT(!agents->isBusy(), 10000);
        QCOMPARE(agents->fieldError(QStringLiteral("username")), QString());
        QVERIFY2(agents->statusText().startsWith(QStringLiteral("twin was not saved: ")),
                 qPrintable(agents->statusText()));
        QCOMPARE(username->text(), QStringLiteral("next"));

        closeAdminWindow(); // before the proxy it talks through goes
        QCOMPARE(m_http->del("/api/v1/admin/faq/zz-taken", m_adminToken).status, 204);
    }
};

QTEST_MAIN(TestAdminEditors)
#include "tst_console_admineditors.moc"
