#pragma once
// The FAQ a new data dir starts with: what shoppers of an online shop ask most.

#include "parley/protocol/Types.h"

#include <vector>

namespace parley::server {

std::vector<protocol::FaqEntry> defaultFaq();

} // namespace parley::server
