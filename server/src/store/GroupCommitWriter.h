#pragma once
// The single writer of a store and its admission queue, apart from any database: callers queue
// write jobs, the jobs are run in groups by a GroupRunner (one transaction per group, one
// savepoint per job, then the commit and the group's events), and each caller is woken exactly
// once, by its own signal, when the group holding its job has committed. No condition variable
// is shared by the callers, so a commit wakes nobody whose job it did not hold.
//
// Who runs a group (Mode): an idle writer lets the caller run its own job at once, with no thread
// switch; while a group is running, later jobs queue, and the writer thread takes them in groups
// of up to maxGroup until the queue is empty. The queue is bounded: past queueLimit a Bounded
// write is refused at once (StoreOverloaded) and nothing of it runs; Admission::Always jobs (the
// server's own maintenance) are never refused.

#include "store/Store.h"
#include "util/WakeSignal.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace parley::server {

class GroupCommitWriter {
public:
    // One queued write. Lives on its caller's stack until the caller is released.
    class Job {
    public:
        explicit Job(const std::function<void(WriteTx&)>& fn)
            : m_fn(fn) {}
        const std::function<void(WriteTx&)>& fn() const { return m_fn; }
        // Set by the GroupRunner when the job failed (it was rolled back) or its group did not commit.
        std::exception_ptr error;

    private:
        friend class GroupCommitWriter;
        const std::function<void(WriteTx&)>& m_fn;
        WakeSignal m_released;
        bool m_lead = false; // released to run the next group (Mode::CallerRuns), not as done
    };

    // Runs one group in one transaction, each job in its own savepoint, commits, publishes the
    // group's events, and sets the error of every job that failed or did not commit. It runs on
    // the writer's turn only, so never twice at once. It should not throw; if it does, every job
    // of the group without an error gets that exception.
    using GroupRunner = std::function<void(std::span<Job* const> group)>;

    // The server runs Hybrid. The other two are kept to measure against it (parley-bench-store
    // --mode; docs/ARCHITECTURE.md says what they cost) and are tested like it.
    enum class Mode {
        // Idle writer: the caller runs its own job at once (no thread switch). Jobs queued
        // meanwhile go to the writer thread, which runs groups until the queue is empty.
        Hybrid,
        // Every group on the writer thread: one thread switch to it and one back per idle write.
        WriterThread,
        // No thread: the caller that finds the writer idle runs a group; when it is done it hands
        // the next group to the caller at the head of the queue (leader hand-off).
        CallerRuns,
    };

    struct Options {
        std::size_t maxGroup = 128; // jobs in one transaction
        // Queued jobs (not counting the group being run) past which a Bounded write is refused.
        // Two full groups: what the writer commits in a few milliseconds under load.
        std::size_t queueLimit = 256;
        Mode mode = Mode::Hybrid;
        int retryAfterSeconds = 1; // what a refused write tells its client
        // A thread of its own wakes the callers of a group while later groups wait (see
        // m_releaser). The server turns it on with 4 CPUs or more: on two, shared with the
        // handlers, its extra hop cost more than the writer saved (docs/bench-history.md).
        bool releaseThread = false;
    };

    struct Stats {
        std::uint64_t groups = 0;
        std::uint64_t jobs = 0;
        std::uint64_t refused = 0;
        std::size_t largestGroup = 0;
        std::size_t deepestQueue = 0;
        // CPU time of the groups, on whichever thread ran each: the serial part of every write,
        // which no number of cores shortens.
        double groupCpuSeconds = 0;
    };

    GroupCommitWriter(GroupRunner runner, Options options);
    ~GroupCommitWriter(); // close()
    GroupCommitWriter(const GroupCommitWriter&) = delete;
    GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

    // Queues fn, returns once the group that holds it has committed and published its events, and
    // rethrows what the job threw. StoreOverloaded (nothing ran) when admission refuses it;
    // std::runtime_error once the writer is closed. Any thread.
    void write(const std::function<void(WriteTx&)>& fn, Admission admission);

    // Takes the writer's turn as if running a group, once the running group (if any) is done:
    // queued writes wait and none is refused for it. Asks first, so that a steady stream of
    // writes cannot keep the turn from it. One pauser at a time (the checkpointer).
    void pause();
    void resume();

    // Refuses new writes, waits for the queued ones to commit, stops the writer thread.
    void close();

    Stats stats() const;
    std::size_t queued() const; // jobs waiting, not counting the group being run
    const Options& options() const { return m_options; }

private:
    void runGroupAsCaller(Job* own);
    void runOneGroup(std::span<Job* const> group);
    void takeGroup(std::vector<Job*>& group);
    static void release(std::span<Job* const> group, const Job* own);
    void writerThreadLoop();
    void releaserLoop();
    bool moreQueued() const; // a group waits behind the one just run (not asked without a releaser)

    GroupRunner m_runner;
    Options m_options;

    mutable std::mutex m_mutex; // guards everything below but the thread
    std::deque<Job*> m_queue;
    bool m_turnTaken = false; // a group is running, or pause() holds the turn
    bool m_pauseRequested = false;
    bool m_stopping = false;
    bool m_threadWanted = false; // the writer thread has the turn and should run the queue
    bool m_threadStop = false;
    std::condition_variable m_threadCv;  // only the writer thread waits here
    std::condition_variable m_controlCv; // only pause() and close() wait here
    Stats m_stats;
    std::atomic<std::uint64_t> m_groupCpuNs{0}; // written on the turn, outside m_mutex

    std::thread m_thread; // none in Mode::CallerRuns

    // While groups wait behind the one just committed, the writer thread hands its callers to this
    // thread to be woken, one futex call each, and goes on to the next group: the serial stage,
    // which no number of cores shortens, keeps only the commits. With nothing waiting it wakes
    // them itself (no extra hop for a caller's answer while the writer is not the limit). Only
    // with Options::releaseThread and a writer thread.
    std::mutex m_releaseMutex; // guards the two below
    std::vector<Job*> m_toRelease;
    bool m_releaserStop = false;
    WakeSignal m_releaseSignal; // only the releaser waits on it
    std::thread m_releaser;
};

} // namespace parley::server
