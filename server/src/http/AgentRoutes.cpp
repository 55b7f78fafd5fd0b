// Agent calls: sign-in, presence, my conversations, the queue and the team.
#include "app/ApiError.h"
#include "app/ChatService.h"
#include "http/Routes.h"
#include "parley/protocol/Codec.h"

namespace parley::server {

void addAgentRoutes(Router& r, ChatService& chat) {
    r.post("/api/v1/agent/login", [&chat](const Request& req, Response& res) {
        const auto body = jsonBody(req);
        const auto login = chat.login(requireString(body, "username"), requireString(body, "password"));
        res.json(200, {{"token", login.token}, {"agent", login.agent}});
    });

    r.put("/api/v1/agent/presence", [&chat](const Request& req, Response& res) {
        const auto who = chat.requireAgent(callerOf(chat, req));
        const auto body = jsonBody(req);
        const auto presence = protocol::parsePresence(requireString(body, "presence"));
        if (!presence)
            throw ApiError::invalid("presence must be \"online\" or \"offline\".");
        res.json(200, {{"agent", chat.setPresence(who, *presence)}});
    });

    r.get("/api/v1/agent/conversations", [&chat](const Request& req, Response& res) {
        const auto who = chat.requireAgent(callerOf(chat, req));
        res.json(200, {{"conversations", chat.myConversations(who)}});
    });

    r.get("/api/v1/queue", [&chat](const Request& req, Response& res) {
        chat.requireAgent(callerOf(chat, req));
        res.json(200, {{"conversations", chat.queue()}});
    });

    r.get("/api/v1/agents", [&chat](const Request& req, Response& res) {
        chat.requireAgent(callerOf(chat, req));
        res.json(200, {{"agents", chat.agents()}});
    });
}

} // namespace parley::server
