#pragma once
// Helpers of the widget suites: find widgets by objectName, click list rows, sign in through
// the real LoginDialog.

#include "ConsoleTestUtil.h"

#include "gui/LoginDialog.h"
#include "gui/MainWindow.h"

#include <QAbstractItemView>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>

#include <memory>

namespace parley::test::console {

template <typename T>
T* find(QWidget* root, const char* name) {
    auto* w = root->findChild<T*>(QString::fromLatin1(name));
    if (!w)
        qFatal("no widget named %s", name);
    return w;
}

inline void clickRow(QAbstractItemView* view, int row, int column = 0) {
    const QModelIndex index = view->model()->index(row, column);
    view->scrollTo(index);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index).center());
}

inline void doubleClickRow(QAbstractItemView* view, int row, int column = 0) {
    const QModelIndex index = view->model()->index(row, column);
    view->scrollTo(index);
    const QPoint p = view->visualRect(index).center();
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, p);
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, p);
}

// Types into the sign-in dialog and presses its button, as a person would.
inline bool signInThroughDialog(Session& session, const ServerProcess& server, const QString& user,
                                const QString& password) {
    parley::console::gui::LoginDialog dialog(&session);
    dialog.show();
    auto* serverEdit = find<QLineEdit>(&dialog, "serverEdit");
    serverEdit->clear();
    QTest::keyClicks(serverEdit, server.httpUrl().toString());
    auto* userEdit = find<QLineEdit>(&dialog, "usernameEdit");
    userEdit->clear();
    QTest::keyClicks(userEdit, user);
    QTest::keyClicks(find<QLineEdit>(&dialog, "passwordEdit"), password);
    QTest::mouseClick(find<QPushButton>(&dialog, "signInButton"), Qt::LeftButton);
    if (!QTest::qWaitFor([&] { return dialog.result() == QDialog::Accepted; }, 15000))
        return false;
    return QTest::qWaitFor([&] { return session.realtime()->isConnected(); }, 15000);
}

// Replaces what a line or text edit holds by typing `text`, as a person would.
inline void typeInto(QWidget* edit, const QString& text) {
    if (auto* l = qobject_cast<QLineEdit*>(edit))
        l->clear();
    if (auto* p = qobject_cast<QPlainTextEdit*>(edit))
        p->clear();
    QTest::keyClicks(edit, text);
}

// The question an admin editor asks before it drops unsaved edits; nullptr while none is open.
inline QMessageBox* discardQuestion(QWidget* editor) {
    return editor->findChild<QMessageBox*>(QStringLiteral("confirmDiscardBox"));
}

// Waits for that question and answers it, Discard or Cancel; true once it has closed (the next
// question can only open then). The editor may be gone afterwards (Discard on closing it).
[[nodiscard]] inline bool answerDiscardQuestion(QWidget* editor, bool discard) {
    QPointer<QWidget> e(editor);
    if (!QTest::qWaitFor([&] { return e && discardQuestion(e); }, 5000))
        return false;
    QTest::mouseClick(discardQuestion(e)->button(discard ? QMessageBox::Yes : QMessageBox::Cancel),
                      Qt::LeftButton);
    return QTest::qWaitFor([&] { return !e || !discardQuestion(e); }, 5000);
}

// What the admin editors' suites start from: a real server (ServerFixture) and, for each test, a
// main window the admin signed in to through the dialog. A suite calls startAdminServer() in
// initTestCase, openAdminWindow() in init and closeAdminWindow() in cleanup.
struct AdminWindowFixture : ServerFixture {
    QTemporaryDir m_settingsDir;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<parley::console::gui::MainWindow> m_window;

    [[nodiscard]] bool startAdminServer() {
        isolateSettings(m_settingsDir);
        return startServerAsAdmin();
    }
    [[nodiscard]] bool openAdminWindow() {
        m_session = std::make_unique<Session>();
        m_window = std::make_unique<parley::console::gui::MainWindow>(m_session.get());
        if (!signInThroughDialog(*m_session, m_server, QStringLiteral("admin"),
                                 QString::fromLatin1(ServerProcess::kAdminPassword)))
            return false;
        m_window->show();
        return QTest::qWaitForWindowExposed(m_window.get());
    }
    // The same, with REST through a proxy listening on `restPort` (the WebSocket direct), so that a
    // test can hold the server's answers back.
    [[nodiscard]] bool openAdminWindowVia(quint16 restPort) {
        closeAdminWindow();
        QUrl base = m_server.httpUrl();
        base.setPort(restPort);
        m_session = std::make_unique<Session>();
        m_session->setWsUrlOverride(m_server.wsUrl());
        m_window = std::make_unique<parley::console::gui::MainWindow>(m_session.get());
        m_session->signIn(base, QStringLiteral("admin"), QString::fromLatin1(ServerProcess::kAdminPassword));
        if (!QTest::qWaitFor([&] { return m_session->realtime()->isConnected(); }, 15000))
            return false;
        m_window->show();
        return QTest::qWaitForWindowExposed(m_window.get());
    }
    void closeAdminWindow() {
        m_window.reset();
        m_session.reset();
    }
};

} // namespace parley::test::console
