#pragma once
// How the console names a shopper and says where it is. One function for every view (my chats, the
// queue, the team's chats, the chat header, notifications), so a shopper is called the same
// everywhere: by name or e-mail when the conversation carries a contact, otherwise by a short code
// derived from its customer session ("Shopper 7F3K"), the same in every run of the console.

#include <parley/protocol/Types.h>

#include <QString>
#include <QUrl>

namespace parley::console {

// Four characters of Crockford base32 (no I, L, O, U) from a hash of the customer session id:
// stable across runs and machines, and unlike the UUID's first characters easy to say aloud.
QString shopperCode(const std::string& customerSessionId);
// "Jane Doe", else "jane@example.com", else "Shopper 7F3K".
QString shopperLabel(const protocol::Conversation& c);
// The label plus what else is known, for tooltips: "Jane Doe <jane@example.com> · Shopper 7F3K".
QString shopperDetail(const protocol::Conversation& c);
// The page the shopper is on: its title, else its URL without the scheme; "" when unknown.
QString pageLabel(const protocol::Conversation& c);
// The page's URL when it is an http(s) URL (safe to open), else an empty QUrl.
QUrl pageUrl(const protocol::Conversation& c);

} // namespace parley::console
