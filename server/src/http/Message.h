#pragma once
// The request and response types handlers see. They hold no transport: HttpServer fills a Request
// from what it parsed and turns a Response into bytes, so handlers never touch Beast or sockets.

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::server {

enum class HttpMethod { Get, Head, Post, Put, Delete, Options, Patch, Other };

// Header names compare without regard to case (RFC 9110 5.1).
bool equalsIgnoringCase(std::string_view a, std::string_view b);

// %XX decoding of one path segment or query component. nullopt for a malformed escape (a '%' not
// followed by two hex digits). plusIsSpace: for query components (form encoding).
std::optional<std::string> percentDecode(std::string_view in, bool plusIsSpace = false);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
    HttpMethod method = HttpMethod::Get;
    std::string methodName; // as sent, for logs
    std::string target;     // the raw request target: path and query, still percent-encoded
    Headers headers;
    std::string body;
    // The {name} segments of the matched route, percent-decoded after the path was split at '/'.
    std::vector<std::pair<std::string_view, std::string>> params;

    // The raw path of target (before '?') and its raw query (after '?'), percent-encoded.
    std::string_view path() const;
    std::string_view query() const;
    // The value of a header ("" when absent; the first one when repeated).
    std::string_view header(std::string_view name) const;
    bool hasHeader(std::string_view name) const;
    // A route parameter by name ("" when the route has none of that name).
    const std::string& param(std::string_view name) const;
    // A query parameter, decoded; nullopt when absent. Throws ApiError 400 when malformed.
    std::optional<std::string> queryParam(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string body;
    std::string contentType;
    Headers headers;

    void setHeader(std::string name, std::string value);
    std::string_view header(std::string_view name) const;

    void json(int status, const nlohmann::json& body);
    // The contract's error body {"error":{"code","message"}}.
    void error(int status, std::string_view code, std::string_view message);
};

} // namespace parley::server
