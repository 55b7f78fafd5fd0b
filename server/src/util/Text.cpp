#include "util/Text.h"

#include <openssl/rand.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace parley::server {

std::string formatRfc3339(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[80];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view s) {
    int y, mo, d, h, mi, sec, ms = 0;
    std::string copy(s);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &y, &mo, &d, &h, &mi, &sec, &ms) < 6)
        return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    const std::time_t secs = timegm(&tm);
    return std::chrono::system_clock::from_time_t(secs) + std::chrono::milliseconds(ms);
}

std::string randomBytes(std::size_t n) {
    std::string out(n, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return out;
}

namespace {

// 16 random bytes for an id, from a per-thread block of RAND_bytes output: one call per 256 ids
// instead of one per id. A RAND_bytes call costs about as much as a 4 KiB block (OpenSSL 3 looks
// up the provider and takes the DRBG's lock each time), and message ids are made on the database
// writer's turn, where every microsecond is paid once per message for the whole server. Bytes are
// zeroed once handed out. (The server never forks, so no two processes share a block.)
std::string idRandomBytes() {
    thread_local std::array<unsigned char, 4096> block{};
    thread_local std::size_t used = block.size();
    if (used + 16 > block.size()) {
        if (RAND_bytes(block.data(), static_cast<int>(block.size())) != 1)
            throw std::runtime_error("RAND_bytes failed");
        used = 0;
    }
    std::string out(reinterpret_cast<const char*>(block.data() + used), 16);
    std::fill_n(block.data() + used, 16, 0);
    used += 16;
    return out;
}

std::string formatUuid(std::string b, int version) {
    b[6] = static_cast<char>((b[6] & 0x0F) | (version << 4));
    b[8] = static_cast<char>((b[8] & 0x3F) | 0x80);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        const auto c = static_cast<unsigned char>(b[i]);
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
    return out;
}
} // namespace

std::string newUuid() {
    return formatUuid(idRandomBytes(), 4);
}

std::string newTimeOrderedUuid(std::chrono::system_clock::time_point now) {
    auto b = idRandomBytes();
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
    for (int i = 0; i < 6; ++i) // 48 bits, big-endian
        b[static_cast<std::size_t>(i)] = static_cast<char>((ms >> (8 * (5 - i))) & 0xFF);
    return formatUuid(std::move(b), 7);
}

bool isUuid(std::string_view s) {
    if (s.size() != 36)
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

bool isValidUtf8(std::string_view s) {
    std::size_t i = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

std::size_t utf8Length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80)
            ++n;
    return n;
}

std::string base64UrlEncode(std::span<const unsigned char> bytes) {
    static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
        out += table[v & 63];
    }
    if (i + 1 == bytes.size()) {
        const std::uint32_t v = bytes[i] << 16;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
    } else if (i + 2 == bytes.size()) {
        const std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += table[(v >> 6) & 63];
    }
    return out;
}

std::string base64UrlEncode(std::string_view bytes) {
    return base64UrlEncode(std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '-')
            return 62;
        if (c == '_')
            return 63;
        return -1;
    };
    if (text.size() % 4 == 1)
        return std::nullopt;
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0)
            return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    // Non-canonical trailing bits would let two texts decode to the same bytes.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return std::nullopt;
    return out;
}

namespace {

bool isWhiteSpace(utf8proc_int32_t c) {
    if ((c >= 0x09 && c <= 0x0D) || c == 0x85)
        return true;
    const auto category = utf8proc_get_property(c)->category;
    return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
           category == UTF8PROC_CATEGORY_ZP;
}

// The code point of the UTF-8 sequence that is exactly [at, at + length), or -1 (never blank).
utf8proc_int32_t codePointAt(const unsigned char* at, std::size_t length) {
    utf8proc_int32_t c = -1;
    const auto used = utf8proc_iterate(at, static_cast<utf8proc_ssize_t>(length), &c);
    return used == static_cast<utf8proc_ssize_t>(length) ? c : -1;
}

} // namespace

std::string trim(std::string_view s) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t b = 0, e = s.size();
    while (b < e) {
        utf8proc_int32_t c = -1;
        const auto length = utf8proc_iterate(bytes + b, static_cast<utf8proc_ssize_t>(e - b), &c);
        if (length <= 0 || !isWhiteSpace(c))
            break;
        b += static_cast<std::size_t>(length);
    }
    while (e > b) {
        std::size_t start = e - 1; // back to the last code point's first byte
        while (start > b && (bytes[start] & 0xC0) == 0x80 && e - start < 4)
            --start;
        const auto c = codePointAt(bytes + start, e - start);
        if (c < 0 || !isWhiteSpace(c))
            break;
        e = start;
    }
    return std::string(s.substr(b, e - b));
}

bool isBlank(std::string_view s) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        utf8proc_int32_t c = -1;
        const auto length = utf8proc_iterate(bytes + i, static_cast<utf8proc_ssize_t>(s.size() - i), &c);
        if (length <= 0 || !(isWhiteSpace(c) || utf8proc_get_property(c)->ignorable))
            return false;
        i += static_cast<std::size_t>(length);
    }
    return true;
}

bool hasControlChars(std::string_view s, bool allowLineBreaks) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x20) {
            if (!(allowLineBreaks && (u == '\t' || u == '\n' || u == '\r')))
                return true;
        } else if (u == 0x7F) {
            return true;
        } else if (u == 0xC2 && i + 1 < s.size()) { // U+0080 to U+009F are C2 80 to C2 9F
            const auto next = static_cast<unsigned char>(s[i + 1]);
            if (next >= 0x80 && next <= 0x9F)
                return true;
        }
    }
    return false;
}

} // namespace parley::server
