// Agents at work (issue 19): internal notes, transfers and canned replies.
#include "app/AgentsAtWorkService.h"
#include "app/ApiError.h"
#include "app/ChatService.h"
#include "http/Routes.h"
#include "parley/protocol/Codec.h"

namespace parley::server {

using nlohmann::json;

namespace {

AgentsAtWorkService::CannedPatch cannedPatchFromBody(const json& body) {
    return {optionalString(body, "shortcut"), optionalString(body, "title"), optionalString(body, "content")};
}

} // namespace

void addAgentsAtWorkRoutes(Router& r, ChatService& chat, AgentsAtWorkService& work) {
    r.get("/api/v1/conversations/{id}/notes", [&chat, &work](const Request& req, Response& res) {
        res.json(200, {{"notes", work.notes(callerOf(chat, req), req.param("id"))}});
    });

    r.post("/api/v1/conversations/{id}/notes", [&chat, &work](const Request& req, Response& res) {
        const auto who = callerOf(chat, req);
        const auto body = jsonBody(req);
        res.json(201, {{"note", work.addNote(who, req.param("id"), requireString(body, "content"))}});
    });

    r.post("/api/v1/conversations/{id}/transfer", [&chat](const Request& req, Response& res) {
        const auto who = chat.requireAgent(callerOf(chat, req));
        const auto body = jsonBody(req);
        const auto target = body.find("agent_id");
        if (target == body.end() || !(target->is_null() || target->is_string()))
            throw ApiError::invalid("agent_id is required: an agent's id, or null for the queue.");
        const auto toAgentId = target->is_null() ? std::nullopt : std::optional(target->get<std::string>());
        res.json(200, {{"conversation",
                        chat.transfer(who, req.param("id"), toAgentId, optionalString(body, "note"))}});
    });

    r.get("/api/v1/canned", [&chat, &work](const Request& req, Response& res) {
        chat.requireAgent(callerOf(chat, req));
        res.json(200, {{"canned", work.searchCanned(req.queryParam("q").value_or(""))}});
    });

    r.get("/api/v1/admin/canned", [&chat, &work](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        res.json(200, {{"canned", work.allCanned()}});
    });

    r.post("/api/v1/admin/canned", [&chat, &work](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        const auto body = jsonBody(req);
        protocol::CannedReply c;
        c.shortcut = requireString(body, "shortcut");
        c.title = requireString(body, "title");
        c.content = requireString(body, "content");
        res.json(201, {{"canned_reply", work.createCanned(c)}});
    });

    r.put("/api/v1/admin/canned/{id}", [&chat, &work](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        const auto body = jsonBody(req);
        res.json(200, {{"canned_reply", work.updateCanned(req.param("id"), cannedPatchFromBody(body))}});
    });

    r.del("/api/v1/admin/canned/{id}", [&chat, &work](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        work.deleteCanned(req.param("id"));
        res.status = 204;
    });
}

} // namespace parley::server
