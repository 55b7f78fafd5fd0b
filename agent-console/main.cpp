// parley-console: sign in, then work in the main window until quitting or signing out.

#include "core/Session.h"
#include "gui/LoginDialog.h"
#include "gui/MainWindow.h"
#include "gui/Style.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QTimer>

#include <cstdio>
#include <cstring>

using namespace parley::console;

int main(int argc, char** argv) {
    // Answer --version before QApplication exists: packaging checks run without a display.
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
            std::printf("parley-console %s\n", PARLEY_VERSION);
            return 0;
        }
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            std::printf("Usage: parley-console [--server URL] [--version]\n"
                        "The Parley agent console: sign in, work the queue and your chats.\n\n"
                        "  --server URL   server address to prefill in the sign-in dialog\n"
                        "  --version      print the version and exit\n");
            return 0;
        }
    }

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("parley-console"));
    QApplication::setApplicationDisplayName(QStringLiteral("Parley Console"));
    QApplication::setApplicationVersion(QStringLiteral(PARLEY_VERSION));
    QApplication::setOrganizationName(QStringLiteral("Parley"));
    QApplication::setOrganizationDomain(QStringLiteral("parley.invalid"));
    QApplication::setDesktopFileName(QStringLiteral("parley-console"));
    QApplication::setWindowIcon(gui::appIcon());
    // The main window closes the app; hiding it for a new sign-in must not.
    QApplication::setQuitOnLastWindowClosed(false);

    QCommandLineParser parser;
    QCommandLineOption serverOption(QStringLiteral("server"), QStringLiteral("Server address to prefill."),
                                    QStringLiteral("URL"));
    parser.addOption(serverOption);
    parser.process(app);

    Session session;
    gui::MainWindow window(&session);
    QObject::connect(&window, &gui::MainWindow::closed, &app, &QApplication::quit);

    auto signIn = [&]() -> bool {
        gui::LoginDialog dialog(&session);
        if (parser.isSet(serverOption))
            dialog.setServer(parser.value(serverOption));
        return dialog.exec() == QDialog::Accepted;
    };
    auto again = [&] {
        window.hide();
        if (signIn())
            window.show();
        else
            app.quit();
    };
    QObject::connect(&window, &gui::MainWindow::signOutRequested, &app, [&] {
        session.signOut();
        QTimer::singleShot(0, &app, again);
    });
    QObject::connect(&session, &Session::sessionExpired, &app, [&] {
        if (!session.isSignedIn())
            return;
        session.signOut();
        QMessageBox::information(&window, QStringLiteral("Signed out"),
                                 QStringLiteral("Your session has expired. Please sign in again."));
        QTimer::singleShot(0, &app, again);
    });

    if (!signIn())
        return 0;
    window.show();
    return app.exec();
}
