// Request bodies and query strings as the REST routes read them: the first line of the input is a
// request target's query, the rest the body. Invariants: bad input is an ApiError (400), never
// another exception or a crash; an accepted body is a JSON object that serializes as strict UTF-8
// (what would be stored), and every string a field helper hands out is valid UTF-8.
#include "FuzzCheck.h"
#include "app/ApiError.h"
#include "http/Message.h"
#include "http/Routes.h"
#include "parley/protocol/Errors.h"
#include "util/Json.h"
#include "util/Text.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace parley::server;

namespace {

void checkFields(const nlohmann::json& body) {
    // The fields the routes read, each through the helper its route uses.
    for (const char* field : {"text", "name", "email", "username", "password", "display_name", "slug"}) {
        try {
            auto s = optionalString(body, field);
            FUZZ_CHECK(!s || isValidUtf8(*s));
            if (s) {
                (void)utf8Length(*s);
                FUZZ_CHECK(requireString(body, field) == *s);
            }
        } catch (const ApiError&) {
        }
    }
    for (const char* field : {"max_chats", "after_seq", "limit"}) {
        try {
            (void)optionalInt(body, field);
        } catch (const ApiError&) {
        }
    }
    try {
        (void)optionalBool(body, "active");
    } catch (const ApiError&) {
    }
    try {
        (void)optionalRole(body);
    } catch (const ApiError&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const auto query = input.substr(0, newline == std::string_view::npos ? 0 : newline);

    Request req;
    req.method = HttpMethod::Post;
    req.target = "/api/v1/x?" + std::string(query);
    req.body = std::string(newline == std::string_view::npos ? input : input.substr(newline + 1));
    try {
        const auto body = jsonBody(req);
        FUZZ_CHECK(body.is_object());
        (void)body.dump(); // throws on invalid UTF-8: nothing invalid may get this far
        checkFields(body);
    } catch (const ApiError& e) {
        FUZZ_CHECK(e.code() == parley::protocol::errors::kInvalidRequest);
    }

    for (const char* name : {"after_seq", "status", "limit", "q"}) {
        try {
            (void)req.queryParam(name);
        } catch (const ApiError&) {
        }
    }
    (void)percentDecode(query);
    (void)percentDecode(query, true);
    (void)parseRfc3339(query);
    (void)isUuid(query);
    if (auto decoded = base64UrlDecode(query))
        FUZZ_CHECK(base64UrlDecode(base64UrlEncode(*decoded)) == decoded);
    return 0;
}
