#include "parley/protocol/Types.h"

#include <array>
#include <utility>

namespace parley::protocol {
namespace {

template <typename E, std::size_t N>
std::string_view nameOf(const std::array<std::pair<E, std::string_view>, N>& table, E v) {
    for (const auto& [e, name] : table)
        if (e == v)
            return name;
    return {};
}

template <typename E, std::size_t N>
std::optional<E> valueOf(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view s) {
    for (const auto& [e, name] : table)
        if (name == s)
            return e;
    return std::nullopt;
}

constexpr std::array kStatus{std::pair{ConversationStatus::Automated, std::string_view{"automated"}},
                             std::pair{ConversationStatus::Agent, std::string_view{"agent"}},
                             std::pair{ConversationStatus::Closed, std::string_view{"closed"}}};
constexpr std::array kSender{std::pair{SenderType::Customer, std::string_view{"customer"}},
                             std::pair{SenderType::Bot, std::string_view{"bot"}},
                             std::pair{SenderType::Agent, std::string_view{"agent"}},
                             std::pair{SenderType::System, std::string_view{"system"}}};
constexpr std::array kKind{std::pair{MessageKind::Text, std::string_view{"text"}},
                           std::pair{MessageKind::QuickReply, std::string_view{"quick_reply"}},
                           std::pair{MessageKind::Event, std::string_view{"event"}}};
constexpr std::array kRole{std::pair{Role::Agent, std::string_view{"agent"}},
                           std::pair{Role::Admin, std::string_view{"admin"}}};
constexpr std::array kPresence{std::pair{Presence::Online, std::string_view{"online"}},
                               std::pair{Presence::Offline, std::string_view{"offline"}}};

} // namespace

std::string_view toString(ConversationStatus v) {
    return nameOf(kStatus, v);
}
std::string_view toString(SenderType v) {
    return nameOf(kSender, v);
}
std::string_view toString(MessageKind v) {
    return nameOf(kKind, v);
}
std::string_view toString(Role v) {
    return nameOf(kRole, v);
}
std::string_view toString(Presence v) {
    return nameOf(kPresence, v);
}
std::optional<ConversationStatus> parseConversationStatus(std::string_view s) {
    return valueOf(kStatus, s);
}
std::optional<SenderType> parseSenderType(std::string_view s) {
    return valueOf(kSender, s);
}
std::optional<MessageKind> parseMessageKind(std::string_view s) {
    return valueOf(kKind, s);
}
std::optional<Role> parseRole(std::string_view s) {
    return valueOf(kRole, s);
}
std::optional<Presence> parsePresence(std::string_view s) {
    return valueOf(kPresence, s);
}

} // namespace parley::protocol
