#include "http/HttpApi.h"

#include "app/ChatService.h"
#include "http/Routes.h"
#include "parley/protocol/Errors.h"

namespace parley::server {

namespace errors = protocol::errors;
using nlohmann::json;

namespace {

bool isApiPath(const Request& req) {
    return req.path().starts_with("/api/");
}

// A Host header fit to name in a URL: a name or address and an optional port, nothing else.
bool plainHost(std::string_view host) {
    if (host.empty() || host.size() > 255)
        return false;
    for (char c : host)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '-' || c == '_' || c == ':' || c == '[' || c == ']'))
            return false;
    return true;
}

// "example.com:8080" -> "example.com", "[::1]:8080" -> "[::1]".
std::string_view withoutPort(std::string_view host) {
    if (!host.empty() && host.front() == '[')
        return host.substr(0, host.find(']') + 1);
    if (const auto colon = host.rfind(':'); colon != std::string_view::npos)
        return host.substr(0, colon);
    return host;
}

} // namespace

HttpApi::HttpApi(ChatService& chat, HttpApiOptions options, std::function<bool()> realtimeAccepting)
    : m_chat(chat)
    , m_options(std::move(options))
    , m_realtimeAccepting(std::move(realtimeAccepting))
    , m_files(m_options.webRoot) {
    addServerRoutes();
    addCustomerRoutes(m_router, m_chat);
    addAgentRoutes(m_router, m_chat);
    addAdminRoutes(m_router, m_chat);
}

void HttpApi::setPorts(std::uint16_t httpPort, std::optional<std::uint16_t> wsPort) {
    m_httpPort = httpPort;
    m_wsPort = wsPort;
}

std::string HttpApi::wsUrlFor(const Request& req) const {
    if (!m_options.publicWsUrl.empty())
        return m_options.publicWsUrl;
    // The host (and port) the request came to, as the client named it; behind a TLS proxy that
    // says so, wss.
    const bool tls = equalsIgnoringCase(req.header("X-Forwarded-Proto"), "https");
    std::string host(req.header("Host"));
    if (!plainHost(host)) {
        const bool v6 = m_options.host.find(':') != std::string::npos;
        host = (v6 ? "[" + m_options.host + "]" : m_options.host) + ":" + std::to_string(m_httpPort);
    }
    if (m_wsPort)
        host = std::string(withoutPort(host)) + ":" + std::to_string(*m_wsPort);
    return (tls ? "wss://" : "ws://") + host + "/ws";
}

void HttpApi::addServerRoutes() {
    auto& r = m_router;

    // CORS: the widget runs on the shop's origin and calls us with a bearer token (no cookies).
    r.setPreflight([](const Request& req, Response& res) {
        if (req.method != HttpMethod::Options || !isApiPath(req))
            return false;
        res.status = 204;
        res.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
        res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
        res.setHeader("Access-Control-Max-Age", "86400");
        return true;
    });
    r.setDecorator([this](const Request& req, Response& res) {
        if (!isApiPath(req))
            return;
        res.setHeader("Access-Control-Allow-Origin", m_options.allowedOrigin);
        res.setHeader("Access-Control-Expose-Headers", "Retry-After");
    });

    r.get(
        "/healthz",
        [this](const Request&, Response& res) {
            if (m_realtimeAccepting && !m_realtimeAccepting())
                res.json(503, {{"status", "starting"}});
            else if (auto why = m_options.storeUnavailable ? m_options.storeUnavailable() : std::nullopt)
                res.json(503, {{"status", "unavailable"}, {"reason", *why}});
            else
                res.json(200, {{"status", "ok"}});
        },
        Router::Run::Inline);

    r.get("/api/v1/admin/stats", [this](const Request& req, Response& res) {
        m_chat.requireAdmin(callerOf(m_chat, req));
        res.json(200, m_options.serverStats ? m_options.serverStats() : json::object());
    });

    r.get(
        "/api/v1/widget/config",
        [this](const Request& req, Response& res) {
            json config{{"ws_url", wsUrlFor(req)}};
            if (m_options.widgetStatus)
                config.update(m_options.widgetStatus());
            res.json(200, config);
        },
        m_options.widgetStatus ? Router::Run::Worker : Router::Run::Inline);

    // The widget and the demo storefront: small files, read on the io thread.
    r.setFallback(
        [this](const Request& req, Response& res) {
            if (isApiPath(req))
                res.error(404, errors::kNotFound, "No such endpoint.");
            else
                m_files.serve(req, res);
        },
        Router::Run::Inline);
}

} // namespace parley::server
