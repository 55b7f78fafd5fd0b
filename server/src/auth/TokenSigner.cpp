#include "auth/TokenSigner.h"

#include "util/Text.h"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace parley::server {

TokenSigner::TokenSigner(std::string secret, const Clock& clock)
    : m_secret(std::move(secret))
    , m_clock(clock) {}

std::string TokenSigner::sign(std::string_view payload) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), m_secret.data(), static_cast<int>(m_secret.size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
    return base64UrlEncode(std::span<const unsigned char>(mac, len));
}

std::string TokenSigner::issueCustomer(const std::string& sessionId) const {
    const auto payload = base64UrlEncode(nlohmann::json{{"typ", "c"}, {"sid", sessionId}}.dump());
    return payload + "." + sign(payload);
}

std::string TokenSigner::issueAgent(const std::string& agentId, const std::string& sessionId,
                                    Clock::time_point expires) const {
    const auto exp = std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch());
    const auto payload = base64UrlEncode(
        nlohmann::json{{"typ", "a"}, {"aid", agentId}, {"sid", sessionId}, {"exp", exp.count()}}.dump());
    return payload + "." + sign(payload);
}

std::optional<TokenSigner::Verified> TokenSigner::verify(std::string_view token) const {
    const auto dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0 || token.size() > 4096)
        return std::nullopt;
    const auto payload = token.substr(0, dot);
    const auto mac = token.substr(dot + 1);
    const auto expected = sign(payload);
    if (mac.size() != expected.size() || CRYPTO_memcmp(mac.data(), expected.data(), mac.size()) != 0)
        return std::nullopt;
    const auto decoded = base64UrlDecode(payload);
    if (!decoded)
        return std::nullopt;
    const auto j = nlohmann::json::parse(*decoded, nullptr, false);
    if (!j.is_object())
        return std::nullopt;
    const auto typ = j.contains("typ") && j["typ"].is_string() ? j["typ"].get<std::string>() : std::string();
    if (typ == "c" && j.contains("sid") && j["sid"].is_string())
        return Verified{CustomerIdentity{j["sid"].get<std::string>()}};
    // Agent tokens from before server-side sessions (no "sid") are refused: their agents sign in again.
    if (typ == "a" && j.contains("aid") && j["aid"].is_string() && j.contains("sid") &&
        j["sid"].is_string() && j.contains("exp") && j["exp"].is_number_integer()) {
        const auto now =
            std::chrono::duration_cast<std::chrono::seconds>(m_clock.now().time_since_epoch()).count();
        if (j["exp"].get<long long>() <= now)
            return std::nullopt;
        return Verified{
            AgentIdentity{j["aid"].get<std::string>(), protocol::Role::Agent, j["sid"].get<std::string>()}};
    }
    return std::nullopt;
}

} // namespace parley::server
