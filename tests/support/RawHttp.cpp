#include "RawHttp.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace parley::test {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace

std::string RawResponse::header(std::string_view name) const {
    const std::string want = lower(name) + ":";
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
        const auto end = head.find("\r\n", pos + 2);
        const std::string line =
            head.substr(pos + 2, end == std::string::npos ? std::string::npos : end - pos - 2);
        if (lower(line).rfind(want, 0) == 0) {
            auto value = line.substr(want.size());
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            return value;
        }
        pos = end;
    }
    return {};
}

RawHttp::~RawHttp() {
    close();
}

bool RawHttp::connect(std::uint16_t port, const char* host) {
    close();
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0)
        return false;
    const int on = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, host, &addr.sin_addr);
    if (::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close();
        return false;
    }
    return true;
}

bool RawHttp::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool RawHttp::fill(Clock::time_point deadline) {
    if (m_fd < 0 || m_eof)
        return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0)
        return false;
    pollfd p{m_fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
        return false;
    char buf[16384];
    const auto n = ::recv(m_fd, buf, sizeof buf, 0);
    if (n <= 0) {
        m_eof = true;
        return false;
    }
    m_buffer.append(buf, static_cast<std::size_t>(n));
    return true;
}

RawResponse RawHttp::read(std::chrono::milliseconds timeout, bool noBody) {
    const auto deadline = Clock::now() + timeout;
    RawResponse r;
    std::size_t end;
    while ((end = m_buffer.find("\r\n\r\n")) == std::string::npos)
        if (!fill(deadline))
            return r;
    r.head = m_buffer.substr(0, end);
    std::size_t at = end + 4;
    const int status = std::atoi(r.head.c_str() + r.head.find(' ') + 1);
    if (status == 100) { // an interim answer: the caller reads the final one next
        m_buffer.erase(0, at);
        r.status = 100;
        return r;
    }
    if (!noBody && status != 204 && status != 304) {
        if (lower(r.header("Transfer-Encoding")).find("chunked") != std::string::npos) {
            for (;;) {
                std::size_t lineEnd;
                while ((lineEnd = m_buffer.find("\r\n", at)) == std::string::npos)
                    if (!fill(deadline))
                        return {};
                const auto size = std::strtoul(m_buffer.c_str() + at, nullptr, 16);
                while (m_buffer.size() < lineEnd + 2 + size + 2)
                    if (!fill(deadline))
                        return {};
                r.body.append(m_buffer, lineEnd + 2, size);
                at = lineEnd + 2 + size + 2;
                if (size == 0)
                    break;
            }
        } else {
            const auto length = static_cast<std::size_t>(std::atoll(r.header("Content-Length").c_str()));
            while (m_buffer.size() < at + length)
                if (!fill(deadline))
                    return {};
            r.body = m_buffer.substr(at, length);
            at += length;
        }
    }
    m_buffer.erase(0, at);
    r.status = status;
    return r;
}

bool RawHttp::waitClosed(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!m_eof) {
        m_buffer.clear();
        if (!fill(deadline) && !m_eof)
            return false;
    }
    return true;
}

void RawHttp::close() {
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_buffer.clear();
    m_eof = false;
}

RawResponse rawGet(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
    RawHttp c;
    if (!c.connect(port))
        return {};
    if (!c.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
        return {};
    return c.read(timeout);
}

} // namespace parley::test
