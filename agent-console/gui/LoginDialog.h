#pragma once
// Sign-in: server address, username, password. Remembers server and username (QSettings), never
// the password. Contract errors are shown in words under the form.

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace parley::console {
class Session;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class LoginDialog : public QDialog {
    Q_OBJECT
public:
    explicit LoginDialog(Session* session, QWidget* parent = nullptr);

    // "host:port" and "http://host:port/" alike; empty when it cannot be an HTTP URL.
    static QUrl normalizeServer(const QString& text);
    void setServer(const QString& server);
    QString errorText() const;

private:
    void signIn();
    void onFailed(const ApiError& error);
    void setBusy(bool busy);

    Session* m_session;
    QLineEdit* m_server;
    QLineEdit* m_username;
    QLineEdit* m_password;
    QLabel* m_error;
    QPushButton* m_signIn;
    bool m_waiting = false;
};

} // namespace parley::console::gui
