// WebSocket client frames as WsSession decodes them (realtime/ClientFrame): the hello frame and
// the frames after it, as text and as binary. Invariants: no exception, no crash; a binary frame
// is always an error; a resume or typing frame carries a non-empty conversation id of at most 128
// bytes, a resume an after_seq >= 0; every error has the contract's code.
#include "FuzzCheck.h"
#include "parley/protocol/Errors.h"
#include "realtime/ClientFrame.h"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

using namespace parley::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    (void)decodeHelloFrame(text, true);
    FUZZ_CHECK(!decodeHelloFrame(text, false));

    const auto frame = decodeClientFrame(text, true);
    if (const auto* resume = std::get_if<ResumeFrame>(&frame)) {
        FUZZ_CHECK(!resume->conversationId.empty());
        FUZZ_CHECK(resume->conversationId.size() <= kMaxConversationIdChars);
        FUZZ_CHECK(resume->afterSeq >= 0);
    } else if (const auto* typing = std::get_if<TypingFrame>(&frame)) {
        FUZZ_CHECK(!typing->conversationId.empty());
        FUZZ_CHECK(typing->conversationId.size() <= kMaxConversationIdChars);
    } else {
        FUZZ_CHECK(std::get<FrameError>(frame).code == parley::protocol::errors::kInvalidRequest);
    }
    FUZZ_CHECK(std::holds_alternative<FrameError>(decodeClientFrame(text, false)));
    return 0;
}
