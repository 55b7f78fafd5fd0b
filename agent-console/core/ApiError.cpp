#include "core/ApiError.h"

#include <parley/protocol/Errors.h>

namespace parley::console {

namespace errors = parley::protocol::errors;

ApiError ApiError::network(const QString& what) {
    ApiError e;
    e.kind = Kind::Network;
    e.message = what;
    return e;
}

ApiError ApiError::invalidResponse(const QString& what) {
    ApiError e;
    e.kind = Kind::InvalidResponse;
    e.message = what;
    return e;
}

QString ApiError::describe() const {
    switch (kind) {
    case Kind::Network:
        return QStringLiteral("Cannot reach the server (%1). Check the address and your connection.")
            .arg(message);
    case Kind::InvalidResponse:
        return QStringLiteral("The server sent an answer the console does not understand (%1).").arg(message);
    case Kind::Http:
        break;
    }
    if (is(errors::kUnauthorized))
        return QStringLiteral("Wrong username or password, or your session has expired.");
    if (is(errors::kRateLimited)) {
        if (retryAfterSeconds > 0)
            return QStringLiteral("Too many attempts. Please wait %1 seconds and try again.")
                .arg(retryAfterSeconds);
        return QStringLiteral("Too many attempts. Please wait a moment and try again.");
    }
    if (is(errors::kForbidden))
        return QStringLiteral("You are not allowed to do that.");
    if (is(errors::kNotFound))
        return QStringLiteral("That does not exist (any more).");
    if (is(errors::kConversationClosed))
        return QStringLiteral("This conversation is closed.");
    if (is(errors::kInvalidTransition)) // the server says which (already closed, not yet with an agent)
        return message.isEmpty() ? QStringLiteral("This conversation cannot be closed in its current state.")
                                 : message;
    if (is(errors::kConflict))
        return message.isEmpty() ? QStringLiteral("That name is already taken.") : message;
    if (is(errors::kMessageTooLong))
        return QStringLiteral("The message is longer than 4,000 characters.");
    if (is(errors::kEmptyMessage))
        return QStringLiteral("The message is empty.");
    if (is(errors::kPayloadTooLarge))
        return QStringLiteral("That is too large for the server.");
    if (is(errors::kInternal) || status >= 500)
        return QStringLiteral("The server had an internal error (HTTP %1). Please try again later.")
            .arg(status);
    if (is(errors::kInvalidRequest))
        return message.isEmpty() ? QStringLiteral("The server rejected the request as invalid.") : message;
    if (!message.isEmpty())
        return message;
    return QStringLiteral("The server answered HTTP %1.").arg(status);
}

} // namespace parley::console
