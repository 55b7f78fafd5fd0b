#pragma once
// The customer sessions an admin has erased (issue 22): their tokens are refused. Customer tokens
// are signed, not stored, so this set is what ends them. It is loaded from the store at start and
// kept in memory, so authenticating a customer stays a hash lookup, with no database read.

#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

namespace parley::server {

class ErasedCustomers {
public:
    void load(const std::vector<std::string>& sessionIds) {
        std::unique_lock lock(m_mutex);
        m_sessions.insert(sessionIds.begin(), sessionIds.end());
    }
    bool contains(const std::string& sessionId) const {
        std::shared_lock lock(m_mutex);
        return m_sessions.contains(sessionId);
    }
    // True when it was not in the set before.
    bool add(const std::string& sessionId) {
        std::unique_lock lock(m_mutex);
        return m_sessions.insert(sessionId).second;
    }
    void remove(const std::string& sessionId) {
        std::unique_lock lock(m_mutex);
        m_sessions.erase(sessionId);
    }

private:
    mutable std::shared_mutex m_mutex;
    std::unordered_set<std::string> m_sessions;
};

} // namespace parley::server
