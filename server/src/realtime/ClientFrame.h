#pragma once
// What a client sends on /ws, decoded and checked without a session: the first frame (hello) and
// the frames after it (resume, typing). WsSession acts on the result; fuzz/ feeds it arbitrary bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace parley::server {

inline constexpr std::size_t kMaxConversationIdChars = 128;

// The token of {"type":"hello","token":TOKEN}; nullopt for anything else.
std::optional<std::string> decodeHelloFrame(std::string_view text, bool isText);

struct ResumeFrame {
    std::string conversationId;
    std::int64_t afterSeq = 0;
};
// {"type":"typing","conversation_id"}: the sender is typing (never stored).
struct TypingFrame {
    std::string conversationId;
};
// A frame the client got wrong: an error frame with the contract's code goes back.
struct FrameError {
    std::string code;
    std::string message;
};
// A frame after hello.ok: a resume, a typing signal, or the error to answer with.
using ClientFrame = std::variant<ResumeFrame, TypingFrame, FrameError>;
ClientFrame decodeClientFrame(std::string_view text, bool isText);

} // namespace parley::server
