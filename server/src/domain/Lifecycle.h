#pragma once
// The conversation state machine: automated -> agent -> closed, nothing else.

#include "parley/protocol/Types.h"

namespace parley::server::lifecycle {

constexpr bool canTransition(protocol::ConversationStatus from, protocol::ConversationStatus to) {
    using S = protocol::ConversationStatus;
    return (from == S::Automated && to == S::Agent) || (from == S::Agent && to == S::Closed);
}

constexpr bool isOpen(protocol::ConversationStatus s) {
    return s != protocol::ConversationStatus::Closed;
}

// The bot answers only while the conversation is automated; after handoff it is silent.
constexpr bool botAnswers(protocol::ConversationStatus s) {
    return s == protocol::ConversationStatus::Automated;
}

} // namespace parley::server::lifecycle
