#pragma once
// The one error type use cases throw: an HTTP status and a code from the contract's error table.
// The HTTP layer turns it into {"error":{"code","message"}}; the WebSocket layer into an error frame.

#include "parley/protocol/Errors.h"

#include <optional>
#include <stdexcept>
#include <string>

namespace parley::server {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, const std::string& message,
             std::optional<int> retryAfterSeconds = {})
        : std::runtime_error(message)
        , m_status(status)
        , m_code(std::move(code))
        , m_retryAfter(retryAfterSeconds) {}

    int status() const { return m_status; }
    const std::string& code() const { return m_code; }
    std::optional<int> retryAfterSeconds() const { return m_retryAfter; }

    static ApiError invalid(const std::string& message) {
        return {400, protocol::errors::kInvalidRequest, message};
    }
    static ApiError unauthorized(const std::string& message = "Missing, invalid or expired token.") {
        return {401, protocol::errors::kUnauthorized, message};
    }
    static ApiError forbidden(const std::string& message) {
        return {403, protocol::errors::kForbidden, message};
    }
    static ApiError notFound(const std::string& message = "Not found.") {
        return {404, protocol::errors::kNotFound, message};
    }
    static ApiError conflict(const std::string& message) {
        return {409, protocol::errors::kConflict, message};
    }
    // The server cannot take more work now without unbounded queueing; nothing was changed.
    static ApiError overloaded(int retryAfterSeconds) {
        return {503, protocol::errors::kOverloaded, "The server is busy. Please try again in a moment.",
                retryAfterSeconds};
    }

private:
    int m_status;
    std::string m_code;
    std::optional<int> m_retryAfter;
};

} // namespace parley::server
