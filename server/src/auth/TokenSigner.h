#pragma once
// Bearer tokens: base64url(JSON payload) "." base64url(HMAC-SHA256(server secret, payload)).
// Customer tokens are anonymous and never expire (they name a customer session); agent tokens
// carry the agent id, the id of the agent's server-side session (ChatService checks that it still
// exists, so a token can be ended before its expiry) and an expiry. Verification is constant-time
// and rejects anything forged, truncated or signed with another secret.

#include "auth/Identity.h"
#include "util/Clock.h"

#include <chrono>
#include <optional>
#include <string>

namespace parley::server {

class TokenSigner {
public:
    TokenSigner(std::string secret, const Clock& clock);

    std::string issueCustomer(const std::string& sessionId) const;
    std::string issueAgent(const std::string& agentId, const std::string& sessionId,
                           Clock::time_point expires) const;

    struct Verified {
        Caller caller; // AgentIdentity's role is left as Agent: the caller re-reads it from the store
    };
    std::optional<Verified> verify(std::string_view token) const;

private:
    std::string sign(std::string_view payload) const;

    std::string m_secret;
    const Clock& m_clock;
};

} // namespace parley::server
