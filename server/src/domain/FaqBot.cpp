#include "domain/FaqBot.h"

#include <algorithm>

namespace parley::server {

using nlohmann::json;

namespace {

json topic(const protocol::FaqEntry& e) {
    return json{{"slug", e.slug}, {"question", e.question}};
}

// The closest active entries first, then the shop's own order for whatever is left.
json suggestions(const FaqIndex& index, const std::vector<FaqIndex::Candidate>& ranked, std::size_t count) {
    const auto& entries = index.entries();
    std::vector<std::size_t> picked;
    for (const auto& c : ranked)
        if (picked.size() < count && c.entry < entries.size() && entries[c.entry].isActive)
            picked.push_back(c.entry);
    for (std::size_t i = 0; i < entries.size() && picked.size() < count; ++i)
        if (entries[i].isActive && std::find(picked.begin(), picked.end(), i) == picked.end())
            picked.push_back(i);
    json out = json::array();
    for (auto i : picked)
        out.push_back(topic(entries[i]));
    return out;
}

// An entry's answer to a message that also asks "are you a bot?": the answer, then the truth.
BotReply withIdentity(BotReply reply, const BotTexts& texts) {
    reply.text += "\n\n" + texts.identity;
    reply.metadata["offer_handoff"] = true;
    reply.metadata["intent"] = "identity";
    return reply;
}

} // namespace

BotTexts BotTexts::defaults() {
    return BotTexts{
        "Hi! I'm the shop's assistant. Ask me anything or pick a topic below. You can also talk to a person "
        "at any time.",
        "Sorry, I'm not sure I understood. Here are some topics that might help, or you can talk to a "
        "person.",
        "Of course: press \"Talk to agent\" and a person from our team will take over this chat.",
        "You're welcome! Is there anything else I can help you with?",
        "I'm the shop's automated assistant, not a person. I can answer common questions here, or press "
        "\"Talk to agent\" and a person from our team will take over this chat."};
}

std::string_view toString(BotReplyKind kind) {
    switch (kind) {
    case BotReplyKind::Answer:
        return "answer";
    case BotReplyKind::HandoffOffer:
        return "handoff_offer";
    case BotReplyKind::Identity:
        return "identity";
    case BotReplyKind::Smalltalk:
        return "smalltalk";
    case BotReplyKind::Fallback:
        break;
    }
    return "fallback";
}

BotReply FaqBot::answer(const protocol::FaqEntry& entry) {
    return BotReply{BotReplyKind::Answer, entry.answer, json{{"faq_slug", entry.slug}, {"matched", true}}};
}

BotReply FaqBot::greeting(const FaqIndex& index, const BotTexts& texts) {
    return BotReply{
        BotReplyKind::Smalltalk, texts.greeting,
        json{{"suggestions", suggestions(index, {}, kGreetingSuggestions)}, {"offer_handoff", true}}};
}

BotReply FaqBot::reply(std::string_view message, const FaqIndex& index, const BotTexts& texts) {
    const auto analysis = index.analyze(message);
    const auto& ranked = analysis.ranked;
    const double top = ranked.empty() ? 0.0 : ranked.front().confidence;

    // The shopper wrote an entry's question itself: that entry, even when another fits as well.
    const auto exact = std::count_if(ranked.begin(), ranked.end(), [](auto& c) { return c.exactQuestion; });
    if (exact == 1) {
        const auto& c = *std::find_if(ranked.begin(), ranked.end(), [](auto& c) { return c.exactQuestion; });
        if (c.strong && index.entries()[c.entry].isActive) {
            auto reply = answer(index.entries()[c.entry]);
            return analysis.asksIfBot ? withIdentity(std::move(reply), texts) : reply;
        }
    }

    auto passes = [](const FaqIndex::Candidate& c) {
        return c.confidence >= kThreshold && c.strong && c.phrase >= kMinPhrase;
    };
    const auto bestEntry =
        std::find_if(ranked.begin(), ranked.end(), [&](auto& c) { return c.entry < index.entries().size(); });
    const bool entryHasThePersonWords = bestEntry != ranked.end() && bestEntry->person && passes(*bestEntry);
    // The entry to answer: it leads, or only ties with a request for a person whose words it has,
    // and is clearly ahead of the runner-up (the next entry, or the request for a person unless the
    // entry has its words). A deactivated best entry answers nothing, and nobody answers in its place.
    auto entryToAnswer = [&]() -> const protocol::FaqEntry* {
        const bool leads = bestEntry != ranked.end() &&
                           (bestEntry == ranked.begin() ||
                            (entryHasThePersonWords && ranked.front().entry == FaqIndex::kHandoff &&
                             bestEntry->confidence >= ranked.front().confidence));
        if (!leads || !passes(*bestEntry))
            return nullptr;
        double second = 0.0;
        for (auto it = ranked.begin(); it != ranked.end() && second == 0.0; ++it)
            if (it != bestEntry && (it->entry != FaqIndex::kHandoff || !bestEntry->person))
                second = it->confidence;
        const auto& best = index.entries()[bestEntry->entry];
        return second <= kMargin * top && best.isActive ? &best : nullptr;
    };

    // "Are you a bot?" gets the truth, and the way to a person. A question an entry answers as well
    // ("where is my order? are you a bot?") gets its answer first: the shopper asked both.
    if (analysis.asksIfBot) {
        if (const auto* entry = entryToAnswer())
            return withIdentity(answer(*entry), texts);
        return BotReply{BotReplyKind::Identity, texts.identity,
                        json{{"matched", false}, {"offer_handoff", true}, {"intent", "identity"}}};
    }

    // "I want a person" is no question about when one can be reached, whatever else it mentions.
    if (analysis.asksForPerson)
        for (const auto& c : ranked)
            if (c.entry == FaqIndex::kHandoff && passes(c))
                return BotReply{BotReplyKind::HandoffOffer, texts.handoffOffer,
                                json{{"matched", false}, {"offer_handoff", true}, {"intent", "handoff"}}};
    // A request for a person wins unless an entry beats it clearly, or matches it at least with
    // the person words among its own ("When can I reach a person?" is about the opening hours).
    for (const auto& c : ranked)
        if (c.entry == FaqIndex::kHandoff && passes(c) && c.confidence > kMargin * top &&
            !(entryHasThePersonWords && bestEntry->confidence >= c.confidence))
            return BotReply{BotReplyKind::HandoffOffer, texts.handoffOffer,
                            json{{"matched", false}, {"offer_handoff", true}, {"intent", "handoff"}}};

    if (const auto* entry = entryToAnswer())
        return answer(*entry);

    if ((analysis.greeting || analysis.thanks) && analysis.contentTerms <= 2) {
        if (analysis.thanks)
            return BotReply{BotReplyKind::Smalltalk, texts.thanks,
                            json{{"matched", false}, {"intent", "thanks"}}};
        auto reply = greeting(index, texts);
        reply.metadata["matched"] = false;
        reply.metadata["intent"] = "greeting";
        return reply;
    }

    return BotReply{BotReplyKind::Fallback, texts.fallback,
                    json{{"matched", false},
                         {"suggestions", suggestions(index, ranked, kSuggestions)},
                         {"offer_handoff", true}}};
}

} // namespace parley::server
