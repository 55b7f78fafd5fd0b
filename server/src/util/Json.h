#pragma once
// JSON that comes from outside (request bodies, WebSocket frames): RFC 8259 text in UTF-8 (no
// invalid sequence, no lone surrogate escape), at most kMaxJsonDepth levels of nesting, and no
// object with the same key twice (which of the two values counts would be a guess, and a proxy in
// front may have guessed the other way). Parsing stops at the first fault, so time and memory stay
// bounded by the text's size and the depth limit, whatever the body limit is set to.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace parley::server {

inline constexpr std::size_t kMaxJsonDepth = 32;

struct JsonInput {
    nlohmann::json value;
    // Empty when the text was accepted; else what is wrong, to follow "The request body " or
    // "The frame ": "is not valid JSON (UTF-8).", "nests deeper than 32 levels.", ...
    std::string error;
    bool ok() const { return error.empty(); }
};

JsonInput parseJsonInput(std::string_view text, std::size_t maxDepth = kMaxJsonDepth);

} // namespace parley::server
