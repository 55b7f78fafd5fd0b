// LoginDialog: contract errors in words, success, and what QSettings remembers (never the password).
#include "ConsoleTestUtil.h"

#include "gui/LoginDialog.h"

#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using parley::console::gui::LoginDialog;

class TestLoginDialog : public QObject {
    Q_OBJECT
private:
    ServerProcess m_server;
    QTemporaryDir m_settingsDir;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<LoginDialog> m_dialog;

    template <typename T>
    T* child(const char* name) {
        auto* w = m_dialog->findChild<T*>(QString::fromLatin1(name));
        if (!w)
            qFatal("no child %s", name);
        return w;
    }
    void fill(const QString& server, const QString& user, const QString& password) {
        for (auto [name, text] : {std::pair{"serverEdit", server}, std::pair{"usernameEdit", user},
                                  std::pair{"passwordEdit", password}}) {
            auto* e = child<QLineEdit>(name);
            e->clear();
            QTest::keyClicks(e, text);
        }
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QVERIFY(m_server.start());
    }

    void init() {
        m_session = std::make_unique<Session>();
        m_dialog = std::make_unique<LoginDialog>(m_session.get());
        m_dialog->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_dialog.get()));
    }

    void cleanup() {
        m_dialog.reset();
        m_session.reset();
    }

    void normalizesServerAddresses() {
        QCOMPARE(LoginDialog::normalizeServer(QStringLiteral("127.0.0.1:8080")),
                 QUrl(QStringLiteral("http://127.0.0.1:8080")));
        QCOMPARE(LoginDialog::normalizeServer(QStringLiteral(" https://chat.example.com/ ")),
                 QUrl(QStringLiteral("https://chat.example.com")));
        QVERIFY(!LoginDialog::normalizeServer(QStringLiteral("")).isValid());
        QVERIFY(!LoginDialog::normalizeServer(QStringLiteral("ftp://x")).isValid());
    }

    void missingFieldsAreExplained() {
        fill(m_server.httpUrl().toString(), QString(), QString());
        QTest::mouseClick(child<QPushButton>("signInButton"), Qt::LeftButton);
        QCOMPARE(child<QLabel>("errorLabel")->text(), QStringLiteral("Enter your username."));
        QVERIFY(m_dialog->isVisible());
    }

    void wrongPasswordInWords() {
        fill(m_server.httpUrl().toString(), QStringLiteral("admin"), QStringLiteral("not-the-password"));
        QTest::mouseClick(child<QPushButton>("signInButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(child<QLabel>("errorLabel")->text(),
                                  QStringLiteral("Wrong username or password."), 10000);
        QVERIFY(child<QLabel>("errorLabel")->isVisible());
        QVERIFY(m_dialog->isVisible());
        QVERIFY(child<QPushButton>("signInButton")->isEnabled());
    }

    void addressWithATrailingSlashWorks() {
        // "http://host:port/" as people paste it: requests must not go to "//api/v1/...".
        fill(m_server.httpUrl().toString() + QLatin1Char('/'), QStringLiteral("admin"),
             QString::fromLatin1(ServerProcess::kAdminPassword));
        QTest::mouseClick(child<QPushButton>("signInButton"), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_dialog->result() == QDialog::Accepted,
            qPrintable(QStringLiteral("not accepted; the dialog says: \"%1\"").arg(m_dialog->errorText())),
            10000);
        QCOMPARE(m_session->serverUrl(), m_server.httpUrl());
    }

    void windowIconIsTheAppIcon() {
        // The icon is a resource of the static GUI library: it must be linked into the executable.
        QVERIFY(QFile::exists(QStringLiteral(":/parley-console.svg")));
        QVERIFY(!m_dialog->windowIcon().isNull());
    }

    void unreachableServerInWords() {
        // Port 1: nothing listens there (a privileged port no test server can have).
        fill(QStringLiteral("127.0.0.1:1"), QStringLiteral("admin"), QStringLiteral("x"));
        QTest::mouseClick(child<QPushButton>("signInButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            child<QLabel>("errorLabel")->text().startsWith(QLatin1String("Cannot reach the server")), 10000);
    }

    void signsInAndRemembersServerAndUsernameOnly() {
        const QString password = QString::fromLatin1(ServerProcess::kAdminPassword);
        fill(m_server.httpUrl().toString(), QStringLiteral("admin"), password);
        // Enter in the password field presses "Sign in" (the default button), not Cancel.
        QVERIFY(child<QPushButton>("signInButton")->isDefault());
        QTest::keyClick(child<QLineEdit>("passwordEdit"), Qt::Key_Return);
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_dialog->result() == QDialog::Accepted,
            qPrintable(QStringLiteral("not accepted; the dialog says: \"%1\"").arg(m_dialog->errorText())),
            10000);
        QVERIFY(m_session->isSignedIn());
        QCOMPARE(m_session->me().username, std::string("admin"));

        QSettings settings;
        QCOMPARE(settings.value(QStringLiteral("login/server")).toString(), m_server.httpUrl().toString());
        QCOMPARE(settings.value(QStringLiteral("login/username")).toString(), QStringLiteral("admin"));
        const QStringList keys = settings.allKeys();
        for (const QString& key : keys)
            QVERIFY2(!settings.value(key).toString().contains(password), qPrintable(key));
        QFile file(settings.fileName());
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(!file.readAll().contains(QByteArray(ServerProcess::kAdminPassword)));

        // The next dialog starts with both filled in and the password empty.
        LoginDialog next(m_session.get());
        QCOMPARE(next.findChild<QLineEdit*>(QStringLiteral("serverEdit"))->text(),
                 m_server.httpUrl().toString());
        QCOMPARE(next.findChild<QLineEdit*>(QStringLiteral("usernameEdit"))->text(), QStringLiteral("admin"));
        QVERIFY(next.findChild<QLineEdit*>(QStringLiteral("passwordEdit"))->text().isEmpty());
    }
};

QTEST_MAIN(TestLoginDialog)
#include "tst_console_logindialog.moc"
