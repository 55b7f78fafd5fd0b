#pragma once
// Helpers of the widget suites: find widgets by objectName, click list rows, sign in through
// the real LoginDialog.

#include "ConsoleTestUtil.h"

#include "gui/LoginDialog.h"

#include <QAbstractItemView>
#include <QLineEdit>
#include <QPushButton>

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

} // namespace parley::test::console
