#pragma once
// Minimal leveled logging to stderr (journald captures it under systemd). Thread-safe.

#include <string_view>

namespace parley::server::log {

void info(std::string_view msg);
void warn(std::string_view msg);
void error(std::string_view msg);

} // namespace parley::server::log
