#include "http/WorkerPool.h"

#include "util/Log.h"
#include "util/Threads.h"

#include <algorithm>

namespace parley::server {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queueCapacity)
    : m_capacity(std::max<std::size_t>(queueCapacity, 1)) {
    threads = std::max<std::size_t>(threads, 1);
    m_threads.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i)
        m_threads.emplace_back([this] {
            threads::nameThisThread("http-worker");
            run();
        });
}

WorkerPool::~WorkerPool() {
    stop();
}

bool WorkerPool::tryPost(std::function<void()>& job) {
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping || m_jobs.size() >= m_capacity)
            return false;
        m_jobs.push_back(std::move(job));
    }
    m_wake.notify_one();
    return true;
}

void WorkerPool::stop() {
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping && m_threads.empty())
            return;
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto& t : m_threads)
        t.join();
    m_threads.clear();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
            if (m_jobs.empty())
                return; // stopping, and nothing left to finish
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) { // jobs catch their own; this keeps the thread alive
            log::error(std::string("HTTP worker: unexpected exception: ") + e.what());
        }
    }
}

} // namespace parley::server
