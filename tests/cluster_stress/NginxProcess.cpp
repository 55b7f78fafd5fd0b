#include "NginxProcess.h"

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#ifndef PARLEY_SOURCE_DIR
#error "PARLEY_SOURCE_DIR must name the source tree (parley_test_support defines it)"
#endif
#ifndef PARLEY_NGINX_BINARY
#define PARLEY_NGINX_BINARY "/usr/sbin/nginx"
#endif

namespace parley::test {

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Replaces the one occurrence of from; false when there is none or more than one (the shipped
// file changed shape: the test must be told, not silently run on something else).
bool replaceOnce(std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at == std::string::npos || text.find(from, at + 1) != std::string::npos)
        return false;
    text.replace(at, from.size(), to);
    return true;
}

// A port the kernel has just handed out as free on 127.0.0.1 (released again, so nginx can bind it).
std::uint16_t freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    std::uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
        port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

} // namespace

NginxProcess::NginxProcess(std::string workDir)
    : m_workDir(std::move(workDir)) {}

NginxProcess::~NginxProcess() {
    stop();
}

std::string NginxProcess::errorLog() const {
    return readFile(m_workDir + "/error.log");
}

bool NginxProcess::renderSite(const std::vector<std::uint16_t>& nodePorts, std::uint16_t port) {
    const std::string shipped =
        std::string(PARLEY_SOURCE_DIR) + "/installers/cluster/parley-cluster.nginx.conf";
    std::string site = readFile(shipped);
    if (site.empty()) {
        m_error = "cannot read " + shipped;
        return false;
    }
    bool ok = replaceOnce(site, "listen 80;", "listen 127.0.0.1:" + std::to_string(port) + ";") &&
              replaceOnce(site, "listen [::]:80;", "");
    for (std::size_t i = 0; ok && i < nodePorts.size(); ++i)
        ok = replaceOnce(site, "server 127.0.0.1:808" + std::to_string(i + 1) + " ",
                         "server 127.0.0.1:" + std::to_string(nodePorts[i]) + " ");
    // A node line of the shipped file left over would send requests to a port of nobody's.
    ok = ok && site.find("server 127.0.0.1:808") == std::string::npos;
    if (!ok) {
        m_error = shipped + " no longer has one `listen 80;`, one `listen [::]:80;` and exactly " +
                  std::to_string(nodePorts.size()) + " lines `server 127.0.0.1:808N ...` to substitute";
        return false;
    }
    std::ofstream(m_workDir + "/site.conf") << site;

    // The main file nginx.conf of Debian would give, reduced to what the site needs, all paths here.
    std::ostringstream main;
    main << "daemon off;\nmaster_process on;\nworker_processes 1;\n"
         << "pid " << m_workDir << "/nginx.pid;\n"
         << "error_log " << m_workDir << "/error.log notice;\n";
    if (::geteuid() == 0) // else the workers would run as nobody and not reach the temp dirs
        if (const passwd* pw = ::getpwuid(0))
            main << "user " << pw->pw_name << ";\n";
    main << "events { worker_connections 1024; }\n"
         << "http {\n  access_log off;\n"
         << "  client_body_temp_path " << m_workDir << "/tmp/body;\n"
         << "  proxy_temp_path " << m_workDir << "/tmp/proxy;\n"
         << "  fastcgi_temp_path " << m_workDir << "/tmp/fastcgi;\n"
         << "  uwsgi_temp_path " << m_workDir << "/tmp/uwsgi;\n"
         << "  scgi_temp_path " << m_workDir << "/tmp/scgi;\n"
         << "  include " << m_workDir << "/site.conf;\n}\n";
    std::ofstream(m_workDir + "/nginx.conf") << main.str();
    ::mkdir((m_workDir + "/tmp").c_str(), 0700);
    return true;
}

bool NginxProcess::start(const std::vector<std::uint16_t>& nodePorts) {
    m_error.clear();
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freePort();
        if (m_port == 0) {
            m_error = "no free port";
            return false;
        }
        if (!renderSite(nodePorts, m_port))
            return false;
        if (launch())
            return true;
        if (!m_portTaken)
            return false;
    }
    m_error = "nginx found every port it was given taken: " + m_error;
    return false;
}

bool NginxProcess::launch() {
    m_portTaken = false;
    ::unlink((m_workDir + "/error.log").c_str());
    const std::string prefix = m_workDir + "/";
    const std::string conf = m_workDir + "/nginx.conf";
    const std::string errorLogPath = m_workDir + "/error.log";
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        m_error = "fork failed";
        return false;
    }
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the test
        if (::getppid() != parent)
            ::_exit(127);
        const int out = ::open((m_workDir + "/nginx.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (out >= 0) {
            ::dup2(out, 1);
            ::dup2(out, 2);
        }
        // -e: the error log from the very start (before the config is read), not /var/log/nginx.
        ::execl(PARLEY_NGINX_BINARY, "nginx", "-p", prefix.c_str(), "-c", conf.c_str(), "-e",
                errorLogPath.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    m_pid = pid;

    // Ready when the master has bound its port and started its worker ("start worker process" in
    // the error log at level notice); failed when it exits first. Waits on the process's exit
    // (pidfd) between looks at the log, bounded.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool ready = false;
    while (std::chrono::steady_clock::now() < deadline) {
        if (errorLog().find("start worker process") != std::string::npos) {
            ready = true;
            break;
        }
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            m_pid = 0;
            break;
        }
        if (pidfd >= 0) {
            pollfd p{pidfd, POLLIN, 0};
            ::poll(&p, 1, 20);
        } else {
            ::usleep(20000);
        }
    }
    if (pidfd >= 0)
        ::close(pidfd);
    if (ready)
        return true;
    const auto log = errorLog() + readFile(m_workDir + "/nginx.out");
    m_portTaken = log.find("Address already in use") != std::string::npos;
    m_error = (m_pid ? "nginx did not start in time: " : "nginx exited: ") + log;
    stop();
    return false;
}

void NginxProcess::stop() {
    if (m_pid <= 0)
        return;
    ::kill(m_pid, SIGTERM); // fast shutdown; SIGKILL after a bound
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0)
            ::kill(m_pid, SIGKILL);
        ::close(pidfd);
    }
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    m_pid = 0;
}

} // namespace parley::test
