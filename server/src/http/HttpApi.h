#pragma once
// The REST listener (cpp-httplib): the contract's routes, /healthz, the widget config, and the
// widget and storefront files from the web root. Handlers parse and validate the request, call
// ChatService, and serialize; ApiError becomes the contract's error body in exactly one place.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace parley::server {

class ChatService;

struct HttpOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::uint16_t wsPort = 8081;
    std::string publicWsUrl;         // overrides the ws URL the widget config reports
    std::string webRoot;             // widget.js, index.html, assets/
    std::string allowedOrigin = "*"; // CORS for the widget on shop pages (tokens, not cookies)
    int threads = 64;                // requests handled at once; idle connections hold none
    std::size_t maxBodyBytes = 64 * 1024;
    int keepAliveSeconds = 10;
};

class HttpApi {
public:
    // realtimeAccepting: whether the WebSocket listener accepts connections (for /healthz).
    HttpApi(ChatService& chat, HttpOptions options, std::function<bool()> realtimeAccepting);
    ~HttpApi();

    void bind();  // throws std::runtime_error when the address cannot be bound
    void serve(); // blocks until stop(); in-flight requests finish before it returns
    void stop();
    bool accepting() const;
    std::uint16_t port() const;

private:
    void routes();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace parley::server
