#pragma once
// A failed REST call, typed after the contract's error body {"error":{"code","message"}}.

#include <QString>

#include <optional>

namespace parley::console {

struct ApiError {
    enum class Kind {
        Network,         // no HTTP answer at all (refused, timeout, DNS)
        Http,            // an HTTP error status with (normally) the contract's error body
        InvalidResponse, // a 2xx answer the console cannot decode
    };
    Kind kind = Kind::Http;
    int status = 0;
    QString code;    // contract error code, e.g. "unauthorized"
    QString message; // the server's text for people
    QString field;   // the request field the error concerns, when it can be told
    int retryAfterSeconds = 0;

    bool is(const char* errorCode) const { return code == QLatin1String(errorCode); }
    // The error in words for people, for dialogs and status lines.
    QString describe() const;

    static ApiError network(const QString& what);
    static ApiError invalidResponse(const QString& what);
};

// The value of a REST call, or why there is none.
template <typename T>
struct ApiResult {
    T value{};
    std::optional<ApiError> error;
    bool ok() const { return !error.has_value(); }
};

} // namespace parley::console
