#pragma once
// WebSocket frame types and event names of the contract ("WebSocket").

namespace parley::protocol::events {

// Server -> client events.
inline constexpr const char* kMessageCreated = "message.created";
inline constexpr const char* kConversationUpdated = "conversation.updated";
inline constexpr const char* kAgentAssigned = "agent.assigned";
inline constexpr const char* kChatClosed = "chat.closed";
inline constexpr const char* kAgentPresenceChanged = "agent.presence.changed";
inline constexpr const char* kNoteCreated = "note.created"; // v1.1: agents only
// v1.1 "Agents at work": read marks and typing, to the other side of the conversation.
inline constexpr const char* kConversationRead = "conversation.read";
inline constexpr const char* kTyping = "typing"; // also the client frame that asks for it

// Control frames.
inline constexpr const char* kHello = "hello";      // client -> server, first frame
inline constexpr const char* kHelloOk = "hello.ok"; // server -> client
inline constexpr const char* kResume = "resume";    // client -> server
inline constexpr const char* kError = "error";      // server -> client

} // namespace parley::protocol::events
