#pragma once
// The FAQ prepared for matching: built once from the entries whenever they change (inactive ones
// included, so that nobody answers in a deactivated entry's place on its words), then read by
// any number of threads at once. No I/O.
//
// What an entry is about is its question, its slug and its keywords (each comma-, semicolon- or
// line-separated keyword is a phrase of its own); its answer counts 0.3 as much. Every term
// weighs by how rare it is among the entries (inverse document frequency), question words
// ("when", "where") by a third of that, and stop words, filler, greetings and numbers not at all.
// A message's confidence for an entry is
//     coverage x (0.5 + 0.5 x phrase)
// where coverage is the share of the message's term weight that the entry matches and phrase is
// how completely the message contains the best of the entry's phrases (a question sentence or
// one keyword). A term matches exactly, with a typo (edit distance 1, 2 from 8 letters: 0.8) or
// as a word-form prefix (0.7). Requests for a person are scored the same way, as the phrases of
// a pseudo entry (lexicon::handoffPhrases). FaqBot decides what to say from the ranking.
//
// A shipped entry (DefaultFaq.h) also has shoppers' example messages as phrases; an example counts
// as a phrase only through a word that at most three entries are about, so that the context of an
// example ("I ordered the Kenya") makes no match. The non-examples (messages about other topics)
// are phrases of the other-topic pseudo entry, except those with a word of the shop's own entries.

#include "domain/TextMatcher.h"
#include "parley/protocol/Types.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::server {

class FaqIndex {
public:
    // The candidate that stands for "the shopper asks for a person".
    static constexpr std::size_t kHandoff = std::numeric_limits<std::size_t>::max();
    // The candidate that stands for "a common shop question this FAQ does not answer"
    // (lexicon::otherTopicPhrases): it never answers, but an entry must beat it clearly.
    static constexpr std::size_t kOtherTopic = kHandoff - 1;

    explicit FaqIndex(std::vector<protocol::FaqEntry> entries = {},
                      text::Language language = text::Language::English);

    struct Candidate {
        std::size_t entry; // index into entries(), or kHandoff, or kOtherTopic
        double confidence; // 0..1
        // A word that is about something (not only "when" or "not") matched the candidate's
        // question, slug or keywords.
        bool strong;
        double phrase; // how completely the message holds the best of the candidate's phrases, 0..1
        bool exactQuestion = false; // the message is one of the entry's question sentences, word for word
        bool person = false;        // a word that asks for a person also matched the entry ("reach a person")
    };
    struct Analysis {
        std::vector<Candidate> ranked; // confidence > 0 only, best first
        bool greeting = false;         // the message has a greeting word ("hi", "bonjour")
        bool thanks = false;           // ... a thanks or goodbye word
        bool asksIfBot = false;        // "are you a bot?" (lexicon::asksIfBot); its words are not ranked
        bool asksForPerson = false;    // "I want a person", "is anyone there?" (lexicon::asksForPerson)
        int contentTerms = 0;          // terms that are about something (neither stop word nor greeting)
    };
    Analysis analyze(std::string_view message) const;

    const std::vector<protocol::FaqEntry>& entries() const { return m_entries; }
    text::Language language() const { return m_language; }

private:
    static constexpr std::uint32_t kNoPhrase = std::numeric_limits<std::uint32_t>::max();

    struct Posting {
        std::uint32_t
            candidate; // entry index; m_entries.size() (+ 1) for the handoff (other-topic) pseudo entry
        std::uint32_t phrase; // kNoPhrase for answer text
        float field;          // 1 for question, slug and keywords, 0.3 for the answer
    };
    struct Term {
        std::string text; // the stem
        float cls = 1;    // 1, or less for question words
        float idf = 1;
        std::uint32_t topicDf = 0; // how many entries have it in their question, slug or keywords
        bool gram = false;
        bool person = false; // a phrase asking for a person has it
        std::vector<Posting> postings;
    };
    // A way a term is written (its stem, or a word that stems to it), for typo matching.
    struct Spelling {
        std::u32string chars;
        std::uint32_t term;
        bool word; // a word as written in the FAQ
        bool stem; // a stem
    };
    struct TermMatch {
        std::uint32_t term;
        float similarity;
    };

    // The tokens of a text with their class weights; stop words, greetings and thanks are
    // dropped (and reported through the flags when given).
    struct TextTerm {
        text::Token token;
        float cls;                 // class weight: 1, or less for question words
        bool content;              // about something: not a question word, not "not"
        std::uint32_t clauses = 1; // the clauses it occurs in, one bit each
    };
    // clauses: split the text into clauses (a message); otherwise it is one.
    std::vector<TextTerm> terms(std::string_view text, bool* greeting = nullptr, bool* thanks = nullptr,
                                bool clauses = false, bool* asksIfBot = nullptr,
                                bool* asksForPerson = nullptr) const;
    std::uint32_t termId(const text::Token& token, float cls);
    void addSpelling(const std::string& spelling, std::uint32_t term, bool isStem);
    enum class Phrase { None, Question, Whole, Keyword, Example };
    void addText(std::uint32_t candidate, std::string_view text, float field, Phrase phrase);
    void addPhrases(std::uint32_t candidate, std::string_view text, std::string_view separators, Phrase kind);
    std::vector<TermMatch> match(const text::Token& token) const;

    std::vector<protocol::FaqEntry> m_entries;
    text::Language m_language;
    std::vector<Term> m_terms;
    std::unordered_map<std::string, std::uint32_t> m_ids; // stem -> term
    std::vector<Spelling> m_spellings;
    std::unordered_map<std::string, std::uint32_t> m_spellingIds;
    std::size_t m_longestSpelling = 0; // in code points
    // Typo lookup (symmetric delete): a spelling with one code point deleted -> the spellings.
    std::unordered_map<std::string, std::vector<std::uint32_t>> m_deletes;
    std::vector<std::uint32_t> m_sorted; // term ids in text order, for word-form prefixes
    std::vector<float> m_phraseTotal;    // the summed weight of each phrase's terms
    std::vector<float> m_phraseCap;      // the most its coverage may count
    std::vector<char> m_phraseNegated;   // has "not": counts only for messages with a negation
    std::vector<char> m_phraseQuestion;  // a sentence of the question
    std::vector<char> m_phraseExample;   // an example message
    std::vector<std::uint32_t> m_phraseSize;
    std::vector<char> m_phraseCollapsed; // while building only
    std::vector<std::uint32_t> m_phraseCandidate;
    std::vector<std::vector<std::uint32_t>> m_phraseTerms; // while building only
    float m_unknownWeight = 1;                             // a message term that is nowhere in the FAQ
};

} // namespace parley::server
