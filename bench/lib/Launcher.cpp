#include "Launcher.h"

#include "Proc.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace parley::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int freePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        ::close(fd);
    if (port == 0)
        throw std::runtime_error("no free loopback port");
    return port;
}

// The binary's --help text (at most 64 KiB, 10 s).
std::string helpOf(const std::string& binary) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    const pid_t pid = ::fork();
    if (pid < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::execl(binary.c_str(), binary.c_str(), "--help", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[4096];
    const auto deadline = Clock::now() + 10s;
    for (ssize_t n;
         out.size() < 65536 && Clock::now() < deadline && (n = ::read(fds[0], buf, sizeof buf)) > 0;)
        out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw std::runtime_error("cannot run " + binary);
    return out;
}

// The ports a binary wrote to its --ports-file: JSON ({"http": 8080, "ws": 8081}) or lines
// ("http=8080", "http: 8080", "http 8080"); a name containing "http" is the HTTP port, one
// containing "ws" or "websocket" the WebSocket's. A file with one bare number is the HTTP port.
bool readPortsFile(const std::string& path, int& http, int& ws) {
    std::ifstream f(path);
    std::stringstream text;
    text << f.rdbuf();
    const std::string s = text.str();
    if (s.empty() || s.back() != '\n') // written whole, newline last
        return false;
    auto take = [&](std::string name, long long port) {
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (port <= 0 || port > 65535)
            return;
        if (name.find("http") != std::string::npos)
            http = static_cast<int>(port);
        else if (name.find("ws") != std::string::npos || name.find("websocket") != std::string::npos)
            ws = static_cast<int>(port);
    };
    const auto j = nlohmann::json::parse(s, nullptr, false);
    if (j.is_object()) {
        for (const auto& [k, v] : j.items())
            if (v.is_number_integer())
                take(k, v.get<long long>());
    } else if (j.is_number_integer()) {
        take("http", j.get<long long>());
    } else {
        static const std::regex line(R"(([A-Za-z_-]+)\s*[=: ]\s*(\d+))");
        for (std::sregex_iterator it(s.begin(), s.end(), line), end; it != end; ++it)
            take((*it)[1].str(), std::stoll((*it)[2].str()));
    }
    return http > 0;
}

} // namespace

void LaunchedProcess::start(const LaunchSpec& spec) {
    const std::string help = helpOf(spec.binary);
    std::string pattern = spec.dataParent + "/parley-bench-XXXXXX";
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create a temporary dir in " + spec.dataParent + ": " +
                                 std::strerror(errno));
    m_root = pattern;
    m_keep = spec.keep;
    m_dataDir = m_root + "/data";
    m_log = m_root + "/server.log";
    const std::string portsFile = m_root + "/ports";
    const bool usePortsFile = help.find("--ports-file") != std::string::npos;

    std::vector<std::string> args = {spec.binary, "--host", "127.0.0.1", "--data-dir", m_dataDir};
    if (usePortsFile) {
        args.insert(args.end(), {"--http-port", "0", "--ports-file", portsFile});
    } else {
        m_httpPort = freePort();
        args.insert(args.end(), {"--http-port", std::to_string(m_httpPort)});
        if (help.find("--ws-port") != std::string::npos) {
            do
                m_wsPort = freePort();
            while (m_wsPort == m_httpPort);
            args.insert(args.end(), {"--ws-port", std::to_string(m_wsPort)});
        }
    }
    args.insert(args.end(), spec.args.begin(), spec.args.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    const pid_t parent = ::getpid();
    m_pid = ::fork();
    if (m_pid < 0)
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (m_pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM); // never outlive the benchmark
        if (::getppid() != parent)
            ::_exit(1);
        const int fd = ::open(m_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        if (!spec.cpus.empty()) { // before exec: every thread it ever starts inherits the set
            cpu_set_t set;
            CPU_ZERO(&set);
            for (int c : spec.cpus)
                CPU_SET(c, &set);
            if (::sched_setaffinity(0, sizeof set, &set) != 0) {
                std::fprintf(stderr, "sched_setaffinity: %s\n", std::strerror(errno));
                ::_exit(126);
            }
        }
        ::execv(argv[0], argv.data());
        std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(errno));
        ::_exit(127);
    }

    const auto deadline = Clock::now() + 60s;
    std::optional<httplib::Client> probe;
    while (Clock::now() < deadline) {
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = 0;
            throw std::runtime_error(spec.binary + " exited during start-up:\n" + logTail());
        }
        if (m_httpPort == 0 && usePortsFile) {
            int http = 0, ws = 0;
            if (readPortsFile(portsFile, http, ws)) {
                m_httpPort = http;
                m_wsPort = ws == http ? 0 : ws;
            }
        }
        if (m_httpPort != 0) {
            if (!probe) {
                probe.emplace("127.0.0.1", m_httpPort);
                probe->set_connection_timeout(1);
            }
            if (auto r = probe->Get("/healthz"); r && r->status == 200)
                return;
        }
        std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error(spec.binary + " did not become healthy in 60 s:\n" + logTail());
}

std::string LaunchedProcess::stop() {
    std::string result;
    if (m_pid > 0) {
        ::kill(m_pid, SIGTERM);
        int status = 0;
        const auto deadline = Clock::now() + 20s;
        pid_t r = 0;
        while ((r = ::waitpid(m_pid, &status, WNOHANG)) == 0 && Clock::now() < deadline)
            std::this_thread::sleep_for(20ms);
        if (r == 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, &status, 0);
            result = "killed after 20 s without exiting on SIGTERM";
        } else if (WIFEXITED(status)) {
            result = "exit code " + std::to_string(WEXITSTATUS(status));
        } else {
            result = "signal " + std::to_string(WTERMSIG(status));
        }
        m_pid = 0;
    }
    if (!m_root.empty()) {
        if (m_keep) {
            std::printf("kept %s (data and server.log)\n", m_root.c_str());
        } else {
            std::error_code ec;
            std::filesystem::remove_all(m_root, ec);
        }
        m_root.clear();
    }
    return result;
}

std::vector<std::string> LaunchedProcess::problems() const {
    std::ifstream f(m_log);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);)
        if (l.find(" WARN ") != std::string::npos || l.find(" ERROR ") != std::string::npos)
            out.push_back(l);
    return out;
}

std::string LaunchedProcess::logTail(std::size_t maxLines) const {
    std::ifstream f(m_log);
    std::deque<std::string> lines;
    for (std::string l; std::getline(f, l);) {
        lines.push_back(l);
        if (lines.size() > maxLines)
            lines.pop_front();
    }
    std::string out;
    for (const auto& l : lines)
        out += "  | " + l + "\n";
    return out;
}

} // namespace parley::bench
