#include "domain/TextMatcher.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <unordered_set>

namespace parley::server::text {
namespace {

// Latin-1 Supplement and Latin Extended-A letters folded to ASCII (index = code point - 0xC0).
constexpr std::array<const char*, 0x180 - 0xC0> kFold = {
    // C0..DF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o",
    "o", "o", " ", "o", "u", "u", "u", "u", "y", "th", "ss",
    // E0..FF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", "d", "n", "o", "o", "o",
    "o", "o", " ", "o", "u", "u", "u", "u", "y", "th", "y",
    // 100..17F (Latin Extended-A), in pairs upper/lower
    "a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", "d", "d", "e", "e", "e",
    "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", "g", "g", "g", "g", "h", "h", "h", "h", "i", "i",
    "i", "i", "i", "i", "i", "i", "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l",
    "l", "l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", "o", "o", "oe", "oe",
    "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t", "u",
    "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z",
    "z", "s"};

const std::unordered_set<std::string_view>& stopWords() {
    static const std::unordered_set<std::string_view> words{
        "a",      "an",     "the",   "is",     "are",   "was",    "were",  "be",    "been",  "am",
        "do",     "does",   "did",   "i",      "me",    "my",     "mine",  "we",    "our",   "you",
        "your",   "it",     "its",   "this",   "that",  "these",  "those", "to",    "of",    "for",
        "in",     "on",     "at",    "by",     "with",  "from",   "and",   "or",    "but",   "if",
        "so",     "how",    "what",  "can",    "could", "should", "will",  "shall", "may",   "might",
        "please", "hi",     "hello", "hey",    "there", "any",    "some",  "about", "just",  "get",
        "got",    "have",   "has",   "had",    "want",  "need",   "know",  "tell",  "im",    "id",
        "ive",    "much",   "many",  "thanks", "thank", "as",     "into",  "than",  "then",  "them",
        "they",   "their",  "he",    "she",    "his",   "her",    "us",    "who",   "which", "also",
        "very",   "really", "s",     "t",      "take",  "make",   "does",  "done",  "like",  "would"};
    return words;
}

bool isVowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}
bool endsWith(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

std::string fold(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                out += static_cast<char>(c);
            else if (c >= 'A' && c <= 'Z')
                out += static_cast<char>(c - 'A' + 'a');
            else if (c == '\'')
                ; // "don't" -> "dont"
            else
                out += ' ';
            ++i;
            continue;
        }
        std::size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        std::uint32_t cp = len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; k < len && i + k < n; ++k)
            cp = (cp << 6) | (p[i + k] & 0x3F);
        if (cp >= 0xC0 && cp < 0x180)
            out += kFold[cp - 0xC0];
        else if (cp == 0x2019)
            ; // typographic apostrophe
        else
            out += ' ';
        i += len;
    }
    return out;
}

std::string stem(std::string w) {
    if (w.size() <= 3)
        return w;
    if (endsWith(w, "ies") && w.size() > 4)
        w = w.substr(0, w.size() - 3) + "y";
    else if (endsWith(w, "sses") || endsWith(w, "shes") || endsWith(w, "ches") || endsWith(w, "xes"))
        w.resize(w.size() - 2);
    else if (endsWith(w, "s") && !endsWith(w, "ss") && !endsWith(w, "us") && !endsWith(w, "is"))
        w.pop_back();

    bool stripped = false;
    if (endsWith(w, "ing") && w.size() > 5) {
        w.resize(w.size() - 3);
        stripped = true;
    } else if (endsWith(w, "ed") && w.size() > 4) {
        w.resize(w.size() - 2);
        stripped = true;
    }
    // "shipping" -> "shipp" -> "ship"; "stopped" -> "stopp" -> "stop".
    if (stripped && w.size() >= 3 && w[w.size() - 1] == w[w.size() - 2] && !isVowel(w.back()) &&
        w.back() != 'l' && w.back() != 's' && w.back() != 'z')
        w.pop_back();
    // Drop a final silent "e" so that "return"/"returned" and "change"/"changing" meet.
    if (w.size() > 4 && w.back() == 'e')
        w.pop_back();
    return w;
}

std::vector<std::string> terms(std::string_view utf8) {
    const std::string folded = fold(utf8);
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < folded.size()) {
        while (i < folded.size() && folded[i] == ' ')
            ++i;
        std::size_t j = i;
        while (j < folded.size() && folded[j] != ' ')
            ++j;
        if (j > i) {
            std::string word = folded.substr(i, j - i);
            if (!stopWords().contains(word))
                out.push_back(stem(std::move(word)));
        }
        i = j;
    }
    return out;
}

int editDistance(std::string_view a, std::string_view b, int maxDistance) {
    const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
    if (std::abs(n - m) > maxDistance)
        return maxDistance + 1;
    std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
    for (int i = 0; i <= n; ++i)
        d[i][0] = i;
    for (int j = 0; j <= m; ++j)
        d[0][j] = j;
    for (int i = 1; i <= n; ++i) {
        int rowMin = maxDistance + 1;
        for (int j = 1; j <= m; ++j) {
            const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            rowMin = std::min(rowMin, d[i][j]);
        }
        if (rowMin > maxDistance)
            return maxDistance + 1;
    }
    return d[n][m];
}

} // namespace parley::server::text
