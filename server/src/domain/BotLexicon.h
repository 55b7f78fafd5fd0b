#pragma once
// The bot's word lists: what never counts as a topic (stop words, filler, politeness), what
// counts a little (question words), greetings, thanks, and the phrases that ask for a person.
// Words are folded (domain/TextMatcher: lower case, no accents) and compared before stemming.
// English always applies (shoppers write English to shops in any language); German, French and
// Spanish add theirs when they are the shop's language. Greetings and thanks are recognised in
// all four.

#include "domain/TextMatcher.h"

#include <string_view>
#include <vector>

namespace parley::server::lexicon {

enum class WordClass {
    Content,  // what a question is about
    Weak,     // question words ("when", "where"): count, but little
    Negation, // "not", "hasn't", "nicht": counts as little, and all of them as the one term "not"
    Stop,     // never matches: function words, filler, politeness
    Greeting, // "hi", "hallo", "bonjour"
    Thanks,   // "thanks", "merci", "bye"
};

WordClass classify(std::string_view foldedWord, text::Language language);

// Reads what single words cannot tell: "the US" is the country, not "us".
void rewrite(std::vector<text::Token>& tokens, text::Language language);

// Phrases that ask for a person (English and `language`), in plain words: the FAQ index analyses
// them like keywords of a pseudo entry, so "talk to a person" beats an entry that only mentions
// a person, and "When can I reach a person?" still finds the entry that asks exactly that.
std::vector<std::string_view> handoffPhrases(text::Language language);

} // namespace parley::server::lexicon
