// Bearer tokens: TokenSigner::verify on random tokens, and on random payloads signed with the
// fuzzer's own secret (so the payload parsing past the HMAC check is reached too). Invariants:
// no exception, no crash; a token of another secret never verifies; an issued token verifies.
#include "FuzzCheck.h"
#include "auth/TokenSigner.h"
#include "util/Clock.h"
#include "util/Text.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

using namespace parley::server;

namespace {

const std::string kSecret = "fuzz-secret-0123456789abcdef";

std::string signWith(const std::string& secret, std::string_view payload) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
    return base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // 2026-01-01T00:00:00Z: the corpus' agent tokens expire in 2030 and in 2020.
    static const ManualClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)));
    static const TokenSigner signer(kSecret, clock);
    static const TokenSigner other("another-secret", clock);
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // As sent: mostly forged, truncated or garbage.
    const auto raw = signer.verify(input);
    if (raw)
        FUZZ_CHECK(!other.verify(input));

    // The input as the JSON payload of a correctly signed token.
    const auto payload = base64UrlEncode(input);
    const auto token = payload + "." + signWith(kSecret, payload);
    if (auto verified = signer.verify(token)) {
        FUZZ_CHECK(!other.verify(token));
        // Whatever verified can be issued again and verifies the same way.
        if (const auto* customer = std::get_if<CustomerIdentity>(&verified->caller)) {
            auto again = signer.verify(signer.issueCustomer(customer->sessionId));
            FUZZ_CHECK(again && std::get<CustomerIdentity>(again->caller).sessionId == customer->sessionId);
        }
    }
    return 0;
}
