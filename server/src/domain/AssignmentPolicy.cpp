#include "domain/AssignmentPolicy.h"

#include <tuple>

namespace parley::server {

std::optional<std::size_t> AssignmentPolicy::choose(const std::vector<AssignmentCandidate>& candidates) {
    std::optional<std::size_t> best;
    auto key = [](const AssignmentCandidate& c) {
        // Never assigned sorts before any timestamp: (false, "") < (true, "...").
        return std::tuple(c.activeChats, c.lastAssignmentNo.has_value(), c.lastAssignmentNo.value_or(0),
                          c.agentId);
    };
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const auto& c = candidates[i];
        if (!c.online || c.activeChats >= c.maxActiveChats)
            continue;
        if (!best || key(c) < key(candidates[*best]))
            best = i;
    }
    return best;
}

} // namespace parley::server
