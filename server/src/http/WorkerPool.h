#pragma once
// The threads that run handlers which may block on the store (--http-threads), behind a bounded
// queue (--http-queue). A job that finds the queue full is refused at once, so the io threads never
// wait and a burst beyond what the pool can work off becomes 503s instead of unbounded latency.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::server {

class WorkerPool {
public:
    WorkerPool(std::size_t threads, std::size_t queueCapacity);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Takes the job (moves from it) and queues it, unless queueCapacity jobs are waiting already:
    // then the job is left as it was and the answer is false. Thread-safe.
    bool tryPost(std::function<void()>& job);
    // Runs every queued job, then joins the threads. Jobs posted afterwards are refused.
    void stop();

private:
    void run();

    const std::size_t m_capacity;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_jobs;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

} // namespace parley::server
