#pragma once
// Who gets the next conversation: the online agent with the fewest open assigned conversations
// among those below their maximum; ties go to the agent whose last assignment is oldest (never
// assigned counts as oldest), then to the smaller id. Pure: the caller supplies a snapshot taken
// inside the same write transaction that will record the assignment.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::server {

struct AssignmentCandidate {
    std::string agentId;
    bool online = false;
    int activeChats = 0;
    int maxActiveChats = 0;
    std::optional<std::int64_t> lastAssignmentNo; // larger = more recent; none = never assigned
};

class AssignmentPolicy {
public:
    // Index into candidates of the chosen agent, or nullopt when nobody has capacity.
    static std::optional<std::size_t> choose(const std::vector<AssignmentCandidate>& candidates);
};

} // namespace parley::server
