#pragma once
// The real parley-server binary for a Qt test: a temporary data dir, started through the shared
// ServerLauncher on ports the server picks itself (--http-port 0, read back from --ports-file),
// so parallel tests never race for a port. restart() keeps the data dir and the ports.
// One port serves REST and the WebSocket (/ws); a test that passes "--ws-port 0" gets a second,
// WebSocket-only port as well (wsPort()).

#include "ServerLauncher.h"

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
    quint16 wsPort() const { return m_wsPort; } // the HTTP port unless --ws-port was given
    QString dataDir() const { return m_dataDir->path() + QStringLiteral("/data"); }
    QUrl httpUrl() const;
    QUrl wsUrl() const;     // ws://127.0.0.1:wsPort()/ws
    QString output() const; // everything the server printed so far
    qint64 pid() const { return m_launcher->pid(); }
    bool running() const { return m_launcher->running(); } // started and not exited since

private:
    bool launch(const QStringList& args);

    std::unique_ptr<QTemporaryDir> m_dataDir;
    std::unique_ptr<ServerLauncher> m_launcher;
    QStringList m_extraArgs;
    quint16 m_httpPort = 0;
    quint16 m_wsPort = 0;
};

} // namespace parley::test
