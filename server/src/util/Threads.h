#pragma once
// Names for the server's threads, so that `top -H`, `perf` and /proc/PID/task/*/comm tell them
// apart.

namespace parley::server::threads {

// At most 15 characters are kept (the kernel's limit).
void nameThisThread(const char* name);

} // namespace parley::server::threads
