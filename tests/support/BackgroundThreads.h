#pragma once
// Threads that keep load going while a test checks something. A failed check returns from the
// test function early; the destructor then stops and joins them, so the test fails instead of
// aborting on a std::thread that is still joinable.

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

namespace parley::test {

class BackgroundThreads {
public:
    BackgroundThreads() = default;
    BackgroundThreads(const BackgroundThreads&) = delete;
    BackgroundThreads& operator=(const BackgroundThreads&) = delete;
    ~BackgroundThreads() { stopAndJoin(); }

    // fn runs on a thread of its own and should return soon after stopRequested() turns true.
    void start(std::function<void()> fn) { m_threads.emplace_back(std::move(fn)); }
    bool stopRequested() const { return m_stop.load(); }

    void stopAndJoin() {
        m_stop = true;
        for (auto& t : m_threads)
            if (t.joinable())
                t.join();
        m_threads.clear();
    }

private:
    std::atomic<bool> m_stop{false};
    std::vector<std::thread> m_threads;
};

} // namespace parley::test
