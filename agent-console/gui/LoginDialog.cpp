#include "gui/LoginDialog.h"

#include "core/Session.h"
#include "gui/Style.h"

#include <parley/protocol/Errors.h>

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace parley::console::gui {

LoginDialog::LoginDialog(Session* session, QWidget* parent)
    : QDialog(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("loginDialog"));
    setWindowTitle(QStringLiteral("Sign in to Parley"));
    setWindowIcon(appIcon());

    auto* heading = new QLabel(QStringLiteral("<b>Parley Console</b><br/>Sign in with your agent account."));
    auto* logo = new QLabel;
    logo->setPixmap(appIcon().pixmap(48, 48));
    auto* top = new QHBoxLayout;
    top->addWidget(logo);
    top->addWidget(heading, 1);

    m_server = new QLineEdit;
    m_server->setObjectName(QStringLiteral("serverEdit"));
    m_server->setPlaceholderText(QStringLiteral("http://support.example.com:8080"));
    m_username = new QLineEdit;
    m_username->setObjectName(QStringLiteral("usernameEdit"));
    m_password = new QLineEdit;
    m_password->setObjectName(QStringLiteral("passwordEdit"));
    m_password->setEchoMode(QLineEdit::Password);

    auto* form = new QFormLayout;
    form->addRow(QStringLiteral("&Server:"), m_server);
    form->addRow(QStringLiteral("&Username:"), m_username);
    form->addRow(QStringLiteral("&Password:"), m_password);

    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("errorLabel"));
    m_error->setWordWrap(true);
    setToneText(m_error, theme::Tone::Error);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->hide();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    m_signIn = buttons->addButton(QStringLiteral("&Sign in"), QDialogButtonBox::AcceptRole);
    m_signIn->setObjectName(QStringLiteral("signInButton"));
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // AcceptRole would close the dialog at once; it must stay open until the server agrees.
    disconnect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_signIn, &QPushButton::clicked, this, &LoginDialog::signIn);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(420);
    // Only now that the button is inside the dialog does setDefault() make it the dialog's default:
    // set earlier (the button box had no parent yet), the dialog picked the first auto-default button
    // on show, Cancel, and Enter in the password field cancelled the sign-in.
    m_signIn->setDefault(true);

    QSettings settings;
    m_server->setText(
        settings.value(QStringLiteral("login/server"), QStringLiteral("http://127.0.0.1:8080")).toString());
    m_username->setText(settings.value(QStringLiteral("login/username")).toString());
    (m_username->text().isEmpty() ? m_username : m_password)->setFocus();

    connect(m_session, &Session::signedIn, this, [this] {
        if (!m_waiting)
            return;
        m_waiting = false;
        QSettings s;
        s.setValue(QStringLiteral("login/server"), m_server->text().trimmed());
        s.setValue(QStringLiteral("login/username"), m_username->text().trimmed());
        m_password->clear();
        setBusy(false);
        accept();
    });
    connect(m_session, &Session::signInFailed, this, &LoginDialog::onFailed);
}

QUrl LoginDialog::normalizeServer(const QString& text) {
    QString t = text.trimmed();
    if (t.isEmpty())
        return {};
    if (!t.contains(QLatin1String("://")))
        t = QStringLiteral("http://") + t;
    QUrl url(t, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return {};
    url = url.adjusted(QUrl::StripTrailingSlash);
    // StripTrailingSlash keeps a lone "/": "http://host:8080/" would become ".../" + "/api/v1/...".
    if (url.path() == QLatin1String("/"))
        url.setPath(QString());
    return url;
}

void LoginDialog::setServer(const QString& server) {
    m_server->setText(server);
}
QString LoginDialog::errorText() const {
    return m_error->isVisible() ? m_error->text() : QString();
}

void LoginDialog::signIn() {
    m_error->hide();
    const QUrl url = normalizeServer(m_server->text());
    QString problem;
    if (!url.isValid())
        problem = QStringLiteral("Enter the server address, for example http://127.0.0.1:8080.");
    else if (m_username->text().trimmed().isEmpty())
        problem = QStringLiteral("Enter your username.");
    else if (m_password->text().isEmpty())
        problem = QStringLiteral("Enter your password.");
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        m_error->show();
        return;
    }
    setBusy(true);
    m_waiting = true;
    m_session->signIn(url, m_username->text().trimmed(), m_password->text());
}

void LoginDialog::onFailed(const ApiError& error) {
    if (!m_waiting)
        return;
    m_waiting = false;
    setBusy(false);
    QString text = error.describe();
    if (error.is(protocol::errors::kUnauthorized))
        text = QStringLiteral("Wrong username or password.");
    m_error->setText(text);
    m_error->show();
    m_password->selectAll();
    m_password->setFocus();
}

void LoginDialog::setBusy(bool busy) {
    m_signIn->setEnabled(!busy);
    m_signIn->setText(busy ? QStringLiteral("Signing in\u2026") : QStringLiteral("&Sign in"));
    m_server->setEnabled(!busy);
    m_username->setEnabled(!busy);
    m_password->setEnabled(!busy);
}

} // namespace parley::console::gui
