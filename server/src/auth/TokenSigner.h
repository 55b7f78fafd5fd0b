#pragma once
// Bearer tokens: base64url(JSON payload) "." base64url(HMAC-SHA256(server secret, payload)).
// Customer tokens are anonymous and never expire (they name a customer session); agent tokens
// carry the agent id, the id of the agent's server-side session (ChatService checks that it still
// exists, so a token can be ended before its expiry) and an expiry. Verification is constant-time
// and rejects anything forged, truncated or signed with another secret.

#include "auth/Identity.h"
#include "util/Clock.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

struct evp_mac_ctx_st;

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

    // HMAC-SHA256 keyed with the secret once. Each thread signs on a copy of its own, reset for
    // every signature: OpenSSL 3's one-shot HMAC() looks the algorithm up and hashes the key on
    // every call, and copying one shared context per call still contends on its reference counts
    // (bench/tokens.cpp).
    struct MacDeleter {
        void operator()(evp_mac_ctx_st* ctx) const;
    };
    std::unique_ptr<evp_mac_ctx_st, MacDeleter> m_keyed;
    std::uint64_t m_id; // names this signer in the threads' copies
    const Clock& m_clock;
};

} // namespace parley::server
