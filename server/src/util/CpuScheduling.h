#pragma once
// The scheduling class the server's threads run under (--cpu-scheduling).

#include <string>

namespace parley::server {

enum class CpuScheduling {
    Batch,  // SCHED_BATCH: fair share, but a woken thread does not preempt the one that woke it
    Normal, // the policy the server was started with, SCHED_OTHER as a rule
};

// Puts the calling thread under `scheduling`; threads it starts afterwards inherit it, so main
// calls this before it starts any. Returns why it could not (empty on success); the thread then
// keeps its policy.
std::string applyToThisThread(CpuScheduling scheduling);

// Puts the process's other threads that are running already under `scheduling` too: those a library
// started before main could (jemalloc's background threads). Returns why a thread could not be
// switched (empty on success).
std::string applyToOtherThreads(CpuScheduling scheduling);

} // namespace parley::server
