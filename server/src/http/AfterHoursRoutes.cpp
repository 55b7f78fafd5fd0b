// Shoppers after hours and after the chat (issue 21): the reply address and the rating. The
// settings keys ride on /admin/settings and the open status on /widget/config.
#include "app/AfterHoursService.h"
#include "app/ApiError.h"
#include "app/ChatService.h"
#include "http/Routes.h"
#include "parley/protocol/Codec.h"

namespace parley::server {

using nlohmann::json;

void addAfterHoursRoutes(Router& r, ChatService& chat, AfterHoursService& afterHours) {
    r.post("/api/v1/conversations/{id}/contact", [&chat, &afterHours](const Request& req, Response& res) {
        const auto who = chat.requireCustomer(callerOf(chat, req));
        const auto body = jsonBody(req);
        protocol::Contact contact{requireString(body, "email"), optionalString(body, "name")};
        res.json(200, {{"conversation", afterHours.setContact(who, req.param("id"), contact)}});
    });

    r.post("/api/v1/conversations/{id}/rating", [&chat, &afterHours](const Request& req, Response& res) {
        const auto who = chat.requireCustomer(callerOf(chat, req));
        const auto body = jsonBody(req);
        const auto score = optionalInt(body, "score");
        if (!score)
            throw ApiError::invalid("score is required: an integer from 1 to 5.");
        const auto comment = optionalString(body, "comment");
        res.json(201, {{"conversation", afterHours.rate(who, req.param("id"), *score, comment)}});
    });
}

} // namespace parley::server
