#include "ServerLauncher.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace parley::test {

namespace {

using Clock = std::chrono::steady_clock;

// A descriptor that becomes readable when the process exits (Linux 5.3+), or -1.
int pidfdOf(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

bool hasFlag(const std::vector<std::string>& args, const std::string& flag) {
    return std::any_of(args.begin(), args.end(),
                       [&](const std::string& a) { return a == flag || a.rfind(flag + "=", 0) == 0; });
}

int portAfter(const std::string& line, const std::string& key) {
    const auto at = line.find(key);
    return at == std::string::npos ? 0 : std::atoi(line.c_str() + at + key.size());
}

} // namespace

ServerLauncher::ServerLauncher(std::string binary, std::string workDir)
    : m_binary(std::move(binary))
    , m_portsPath(workDir + "/ports")
    , m_logPath(workDir + "/server.log") {}

ServerLauncher::~ServerLauncher() {
    stop();
}

bool ServerLauncher::start(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    m_error.clear();
    if (m_pid > 0) {
        m_error = "already running";
        return false;
    }
    ::unlink(m_portsPath.c_str());
    m_httpPort = m_wsPort = 0;

    std::vector<std::string> argv{m_binary};
    if (!hasFlag(args, "--http-port"))
        argv.insert(argv.end(), {"--http-port", "0"});
    // Test machines are small and loaded (ctest -j2 on two cores, sanitizers): a request may wait
    // for a handler longer than the 40 ms default while the server is nowhere near saturation.
    // The tests about overload set the flag themselves.
    if (!hasFlag(args, "--http-queue-wait-ms"))
        argv.insert(argv.end(), {"--http-queue-wait-ms", "10000"});
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--ports-file", m_portsPath});
    std::vector<char*> cargv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);

    // Watch for the ports file before the server can write it (it renames it into place).
    Fd watch{::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)};
    const auto dir = m_portsPath.substr(0, m_portsPath.rfind('/'));
    if (watch.fd >= 0)
        ::inotify_add_watch(watch.fd, dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        m_error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec. The server dies with the thread that
        // started it (a crashed test leaves no server behind).
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent)
            ::_exit(1);
        const int log = ::open(m_logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        const int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
        }
        if (null >= 0)
            ::dup2(null, 0);
        ::execv(cargv[0], cargv.data());
        const char msg[] = "cannot execute the parley-server binary\n";
        [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    m_pid = pid;
    Fd exited{pidfdOf(pid)};

    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (readPorts())
            return true;
        const int code = reap(false);
        if (code != -2) {
            m_error = "parley-server exited during start-up (" +
                      (code >= 0 ? "exit code " + std::to_string(code) : std::string("killed by a signal")) +
                      "):\n" + outputTail();
            return false;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            break;
        // Wake on the file's arrival or the process's exit; without inotify or pidfd, look again
        // every 100 ms.
        pollfd fds[2] = {{watch.fd, POLLIN, 0}, {exited.fd, POLLIN, 0}};
        const bool events = watch.fd >= 0 && exited.fd >= 0;
        ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), events ? 1000 : 100)));
        if (watch.fd >= 0) {
            char drain[4096];
            while (::read(watch.fd, drain, sizeof drain) > 0) {
            }
        }
    }
    m_error =
        "parley-server did not listen within " + std::to_string(timeout.count()) + " ms:\n" + outputTail();
    kill();
    return false;
}

bool ServerLauncher::readPorts() {
    std::ifstream f(m_portsPath);
    std::string line;
    if (!f || !std::getline(f, line))
        return false;
    m_httpPort = static_cast<std::uint16_t>(portAfter(line, "http="));
    m_wsPort = static_cast<std::uint16_t>(portAfter(line, "ws="));
    return m_httpPort != 0;
}

int ServerLauncher::reap(bool wait) {
    if (m_pid <= 0)
        return -2;
    int status = 0;
    pid_t r;
    do
        r = ::waitpid(m_pid, &status, wait ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return -2;
    m_pid = 0;
    if (r < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ServerLauncher::stop(std::chrono::milliseconds timeout) {
    if (m_pid <= 0)
        return 0;
    ::kill(m_pid, SIGTERM);
    Fd exited{pidfdOf(m_pid)};
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const int code = reap(false);
        if (code != -2)
            return code;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            break;
        pollfd p{exited.fd, POLLIN, 0};
        ::poll(&p, exited.fd >= 0 ? 1 : 0,
               static_cast<int>(std::min<long long>(left.count(), exited.fd >= 0 ? 1000 : 20)));
    }
    kill();
    return -1;
}

void ServerLauncher::kill() {
    if (m_pid <= 0)
        return;
    ::kill(m_pid, SIGKILL);
    reap(true);
}

bool ServerLauncher::running() {
    return reap(false) == -2 && m_pid > 0;
}

std::string ServerLauncher::output() const {
    std::ifstream f(m_logPath);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

std::string ServerLauncher::outputTail(std::size_t lines) const {
    std::ifstream f(m_logPath);
    std::deque<std::string> tail;
    for (std::string l; std::getline(f, l);) {
        tail.push_back(l);
        if (tail.size() > lines)
            tail.pop_front();
    }
    std::string out;
    for (const auto& l : tail)
        out += l + "\n";
    return out;
}

} // namespace parley::test
