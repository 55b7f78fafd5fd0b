#include "domain/FaqIndex.h"

#include "domain/BotLexicon.h"
#include "domain/DefaultFaq.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace parley::server {
namespace {

constexpr float kAnswerField = 0.3f;        // answer text: supports a topic, rarely makes one
constexpr float kWeakWord = 0.35f;          // "when", "where": they tell hours from refunds, but only just
constexpr float kTypo = 0.8f;               // "retrun" for "return"
constexpr float kPrefix = 0.7f;             // "deliv" (deliver) for "deliveri" (delivery)
constexpr float kUnknownWord = 0.8f;        // a word nowhere in the FAQ, relative to the rarest FAQ word
constexpr float kUnknownGram = 0.3f;        // a bigram nowhere in the FAQ mostly straddles two words
constexpr float kPartialPhrase = 0.5f;      // a fragment of a phrase: "number" of "tracking number"
constexpr float kCollapsedKeyword = 0.6f;   // see the constructor
constexpr double kCoverageExponent = 0.7;   // words around the question cost less than in proportion
constexpr double kPhraseBase = 0.5;         // confidence = coverage^0.7 x (0.5 + 0.5 x phrase)
constexpr std::size_t kMinFuzzy = 4;        // shorter words only match exactly
constexpr std::size_t kMinSubstitution = 5; // "ordr" is "order", but "shop" is no "ship"
constexpr std::size_t kMinPrefix = 5;       // and shorter stems are no word-form prefix
constexpr std::size_t kMaxPrefixGap = 4;
constexpr std::uint32_t kMaxClauses = 16;    // the rest of a longer message is the last clause
constexpr float kOutsideWindow = 0.3f;       // the rest of a long message, when one clause is scored
constexpr float kSpecificWord = 0.0f;        // phrase share of a word that is one entry's alone
constexpr std::uint32_t kDistinctTopics = 3; // an example counts through a word of at most 3 entries
constexpr std::string_view kClauseMarks = ".!?;:,()\n\r";

// The example messages of a shipped entry (DefaultFaq.h), or null for the shop's own entries and
// for a shipped one whose question the shop has rewritten: the examples are about that question.
const std::vector<std::string_view>* shippedExamples(const protocol::FaqEntry& entry) {
    struct Shipped {
        std::string question;
        const std::vector<std::string_view>* messages;
    };
    static const auto kShipped = [] {
        std::unordered_map<std::string, Shipped> shipped;
        const auto faq = defaultFaq();
        for (const auto& examples : defaultFaqExamples()) {
            const auto e =
                std::find_if(faq.begin(), faq.end(), [&](auto& f) { return f.slug == examples.slug; });
            if (e != faq.end())
                shipped.emplace(e->slug, Shipped{e->question, &examples.messages});
        }
        return shipped;
    }();
    const auto it = kShipped.find(entry.slug);
    return it != kShipped.end() && it->second.question == entry.question ? it->second.messages : nullptr;
}

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

FaqIndex::FaqIndex(std::vector<protocol::FaqEntry> entries, text::Language language)
    : m_entries(std::move(entries))
    , m_language(language) {
    const auto n = static_cast<std::uint32_t>(m_entries.size());
    std::vector<char> shipped(n, 0);
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto& e = m_entries[i];
        addPhrases(i, e.question, "?!.\n", Phrase::Question);
        std::string slugWords = e.slug;
        std::replace(slugWords.begin(), slugWords.end(), '-', ' ');
        addText(i, slugWords, 1.0f, Phrase::Whole);
        addPhrases(i, e.keywords, ",;\n", Phrase::Keyword);
        if (const auto* examples = shippedExamples(e)) {
            shipped[i] = 1;
            for (auto message : *examples)
                addText(i, message, 1.0f, Phrase::Example);
        }
        addText(i, e.answer, kAnswerField, Phrase::None);
    }
    for (auto phrase : lexicon::handoffPhrases())
        addText(n, phrase, 1.0f, Phrase::Keyword);
    // What shoppers often ask that this FAQ may not answer: a message about a subscription is not
    // about cancelling an order. Only the phrases with a word that is no entry's topic (its
    // question, slug or keywords) stand: a shop with a warranty entry answers warranties.
    for (auto phrase : lexicon::otherTopicPhrases()) {
        const auto words = terms(phrase);
        const bool covered = std::all_of(words.begin(), words.end(), [&](const TextTerm& t) {
            const auto id = m_ids.find(t.token.stem);
            return id != m_ids.end() &&
                   std::any_of(m_terms[id->second].postings.begin(), m_terms[id->second].postings.end(),
                               [&](const Posting& p) { return p.candidate < n && p.phrase != kNoPhrase; });
        });
        if (!covered)
            addText(n + 1, phrase, 1.0f, Phrase::Keyword);
    }
    // Messages the shipped entries do not answer, unless one of the shop's own entries is about
    // one of their words: a shop that adds a gift card entry answers "do you sell gift cards".
    std::vector<char> ownTopic(m_terms.size(), 0);
    for (std::size_t t = 0; t < m_terms.size(); ++t)
        for (const auto& p : m_terms[t].postings)
            if (p.candidate < n && p.phrase != kNoPhrase && !shipped[p.candidate])
                ownTopic[t] = 1;
    for (auto message : defaultFaqNonExamples()) {
        const auto words = terms(message);
        const bool ownEntrysWord = std::any_of(words.begin(), words.end(), [&](const TextTerm& t) {
            const auto id = m_ids.find(t.token.stem);
            return t.content && id != m_ids.end() && id->second < ownTopic.size() && ownTopic[id->second];
        });
        if (!ownEntrysWord)
            addText(n + 1, message, 1.0f, Phrase::Example);
    }

    // Rarer terms weigh more. Document frequency over the real entries only.
    for (auto& t : m_terms) {
        std::uint32_t df = 0, last = n, lastTopic = n;
        for (const auto& p : t.postings) {
            if (p.candidate < n && p.candidate != last) {
                ++df;
                last = p.candidate;
            }
            if (p.candidate < n && p.phrase != kNoPhrase && p.candidate != lastTopic) {
                ++t.topicDf;
                lastTopic = p.candidate;
            }
            t.person = t.person || p.candidate == n;
        }
        // A word only a request for a person uses weighs as much as the rarest FAQ word, no more.
        t.idf = 1.0f + static_cast<float>(std::log((n + 1.0) / (std::max<std::uint32_t>(df, 1) + 0.5)));
    }
    m_unknownWeight = kUnknownWord * (1.0f + static_cast<float>(std::log((n + 1.0) / 1.5)));
    m_phraseTotal.assign(m_phraseTerms.size(), 0.0f);
    m_phraseCap.assign(m_phraseTerms.size(), 1.0f);
    for (std::size_t p = 0; p < m_phraseTerms.size(); ++p) {
        for (auto id : m_phraseTerms[p])
            m_phraseTotal[p] += m_terms[id].cls * m_terms[id].idf;
        // A keyword of several words that keeps only one ("same day" -> "day", "which countries"
        // -> "countries") is a full keyword only when that word belongs to this entry alone.
        if (m_phraseCollapsed[p] && m_terms[m_phraseTerms[p].front()].topicDf > 1)
            m_phraseCap[p] = kCollapsedKeyword;
    }
    m_phraseCollapsed.clear();
    m_phraseTerms.clear();
    m_phraseTerms.shrink_to_fit();

    m_sorted.resize(m_terms.size());
    for (std::uint32_t i = 0; i < m_sorted.size(); ++i)
        m_sorted[i] = i;
    std::sort(m_sorted.begin(), m_sorted.end(),
              [&](std::uint32_t a, std::uint32_t b) { return m_terms[a].text < m_terms[b].text; });
}

std::uint32_t FaqIndex::termId(const text::Token& token, float cls) {
    auto [it, inserted] = m_ids.try_emplace(token.stem, static_cast<std::uint32_t>(m_terms.size()));
    if (inserted) {
        Term t;
        t.text = token.stem;
        t.cls = cls;
        t.gram = token.gram;
        m_terms.push_back(std::move(t));
    }
    if (!token.gram) {
        addSpelling(token.stem, it->second, true);
        addSpelling(token.word, it->second, false);
    }
    return it->second;
}

void FaqIndex::addSpelling(const std::string& spelling, std::uint32_t term, bool isStem) {
    auto [it, inserted] = m_spellingIds.try_emplace(spelling, static_cast<std::uint32_t>(m_spellings.size()));
    if (!inserted) {
        (isStem ? m_spellings[it->second].stem : m_spellings[it->second].word) = true;
        return;
    }
    Spelling s{text::toUtf32(spelling), term, !isStem, isStem};
    m_longestSpelling = std::max(m_longestSpelling, s.chars.size());
    if (s.chars.size() >= kMinFuzzy)
        for (std::size_t i = 0; i < s.chars.size(); ++i) {
            std::u32string shorter = s.chars;
            shorter.erase(i, 1);
            auto& ids = m_deletes[text::toUtf8(shorter)];
            if (std::find(ids.begin(), ids.end(), it->second) == ids.end())
                ids.push_back(it->second);
        }
    m_spellings.push_back(std::move(s));
}

std::vector<FaqIndex::TextTerm> FaqIndex::terms(std::string_view text, bool* greeting, bool* thanks,
                                                bool clauses, bool* asksIfBot, bool* asksForPerson) const {
    // The tokens with the clause each is in: a new clause at sentence punctuation, at a comma and
    // at a conjunction ("but", "because").
    std::vector<text::Token> tokens;
    std::vector<std::uint32_t> clauseOf;
    std::vector<char> question; // the token's piece ends with "?"
    std::uint32_t clause = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end =
            clauses ? std::min(text.find_first_of(kClauseMarks, start), text.size()) : text.size();
        auto piece = text::tokenize(text.substr(start, end - start), m_language);
        lexicon::translate(piece, m_language);
        if (!piece.empty() && !tokens.empty())
            ++clause;
        for (std::size_t i = 0; i < piece.size(); ++i) {
            if (clauses && i > 0 && !piece[i].gram && lexicon::startsClause(piece[i].word))
                ++clause;
            clauseOf.push_back(std::min(clause, kMaxClauses - 1));
            question.push_back(end < text.size() && text[end] == '?');
            tokens.push_back(std::move(piece[i]));
        }
        start = end + 1;
    }
    lexicon::rewrite(tokens, m_language);
    const auto also = lexicon::writtenIn(tokens, m_language);
    // The words of "are you a bot?" match nothing: FaqBot answers the question itself, and the rest
    // of the message ("where is my order?") is ranked on its own.
    std::vector<char> botQuestion;
    if (asksIfBot)
        *asksIfBot = lexicon::asksIfBot(tokens, clauseOf, m_language, also, &botQuestion);

    // A message that turns a person down ("I don't need an agent") asks for nobody: the negation
    // and the person words it turns down do not count, so the rest of it can find its entry.
    std::vector<char> declined, unanswered;
    if (clauses) {
        std::vector<char> person(tokens.size(), 0);
        for (std::size_t i = 0; i < tokens.size(); ++i)
            if (const auto id = m_ids.find(tokens[i].stem); !tokens[i].gram && id != m_ids.end())
                person[i] = m_terms[id->second].person;
        declined = lexicon::declinedPerson(tokens, clauseOf, question, person, m_language, also);
        const bool outright = lexicon::asksForPerson(tokens, clauseOf, person, declined, m_language, also);
        if (asksForPerson)
            *asksForPerson = outright;
        // "I can't reach anyone, where is my order?": the complaint beside a question of its own asks
        // for no hours (its "reach" and person words matched the hours entry); the question decides.
        if (!outright)
            unanswered = lexicon::unansweredReach(tokens, clauseOf, person, m_language, also);
    }

    std::vector<TextTerm> out;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if ((!declined.empty() && declined[i]) || (!unanswered.empty() && unanswered[i]) ||
            (!botQuestion.empty() && botQuestion[i]))
            continue;
        auto& token = tokens[i];
        float cls = 1.0f;
        bool content = true;
        if (!token.gram) {
            switch (lexicon::classify(token.word, m_language, also)) {
            case lexicon::WordClass::Greeting:
                // "morning" greets at the start or after "good"; "this morning" is a time, filler.
                if (i == 0 || tokens[i - 1].word == "good" || !lexicon::timeOfDay(token.word)) {
                    if (greeting)
                        *greeting = true;
                }
                continue;
            case lexicon::WordClass::Thanks:
                if (thanks)
                    *thanks = true;
                continue;
            case lexicon::WordClass::Stop:
                continue;
            case lexicon::WordClass::Negation:
                // In full weight: "doesn't work" is not "how do returns work".
                token.word = token.stem = "not";
                content = false;
                break;
            case lexicon::WordClass::Weak:
                cls = kWeakWord;
                content = false;
                break;
            case lexicon::WordClass::Content:
                break;
            }
        }
        const std::uint32_t mask = 1u << clauseOf[i];
        auto same = std::find_if(out.begin(), out.end(), [&](auto& t) { return t.token.stem == token.stem; });
        if (same == out.end())
            out.push_back({std::move(token), cls, content, mask});
        else
            same->clauses |= mask;
    }
    return out;
}

void FaqIndex::addText(std::uint32_t candidate, std::string_view text, float field, Phrase kind) {
    const auto textTerms = terms(text);
    // A phrase of question words and negations only ("What now?", "don't like it") is no topic.
    if (kind != Phrase::None &&
        std::none_of(textTerms.begin(), textTerms.end(), [](auto& t) { return t.content; }))
        return;
    std::vector<std::uint32_t> ids;
    for (const auto& t : textTerms)
        ids.push_back(termId(t.token, t.cls));
    if (ids.empty())
        return;
    auto phrase = kNoPhrase;
    if (kind != Phrase::None) {
        phrase = static_cast<std::uint32_t>(m_phraseTerms.size());
        m_phraseTerms.push_back(ids);
        m_phraseCandidate.push_back(candidate);
        m_phraseCollapsed.push_back((kind == Phrase::Keyword || kind == Phrase::Example) && ids.size() == 1 &&
                                    text::tokenize(text, m_language).size() > 1);
        m_phraseNegated.push_back(
            std::any_of(ids.begin(), ids.end(), [&](auto id) { return m_terms[id].text == "not"; }));
        m_phraseQuestion.push_back(kind == Phrase::Question);
        m_phraseExample.push_back(kind == Phrase::Example);
        m_phraseSize.push_back(static_cast<std::uint32_t>(ids.size()));
    }
    for (auto id : ids)
        m_terms[id].postings.push_back(Posting{candidate, phrase, field});
}

void FaqIndex::addPhrases(std::uint32_t candidate, std::string_view text, std::string_view separators,
                          Phrase kind) {
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find_first_of(separators, start), text.size());
        addText(candidate, text.substr(start, end - start), 1.0f, kind);
        start = end + 1;
    }
}

std::vector<FaqIndex::TermMatch> FaqIndex::match(const text::Token& token) const {
    std::vector<TermMatch> out;
    const auto exact = m_ids.find(token.stem);
    if (exact != m_ids.end())
        out.push_back({exact->second, 1.0f});
    if (token.gram)
        return out;
    auto consider = [&](std::uint32_t term, float similarity) {
        for (auto& m : out)
            if (m.term == term) {
                m.similarity = std::max(m.similarity, similarity);
                return;
            }
        out.push_back({term, similarity});
    };

    // Typos: the word as written against the FAQ's words, its stem against their stems;
    // symmetric delete finds the candidates, the edit distance confirms them.
    for (const bool stems : {false, true}) {
        if (exact != m_ids.end())
            break; // spelled right
        const auto& written = stems ? token.stem : token.word;
        const auto chars = text::toUtf32(written);
        const int allowed = chars.size() >= 8 ? 2 : 1;
        // Longer than any FAQ word by more than the edits allowed: nothing to find, and each of
        // its deletions would cost its whole length again (a 4,000-letter word: a third of a second).
        if (chars.size() < kMinFuzzy || chars.size() > m_longestSpelling + allowed)
            continue;
        auto check = [&](std::uint32_t spelling) {
            const auto& s = m_spellings[spelling];
            if (!(stems ? s.stem : s.word) || s.chars.size() < kMinFuzzy ||
                text::editDistance(chars, s.chars, allowed) > allowed)
                return;
            // Short words: a letter left out, added or swapped, never one replaced by another.
            if (std::min(s.chars.size(), chars.size()) < kMinSubstitution && s.chars.size() == chars.size() &&
                !std::is_permutation(s.chars.begin(), s.chars.end(), chars.begin()))
                return;
            consider(s.term, kTypo);
        };
        if (auto it = m_deletes.find(written); it != m_deletes.end())
            for (auto s : it->second)
                check(s);
        for (std::size_t i = 0; i < chars.size(); ++i) {
            std::u32string shorter = chars;
            shorter.erase(i, 1);
            const auto key = text::toUtf8(shorter);
            if (auto it = m_spellingIds.find(key); it != m_spellingIds.end())
                check(it->second);
            if (auto it = m_deletes.find(key); it != m_deletes.end())
                for (auto s : it->second)
                    check(s);
        }
    }

    // Word forms the stemmer did not bring together: "deliv" (deliver) and "deliveri" (delivery).
    const auto stemChars = text::toUtf32(token.stem);
    if (stemChars.size() >= kMinPrefix) {
        auto it =
            std::lower_bound(m_sorted.begin(), m_sorted.end(), token.stem,
                             [&](std::uint32_t id, const std::string& s) { return m_terms[id].text < s; });
        for (; it != m_sorted.end() && startsWith(m_terms[*it].text, token.stem); ++it)
            if (!m_terms[*it].gram && text::codePoints(m_terms[*it].text) <= stemChars.size() + kMaxPrefixGap)
                consider(*it, kPrefix);
        for (std::size_t len =
                 std::max(kMinPrefix, stemChars.size() - std::min(stemChars.size(), kMaxPrefixGap));
             len < stemChars.size(); ++len)
            if (auto found = m_ids.find(text::toUtf8(stemChars.substr(0, len))); found != m_ids.end())
                consider(found->second, kPrefix);
    }
    return out;
}

FaqIndex::Analysis FaqIndex::analyze(std::string_view message) const {
    Analysis a;
    const auto query = terms(message, &a.greeting, &a.thanks, true, &a.asksIfBot, &a.asksForPerson);
    a.contentTerms = static_cast<int>(query.size());
    if (query.empty())
        return a;

    // What each term of the message matches, once.
    struct Matched {
        float weight;
        bool content;
        bool negation;
        bool gram;
        std::uint32_t clauses;
        std::vector<TermMatch> matches;
    };
    std::vector<Matched> matchedTerms;
    std::uint32_t allClauses = 0;
    for (const auto& [token, cls, content, clauses] : query) {
        allClauses |= clauses;
        auto matches = match(token);
        float weight = 0;
        if (matches.empty()) {
            // A function word with a typo ("dose") says nothing; any other word the FAQ does
            // not know may well be what the message is about.
            if (!token.gram && lexicon::misspelledFunctionWord(token.word, m_language))
                continue;
            weight = cls * m_unknownWeight * (token.gram ? kUnknownGram : 1.0f);
        } else {
            const auto best = *std::max_element(matches.begin(), matches.end(), [&](auto& x, auto& y) {
                return x.similarity != y.similarity ? x.similarity < y.similarity
                                                    : m_terms[x.term].idf < m_terms[y.term].idf;
            });
            weight = cls * m_terms[best.term].idf;
        }
        matchedTerms.push_back(
            {weight, content, token.stem == "not", token.gram, clauses, std::move(matches)});
    }
    float total = 0;
    for (const auto& t : matchedTerms)
        total += t.weight;
    if (total <= 0)
        return a;

    const std::size_t candidates = m_entries.size() + 2;
    const auto handoff = static_cast<std::uint32_t>(m_entries.size());
    const auto other = handoff + 1;
    struct Best {
        double confidence = 0;
        double phrase = 0;
        bool strong = false;
        bool person = false;
    };
    std::vector<Best> best(candidates);
    std::vector<std::uint32_t> ranked; // candidates with a confidence, in no order
    std::vector<char> exact(candidates, 0);

    // Scratch space, cleared after each window through the lists of what was touched.
    std::vector<float> phraseCovered(m_phraseTotal.size(), 0.0f);
    std::vector<float> termPhrase(m_phraseTotal.size(), 0.0f); // one term's best contribution per phrase
    std::vector<char> phraseSpecific(m_phraseTotal.size(), 0);
    std::vector<char> phraseDistinct(m_phraseTotal.size(), 0);
    std::vector<std::uint32_t> phraseClauses(m_phraseTotal.size(), 0); // where its words other than "not" are
    std::vector<std::uint32_t> touchedPhrases, termPhrases;
    std::vector<float> phraseBest(candidates, 0.0f), matched(candidates, 0.0f), termBest(candidates, 0.0f);
    std::vector<char> strong(candidates, 0), person(candidates, 0);
    std::vector<std::uint32_t> touched, termTouched;

    // One window of the message: the clauses in `window`, read as if the rest were there only in
    // part (kOutsideWindow), so that a long message is judged by the part that asks the question.
    auto score = [&](std::uint32_t window) {
        const bool whole = window == allClauses;
        float inside = 0;
        std::uint32_t negations = 0; // the clauses with a negation
        std::ptrdiff_t terms = 0, grams = 0;
        for (const auto& t : matchedTerms)
            if (t.clauses & window) {
                inside += t.weight;
                negations |= t.negation ? t.clauses & window : 0;
                ++terms;
                grams += t.gram;
            }
        const float denominator = inside + kOutsideWindow * (total - inside);
        if (inside <= 0 || denominator <= 0)
            return;

        // First how completely the window covers each phrase, then what each term is worth to
        // each candidate: a term that completes a phrase counts in full, one that is a fragment
        // of a phrase ("number" of "tracking number") counts less.
        for (const auto& t : matchedTerms) {
            if (!(t.clauses & window))
                continue;
            for (const auto& m : t.matches) {
                const auto& term = m_terms[m.term];
                const bool specific = t.content && term.topicDf == 1;
                for (const auto& p : term.postings) {
                    if (p.phrase == kNoPhrase)
                        continue;
                    const float covered = m.similarity * term.cls * term.idf;
                    if (termPhrase[p.phrase] == 0.0f)
                        termPhrases.push_back(p.phrase);
                    if (!t.negation)
                        phraseClauses[p.phrase] |= t.clauses & window;
                    termPhrase[p.phrase] = std::max(termPhrase[p.phrase], covered);
                    if (specific)
                        phraseSpecific[p.phrase] = 1;
                    if (t.content && term.topicDf <= kDistinctTopics)
                        phraseDistinct[p.phrase] = 1;
                }
            }
            for (auto phrase : termPhrases) {
                if (phraseCovered[phrase] == 0.0f)
                    touchedPhrases.push_back(phrase);
                phraseCovered[phrase] += termPhrase[phrase];
                termPhrase[phrase] = 0.0f;
            }
            termPhrases.clear();
        }
        // Scripts written without spaces have no phrases to speak of (a question's bigrams
        // include the ones across word boundaries): there the confidence rests on coverage alone.
        const bool unsegmented = 2 * grams >= terms;
        for (auto p : touchedPhrases) {
            // A negated keyword ("didn't receive my order") describes the opposite of a message
            // without a negation in the clause of the keyword's other words ("when will I receive
            // my order", "I am not good with computers. When will my parcel arrive?").
            if (m_phraseNegated[p] && !(phraseClauses[p] & negations)) {
                phraseCovered[p] = -1.0f; // its terms do not count at all
                continue;
            }
            float share = std::min(m_phraseCap[p], phraseCovered[p] / m_phraseTotal[p]);
            // An example message lends its phrasing only through a word few entries are about:
            // "I ordered 2 bags of Kenya" holds most of "ordered kenya and got colombia", but the
            // words that say what is wrong are not in it.
            if (m_phraseExample[p] && !phraseDistinct[p])
                share = 0.0f;
            // A word that is this entry's alone ("money" of "get my money back") says most of
            // what the phrase says.
            if (phraseSpecific[p])
                share = std::max(share, std::min(1.0f, kSpecificWord));
            phraseCovered[p] = share;
            auto& b = phraseBest[m_phraseCandidate[p]];
            b = std::max(b, share);
            if (whole && m_phraseQuestion[p] && share >= 0.999f && m_phraseSize[p] == matchedTerms.size())
                exact[m_phraseCandidate[p]] = 1;
        }

        for (const auto& t : matchedTerms) {
            if (!(t.clauses & window))
                continue;
            for (const auto& m : t.matches) {
                const bool personWord = m_terms[m.term].person;
                for (const auto& p : m_terms[m.term].postings) {
                    if (p.phrase != kNoPhrase && phraseCovered[p.phrase] < 0.0f)
                        continue;
                    const float phrase = p.phrase == kNoPhrase ? 1.0f
                                                               : kPartialPhrase + (1.0f - kPartialPhrase) *
                                                                                      phraseCovered[p.phrase];
                    const float s = m.similarity * p.field * phrase;
                    if (termBest[p.candidate] == 0.0f)
                        termTouched.push_back(p.candidate);
                    termBest[p.candidate] = std::max(termBest[p.candidate], s);
                    if (t.content && p.field == 1.0f) {
                        strong[p.candidate] = 1;
                        person[p.candidate] |= personWord;
                    }
                }
            }
            for (auto c : termTouched) {
                if (matched[c] == 0.0f)
                    touched.push_back(c);
                matched[c] += t.weight * termBest[c];
                termBest[c] = 0.0f;
            }
            termTouched.clear();
        }

        for (auto c : touched) {
            const double phrase = unsegmented ? 1.0 : phraseBest[c];
            const double coverage = std::pow(std::min(1.0f, matched[c] / denominator), kCoverageExponent);
            const double confidence = coverage * (kPhraseBase + (1.0 - kPhraseBase) * phrase);
            auto& b = best[c];
            if (confidence > b.confidence) {
                if (b.confidence == 0)
                    ranked.push_back(c);
                b = Best{confidence, phrase, strong[c] != 0, person[c] != 0 && c != handoff};
            }
            matched[c] = 0.0f;
            phraseBest[c] = 0.0f;
            strong[c] = person[c] = 0;
        }
        touched.clear();
        for (auto p : touchedPhrases)
            phraseCovered[p] = 0.0f, phraseSpecific[p] = 0, phraseClauses[p] = 0, phraseDistinct[p] = 0;
        touchedPhrases.clear();
    };

    // The whole message, and each clause alone and with the next one.
    score(allClauses);
    if (std::popcount(allClauses) > 1)
        for (std::uint32_t c = 0; c < kMaxClauses; ++c) {
            const std::uint32_t one = 1u << c, two = one | (one << 1);
            if (allClauses & one) {
                score(one);
                if ((allClauses & two) == two && two != allClauses)
                    score(two);
            }
        }

    for (auto c : ranked)
        a.ranked.push_back({c == handoff ? kHandoff
                            : c == other ? kOtherTopic
                                         : c,
                            best[c].confidence, best[c].strong, best[c].phrase, exact[c] != 0,
                            best[c].person});
    // Best first; equal ones in the shop's order, the request for a person after them.
    std::sort(a.ranked.begin(), a.ranked.end(), [](const Candidate& x, const Candidate& y) {
        return x.confidence != y.confidence ? x.confidence > y.confidence : x.entry < y.entry;
    });
    return a;
}

} // namespace parley::server
