#pragma once
// Starts the real parley-server binary on free loopback ports with a temporary data dir,
// waits until /healthz answers, and stops it with SIGTERM. restart() keeps data dir and ports.

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

namespace parley::test {

class ServerProcess {
public:
    static constexpr const char* kAdminPassword = "admin-secret-1";

    ServerProcess();
    ~ServerProcess();

    // extraArgs are appended to the command line (e.g. "--agent-grace-seconds", "2").
    bool start(const QStringList& extraArgs = {});
    bool stop();    // SIGTERM; true when it exited with code 0
    void kill();    // SIGKILL, for crash tests
    bool restart(); // stop + start with the same data dir, ports and arguments

    quint16 httpPort() const { return m_httpPort; }
    quint16 wsPort() const { return m_wsPort; }
    QString dataDir() const { return m_dataDir->path(); }
    QUrl httpUrl() const;
    QUrl wsUrl() const;
    QString output() const { return m_output; } // everything the server printed so far
    QProcess& process() { return m_process; }

    static quint16 freePort();

private:
    bool waitHealthy(int timeoutMs);

    std::unique_ptr<QTemporaryDir> m_dataDir;
    QProcess m_process;
    QStringList m_extraArgs;
    QString m_output;
    quint16 m_httpPort = 0;
    quint16 m_wsPort = 0;
};

} // namespace parley::test
