#pragma once
// Failures seen on worker threads of a stress test: QTest's macros only work on the test's own
// thread, so workers record what went wrong here and the test reports it at the end.

#include <QByteArray>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace parley::test {

class ThreadFailures {
public:
    explicit ThreadFailures(std::size_t keep = 40)
        : m_keep(keep) {}

    // Records `what` unless ok. Thread-safe.
    void expect(bool ok, const std::string& what) {
        if (ok)
            return;
        std::lock_guard lock(m_mutex);
        if (m_list.size() < m_keep)
            m_list.push_back(what);
        ++m_count;
    }
    bool empty() const { return m_count.load() == 0; }
    // How many, and the first `keep` of them.
    QByteArray report() const {
        std::lock_guard lock(m_mutex);
        std::string out = std::to_string(m_count.load()) + " failure(s):";
        for (const auto& f : m_list)
            out += "\n  " + f;
        return QByteArray::fromStdString(out);
    }

private:
    const std::size_t m_keep;
    mutable std::mutex m_mutex;
    std::vector<std::string> m_list;
    std::atomic<int> m_count{0};
};

} // namespace parley::test
