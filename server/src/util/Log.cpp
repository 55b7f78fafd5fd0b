#include "util/Log.h"

#include "util/Text.h"

#include <cstdio>
#include <mutex>

namespace parley::server::log {
namespace {
std::mutex g_mutex;
void write(const char* level, std::string_view msg) {
    const auto ts = formatRfc3339(std::chrono::system_clock::now());
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s %s %.*s\n", ts.c_str(), level, static_cast<int>(msg.size()), msg.data());
    std::fflush(stderr);
}
} // namespace

void info(std::string_view msg) {
    write("INFO ", msg);
}
void warn(std::string_view msg) {
    write("WARN ", msg);
}
void error(std::string_view msg) {
    write("ERROR", msg);
}

} // namespace parley::server::log
