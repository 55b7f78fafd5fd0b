// Customer calls: the anonymous session, the FAQ, conversations and their messages (agents read
// and write conversations through the same routes).
#include "app/ApiError.h"
#include "app/ChatService.h"
#include "app/InsightService.h"
#include "http/Routes.h"
#include "parley/protocol/Codec.h"

#include <charconv>

namespace parley::server {

using nlohmann::json;

void addCustomerRoutes(Router& r, ChatService& chat) {
    r.post("/api/v1/customer/session", [&chat](const Request&, Response& res) {
        const auto session = chat.createCustomerSession();
        res.json(201, {{"token", session.token}, {"customer_session_id", session.sessionId}});
    });

    r.get("/api/v1/faq", [&chat](const Request&, Response& res) {
        res.json(200, {{"faq", chat.activeFaq()}});
    });

    r.post("/api/v1/conversations", [&chat](const Request& req, Response& res) {
        const auto who = chat.requireCustomer(callerOf(chat, req));
        // v1.1: where the shopper is, stored on a new conversation (validated either way).
        const auto body = jsonBody(req);
        const auto context =
            body.contains("context") ? pageContextFrom(body["context"]) : protocol::PageContext{};
        const auto c = chat.openConversation(who, context);
        res.json(c.created ? 201 : 200, {{"conversation", c.conversation}, {"messages", c.messages}});
    });

    r.get("/api/v1/conversations/{id}", [&chat](const Request& req, Response& res) {
        const auto c = chat.getConversation(callerOf(chat, req), req.param("id"));
        res.json(200, {{"conversation", c.conversation}, {"messages", c.messages}});
    });

    r.get("/api/v1/conversations/{id}/messages", [&chat](const Request& req, Response& res) {
        const auto who = callerOf(chat, req);
        std::int64_t afterSeq = 0;
        if (const auto text = req.queryParam("after_seq")) {
            const auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), afterSeq);
            if (ec != std::errc{} || p != text->data() + text->size() || afterSeq < 0)
                throw ApiError::invalid("after_seq must be a non-negative integer.");
        }
        res.json(200, {{"messages", chat.messagesAfter(who, req.param("id"), afterSeq)}});
    });

    r.post("/api/v1/conversations/{id}/messages", [&chat](const Request& req, Response& res) {
        const auto who = callerOf(chat, req);
        const auto body = jsonBody(req);
        ChatService::SendRequest send;
        const auto kind = protocol::parseMessageKind(optionalString(body, "kind").value_or("text"));
        if (!kind || *kind == protocol::MessageKind::Event)
            throw ApiError::invalid("kind must be \"text\" or \"quick_reply\".");
        send.kind = *kind;
        send.faqSlug = optionalString(body, "faq_slug");
        if (send.kind == protocol::MessageKind::QuickReply)
            send.content = optionalString(body, "content").value_or("");
        else
            send.content = requireString(body, "content");
        send.clientMsgId = optionalString(body, "client_msg_id");
        const auto sent = chat.sendMessage(who, req.param("id"), send);
        res.json(sent.created ? 201 : 200, {{"message", sent.message}, {"replies", sent.replies}});
    });

    r.post("/api/v1/conversations/{id}/handoff", [&chat](const Request& req, Response& res) {
        const auto who = chat.requireCustomer(callerOf(chat, req));
        res.json(200, {{"conversation", chat.handoff(who, req.param("id"))}});
    });

    r.post("/api/v1/conversations/{id}/close", [&chat](const Request& req, Response& res) {
        const auto who = chat.requireAgent(callerOf(chat, req));
        res.json(200, {{"conversation", chat.close(who, req.param("id"))}});
    });
}

} // namespace parley::server
