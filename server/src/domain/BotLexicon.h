#pragma once
// The bot's word lists: what never counts as a topic (stop words, filler, politeness), what
// counts a little (question words), greetings, thanks, and the phrases that ask for a person.
// Words are folded (domain/TextMatcher: lower case, no accents) and compared before stemming.
// English always applies (shoppers write English to shops in any language); German, French and
// Spanish add theirs when they are the shop's language or the one a message is written in.
// Greetings and thanks are recognised in all four.

#include "domain/TextMatcher.h"

#include <optional>
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

// Which other of the four languages a text is written in, going by its function words ("ich
// möchte", "je voudrais"), when that is neither English nor the shop's: its lists apply as well.
std::optional<text::Language> writtenIn(const std::vector<text::Token>& tokens, text::Language shop);

WordClass classify(std::string_view foldedWord, text::Language language,
                   std::optional<text::Language> also = std::nullopt);

// A word that begins a new clause ("but", "because", "aber"): a long message is read clause by
// clause as well as whole.
bool startsClause(std::string_view foldedWord);

// A word the FAQ does not know that is a function word with a typo ("dose", "teh", "wat"): one
// letter swapped with the next, left out or (from five letters) doubled. ASCII words only.
bool misspelledFunctionWord(std::string_view foldedWord, text::Language language);

// Reads what single words cannot tell: "the US" is the country, not "us"; "would like" is "want".
void rewrite(std::vector<text::Token>& tokens, text::Language language);

// Phrases that ask for a person, in English, German, French and Spanish whatever the
// shop's language, in plain words: the FAQ index analyses them like keywords of a pseudo entry,
// so "talk to a person" beats an entry that only mentions a person, and "When can I reach a
// person?" still finds the entry that asks exactly that.
std::vector<std::string_view> handoffPhrases();

} // namespace parley::server::lexicon
