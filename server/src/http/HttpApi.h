#pragma once
// The REST API's routes: the contract's calls, /healthz, the widget config, and the widget and
// storefront files from the web root. Handlers parse and validate the request, call ChatService,
// and serialize; Router::run turns ApiError into the contract's error body in one place. The
// transport (HttpServer) is separate: this class only fills a Router.

#include "http/Router.h"
#include "http/StaticFiles.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace parley::server {

class ChatService;

struct HttpApiOptions {
    std::string host = "127.0.0.1";  // where the listeners are (for the widget config's fallback)
    std::string publicWsUrl;         // overrides the ws URL the widget config reports
    std::string webRoot;             // widget.js, index.html, assets/
    std::string allowedOrigin = "*"; // CORS for the widget on shop pages (tokens, not cookies)
    // More fields for GET /api/v1/widget/config (open_now, ...); read from the store, so the
    // call then runs on a worker.
    std::function<nlohmann::json()> widgetStatus;
    // Why the node cannot serve now (its database cannot be reached), or nothing: /healthz.
    std::function<std::optional<std::string>()> storeUnavailable;
    // The body of GET /api/v1/admin/stats: the store's writer counters.
    std::function<nlohmann::json()> serverStats;
};

class HttpApi {
public:
    // realtimeAccepting: whether the realtime side takes WebSocket upgrades (for /healthz).
    HttpApi(ChatService& chat, HttpApiOptions options, std::function<bool()> realtimeAccepting);

    // The bound ports, once known: the widget config names /ws on the HTTP port unless a separate
    // WebSocket port (--ws-port) or --public-ws-url says otherwise.
    void setPorts(std::uint16_t httpPort, std::optional<std::uint16_t> wsPort);

    const Router& router() const { return m_router; }
    // For routes the composition root adds before serving (features with services of their own).
    Router& routes() { return m_router; }

private:
    void addServerRoutes();
    std::string wsUrlFor(const Request& req) const;

    ChatService& m_chat;
    HttpApiOptions m_options;
    std::function<bool()> m_realtimeAccepting;
    StaticFiles m_files;
    Router m_router;
    std::uint16_t m_httpPort = 0;
    std::optional<std::uint16_t> m_wsPort;
};

} // namespace parley::server
