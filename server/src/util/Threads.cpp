#include "util/Threads.h"

#include <pthread.h>

#include <cstring>
#include <ctime>
#include <string>

namespace parley::server::threads {

void nameThisThread(const char* name) {
    // pthread_setname_np refuses names over 15 characters instead of cutting them.
    const std::string cut(name, strnlen(name, 15));
    pthread_setname_np(pthread_self(), cut.c_str());
}

std::uint64_t cpuNanoseconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(t.tv_nsec);
}

} // namespace parley::server::threads
