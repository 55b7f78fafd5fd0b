#include "ServerProcess.h"

#include "HttpClient.h"

#include <QDeadlineTimer>
#include <QTcpServer>
#include <QThread>

#include <csignal>
#include <sys/prctl.h>

namespace parley::test {

ServerProcess::ServerProcess()
    : m_dataDir(std::make_unique<QTemporaryDir>()) {
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    // A test that aborts (a crash, an uncaught exception) never runs this destructor: the server
    // is then stopped by the kernel instead of living on with its port and temporary data dir.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    QObject::connect(&m_process, &QProcess::readyRead,
                     [this] { m_output += QString::fromUtf8(m_process.readAll()); });
}

ServerProcess::~ServerProcess() {
    if (m_process.state() != QProcess::NotRunning) {
        m_process.terminate();
        if (!m_process.waitForFinished(10000))
            m_process.kill();
        m_process.waitForFinished(5000);
    }
}

quint16 ServerProcess::freePort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QUrl ServerProcess::httpUrl() const {
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_httpPort));
}
QUrl ServerProcess::wsUrl() const {
    return QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(m_wsPort));
}

bool ServerProcess::start(const QStringList& extraArgs) {
    if (!extraArgs.isEmpty() || m_extraArgs.isEmpty())
        m_extraArgs = extraArgs;
    if (m_httpPort == 0) {
        m_httpPort = freePort();
        do {
            m_wsPort = freePort();
        } while (m_wsPort == m_httpPort);
    }
    QStringList args{QStringLiteral("--host"),           QStringLiteral("127.0.0.1"),
                     QStringLiteral("--http-port"),      QString::number(m_httpPort),
                     QStringLiteral("--ws-port"),        QString::number(m_wsPort),
                     QStringLiteral("--data-dir"),       m_dataDir->path(),
                     QStringLiteral("--admin-password"), QString::fromLatin1(kAdminPassword)};
    args += m_extraArgs;
    m_process.start(QStringLiteral(PARLEY_SERVER_BINARY), args);
    if (!m_process.waitForStarted(10000))
        return false;
    return waitHealthy(20000);
}

bool ServerProcess::waitHealthy(int timeoutMs) {
    HttpClient http(m_httpPort);
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (m_process.state() == QProcess::NotRunning) {
            m_output += QString::fromUtf8(m_process.readAll());
            qWarning("parley-server exited during start-up:\n%s", qPrintable(m_output));
            return false;
        }
        auto r = http.get("/healthz");
        if (r.status == 200)
            return true;
        // Polling a port that is not open yet: there is no event to wait for.
        m_process.waitForReadyRead(50);
    }
    qWarning("parley-server did not become healthy:\n%s", qPrintable(m_output));
    return false;
}

bool ServerProcess::stop() {
    if (m_process.state() == QProcess::NotRunning)
        return true;
    m_process.terminate();
    if (!m_process.waitForFinished(20000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
        return false;
    }
    m_output += QString::fromUtf8(m_process.readAll());
    return m_process.exitStatus() == QProcess::NormalExit && m_process.exitCode() == 0;
}

void ServerProcess::kill() {
    m_process.kill();
    m_process.waitForFinished(5000);
}

bool ServerProcess::restart() {
    if (!stop())
        return false;
    return start();
}

} // namespace parley::test
