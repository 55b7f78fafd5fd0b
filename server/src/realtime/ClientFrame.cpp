#include "realtime/ClientFrame.h"

#include "parley/protocol/Errors.h"
#include "parley/protocol/Events.h"
#include "util/Json.h"

namespace parley::server {

namespace events = protocol::events;
namespace errors = protocol::errors;
using json = nlohmann::json;

std::optional<std::string> decodeHelloFrame(std::string_view text, bool isText) {
    if (!isText)
        return std::nullopt;
    json frame = parseJsonInput(text).value;
    if (!frame.is_object() || frame.value("type", json()) != events::kHello || !frame.contains("token") ||
        !frame["token"].is_string())
        return std::nullopt;
    return frame["token"].get<std::string>();
}

ClientFrame decodeClientFrame(std::string_view text, bool isText) {
    if (!isText)
        return FrameError{errors::kInvalidRequest, "Frames must be JSON text."};
    auto parsed = parseJsonInput(text);
    if (!parsed.ok())
        return FrameError{errors::kInvalidRequest, "The frame " + parsed.error};
    const json frame = std::move(parsed.value);
    const auto type = frame.is_object() ? frame.find("type") : frame.end();
    if (!frame.is_object() || type == frame.end() || !type->is_string())
        return FrameError{errors::kInvalidRequest,
                          "Malformed frame: expected a JSON object with a \"type\"."};
    const auto& name = type->get_ref<const std::string&>();
    if (name == events::kResume) {
        const auto id = frame.find("conversation_id");
        const auto after = frame.find("after_seq");
        if (id == frame.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
            id->get_ref<const std::string&>().size() > kMaxConversationIdChars || after == frame.end() ||
            !after->is_number_integer() || after->get<std::int64_t>() < 0)
            return FrameError{errors::kInvalidRequest,
                              "resume needs \"conversation_id\" (string) and \"after_seq\" (integer >= 0)."};
        return ResumeFrame{id->get<std::string>(), after->get<std::int64_t>()};
    }
    if (name == events::kTyping) {
        const auto id = frame.find("conversation_id");
        if (id == frame.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
            id->get_ref<const std::string&>().size() > kMaxConversationIdChars)
            return FrameError{errors::kInvalidRequest, "typing needs \"conversation_id\" (string)."};
        return TypingFrame{id->get<std::string>()};
    }
    if (name == events::kHello)
        return FrameError{errors::kInvalidRequest, "Already authenticated."};
    return FrameError{errors::kInvalidRequest, "Unknown frame type \"" + name.substr(0, 64) + "\"."};
}

} // namespace parley::server
