// The FAQ bot over the default FAQ: FaqIndex::analyze and FaqBot::reply on any valid UTF-8
// message (the server refuses the rest before the bot sees it), in each of the shop languages.
// Invariants: no exception, no crash; confidences in 0..1, ranked best first; a reply has text and
// metadata that serialize as strict UTF-8; an answer names an entry of the FAQ.
#include "FuzzCheck.h"
#include "domain/DefaultFaq.h"
#include "domain/FaqBot.h"
#include "domain/FaqIndex.h"
#include "util/Text.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace parley::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::array<FaqIndex, 4> indexes{
        FaqIndex(defaultFaq(), text::Language::English), FaqIndex(defaultFaq(), text::Language::German),
        FaqIndex(defaultFaq(), text::Language::French), FaqIndex(defaultFaq(), text::Language::Spanish)};
    static const BotTexts texts = BotTexts::defaults();
    if (size == 0 || size > 8192)
        return 0; // messages are bounded well below this by the server
    const auto& index = indexes[data[0] % indexes.size()];
    const std::string_view message(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (!isValidUtf8(message))
        return 0;

    const auto analysis = index.analyze(message);
    double previous = 1.0;
    for (const auto& candidate : analysis.ranked) {
        FUZZ_CHECK(candidate.confidence > 0.0 && candidate.confidence <= 1.0);
        FUZZ_CHECK(candidate.confidence <= previous);
        FUZZ_CHECK(candidate.entry == FaqIndex::kHandoff || candidate.entry == FaqIndex::kOtherTopic ||
                   candidate.entry < index.entries().size());
        previous = candidate.confidence;
    }

    const auto reply = FaqBot::reply(message, index, texts);
    FUZZ_CHECK(!reply.text.empty() && isValidUtf8(reply.text));
    (void)reply.metadata.dump();
    if (reply.kind == BotReplyKind::Answer) {
        const auto slug = reply.metadata.value("faq_slug", std::string());
        bool known = false;
        for (const auto& entry : index.entries())
            known = known || entry.slug == slug;
        FUZZ_CHECK(known);
    }
    return 0;
}
