#pragma once
// Salted slow password hashes: PBKDF2-HMAC-SHA256 through OpenSSL, stored as
// "pbkdf2-sha256$ITERATIONS$SALT$HASH" (base64url), compared in constant time.

#include <string>
#include <string_view>

namespace parley::server::passwords {

inline constexpr int kIterations = 210000; // OWASP 2023 guidance for PBKDF2-HMAC-SHA256

std::string hash(std::string_view password, int iterations = kIterations);
bool verify(std::string_view password, std::string_view stored);

} // namespace parley::server::passwords
