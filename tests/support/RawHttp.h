#pragma once
// A raw TCP connection for tests that must misbehave in ways an HTTP client does not allow:
// pieces of a request, bytes sent slowly, broken framing, pipelining, huge headers. Blocking
// POSIX sockets with deadlines; no Qt, no event loop, usable from many threads at once.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::test {

struct RawResponse {
    int status = 0;   // 0: no complete response (closed, or timed out)
    std::string head; // status line and header fields
    std::string body;
    std::string header(std::string_view name) const; // "" when absent
};

class RawHttp {
public:
    RawHttp() = default;
    ~RawHttp();
    RawHttp(const RawHttp&) = delete;
    RawHttp& operator=(const RawHttp&) = delete;

    bool connect(std::uint16_t port, const char* host = "127.0.0.1");
    // False once the peer has closed (or reset) the connection.
    bool send(std::string_view bytes);
    // One response (Content-Length or chunked body; no body for HEAD/204/304 when noBody).
    RawResponse read(std::chrono::milliseconds timeout = std::chrono::seconds(10), bool noBody = false);
    // Waits for the peer to close the connection (EOF or reset), discarding what it sends.
    bool waitClosed(std::chrono::milliseconds timeout);
    void close();
    int fd() const { return m_fd; }

private:
    bool fill(std::chrono::steady_clock::time_point deadline); // reads more into m_buffer
    int m_fd = -1;
    std::string m_buffer;
    bool m_eof = false;
};

// GET path on its own connection with Connection: close; the response.
RawResponse rawGet(std::uint16_t port, const std::string& path,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

} // namespace parley::test
