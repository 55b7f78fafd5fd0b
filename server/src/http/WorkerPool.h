#pragma once
// The threads that run handlers which may block on the store (--http-threads), behind a bounded
// queue (--http-queue). A job that finds the queue full, or the line not moving (its oldest job has
// waited longer than maxWait), is refused at once, so the io threads never wait and a burst beyond
// what the pool can work off becomes 503s instead of unbounded latency.
// An idle worker is woken by name, the most recently idle first: the threads that are busy anyway
// stay warm (caches, the store's connections) and the others sleep. The constructor returns once
// every worker is idle, so the first requests after start-up are handed to a worker at once
// rather than queued behind threads that are still starting (and refused by a short maxWait on
// a busy machine). A job is told how long it waited in the queue for a worker: zero when it was
// handed to an idle one, whose wake-up is the scheduler's delay, not a sign of overload.

#include "util/WakeSignal.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::server {

class WorkerPool {
public:
    using Waited = std::chrono::steady_clock::duration;
    using Job = std::function<void(Waited queued)>;

    // maxWait zero: only the count bounds the queue.
    WorkerPool(std::size_t threads, std::size_t queueCapacity,
               std::chrono::steady_clock::duration maxWait = std::chrono::steady_clock::duration::zero());
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Takes the job (moves from it) and hands it to an idle worker or queues it, unless
    // queueCapacity jobs are waiting already or the oldest of them has waited longer than maxWait:
    // then the job is left as it was and the answer is false. Thread-safe.
    bool tryPost(Job& job);
    // Runs every queued job, then joins the threads. Jobs posted afterwards are refused.
    void stop();

private:
    struct Worker {
        WakeSignal wake;
        Job job; // handed over under m_mutex, run after wake (it did not queue)
        bool quit = false;
    };
    void run(Worker& me);

    struct Queued {
        Job job;
        std::chrono::steady_clock::time_point since;
    };

    const std::size_t m_capacity;
    const std::chrono::steady_clock::duration m_maxWait;
    std::mutex m_mutex;
    std::deque<Queued> m_jobs;   // waiting for a worker, oldest first
    std::vector<Worker*> m_idle; // a stack: the last to become idle is woken first
    bool m_stopping = false;
    bool m_starting = true;            // until every worker has been idle once
    std::condition_variable m_allIdle; // the constructor waits on it while m_starting
    std::vector<std::unique_ptr<Worker>> m_workers;
    std::vector<std::thread> m_threads;
};

} // namespace parley::server
