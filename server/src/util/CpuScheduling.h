#pragma once
// The scheduling class the server's threads run under (--cpu-scheduling), and the one place that
// leaves it for CPU-heavy work.

#include <sched.h>

#include <string>

namespace parley::server {

enum class CpuScheduling {
    Batch,  // SCHED_BATCH: fair share, but a woken thread does not preempt the one that woke it
    Normal, // the policy the server was started with, SCHED_OTHER as a rule
    Fifo,   // SCHED_FIFO at kFifoPriority: ahead of every ordinary process (a machine of its own)
};

// The lowest real-time priority: above every SCHED_OTHER/BATCH thread, below the kernel's own
// real-time threads (interrupt threads run at 50).
inline constexpr int kFifoPriority = 1;

// Puts the calling thread under `scheduling`; threads it starts afterwards inherit it, so main
// calls this before it starts any. Returns why it could not (empty on success); the thread then
// keeps its policy.
std::string applyToThisThread(CpuScheduling scheduling);

// CPU-heavy work inside a request (a password hash: 210,000 PBKDF2 rounds, tens of milliseconds)
// runs under SCHED_BATCH while this lives, if the thread was real-time: a real-time thread is never
// preempted by ordinary processes, and nobody should be able to hold a core that way by signing in.
class OffRealtimeSection {
public:
    OffRealtimeSection();
    ~OffRealtimeSection();
    OffRealtimeSection(const OffRealtimeSection&) = delete;
    OffRealtimeSection& operator=(const OffRealtimeSection&) = delete;

private:
    int m_policy = -1; // the policy to restore, or -1 if nothing was changed
    sched_param m_param{};
};

} // namespace parley::server
