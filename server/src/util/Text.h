#pragma once
// Small text helpers: RFC 3339 timestamps, UUIDs, UTF-8 validation, base64url.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::server {

// "2026-11-25T05:56:39.123Z": millisecond precision, always UTC. Sorts as text in time order.
std::string formatRfc3339(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view s);

std::string newUuid(); // random (version 4), from OpenSSL's CSPRNG
// Version 7 (RFC 9562): the Unix time in ms, then 74 random bits. Ids made later sort later, so
// rows keyed by them are appended to the end of their index instead of landing on a random page.
std::string newTimeOrderedUuid(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
bool isUuid(std::string_view s);

bool isValidUtf8(std::string_view s);
std::size_t utf8Length(std::string_view s); // code points; s must be valid UTF-8

std::string base64UrlEncode(std::span<const unsigned char> bytes);
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

std::string randomBytes(std::size_t n);

// Without Unicode's White_Space at either end (ASCII's, the no-break, em, ideographic... spaces).
// Invisible characters stay: a trailing U+FE0F or joiner belongs to an emoji.
std::string trim(std::string_view s);
// Nothing but White_Space and default-ignorable characters (zero-width space and joiners, word
// joiner, byte order mark...): nothing a reader can see. A field that must not be empty refuses
// it. Invalid UTF-8 is not blank. (utf8proc's tables.)
bool isBlank(std::string_view s);

// Control characters nobody means to type: C0 (tab, line feed and carriage return allowed where
// allowLineBreaks), DEL, and C1 (U+0080 to U+009F, which terminals take as escapes). A NUL cuts
// text short in C strings; the others show as nothing or as garbage in a browser or the console.
bool hasControlChars(std::string_view s, bool allowLineBreaks = false);

} // namespace parley::server
