// Admin calls: the FAQ and the agents.
#include "app/ApiError.h"
#include "app/ChatService.h"
#include "http/Routes.h"
#include "parley/protocol/Codec.h"

#include <algorithm>

namespace parley::server {

using nlohmann::json;

namespace {

ChatService::FaqPatch faqPatchFromBody(const json& body) {
    return {optionalString(body, "slug"),    optionalString(body, "question"),
            optionalString(body, "answer"),  optionalInt(body, "display_order"),
            optionalBool(body, "is_active"), optionalString(body, "keywords")};
}

} // namespace

void addAdminRoutes(Router& r, ChatService& chat) {
    r.get("/api/v1/admin/faq", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        res.json(200, {{"faq", chat.allFaq()}});
    });

    r.post("/api/v1/admin/faq", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        const auto body = jsonBody(req);
        protocol::FaqEntry e;
        e.slug = requireString(body, "slug");
        e.question = requireString(body, "question");
        e.answer = requireString(body, "answer");
        e.displayOrder = optionalInt(body, "display_order").value_or(0);
        e.isActive = optionalBool(body, "is_active").value_or(true);
        e.keywords = optionalString(body, "keywords").value_or("");
        res.json(201, json(chat.createFaq(e)));
    });

    r.put("/api/v1/admin/faq/{slug}", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        const auto body = jsonBody(req);
        res.json(200, json(chat.updateFaq(req.param("slug"), faqPatchFromBody(body))));
    });

    r.del("/api/v1/admin/faq/{slug}", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        chat.deleteFaq(req.param("slug"));
        res.status = 204;
    });

    r.get("/api/v1/admin/settings", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        res.json(200, chat.settings());
    });
    r.put("/api/v1/admin/settings", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        res.json(200, chat.updateSettings(jsonBody(req)));
    });

    r.get("/api/v1/admin/agents", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        res.json(200, {{"agents", chat.agents()}});
    });

    r.post("/api/v1/admin/agents", [&chat](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        const auto body = jsonBody(req);
        ChatService::NewAgent a;
        a.username = requireString(body, "username");
        a.displayName = requireString(body, "display_name");
        a.password = requireString(body, "password");
        a.maxActiveChats = optionalInt(body, "max_active_chats").value_or(5);
        a.role = optionalRole(body).value_or(protocol::Role::Agent);
        res.json(201, {{"agent", chat.createAgent(a)}});
    });

    r.put("/api/v1/admin/agents/{id}", [&chat](const Request& req, Response& res) {
        const auto by = chat.requireAdmin(callerOf(chat, req));
        const auto body = jsonBody(req);
        ChatService::AgentUpdate u;
        u.displayName = optionalString(body, "display_name");
        u.password = optionalString(body, "password");
        u.maxActiveChats = optionalInt(body, "max_active_chats");
        u.role = optionalRole(body);
        u.disabled = optionalBool(body, "disabled");
        res.json(200, {{"agent", chat.updateAgent(by, req.param("id"), u)}});
    });
}

} // namespace parley::server
