#include "domain/TypingThrottle.h"

namespace parley::server {

TypingThrottle::TypingThrottle(Options options)
    : m_options(options) {}

bool TypingThrottle::admit(std::string_view sender, std::string_view conversationId, TimePoint now) {
    std::string key;
    key.reserve(sender.size() + 1 + conversationId.size());
    key.append(sender).push_back('\n');
    key.append(conversationId);
    std::lock_guard lock(m_mutex);
    if (auto it = m_last.find(key); it != m_last.end()) {
        if (now - it->second < m_options.interval)
            return false;
        it->second = now;
        return true;
    }
    pruneIfFull(now);
    if (m_last.size() >= m_options.maxEntries)
        return false;
    m_last.emplace(std::move(key), now);
    return true;
}

void TypingThrottle::pruneIfFull(TimePoint now) {
    if (m_last.size() < m_options.maxEntries || now - m_lastPrune < m_options.interval)
        return;
    m_lastPrune = now;
    std::erase_if(m_last, [&](const auto& entry) { return now - entry.second >= m_options.interval; });
}

std::size_t TypingThrottle::size() const {
    std::lock_guard lock(m_mutex);
    return m_last.size();
}

} // namespace parley::server
