#include "ServerProcess.h"

#include <QtTest>

#include <string>
#include <vector>

namespace parley::test {

ServerProcess::ServerProcess()
    : m_dataDir(std::make_unique<QTemporaryDir>())
    , m_launcher(std::make_unique<ServerLauncher>(PARLEY_SERVER_BINARY, m_dataDir->path().toStdString())) {}

ServerProcess::~ServerProcess() {
    m_launcher->stop(std::chrono::seconds(10));
}

QUrl ServerProcess::httpUrl() const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_httpPort));
}
QUrl ServerProcess::wsUrl() const {
    return QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(m_wsPort));
}

QString ServerProcess::output() const {
    return QString::fromStdString(m_launcher->output());
}

bool ServerProcess::start(const QStringList& extraArgs) {
    if (!extraArgs.isEmpty() || m_extraArgs.isEmpty())
        m_extraArgs = extraArgs;
    QStringList args = m_extraArgs;
    if (m_httpPort != 0) {
        // Again on the ports it had (clients keep their URLs); a port just released can be bound
        // again at once (SO_REUSEADDR). A separate WebSocket port asked for as 0 keeps its number too.
        args.prepend(QString::number(m_httpPort));
        args.prepend(QStringLiteral("--http-port"));
        const auto ws = args.indexOf(QStringLiteral("--ws-port"));
        if (ws >= 0 && ws + 1 < args.size() && args[ws + 1] == QStringLiteral("0") && m_wsPort != m_httpPort)
            args[ws + 1] = QString::number(m_wsPort);
        if (launch(args))
            return true;
        // Taken meanwhile by another process (rare: the system hands out free ports at random):
        // new ports, which the test reads from httpPort()/wsPort().
        if (!m_launcher->error().empty() && m_launcher->error().find("in use") == std::string::npos)
            return false;
        qWarning("the previous ports are taken; starting on new ones");
    }
    return launch(m_extraArgs);
}

bool ServerProcess::launch(const QStringList& extra) {
    QStringList args{QStringLiteral("--host"),           QStringLiteral("127.0.0.1"),
                     QStringLiteral("--data-dir"),       dataDir(),
                     QStringLiteral("--admin-password"), QString::fromLatin1(kAdminPassword)};
    args += extra;
    std::vector<std::string> argv;
    for (const auto& a : args)
        argv.push_back(a.toStdString());
    if (!m_launcher->start(argv)) {
        qWarning("%s", m_launcher->error().c_str());
        return false;
    }
    m_httpPort = m_launcher->httpPort();
    m_wsPort = m_launcher->wsPort();
    return true;
}

bool ServerProcess::stop() {
    return m_launcher->stop() == 0;
}

void ServerProcess::kill() {
    m_launcher->kill();
}

bool ServerProcess::restart() {
    if (!stop())
        return false;
    return start();
}

} // namespace parley::test
