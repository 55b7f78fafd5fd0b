#include "http/WorkerPool.h"

#include "util/Log.h"
#include "util/Threads.h"

#include <algorithm>

namespace parley::server {

WorkerPool::WorkerPool(std::size_t threads, std::size_t queueCapacity,
                       std::chrono::steady_clock::duration maxWait)
    : m_capacity(std::max<std::size_t>(queueCapacity, 1))
    , m_maxWait(maxWait) {
    threads = std::max<std::size_t>(threads, 1);
    // Every Worker exists before any thread runs: the threads read m_workers.size().
    for (std::size_t i = 0; i < threads; ++i)
        m_workers.push_back(std::make_unique<Worker>());
    m_threads.reserve(threads);
    for (auto& worker : m_workers) {
        m_threads.emplace_back([this, w = worker.get()] {
            threads::nameThisThread("http-worker");
            run(*w);
        });
    }
    std::unique_lock lock(m_mutex);
    m_allIdle.wait(lock, [&] { return m_idle.size() == m_workers.size(); });
    m_starting = false;
}

WorkerPool::~WorkerPool() {
    stop();
}

bool WorkerPool::tryPost(Job& job) {
    Worker* idle = nullptr;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return false;
        if (!m_idle.empty()) {
            idle = m_idle.back();
            m_idle.pop_back();
            idle->job = std::move(job);
        } else {
            const auto now = std::chrono::steady_clock::now();
            if (m_jobs.size() >= m_capacity)
                return false;
            // The line has stopped moving at the rate it fills: this job would wait at least as
            // long as the oldest one has, so it is refused now rather than after that wait.
            if (m_maxWait.count() > 0 && !m_jobs.empty() && now - m_jobs.front().since > m_maxWait)
                return false;
            m_jobs.push_back(Queued{std::move(job), now});
        }
    }
    if (idle)
        idle->wake.post();
    return true;
}

void WorkerPool::stop() {
    std::vector<Worker*> idle;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping && m_threads.empty())
            return;
        m_stopping = true;
        idle.swap(m_idle);
        for (auto* w : idle)
            w->quit = true;
    }
    // Busy workers finish the queue first and quit when they find it empty.
    for (auto* w : idle)
        w->wake.post();
    for (auto& t : m_threads)
        t.join();
    m_threads.clear();
}

void WorkerPool::run(Worker& me) {
    for (;;) {
        Job job;
        Waited queued{};
        {
            std::lock_guard lock(m_mutex);
            if (!m_jobs.empty()) {
                job = std::move(m_jobs.front().job);
                queued = std::chrono::steady_clock::now() - m_jobs.front().since;
                m_jobs.pop_front();
            } else if (m_stopping) {
                return;
            } else {
                m_idle.push_back(&me);
                if (m_starting && m_idle.size() == m_workers.size())
                    m_allIdle.notify_all();
            }
        }
        if (!job) {
            me.wake.wait(); // a job was handed over, or stop(); both set before the post
            if (me.quit)
                return;
            job = std::move(me.job);
        }
        try {
            job(queued);
        } catch (const std::exception& e) { // jobs catch their own; this keeps the thread alive
            log::error(std::string("HTTP worker: unexpected exception: ") + e.what());
        }
    }
}

} // namespace parley::server
