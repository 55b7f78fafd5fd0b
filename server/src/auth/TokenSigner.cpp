#include "auth/TokenSigner.h"

#include "util/Text.h"

#include <nlohmann/json.hpp>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <atomic>
#include <stdexcept>

namespace parley::server {

void TokenSigner::MacDeleter::operator()(evp_mac_ctx_st* ctx) const {
    EVP_MAC_CTX_free(ctx);
}

namespace {

std::atomic<std::uint64_t> g_signers{0};

// This thread's copy of the keyed context of the signer it used last (a server has one signer).
struct ThreadMac {
    std::uint64_t signer = 0;
    EVP_MAC_CTX* ctx = nullptr;
    ~ThreadMac() { EVP_MAC_CTX_free(ctx); }
};
thread_local ThreadMac t_mac;

} // namespace

TokenSigner::TokenSigner(std::string secret, const Clock& clock)
    : m_id(++g_signers)
    , m_clock(clock) {
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
    m_keyed.reset(hmac ? EVP_MAC_CTX_new(hmac) : nullptr);
    EVP_MAC_free(hmac); // the context holds its own reference
    char digest[] = OSSL_DIGEST_NAME_SHA2_256;
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (!m_keyed || !EVP_MAC_init(m_keyed.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                                  secret.size(), params))
        throw std::runtime_error("OpenSSL has no HMAC-SHA256");
    OPENSSL_cleanse(secret.data(), secret.size());
}

std::string TokenSigner::sign(std::string_view payload) const {
    if (t_mac.signer != m_id) {
        EVP_MAC_CTX_free(t_mac.ctx);
        t_mac.ctx = EVP_MAC_CTX_dup(m_keyed.get());
        t_mac.signer = t_mac.ctx ? m_id : 0;
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    // Initialising without a key starts a new signature with the key the copy already has.
    if (!t_mac.ctx || !EVP_MAC_init(t_mac.ctx, nullptr, 0, nullptr) ||
        !EVP_MAC_update(t_mac.ctx, reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) ||
        !EVP_MAC_final(t_mac.ctx, out, &len, sizeof out))
        throw std::runtime_error("HMAC-SHA256 failed");
    return base64UrlEncode(std::span<const unsigned char>(out, len));
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
