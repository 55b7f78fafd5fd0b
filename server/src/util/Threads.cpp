#include "util/Threads.h"

#include <pthread.h>

#include <cstring>
#include <string>

namespace parley::server::threads {

void nameThisThread(const char* name) {
    // pthread_setname_np refuses names over 15 characters instead of cutting them.
    const std::string cut(name, strnlen(name, 15));
    pthread_setname_np(pthread_self(), cut.c_str());
}

} // namespace parley::server::threads
