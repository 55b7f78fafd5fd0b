#pragma once
// Starts a parley-server binary for a test or a benchmark, without Qt: fork/exec with the given
// flags plus --ports-file (and --http-port 0 unless the flags name a port), then waits until the
// server has written the file, that is until it listens; the ports it got are read from there.
// No port is ever picked by the caller, so parallel tests (ctest -j) cannot race for one.
// Stops with SIGTERM, then SIGKILL. The server's output goes to a log file in workDir.
// With PARLEY_TEST_PG_SOCKET_DIR set (the `pg` suites, tests/pg/start.sh), the server runs on a new
// empty PostgreSQL database of this launcher's (kept across restarts, dropped by the destructor)
// unless the flags name a --database.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::test {

class ServerLauncher {
public:
    // workDir: an existing directory of the caller's for the ports file and server.log.
    ServerLauncher(std::string binary, std::string workDir);
    ~ServerLauncher(); // stop()
    ServerLauncher(const ServerLauncher&) = delete;
    ServerLauncher& operator=(const ServerLauncher&) = delete;

    // Runs binary with args; true once it listens. False when it exits first, or does not listen
    // within timeout (then it is killed); error() says why, with the end of its output.
    bool start(const std::vector<std::string>& args,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));
    // SIGTERM, and SIGKILL after timeout. The exit code, or -1 when it had to be killed or died
    // of a signal; 0 when nothing was running.
    int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    void kill(); // SIGKILL, for crash tests
    bool running();

    pid_t pid() const { return m_pid; }
    std::uint16_t httpPort() const { return m_httpPort; }
    std::uint16_t wsPort() const { return m_wsPort; } // the HTTP port unless --ws-port was given
    const std::string& logPath() const { return m_logPath; }
    std::string output() const; // everything the server printed so far (all runs)
    const std::string& error() const { return m_error; }

private:
    bool readPorts();
    std::string pgDatabaseUrl(); // creates the database on first use; empty on failure (m_error)
    std::string outputTail(std::size_t lines = 40) const;
    int reap(bool wait); // the exit code once it has exited, else -2

    std::string m_binary;
    std::string m_portsPath;
    std::string m_logPath;
    std::string m_error;
    std::string m_pgDatabase;
    pid_t m_pid = 0;
    std::uint16_t m_httpPort = 0;
    std::uint16_t m_wsPort = 0;
};

} // namespace parley::test
