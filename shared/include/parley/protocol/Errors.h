#pragma once
// Error codes of the contract's error table, with the HTTP status each one travels with.

namespace parley::protocol::errors {

inline constexpr const char* kInvalidRequest = "invalid_request";         // 400
inline constexpr const char* kMessageTooLong = "message_too_long";        // 400
inline constexpr const char* kEmptyMessage = "empty_message";             // 400
inline constexpr const char* kUnauthorized = "unauthorized";              // 401
inline constexpr const char* kForbidden = "forbidden";                    // 403
inline constexpr const char* kNotFound = "not_found";                     // 404
inline constexpr const char* kConversationClosed = "conversation_closed"; // 409
inline constexpr const char* kInvalidTransition = "invalid_transition";   // 409
inline constexpr const char* kConflict = "conflict";                      // 409
inline constexpr const char* kAgentUnavailable = "agent_unavailable";     // 409 (v1.1): transfer target
inline constexpr const char* kPayloadTooLarge = "payload_too_large";      // 413
inline constexpr const char* kRateLimited = "rate_limited";               // 429
inline constexpr const char* kInternal = "internal_error";                // 500
inline constexpr const char* kOverloaded = "overloaded";                  // 503 (v1.1), with Retry-After

} // namespace parley::protocol::errors
