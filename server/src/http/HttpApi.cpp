#include "http/HttpApi.h"

#include "app/ApiError.h"
#include "app/ChatService.h"
#include "http/KeepAliveServer.h"
#include "http/StaticFiles.h"
#include "parley/protocol/Codec.h"
#include "util/Json.h"
#include "util/Log.h"
#include "util/Text.h"

#include <httplib.h>

#include <atomic>
#include <charconv>

namespace parley::server {

using nlohmann::json;
namespace errors = protocol::errors;

namespace {

void writeJson(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json; charset=utf-8");
}

void writeError(httplib::Response& res, int status, const std::string& code, const std::string& message) {
    writeJson(res, status, json{{"error", {{"code", code}, {"message", message}}}});
}

// --- request parsing: every failure is a 400 with a message that names the field ------------------

json parseBody(const httplib::Request& req) {
    if (req.body.empty())
        return json::object();
    // Rejects invalid UTF-8, duplicate keys and deep nesting, so nothing invalid gets stored.
    auto parsed = parseJsonInput(req.body);
    if (!parsed.ok())
        throw ApiError::invalid("The request body " + parsed.error);
    auto body = std::move(parsed.value);
    if (!body.is_object())
        throw ApiError::invalid("The request body must be a JSON object.");
    return body;
}

std::string requireString(const json& body, const char* field) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        throw ApiError::invalid(std::string("Missing field: ") + field + ".");
    if (!it->is_string())
        throw ApiError::invalid(std::string(field) + " must be a string.");
    return it->get<std::string>();
}

std::optional<std::string> optionalString(const json& body, const char* field) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return std::nullopt;
    if (!it->is_string())
        throw ApiError::invalid(std::string(field) + " must be a string.");
    return it->get<std::string>();
}

std::optional<int> optionalInt(const json& body, const char* field) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return std::nullopt;
    if (!it->is_number_integer())
        throw ApiError::invalid(std::string(field) + " must be an integer.");
    const auto v = it->get<long long>();
    if (v < INT32_MIN || v > INT32_MAX)
        throw ApiError::invalid(std::string(field) + " is out of range.");
    return static_cast<int>(v);
}

std::optional<bool> optionalBool(const json& body, const char* field) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return std::nullopt;
    if (!it->is_boolean())
        throw ApiError::invalid(std::string(field) + " must be true or false.");
    return it->get<bool>();
}

std::optional<protocol::Role> optionalRole(const json& body) {
    auto text = optionalString(body, "role");
    if (!text)
        return std::nullopt;
    auto role = protocol::parseRole(*text);
    if (!role)
        throw ApiError::invalid("role must be \"agent\" or \"admin\".");
    return role;
}

std::string bearer(const httplib::Request& req) {
    // RFC 9110: the scheme is case-insensitive and one or more spaces separate it from the token.
    const auto header = req.get_header_value("Authorization");
    constexpr std::string_view scheme = "bearer";
    if (header.size() <= scheme.size() || header[scheme.size()] != ' ' ||
        !std::equal(scheme.begin(), scheme.end(), header.begin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
        throw ApiError::unauthorized("Missing bearer token.");
    const auto token = header.find_first_not_of(' ', scheme.size());
    if (token == std::string::npos)
        throw ApiError::unauthorized("Missing bearer token.");
    return header.substr(token);
}

ChatService::FaqPatch faqPatchFromBody(const json& body) {
    return {optionalString(body, "slug"), optionalString(body, "question"), optionalString(body, "answer"),
            optionalInt(body, "display_order"), optionalBool(body, "is_active")};
}

} // namespace

struct HttpApi::Impl {
    ChatService& chat;
    HttpOptions options;
    std::function<bool()> realtimeAccepting;
    KeepAliveServer server;
    StaticFiles files;
    std::atomic<bool> bound{false};
    int boundPort = 0;

    Impl(ChatService& c, HttpOptions o, std::function<bool()> r)
        : chat(c)
        , options(std::move(o))
        , realtimeAccepting(std::move(r))
        , server(static_cast<std::size_t>(std::max(options.threads, 1)))
        , files(options.webRoot) {}

    using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

    // The one place where errors become the contract's body.
    Handler guarded(Handler h) {
        return [h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
            try {
                h(req, res);
            } catch (const ApiError& e) {
                writeError(res, e.status(), e.code(), e.what());
                if (e.retryAfterSeconds())
                    res.set_header("Retry-After", std::to_string(*e.retryAfterSeconds()));
                if (e.status() == 401)
                    res.set_header("WWW-Authenticate", "Bearer");
            } catch (const json::exception& e) {
                writeError(res, 400, errors::kInvalidRequest, std::string("Invalid request: ") + e.what());
            } catch (const std::exception& e) {
                log::error(std::string("unhandled error in ") + req.method + " " + req.path + ": " +
                           e.what());
                writeError(res, 500, errors::kInternal, "Internal server error.");
            }
        };
    }

    Caller caller(const httplib::Request& req) const { return chat.authenticate(bearer(req)); }
};

HttpApi::HttpApi(ChatService& chat, HttpOptions options, std::function<bool()> realtimeAccepting)
    : m_impl(std::make_unique<Impl>(chat, std::move(options), std::move(realtimeAccepting))) {
    auto& s = m_impl->server;
    // Without TCP_NODELAY every response waits ~40 ms (Nagle + delayed ACK).
    s.set_tcp_nodelay(true);
    s.set_keep_alive_max_count(1000);
    s.set_keep_alive_timeout(m_impl->options.keepAliveSeconds);
    s.set_read_timeout(15, 0);
    s.set_write_timeout(15, 0);
    s.set_payload_max_length(m_impl->options.maxBodyBytes);
    routes();
}

HttpApi::~HttpApi() {
    stop();
}

void HttpApi::bind() {
    auto& o = m_impl->options;
    int port = o.port;
    if (o.port == 0)
        port = m_impl->server.bind_to_any_port(o.host);
    else if (!m_impl->server.bind_to_port(o.host, o.port))
        port = -1;
    if (port <= 0)
        throw std::runtime_error("cannot listen for HTTP on " + o.host + ":" + std::to_string(o.port));
    m_impl->boundPort = port;
    m_impl->server.raiseListenBacklog(4096);
    m_impl->bound = true;
}

void HttpApi::serve() {
    m_impl->server.listen_after_bind();
}
void HttpApi::stop() {
    m_impl->server.stop(); // idle connections close at once, requests in flight still answer
}
bool HttpApi::accepting() const {
    return m_impl->bound && m_impl->server.is_running();
}
std::uint16_t HttpApi::port() const {
    return static_cast<std::uint16_t>(m_impl->boundPort);
}

void HttpApi::routes() {
    auto& s = m_impl->server;
    auto& impl = *m_impl;
    auto& chat = impl.chat;
    auto g = [&impl](Impl::Handler h) { return impl.guarded(std::move(h)); };
    using Req = httplib::Request;
    using Res = httplib::Response;

    // CORS: the widget runs on the shop's origin and calls us with a bearer token (no cookies).
    s.set_pre_routing_handler([&impl](const Req& req, Res& res) {
        // RFC 9112 6.3: a request with neither Content-Length nor Transfer-Encoding has an empty
        // body. cpp-httplib 0.11 instead waits for the peer to close (or fails), so `curl -X POST`
        // without data got a 400. It reads the body after this handler, so say so explicitly.
        if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
            const_cast<Req&>(req).headers.emplace("Content-Length", "0"); // req is not const in httplib
        if (req.path.rfind("/api/", 0) == 0) {
            res.set_header("Access-Control-Allow-Origin", impl.options.allowedOrigin);
            res.set_header("Access-Control-Expose-Headers", "Retry-After");
            if (req.method == "OPTIONS") {
                res.set_header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
                res.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type");
                res.set_header("Access-Control-Max-Age", "86400");
                res.status = 204;
                return httplib::Server::HandlerResponse::Handled;
            }
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });

    // Statuses produced by httplib itself (unknown route, body over the limit) get the contract's body.
    s.set_error_handler([](const Req&, Res& res) {
        if (!res.body.empty())
            return;
        switch (res.status) {
        case 404:
            writeError(res, 404, errors::kNotFound, "No such endpoint.");
            break;
        case 413:
            writeError(res, 413, errors::kPayloadTooLarge, "The request body is too large.");
            break;
        case 400:
            writeError(res, 400, errors::kInvalidRequest, "Malformed request.");
            break;
        case 405:
            writeError(res, 405, errors::kInvalidRequest, "Method not allowed.");
            break;
        default:
            if (res.status >= 500)
                writeError(res, res.status, errors::kInternal, "Internal server error.");
            else
                writeError(res, res.status, errors::kInvalidRequest, "Request failed.");
        }
    });
    s.set_exception_handler([](const Req& req, Res& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        log::error("unhandled exception in " + req.method + " " + req.path + ": " + what);
        writeError(res, 500, errors::kInternal, "Internal server error.");
    });

    s.Get("/healthz", [&impl](const Req&, Res& res) {
        if (impl.realtimeAccepting && !impl.realtimeAccepting())
            writeJson(res, 503, {{"status", "starting"}});
        else
            writeJson(res, 200, {{"status", "ok"}});
    });

    s.Get("/api/v1/widget/config", g([&impl](const Req& req, Res& res) {
              std::string url = impl.options.publicWsUrl;
              if (url.empty()) {
                  std::string host = req.get_header_value("Host");
                  if (host.empty())
                      host = impl.options.host;
                  if (!host.empty() && host.front() == '[') // [::1]:8080
                      host = host.substr(0, host.find(']') + 1);
                  else if (auto colon = host.rfind(':'); colon != std::string::npos)
                      host.resize(colon);
                  url = "ws://" + host + ":" + std::to_string(impl.options.wsPort) + "/ws";
              }
              writeJson(res, 200, {{"ws_url", url}});
          }));

    // --- customers ---
    s.Post("/api/v1/customer/session", g([&chat](const Req&, Res& res) {
               const auto session = chat.createCustomerSession();
               writeJson(res, 201, {{"token", session.token}, {"customer_session_id", session.sessionId}});
           }));

    s.Get("/api/v1/faq", g([&chat](const Req&, Res& res) {
              writeJson(res, 200, {{"faq", chat.activeFaq()}});
          }));

    s.Post("/api/v1/conversations", g([&impl, &chat](const Req& req, Res& res) {
               const auto who = chat.requireCustomer(impl.caller(req));
               const auto r = chat.openConversation(who);
               writeJson(res, r.created ? 201 : 200,
                         {{"conversation", r.conversation}, {"messages", r.messages}});
           }));

    s.Get(R"(/api/v1/conversations/([^/]+))", g([&impl, &chat](const Req& req, Res& res) {
              const auto r = chat.getConversation(impl.caller(req), req.matches[1]);
              writeJson(res, 200, {{"conversation", r.conversation}, {"messages", r.messages}});
          }));

    s.Get(R"(/api/v1/conversations/([^/]+)/messages)", g([&impl, &chat](const Req& req, Res& res) {
              const auto who = impl.caller(req);
              std::int64_t afterSeq = 0;
              if (req.has_param("after_seq")) {
                  if (req.get_param_value_count("after_seq") > 1)
                      throw ApiError::invalid("after_seq must be given once.");
                  const auto text = req.get_param_value("after_seq");
                  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), afterSeq);
                  if (ec != std::errc{} || p != text.data() + text.size() || afterSeq < 0)
                      throw ApiError::invalid("after_seq must be a non-negative integer.");
              }
              writeJson(res, 200, {{"messages", chat.messagesAfter(who, req.matches[1], afterSeq)}});
          }));

    s.Post(R"(/api/v1/conversations/([^/]+)/messages)", g([&impl, &chat](const Req& req, Res& res) {
               const auto who = impl.caller(req);
               const auto body = parseBody(req);
               ChatService::SendRequest send;
               const auto kind = optionalString(body, "kind").value_or("text");
               const auto parsedKind = protocol::parseMessageKind(kind);
               if (!parsedKind || *parsedKind == protocol::MessageKind::Event)
                   throw ApiError::invalid("kind must be \"text\" or \"quick_reply\".");
               send.kind = *parsedKind;
               send.faqSlug = optionalString(body, "faq_slug");
               if (send.kind == protocol::MessageKind::QuickReply)
                   send.content = optionalString(body, "content").value_or("");
               else
                   send.content = requireString(body, "content");
               send.clientMsgId = optionalString(body, "client_msg_id");
               const auto r = chat.sendMessage(who, req.matches[1], send);
               writeJson(res, r.created ? 201 : 200, {{"message", r.message}, {"replies", r.replies}});
           }));

    s.Post(R"(/api/v1/conversations/([^/]+)/handoff)", g([&impl, &chat](const Req& req, Res& res) {
               const auto who = chat.requireCustomer(impl.caller(req));
               writeJson(res, 200, {{"conversation", chat.handoff(who, req.matches[1])}});
           }));

    s.Post(R"(/api/v1/conversations/([^/]+)/close)", g([&impl, &chat](const Req& req, Res& res) {
               const auto who = chat.requireAgent(impl.caller(req));
               writeJson(res, 200, {{"conversation", chat.close(who, req.matches[1])}});
           }));

    // --- agents ---
    s.Post("/api/v1/agent/login", g([&chat](const Req& req, Res& res) {
               const auto body = parseBody(req);
               const auto r = chat.login(requireString(body, "username"), requireString(body, "password"));
               writeJson(res, 200, {{"token", r.token}, {"agent", r.agent}});
           }));

    s.Put("/api/v1/agent/presence", g([&impl, &chat](const Req& req, Res& res) {
              const auto who = chat.requireAgent(impl.caller(req));
              const auto body = parseBody(req);
              const auto presence = protocol::parsePresence(requireString(body, "presence"));
              if (!presence)
                  throw ApiError::invalid("presence must be \"online\" or \"offline\".");
              writeJson(res, 200, {{"agent", chat.setPresence(who, *presence)}});
          }));

    s.Get("/api/v1/agent/conversations", g([&impl, &chat](const Req& req, Res& res) {
              const auto who = chat.requireAgent(impl.caller(req));
              writeJson(res, 200, {{"conversations", chat.myConversations(who)}});
          }));

    s.Get("/api/v1/queue", g([&impl, &chat](const Req& req, Res& res) {
              chat.requireAgent(impl.caller(req));
              writeJson(res, 200, {{"conversations", chat.queue()}});
          }));

    s.Get("/api/v1/agents", g([&impl, &chat](const Req& req, Res& res) {
              chat.requireAgent(impl.caller(req));
              writeJson(res, 200, {{"agents", chat.agents()}});
          }));

    // --- admins ---
    s.Get("/api/v1/admin/faq", g([&impl, &chat](const Req& req, Res& res) {
              chat.requireAdmin(impl.caller(req));
              writeJson(res, 200, {{"faq", chat.allFaq()}});
          }));

    s.Post("/api/v1/admin/faq", g([&impl, &chat](const Req& req, Res& res) {
               chat.requireAdmin(impl.caller(req));
               const auto body = parseBody(req);
               protocol::FaqEntry e;
               e.slug = requireString(body, "slug");
               e.question = requireString(body, "question");
               e.answer = requireString(body, "answer");
               e.displayOrder = optionalInt(body, "display_order").value_or(0);
               e.isActive = optionalBool(body, "is_active").value_or(true);
               writeJson(res, 201, json(chat.createFaq(e)));
           }));

    s.Put(R"(/api/v1/admin/faq/([^/]+))", g([&impl, &chat](const Req& req, Res& res) {
              chat.requireAdmin(impl.caller(req));
              const auto body = parseBody(req);
              writeJson(res, 200, json(chat.updateFaq(req.matches[1], faqPatchFromBody(body))));
          }));

    s.Delete(R"(/api/v1/admin/faq/([^/]+))", g([&impl, &chat](const Req& req, Res& res) {
                 chat.requireAdmin(impl.caller(req));
                 chat.deleteFaq(req.matches[1]);
                 res.status = 204;
             }));

    s.Get("/api/v1/admin/agents", g([&impl, &chat](const Req& req, Res& res) {
              chat.requireAdmin(impl.caller(req));
              writeJson(res, 200, {{"agents", chat.agents()}});
          }));

    s.Post("/api/v1/admin/agents", g([&impl, &chat](const Req& req, Res& res) {
               chat.requireAdmin(impl.caller(req));
               const auto body = parseBody(req);
               ChatService::NewAgent a;
               a.username = requireString(body, "username");
               a.displayName = requireString(body, "display_name");
               a.password = requireString(body, "password");
               a.maxActiveChats = optionalInt(body, "max_active_chats").value_or(5);
               a.role = optionalRole(body).value_or(protocol::Role::Agent);
               writeJson(res, 201, {{"agent", chat.createAgent(a)}});
           }));

    s.Put(R"(/api/v1/admin/agents/([^/]+))", g([&impl, &chat](const Req& req, Res& res) {
              const auto by = chat.requireAdmin(impl.caller(req));
              const auto body = parseBody(req);
              ChatService::AgentUpdate u;
              u.displayName = optionalString(body, "display_name");
              u.password = optionalString(body, "password");
              u.maxActiveChats = optionalInt(body, "max_active_chats");
              u.role = optionalRole(body);
              writeJson(res, 200, {{"agent", chat.updateAgent(by, req.matches[1], u)}});
          }));

    // --- the widget and the demo storefront ---
    s.Get("/", [&impl](const Req& req, Res& res) { impl.files.serve("index.html", req, res); });
    s.Get(R"(/(.+))", [&impl](const Req& req, Res& res) {
        if (req.path.rfind("/api/", 0) == 0) {
            writeError(res, 404, errors::kNotFound, "No such endpoint.");
            return;
        }
        impl.files.serve(req.matches[1], req, res);
    });
}

} // namespace parley::server
