#pragma once
// Turns free text into comparable terms: lower case, accents folded (é -> e, ß -> ss),
// punctuation dropped, stop words removed, and a light English stemmer (plurals, -ing, -ed)
// so that "Refunds", "refund" and "réfund" meet. Also a bounded edit distance for typos.

#include <string>
#include <string_view>
#include <vector>

namespace parley::server::text {

// Lower-cased, accent-folded ASCII-ish copy; other characters become spaces.
std::string fold(std::string_view utf8);
std::string stem(std::string word);
std::vector<std::string> terms(std::string_view utf8); // fold, split, drop stop words, stem
// Damerau-Levenshtein distance, stopping early once it exceeds maxDistance.
int editDistance(std::string_view a, std::string_view b, int maxDistance);

} // namespace parley::server::text
