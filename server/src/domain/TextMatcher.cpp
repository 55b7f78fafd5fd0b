#include "domain/TextMatcher.h"

#include <libstemmer.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_map>

namespace parley::server::text {
namespace {

bool isLatin(char32_t c) {
    return c < 0x250 || (c >= 0x1E00 && c < 0x1F00) || (c >= 0x2C60 && c < 0x2C80) ||
           (c >= 0xA720 && c < 0xA800) || (c >= 0xAB30 && c < 0xAB70);
}
bool isGreek(char32_t c) {
    return (c >= 0x370 && c < 0x400) || (c >= 0x1F00 && c < 0x2000);
}
bool isCyrillic(char32_t c) {
    return c >= 0x400 && c < 0x530;
}

// Scripts written without spaces between words: matched by character bigrams.
bool isUnsegmented(char32_t c) {
    return (c >= 0x2E80 && c < 0xA000) ||   // CJK radicals, kana, Han, Hangul compatibility jamo, ...
           (c >= 0xAC00 && c < 0xD7B0) ||   // Hangul syllables
           (c >= 0xF900 && c < 0xFB00) ||   // CJK compatibility ideographs
           (c >= 0x20000 && c < 0x31350) || // Han extensions
           (c >= 0x0E00 && c < 0x0F00) ||   // Thai, Lao
           (c >= 0x1000 && c < 0x10A0) ||   // Myanmar
           (c >= 0x1780 && c < 0x1800);     // Khmer
}

// Accents go from Latin and Greek letters (shoppers often leave them out); Cyrillic keeps its
// letters (й is not и) except for the diaeresis that Russian writers routinely drop (ё -> е).
bool dropMark(char32_t base, char32_t mark) {
    if (isLatin(base) || isGreek(base))
        return true;
    return isCyrillic(base) && mark == 0x308;
}

enum class CharKind { Separator, Letter, Digit, Unsegmented, Mark };

CharKind kindOf(char32_t c) {
    switch (utf8proc_category(static_cast<utf8proc_int32_t>(c))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return isUnsegmented(c) ? CharKind::Unsegmented : CharKind::Letter;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        return CharKind::Mark;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return CharKind::Digit;
    default:
        return CharKind::Separator;
    }
}

void appendUtf8(std::string& out, char32_t c) {
    utf8proc_uint8_t buf[4];
    const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
}

const char* latinAlgorithm(Language language) {
    switch (language) {
    case Language::German:
        return "german";
    case Language::French:
        return "french";
    case Language::Spanish:
        return "spanish";
    case Language::English:
        break;
    }
    return "english";
}

const char* algorithmFor(char32_t first, Language language) {
    if (isLatin(first))
        return latinAlgorithm(language);
    if (isGreek(first))
        return "greek";
    if (isCyrillic(first))
        return "russian";
    if (first >= 0x530 && first < 0x590)
        return "armenian";
    if (first >= 0x600 && first < 0x700)
        return "arabic";
    if (first >= 0x900 && first < 0x980)
        return "hindi";
    if (first >= 0xB80 && first < 0xC00)
        return "tamil";
    return nullptr;
}

struct StemmerDeleter {
    void operator()(sb_stemmer* s) const { sb_stemmer_delete(s); }
};

// A Snowball stemmer keeps its result in a buffer of its own, so one per thread and algorithm.
sb_stemmer* stemmerFor(const char* algorithm) {
    thread_local std::unordered_map<std::string_view, std::unique_ptr<sb_stemmer, StemmerDeleter>> stemmers;
    auto& slot = stemmers[algorithm];
    if (!slot)
        slot.reset(sb_stemmer_new(algorithm, "UTF_8"));
    return slot.get();
}

std::string stemWith(const char* algorithm, std::string_view word) {
    sb_stemmer* stemmer = algorithm ? stemmerFor(algorithm) : nullptr;
    if (!stemmer)
        return std::string(word);
    const sb_symbol* out = sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(word.data()),
                                           static_cast<int>(word.size()));
    if (!out)
        return std::string(word);
    return std::string(reinterpret_cast<const char*>(out),
                       static_cast<std::size_t>(sb_stemmer_length(stemmer)));
}

char32_t firstCodePoint(std::string_view utf8) {
    utf8proc_int32_t c = 0;
    utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                     static_cast<utf8proc_ssize_t>(utf8.size()), &c);
    return c < 0 ? 0 : static_cast<char32_t>(c);
}

} // namespace

std::optional<Language> parseLanguage(std::string_view name) {
    for (auto l : {Language::English, Language::German, Language::French, Language::Spanish})
        if (toString(l) == name)
            return l;
    return std::nullopt;
}

std::string_view toString(Language language) {
    return latinAlgorithm(language);
}

std::string fold(std::string_view s) {
    if (s.empty())
        return {};
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    const auto len = static_cast<utf8proc_ssize_t>(s.size());
    const auto options =
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                       UTF8PROC_DECOMPOSE | UTF8PROC_IGNORE | UTF8PROC_LUMP);
    std::vector<utf8proc_int32_t> buf(s.size() + 8);
    auto n = utf8proc_decompose(p, len, buf.data(), static_cast<utf8proc_ssize_t>(buf.size()), options);
    if (n > static_cast<utf8proc_ssize_t>(buf.size())) {
        buf.resize(static_cast<std::size_t>(n));
        n = utf8proc_decompose(p, len, buf.data(), n, options);
    }
    if (n < 0)
        return {};
    std::size_t kept = 0;
    char32_t base = 0;
    for (utf8proc_ssize_t i = 0; i < n; ++i) {
        const auto c = static_cast<char32_t>(buf[static_cast<std::size_t>(i)]);
        if (utf8proc_category(buf[static_cast<std::size_t>(i)]) == UTF8PROC_CATEGORY_MN) {
            if (dropMark(base, c))
                continue;
        } else {
            base = c;
        }
        buf[kept++] = static_cast<utf8proc_int32_t>(c);
    }
    const auto composed =
        utf8proc_normalize_utf32(buf.data(), static_cast<utf8proc_ssize_t>(kept),
                                 static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (composed < 0)
        return {};
    std::string out;
    out.reserve(static_cast<std::size_t>(composed) + s.size() / 4);
    for (utf8proc_ssize_t i = 0; i < composed; ++i)
        appendUtf8(out, static_cast<char32_t>(buf[static_cast<std::size_t>(i)]));
    return out;
}

std::string stem(std::string_view word, Language language) {
    if (word.empty())
        return {};
    return stemWith(algorithmFor(firstCodePoint(word), language), word);
}

std::vector<Token> tokenize(std::string_view utf8, Language language) {
    const std::string folded = fold(utf8);
    std::vector<Token> out;
    std::string word;             // the segmented word being read
    std::vector<std::string> run; // characters (with their marks) of an unsegmented run
    CharKind current = CharKind::Separator;

    auto flush = [&] {
        if (!word.empty()) {
            Token t;
            t.stem = stem(word, language);
            t.word = std::move(word);
            out.push_back(std::move(t));
            word.clear();
        }
        if (run.size() == 1)
            out.push_back(Token{run[0], run[0], true});
        for (std::size_t i = 0; i + 1 < run.size(); ++i) {
            std::string gram = run[i] + run[i + 1];
            out.push_back(Token{gram, gram, true});
        }
        run.clear();
    };

    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(folded.data());
    const auto n = static_cast<utf8proc_ssize_t>(folded.size());
    for (utf8proc_ssize_t i = 0; i < n;) {
        utf8proc_int32_t cp = 0;
        const auto len = utf8proc_iterate(p + i, n - i, &cp);
        if (len <= 0)
            break; // fold() only returns valid UTF-8
        i += len;
        const auto c = static_cast<char32_t>(cp);
        CharKind kind = kindOf(c);
        if (kind == CharKind::Mark) { // belongs to the letter before it
            if (current == CharKind::Letter)
                appendUtf8(word, c);
            else if (current == CharKind::Unsegmented && !run.empty())
                appendUtf8(run.back(), c);
            continue;
        }
        if (kind != current)
            flush();
        current = kind;
        if (kind == CharKind::Letter)
            appendUtf8(word, c);
        else if (kind == CharKind::Unsegmented)
            appendUtf8(run.emplace_back(), c);
    }
    flush();
    return out;
}

std::u32string toUtf32(std::string_view utf8) {
    std::u32string out;
    out.reserve(utf8.size());
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
    const auto n = static_cast<utf8proc_ssize_t>(utf8.size());
    for (utf8proc_ssize_t i = 0; i < n;) {
        utf8proc_int32_t cp = 0;
        const auto len = utf8proc_iterate(p + i, n - i, &cp);
        if (len <= 0) {
            ++i;
            continue;
        }
        i += len;
        out.push_back(static_cast<char32_t>(cp));
    }
    return out;
}

std::string toUtf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text)
        appendUtf8(out, c);
    return out;
}

std::size_t codePoints(std::string_view utf8) {
    return static_cast<std::size_t>(std::count_if(
        utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

int editDistance(std::u32string_view a, std::u32string_view b, int maxDistance) {
    constexpr std::size_t kMax = 64;
    const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
    if (std::abs(n - m) > maxDistance)
        return maxDistance + 1;
    if (a.size() > kMax || b.size() > kMax)
        return a == b ? 0 : maxDistance + 1;
    // Three rows: the one before last is needed for transpositions.
    std::array<int, kMax + 1> twoBack{}, prev{}, row{};
    for (int j = 0; j <= m; ++j)
        prev[static_cast<std::size_t>(j)] = j;
    for (int i = 1; i <= n; ++i) {
        row[0] = i;
        int rowMin = row[0];
        for (int j = 1; j <= m; ++j) {
            const auto uj = static_cast<std::size_t>(j);
            const int cost = a[static_cast<std::size_t>(i - 1)] == b[uj - 1] ? 0 : 1;
            int d = std::min({prev[uj] + 1, row[uj - 1] + 1, prev[uj - 1] + cost});
            if (i > 1 && j > 1 && a[static_cast<std::size_t>(i - 1)] == b[uj - 2] &&
                a[static_cast<std::size_t>(i - 2)] == b[uj - 1])
                d = std::min(d, twoBack[uj - 2] + 1);
            row[uj] = d;
            rowMin = std::min(rowMin, d);
        }
        if (rowMin > maxDistance)
            return maxDistance + 1;
        twoBack = prev;
        prev = row;
    }
    return prev[static_cast<std::size_t>(m)];
}

int editDistance(std::string_view a, std::string_view b, int maxDistance) {
    return editDistance(toUtf32(a), toUtf32(b), maxDistance);
}

} // namespace parley::server::text
