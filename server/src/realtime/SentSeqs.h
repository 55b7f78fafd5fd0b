#pragma once
// The message seqs one connection has sent for one conversation, as a few disjoint runs
// [first, last]. It is what makes "no duplicate" hold per connection: a message.created whose seq
// is in a run is never sent again, whether it comes live, from a resume backlog, or through a
// second audience. Live traffic arrives in commit order, so a run only grows at its end; a new run
// starts after a gap (an agent assigned mid-conversation, a customer window that joined late and
// resumes the history before it).

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace parley::server {

class SentSeqs {
public:
    // Beyond this many runs the oldest is forgotten: at worst a very old message could be sent twice.
    static constexpr std::size_t kMaxRuns = 16;

    bool contains(std::int64_t seq) const {
        for (const auto& [first, last] : m_runs)
            if (seq >= first && seq <= last)
                return true;
        return false;
    }

    void add(std::int64_t seq) {
        // Runs are sorted by first and never touch: find the neighbours and merge.
        auto it = std::lower_bound(m_runs.begin(), m_runs.end(), seq,
                                   [](const Run& r, std::int64_t s) { return r.second + 1 < s; });
        if (it != m_runs.end() && seq >= it->first - 1 && seq <= it->second + 1) {
            it->first = std::min(it->first, seq);
            it->second = std::max(it->second, seq);
            auto next = it + 1;
            if (next != m_runs.end() && next->first <= it->second + 1) {
                it->second = std::max(it->second, next->second);
                m_runs.erase(next);
            }
            return;
        }
        m_runs.insert(it, {seq, seq});
        if (m_runs.size() > kMaxRuns)
            m_runs.erase(m_runs.begin());
    }

    // The end of the run that holds afterSeq + 1, or afterSeq: a resume from afterSeq only needs
    // the messages after that point read from the store.
    std::int64_t sentThrough(std::int64_t afterSeq) const {
        for (const auto& [first, last] : m_runs)
            if (afterSeq + 1 >= first && afterSeq + 1 <= last)
                return last;
        return afterSeq;
    }

    bool empty() const { return m_runs.empty(); }

    // The client holds every message up to seq: it said so in a resume (after_seq).
    void knownThrough(std::int64_t seq) { m_knownThrough = std::max(m_knownThrough, seq); }

    // A live message at or below this is one the client has or had to come before what was sent
    // (live traffic is in commit order): a node whose feed lags the store's reads delivers, after a
    // resume's backlog, messages older than that backlog. Sending them would be a duplicate or out
    // of order.
    std::int64_t highest() const {
        return m_runs.empty() ? m_knownThrough : std::max(m_knownThrough, m_runs.back().second);
    }

private:
    using Run = std::pair<std::int64_t, std::int64_t>;
    std::vector<Run> m_runs;
    std::int64_t m_knownThrough = 0;
};

} // namespace parley::server
