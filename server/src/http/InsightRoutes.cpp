// Agents at work B: page context, read marks, a shopper's past chats, search.
#include "app/ApiError.h"
#include "app/ChatService.h"
#include "app/InsightService.h"
#include "http/Routes.h"
#include "parley/protocol/Codec.h"

#include <charconv>

namespace parley::server {

using nlohmann::json;

void addInsightRoutes(Router& r, ChatService& chat, InsightService& insights) {
    r.put("/api/v1/conversations/{id}/context", [&chat, &insights](const Request& req, Response& res) {
        const auto who = chat.requireCustomer(callerOf(chat, req));
        const auto body = jsonBody(req);
        // The context itself is the body; {"context":{...}} is taken too.
        const auto it = body.find("context");
        const auto context = pageContextFrom(it != body.end() && it->is_object() ? *it : body);
        res.json(200, {{"conversation", insights.setContext(who, req.param("id"), context)}});
    });

    r.post("/api/v1/conversations/{id}/read", [&chat, &insights](const Request& req, Response& res) {
        const auto who = callerOf(chat, req);
        const auto body = jsonBody(req);
        const auto seq = body.find("seq");
        if (seq == body.end() || !seq->is_number_integer() || seq->get<std::int64_t>() < 0)
            throw ApiError::invalid("seq must be a non-negative integer.");
        res.json(200, {{"conversation", insights.markRead(who, req.param("id"), seq->get<std::int64_t>())}});
    });

    r.get("/api/v1/conversations", [&chat, &insights](const Request& req, Response& res) {
        const auto who = chat.requireAgent(callerOf(chat, req));
        const auto session = req.queryParam("customer_session_id");
        if (!session)
            throw ApiError::invalid("customer_session_id is required.");
        res.json(200, {{"conversations", insights.conversationsOfShopper(who, std::string(*session))}});
    });

    r.get("/api/v1/search", [&chat, &insights](const Request& req, Response& res) {
        const auto who = chat.requireAgent(callerOf(chat, req));
        const auto q = req.queryParam("q");
        if (!q)
            throw ApiError::invalid("q must not be empty.");
        int limit = InsightService::kDefaultSearchLimit;
        if (const auto text = req.queryParam("limit")) {
            const auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
            if (ec == std::errc::result_out_of_range && !text->empty() && text->front() != '-')
                limit = InsightService::kMaxSearchLimit;
            else if (ec != std::errc{} || p != text->data() + text->size() || limit < 1)
                throw ApiError::invalid("limit must be an integer from 1 to 100.");
        }
        json results = json::array();
        for (auto& hit : insights.search(who, std::string(*q), limit))
            results.push_back(
                {{"conversation", std::move(hit.conversation)}, {"message", std::move(hit.message)}});
        res.json(200, {{"results", std::move(results)}});
    });
}

} // namespace parley::server
