#include "app/ApiError.h"
#include "app/ChatService.h"
#include "http/Routes.h"
#include "util/Json.h"

#include <algorithm>
#include <cctype>

#include <climits>

namespace parley::server {

using nlohmann::json;

Caller callerOf(ChatService& chat, const Request& req) {
    // RFC 9110: the scheme is case-insensitive and one or more spaces separate it from the token.
    const std::string_view header = req.header("Authorization");
    constexpr std::string_view scheme = "bearer";
    if (header.size() <= scheme.size() || header[scheme.size()] != ' ' ||
        !std::equal(scheme.begin(), scheme.end(), header.begin(),
                    [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); }))
        throw ApiError::unauthorized("Missing bearer token.");
    const auto token = header.find_first_not_of(' ', scheme.size());
    if (token == std::string_view::npos)
        throw ApiError::unauthorized("Missing bearer token.");
    return chat.authenticate(std::string(header.substr(token)));
}

json jsonBody(const Request& req) {
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

} // namespace parley::server
