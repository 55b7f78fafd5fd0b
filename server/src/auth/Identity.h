#pragma once
// Who is calling, as proven by a verified token.

#include "parley/protocol/Types.h"

#include <string>
#include <variant>

namespace parley::server {

struct CustomerIdentity {
    std::string sessionId;
};

struct AgentIdentity {
    std::string agentId;
    protocol::Role role = protocol::Role::Agent;
    // The server-side session the token names (created at sign-in): ending it ends the token.
    std::string sessionId;
    bool isAdmin() const { return role == protocol::Role::Admin; }
};

using Caller = std::variant<CustomerIdentity, AgentIdentity>;

} // namespace parley::server
