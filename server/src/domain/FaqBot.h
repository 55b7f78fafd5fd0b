#pragma once
// The FAQ bot: answers a quick reply with its entry, and free text with the best-matching active
// entry when the match is strong enough. Scoring: every query term is compared with the terms of
// each entry's question and slug (weight 1) and answer (weight 0.5); an exact term counts 1, a
// typo (edit distance 1, or 2 for long words) 0.8, a shared 5-letter prefix 0.6; rarer terms
// weigh more (1 + ln(N/df)). Below the threshold the bot says it did not understand.

#include "parley/protocol/Types.h"

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace parley::server {

// The active entries, prepared for matching once (their terms and weights) instead of on every
// customer message. Immutable: build a new one when the FAQ changes.
class FaqIndex {
public:
    FaqIndex(); // no entries
    // The active entries, in display order. Implicit, so answer(text, entries) prepares them for
    // that one answer.
    FaqIndex(std::vector<protocol::FaqEntry> entries);
    ~FaqIndex();

    const std::vector<protocol::FaqEntry>& entries() const { return m_entries; }
    const protocol::FaqEntry* find(std::string_view slug) const;

    struct Prepared; // FaqBot's own representation (FaqBot.cpp)
    const Prepared& prepared() const { return *m_prepared; }

private:
    std::vector<protocol::FaqEntry> m_entries;
    std::unique_ptr<const Prepared> m_prepared;
};

class FaqBot {
public:
    static constexpr double kThreshold = 1.5;
    static constexpr std::size_t kSuggestions = 3;

    struct Answer {
        std::optional<protocol::FaqEntry> entry;     // set on a match
        std::vector<protocol::FaqEntry> suggestions; // on no match: the closest entries
        double score = 0;
    };

    Answer answer(std::string_view text, const FaqIndex& index) const;

    // (entry index, score), best first.
    static std::vector<std::pair<std::size_t, double>> rank(std::string_view text, const FaqIndex& index);

    // The messages the bot speaks.
    static std::string greeting();
    static std::string notUnderstood();
};

} // namespace parley::server
