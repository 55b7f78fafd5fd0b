#include "http/Message.h"

#include "app/ApiError.h"

#include <algorithm>

namespace parley::server {

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string> percentDecode(std::string_view in, bool plusIsSpace) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size())
                return std::nullopt;
            const int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plusIsSpace) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string_view Request::path() const {
    const std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
    const std::string_view t = target;
    const auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::string_view Request::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (equalsIgnoringCase(k, name))
            return v;
    return {};
}

bool Request::hasHeader(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return equalsIgnoringCase(h.first, name); });
}

const std::string& Request::param(std::string_view name) const {
    static const std::string none;
    for (const auto& [k, v] : params)
        if (k == name)
            return v;
    return none;
}

std::optional<std::string> Request::queryParam(std::string_view name) const {
    std::optional<std::string> found;
    std::string_view rest = query();
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        const auto eq = pair.find('=');
        auto key = percentDecode(pair.substr(0, eq), true);
        if (!key)
            throw ApiError::invalid("The query string is not correctly percent-encoded.");
        if (*key != name)
            continue;
        // Two values would leave it to chance which one counts.
        if (found)
            throw ApiError::invalid(std::string(name) + " must be given once.");
        auto value =
            percentDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!value)
            throw ApiError::invalid("The query string is not correctly percent-encoded.");
        found = std::move(value);
    }
    return found;
}

void Response::setHeader(std::string name, std::string value) {
    for (auto& [k, v] : headers)
        if (equalsIgnoringCase(k, name)) {
            v = std::move(value);
            return;
        }
    headers.emplace_back(std::move(name), std::move(value));
}

std::string_view Response::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (equalsIgnoringCase(k, name))
            return v;
    return {};
}

void Response::json(int s, const nlohmann::json& b) {
    status = s;
    body = b.dump();
    contentType = "application/json; charset=utf-8";
}

void Response::error(int s, std::string_view code, std::string_view message) {
    json(s, nlohmann::json{{"error", {{"code", code}, {"message", message}}}});
}

} // namespace parley::server
