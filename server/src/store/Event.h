#pragma once
// A realtime event produced by a committed state change, with the recipients the contract's
// WebSocket table names. The use cases compute the audience inside the transaction (so it is
// exact at commit time); the transport only delivers.

#include "parley/protocol/Codec.h"
#include "parley/protocol/Types.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace parley::server {

struct Audience {
    std::optional<std::string> customerSessionId; // that customer's connections
    std::vector<std::string> agentIds;            // these agents' connections
    bool allAgents = false;                       // every connected agent (presence changes)
    std::optional<std::string> watchersOf;        // agents watching this conversation (resume)
};

// Not sent to anyone: tells the realtime side that an agent's sessions ended, so that the
// connections that said hello with one of them are closed. data: {"agent_id", "keep_session_id"
// (string or null)}; audience: that agent.
inline constexpr const char* kAgentSessionsEnded = "internal.agent_sessions_ended";
// Not sent to anyone either: a shopper's data was erased (issue 22), so its connections close.
// data: {"customer_session_id"}; audience: that customer.
inline constexpr const char* kCustomerSessionEnded = "internal.customer_session_ended";
// Not sent to anyone (issue 20, several nodes): the FAQ or the settings changed, so every node drops
// what it caches of them (the bot's index and texts, the business hours). data: {}; no audience.
inline constexpr const char* kSettingsChanged = "internal.settings_changed";
// Not sent to anyone (issue 20): this node's event feed found outbox rows it never read already
// pruned (cut off longer than the outbox keeps them), so every internal event above may have been
// missed: the node reloads what it caches. data: {}; no audience.
inline constexpr const char* kOutboxGap = "internal.outbox_gap";

struct Event {
    std::string type;    // protocol::events::k...
    nlohmann::json data; // the frame's "data"
    Audience audience;
    std::string conversationId; // set for conversation-scoped events
    std::int64_t seq = 0;       // message.created: the message's seq (for resume de-duplication)
    // message.created: the message, with data left empty. Its JSON is built where the event
    // leaves the process (the hub's frame, the cluster's outbox), not on the store's single
    // writer, which publishes every event.
    std::shared_ptr<const protocol::Message> message{};

    nlohmann::json frameData() const { return message ? nlohmann::json{{"message", *message}} : data; }
    nlohmann::json frame() const { return {{"type", type}, {"data", frameData()}}; }
};

// Where committed events go. Implementations must be thread-safe and must not block:
// publish() is called by the store's writer right after each commit, in commit order.
class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void publish(std::vector<Event> events) = 0;
};

class NullEventSink final : public EventSink {
public:
    void publish(std::vector<Event>) override {}
};

} // namespace parley::server
