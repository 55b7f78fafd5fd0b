#include "store/GroupCommitWriter.h"

#include "util/Log.h"
#include "util/Threads.h"

#include <algorithm>
#include <stdexcept>

namespace parley::server {

// Invariant (under m_mutex): while nobody has the turn, the queue is empty. Whoever gives the
// turn up with jobs still queued hands it on instead (to the writer thread, the next caller in
// line, or the pauser), so a caller that finds the turn free is alone in the queue.

GroupCommitWriter::GroupCommitWriter(GroupRunner runner, Options options)
    : m_runner(std::move(runner))
    , m_options(options) {
    m_options.maxGroup = std::max<std::size_t>(m_options.maxGroup, 1);
    if (m_options.mode != Mode::CallerRuns) {
        if (m_options.releaseThread)
            m_releaser = std::thread([this] {
                threads::nameThisThread("db-release");
                releaserLoop();
            });
        m_thread = std::thread([this] {
            threads::nameThisThread("db-writer");
            writerThreadLoop();
        });
    }
}

GroupCommitWriter::~GroupCommitWriter() {
    close();
}

void GroupCommitWriter::write(const std::function<void(WriteTx&)>& fn, Admission admission) {
    Job job(fn);
    bool runNow = false;
    bool wakeThread = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            throw std::runtime_error("the store is closed");
        if (admission == Admission::Bounded && m_queue.size() >= m_options.queueLimit) {
            ++m_stats.refused;
            throw StoreOverloaded(m_options.retryAfterSeconds);
        }
        m_queue.push_back(&job);
        m_stats.deepestQueue = std::max(m_stats.deepestQueue, m_queue.size());
        if (!m_turnTaken && !m_pauseRequested) {
            m_turnTaken = true;
            if (m_options.mode == Mode::WriterThread)
                wakeThread = m_threadWanted = true;
            else
                runNow = true;
        }
    }
    if (wakeThread)
        m_threadCv.notify_one();
    if (!runNow) {
        job.m_released.wait();
        runNow = job.m_lead; // CallerRuns: our turn to lead, our job still queued
    }
    if (runNow)
        runGroupAsCaller(&job);
    if (job.error)
        std::rethrow_exception(job.error);
}

// The caller holds the turn and its job is at the head of the queue: one group, then the turn
// goes on.
void GroupCommitWriter::runGroupAsCaller(Job* own) {
    std::vector<Job*> group;
    {
        std::lock_guard lock(m_mutex);
        takeGroup(group);
    }
    runOneGroup(group);
    Job* nextLeader = nullptr;
    bool wakeThread = false;
    bool notifyControl = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_pauseRequested || m_queue.empty()) {
            m_turnTaken = false;
            notifyControl = m_pauseRequested || m_stopping;
        } else if (m_options.mode == Mode::CallerRuns) {
            nextLeader = m_queue.front(); // stays queued: its group starts with it
            nextLeader->m_lead = true;
        } else {
            wakeThread = m_threadWanted = true;
        }
    }
    if (notifyControl)
        m_controlCv.notify_all();
    if (nextLeader)
        nextLeader->m_released.post();
    if (wakeThread)
        m_threadCv.notify_one();
    release(group, own);
}

void GroupCommitWriter::writerThreadLoop() {
    std::vector<Job*> group;
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_threadCv.wait(lock, [&] { return m_threadWanted || m_threadStop; });
        if (!m_threadWanted)
            return; // stopping, and the turn is not ours
        m_threadWanted = false;
        // The turn is ours until the queue is empty or the checkpointer asks for it.
        while (!m_pauseRequested && !m_queue.empty()) {
            takeGroup(group);
            lock.unlock();
            runOneGroup(group);
            if (m_releaser.joinable() && moreQueued()) {
                bool wake = false;
                {
                    std::lock_guard releaseLock(m_releaseMutex);
                    wake = m_toRelease.empty();
                    m_toRelease.insert(m_toRelease.end(), group.begin(), group.end());
                }
                if (wake) // else the releaser has not taken the earlier ones yet, and will take these
                    m_releaseSignal.post();
            } else {
                release(group, nullptr);
            }
            lock.lock();
        }
        m_turnTaken = false;
        if (m_pauseRequested || m_stopping)
            m_controlCv.notify_all();
    }
}

bool GroupCommitWriter::moreQueued() const {
    std::lock_guard lock(m_mutex);
    return !m_pauseRequested && !m_queue.empty();
}

void GroupCommitWriter::releaserLoop() {
    std::vector<Job*> batch;
    for (;;) {
        m_releaseSignal.wait();
        bool stop = false;
        {
            std::lock_guard lock(m_releaseMutex);
            batch.swap(m_toRelease);
            stop = m_releaserStop;
        }
        release(batch, nullptr);
        batch.clear();
        if (stop)
            return; // the writer thread has stopped: nothing more is handed over
    }
}

void GroupCommitWriter::takeGroup(std::vector<Job*>& group) {
    group.clear();
    while (!m_queue.empty() && group.size() < m_options.maxGroup) {
        group.push_back(m_queue.front());
        m_queue.pop_front();
    }
    ++m_stats.groups;
    m_stats.jobs += group.size();
    m_stats.largestGroup = std::max(m_stats.largestGroup, group.size());
}

void GroupCommitWriter::runOneGroup(std::span<Job* const> group) {
    const auto cpuAtStart = threads::cpuNanoseconds();
    try {
        m_runner(group);
    } catch (const std::exception& e) { // the runner catches the jobs' own errors; this is a bug
        log::error(std::string("write group failed: ") + e.what());
        for (auto* job : group)
            if (!job->error)
                job->error = std::current_exception();
    }
    m_groupCpuNs.fetch_add(threads::cpuNanoseconds() - cpuAtStart, std::memory_order_relaxed);
}

// Each caller of the group is woken by its own signal; after post() its Job may be gone.
void GroupCommitWriter::release(std::span<Job* const> group, const Job* own) {
    for (auto* job : group)
        if (job != own)
            job->m_released.post();
}

void GroupCommitWriter::pause() {
    std::unique_lock lock(m_mutex);
    m_pauseRequested = true;
    m_controlCv.wait(lock, [&] { return !m_turnTaken; });
    m_pauseRequested = false;
    m_turnTaken = true;
}

void GroupCommitWriter::resume() {
    Job* nextLeader = nullptr;
    bool wakeThread = false;
    bool notifyControl = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_queue.empty()) {
            m_turnTaken = false;
            notifyControl = m_stopping;
        } else if (m_options.mode == Mode::CallerRuns) {
            nextLeader = m_queue.front();
            nextLeader->m_lead = true;
        } else {
            wakeThread = m_threadWanted = true;
        }
    }
    if (notifyControl)
        m_controlCv.notify_all();
    if (nextLeader)
        nextLeader->m_released.post();
    if (wakeThread)
        m_threadCv.notify_one();
}

void GroupCommitWriter::close() {
    {
        std::unique_lock lock(m_mutex);
        if (m_stopping && m_threadStop)
            return;
        m_stopping = true; // new writes fail; the queued ones still commit
        m_controlCv.wait(lock, [&] { return m_queue.empty() && !m_turnTaken; });
        m_threadStop = true;
    }
    m_threadCv.notify_one();
    if (m_thread.joinable())
        m_thread.join();
    if (m_releaser.joinable()) {
        {
            std::lock_guard lock(m_releaseMutex);
            m_releaserStop = true;
        }
        m_releaseSignal.post();
        m_releaser.join();
    }
}

GroupCommitWriter::Stats GroupCommitWriter::stats() const {
    std::lock_guard lock(m_mutex);
    auto s = m_stats;
    s.groupCpuSeconds = static_cast<double>(m_groupCpuNs.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

std::size_t GroupCommitWriter::queued() const {
    std::lock_guard lock(m_mutex);
    return m_queue.size();
}

} // namespace parley::server
