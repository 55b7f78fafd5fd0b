#pragma once
// Turns free text in any script into comparable terms. Folding is Unicode's (utf8proc): case
// folded, compatibility forms unified (full-width "ＡＢＣ" -> "abc"), accents dropped from Latin and
// Greek letters ("réfund" -> "refund", "Straße" -> "strasse") and ё -> е, while letters of other
// scripts stay what they are. Words are runs of letters; digits never become terms (an order
// number or a time says nothing about the topic). Scripts written without spaces (Chinese,
// Japanese, Thai, ...) become overlapping character bigrams. Each word is reduced by the Snowball
// stemmer of its script: the shop's language for Latin script, Russian for Cyrillic, Greek for
// Greek, Arabic, Armenian, Hindi, Tamil; words of other scripts are kept whole. Plus a bounded edit
// distance for typos.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::server::text {

// The shop's language: which Snowball stemmer reduces Latin-script words, and which stop-word,
// greeting and handoff lists apply (domain/BotLexicon).
enum class Language { English, German, French, Spanish };
std::optional<Language> parseLanguage(std::string_view name); // "english", "german", ...
std::string_view toString(Language language);

struct Token {
    std::string word;  // folded surface form: what word lists are matched against
    std::string stem;  // what the index compares
    bool gram = false; // a character bigram of a script written without spaces
};

// Case-folded, compatibility-normalised (NFKC) text with Latin and Greek accents removed.
// Invalid UTF-8 folds to "".
std::string fold(std::string_view utf8);
// fold, split into words (digits dropped, unsegmented scripts as bigrams), stem.
std::vector<Token> tokenize(std::string_view utf8, Language language);
// Snowball stem of one folded Latin-script word in `language`; other scripts by their own stemmer.
std::string stem(std::string_view foldedWord, Language language);

// Damerau-Levenshtein distance in code points, stopping early once it exceeds maxDistance.
// Words over 64 code points are compared only for equality.
int editDistance(std::u32string_view a, std::u32string_view b, int maxDistance);
int editDistance(std::string_view utf8a, std::string_view utf8b, int maxDistance);
std::u32string toUtf32(std::string_view utf8);
std::string toUtf8(std::u32string_view text);
std::size_t codePoints(std::string_view utf8);

} // namespace parley::server::text
