#pragma once
// The one place where a benchmark starts the process it measures (parley-server or
// parley-bench-bare): a temporary data dir, loopback ports, a CPU set, killed with the benchmark.
//
// Ports: a binary whose --help offers --ports-file is started with --http-port 0 --ports-file FILE
// and the ports are read back from FILE; otherwise free ports are picked here and passed as
// --http-port (and --ws-port when the binary has one). Ready = GET /healthz answers 200.

#include <string>
#include <sys/types.h>
#include <vector>

namespace parley::bench {

struct LaunchSpec {
    std::string binary;
    std::vector<std::string> args; // after the data-dir and port flags (later flags win)
    std::string dataParent;        // the temporary dir is made here
    std::vector<int> cpus;         // the process's CPU set (empty: this process's own)
    bool keep = false;             // keep the temporary dir (data and log) at the end
};

class LaunchedProcess {
public:
    LaunchedProcess() = default;
    LaunchedProcess(const LaunchedProcess&) = delete;
    LaunchedProcess& operator=(const LaunchedProcess&) = delete;
    ~LaunchedProcess() { stop(); }

    void start(const LaunchSpec& spec); // throws with the log's tail if it does not become healthy
    std::string stop();                 // SIGTERM, SIGKILL after 20 s; the exit, in words

    pid_t pid() const { return m_pid; }
    int httpPort() const { return m_httpPort; }
    int wsPort() const { return m_wsPort; } // 0: none of its own (/ws on the HTTP port)
    const std::string& dataDir() const { return m_dataDir; }
    std::vector<std::string> problems() const; // log lines with WARN or ERROR
    std::string logTail(std::size_t lines = 40) const;

private:
    pid_t m_pid = 0;
    int m_httpPort = 0;
    int m_wsPort = 0;
    std::string m_root;
    std::string m_dataDir;
    std::string m_log;
    bool m_keep = false;
};

} // namespace parley::bench
