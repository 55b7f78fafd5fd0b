#pragma once
// Names for the server's threads, so that `top -H`, `perf` and /proc/PID/task/*/comm tell them
// apart.

#include <cstdint>

namespace parley::server::threads {

// At most 15 characters are kept (the kernel's limit).
void nameThisThread(const char* name);

// CPU time the calling thread has used so far (CLOCK_THREAD_CPUTIME_ID), in nanoseconds.
std::uint64_t cpuNanoseconds();

} // namespace parley::server::threads
