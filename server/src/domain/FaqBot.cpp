#include "domain/FaqBot.h"

#include "domain/TextMatcher.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace parley::server {
namespace {

double similarity(const std::string& q, const std::string& t) {
    if (q == t)
        return 1.0;
    const std::size_t shorter = std::min(q.size(), t.size());
    if (shorter >= 4) {
        const int allowed = shorter >= 8 ? 2 : 1;
        if (text::editDistance(q, t, allowed) <= allowed)
            return 0.8;
    }
    if (shorter >= 5 && q.compare(0, 5, t, 0, 5) == 0)
        return 0.6;
    return 0.0;
}

} // namespace

// Per entry: each term with its field weight (question/slug 1, answer 0.5) times its rarity
// across the entries (1 + ln(N/df)).
struct FaqIndex::Prepared {
    std::vector<std::vector<std::pair<std::string, double>>> terms;
};

FaqIndex::FaqIndex()
    : FaqIndex(std::vector<protocol::FaqEntry>{}) {}

FaqIndex::~FaqIndex() = default;

FaqIndex::FaqIndex(std::vector<protocol::FaqEntry> entries)
    : m_entries(std::move(entries)) {
    std::vector<std::map<std::string, double>> weights(m_entries.size());
    std::map<std::string, int> df;
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        auto add = [&](std::string_view s, double w) {
            for (auto& t : text::terms(s)) {
                auto& slot = weights[i][t];
                slot = std::max(slot, w);
            }
        };
        add(m_entries[i].answer, 0.5);
        add(m_entries[i].question, 1.0);
        std::string slugWords = m_entries[i].slug;
        std::replace(slugWords.begin(), slugWords.end(), '-', ' ');
        add(slugWords, 1.0);
        for (const auto& [t, w] : weights[i])
            ++df[t];
    }
    const double n = static_cast<double>(std::max<std::size_t>(m_entries.size(), 1));
    auto prepared = std::make_unique<Prepared>();
    prepared->terms.resize(m_entries.size());
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        for (const auto& [t, w] : weights[i])
            prepared->terms[i].emplace_back(t, w * (1.0 + std::log(n / df[t])));
    m_prepared = std::move(prepared);
}

const protocol::FaqEntry* FaqIndex::find(std::string_view slug) const {
    for (const auto& e : m_entries)
        if (e.slug == slug)
            return &e;
    return nullptr;
}

std::vector<std::pair<std::size_t, double>> FaqBot::rank(std::string_view text, const FaqIndex& index) {
    std::set<std::string> query;
    for (auto& t : text::terms(text))
        query.insert(std::move(t));

    const auto& terms = index.prepared().terms;
    std::vector<std::pair<std::size_t, double>> scores;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        double score = 0;
        for (const auto& q : query) {
            double best = 0;
            for (const auto& [t, weight] : terms[i]) {
                const double sim = similarity(q, t);
                if (sim > 0)
                    best = std::max(best, sim * weight);
            }
            score += best;
        }
        scores.emplace_back(i, score);
    }
    std::stable_sort(scores.begin(), scores.end(), [](auto& a, auto& b) { return a.second > b.second; });
    return scores;
}

FaqBot::Answer FaqBot::answer(std::string_view text, const FaqIndex& index) const {
    const auto& entries = index.entries();
    Answer out;
    const auto ranked = rank(text, index);
    if (!ranked.empty() && ranked.front().second >= kThreshold) {
        out.entry = entries[ranked.front().first];
        out.score = ranked.front().second;
        return out;
    }
    // Closest first, then the shop's own order for whatever is left.
    for (const auto& [i, score] : ranked)
        if (score > 0 && out.suggestions.size() < kSuggestions)
            out.suggestions.push_back(entries[i]);
    for (const auto& e : entries) {
        if (out.suggestions.size() >= kSuggestions)
            break;
        if (std::none_of(out.suggestions.begin(), out.suggestions.end(),
                         [&](auto& s) { return s.slug == e.slug; }))
            out.suggestions.push_back(e);
    }
    out.score = ranked.empty() ? 0 : ranked.front().second;
    return out;
}

std::string FaqBot::greeting() {
    return "Hi! I'm the shop's assistant. Ask me anything or pick a topic below. "
           "You can also talk to a person at any time.";
}

std::string FaqBot::notUnderstood() {
    return "Sorry, I didn't understand that. Here are some topics that might help, or you can talk to an "
           "agent.";
}

} // namespace parley::server
