#include "auth/PasswordHasher.h"

#include "util/Text.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <stdexcept>
#include <vector>

namespace parley::server::passwords {
namespace {

std::string derive(std::string_view password, std::string_view salt, int iterations) {
    std::string out(32, '\0');
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                          iterations, EVP_sha256(), static_cast<int>(out.size()),
                          reinterpret_cast<unsigned char*>(out.data())) != 1)
        throw std::runtime_error("PBKDF2 failed");
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            parts.push_back(s.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

} // namespace

std::string hash(std::string_view password, int iterations) {
    const auto salt = randomBytes(16);
    return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + base64UrlEncode(salt) + "$" +
           base64UrlEncode(derive(password, salt, iterations));
}

bool verify(std::string_view password, std::string_view stored) {
    const auto parts = split(stored, '$');
    if (parts.size() != 4 || parts[0] != "pbkdf2-sha256")
        return false;
    int iterations = 0;
    if (std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), iterations).ec != std::errc{} ||
        iterations < 1)
        return false;
    const auto salt = base64UrlDecode(parts[2]);
    const auto expected = base64UrlDecode(parts[3]);
    if (!salt || !expected)
        return false;
    const auto actual = derive(password, *salt, iterations);
    return actual.size() == expected->size() &&
           CRYPTO_memcmp(actual.data(), expected->data(), actual.size()) == 0;
}

} // namespace parley::server::passwords
