#pragma once
// The FAQ bot decides what to say to a shopper's message, from a prepared FaqIndex and the
// shop's bot texts. It is right or says it does not know:
//   - answer: the message is one entry's question (the same words, stop words aside), or the
//     best entry is confident enough (FaqIndex confidence >= kThreshold), the message holds at
//     least kMinPhrase of one of its phrases, and it is clearly ahead of the runner-up (which
//     has at most kMargin of its confidence; the runner-up may be FaqIndex::kOtherTopic, a
//     common shop question the FAQ has no entry for, like a subscription); and it is active.
//     When the best one is a deactivated entry, nobody answers in its place;
//   - handoff_offer: the message asks for a person and no entry beats that by the margin, nor
//     matches it at least with the person words among its own ("will anyone read this tonight"
//     asks about the hours), or it asks outright ("I want a person", "is anyone there?":
//     FaqIndex::Analysis::asksForPerson); the reply offers the handoff (the shopper's client
//     hands off), it does not hand off itself;
//   - identity: the shopper asks whether the bot is a bot or a person ("are you a bot?"): it says
//     that it is an automated assistant and offers the handoff (before any request for a person).
//     When the rest of the message, read without the bot question, is an entry's answer ("where
//     is my order? are you a bot?"), the reply is that answer with the identity text after it;
//   - smalltalk: a greeting or thanks with at most two other words and nothing else matched;
//   - fallback: "I'm not sure", the closest entries as suggestions, and the way to a person.
// No I/O: ChatService turns the reply into a message.

#include "domain/FaqIndex.h"
#include "parley/protocol/Types.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace parley::server {

// What the bot says in the shop's words (admin settings "bot"); defaults() is English.
struct BotTexts {
    std::string greeting;     // opens every conversation, and answers "hi"
    std::string fallback;     // "I'm not sure": with suggestions and the way to a person
    std::string handoffOffer; // the answer to "can I talk to a person?"
    std::string thanks;       // the answer to "thanks", "bye"
    std::string identity;     // the answer to "are you a bot?": it is one, and the way to a person
    static BotTexts defaults();
    bool operator==(const BotTexts&) const = default;
};

enum class BotReplyKind { Answer, HandoffOffer, Identity, Smalltalk, Fallback };

struct BotReply {
    BotReplyKind kind = BotReplyKind::Fallback;
    std::string text;
    // The message's metadata: answer {"faq_slug","matched":true} (with the identity text after
    // the answer also "offer_handoff":true,"intent":"identity"); handoff_offer {"matched":false,
    // "offer_handoff":true,"intent":"handoff"}; identity {"matched":false,"offer_handoff":true,
    // "intent":"identity"}; smalltalk {"matched":false,"intent":"greeting"|
    // "thanks"} (a greeting also with "suggestions" and "offer_handoff"); fallback {"matched":false,
    // "suggestions":[{"slug","question"}...],"offer_handoff":true}.
    nlohmann::json metadata = nlohmann::json::object();
};

class FaqBot {
public:
    static constexpr double kThreshold = 0.45;
    static constexpr double kMargin = 0.82;
    static constexpr double kMinPhrase = 0.65;
    static constexpr std::size_t kSuggestions = 3;
    static constexpr std::size_t kGreetingSuggestions = 4;

    static BotReply reply(std::string_view message, const FaqIndex& index, const BotTexts& texts);
    // The first message of a conversation: the greeting and the first topics.
    static BotReply greeting(const FaqIndex& index, const BotTexts& texts);
    // A quick reply names its entry: its answer, no matching.
    static BotReply answer(const protocol::FaqEntry& entry);
};

std::string_view toString(BotReplyKind kind);

} // namespace parley::server
