#pragma once
// nginx in front of the test cluster, run on the site config we ship
// (installers/cluster/parley-cluster.nginx.conf) with only its ports substituted: the node lines
// point at the test's nodes and `listen 80` becomes a free port on 127.0.0.1. nginx runs in the
// foreground (`daemon off`) with its own prefix, pid file, temp dirs and error log under workDir.
// nginx cannot report a port it picked, so start() takes a port the kernel says is free and
// tries again (a few times) when nginx finds it taken by then.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace parley::test {

class NginxProcess {
public:
    // workDir: an existing directory of the caller's.
    explicit NginxProcess(std::string workDir);
    ~NginxProcess(); // stop()
    NginxProcess(const NginxProcess&) = delete;
    NginxProcess& operator=(const NginxProcess&) = delete;

    // Renders the shipped site with these node ports (as many as the shipped file names) and
    // starts nginx; true once it listens. error() says why not.
    bool start(const std::vector<std::uint16_t>& nodePorts);
    void stop();

    std::uint16_t port() const { return m_port; }
    const std::string& error() const { return m_error; }
    std::string errorLog() const;

private:
    bool renderSite(const std::vector<std::uint16_t>& nodePorts, std::uint16_t port);
    bool launch(); // false with m_error; m_portTaken when the port was taken meanwhile

    std::string m_workDir;
    std::string m_error;
    pid_t m_pid = 0;
    std::uint16_t m_port = 0;
    bool m_portTaken = false;
};

} // namespace parley::test
