#include "http/StaticFiles.h"

#include "parley/protocol/Errors.h"

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::server {
namespace {

constexpr std::size_t kMaxSegments = 8;
constexpr std::size_t kMaxSegmentChars = 128;
constexpr off_t kMaxFileBytes = 8 * 1024 * 1024;

struct FileType {
    std::string_view extension;
    const char* contentType;
};

// What the widget and the demo store use; anything else in the web root (README.md, sources,
// backups) is not served.
constexpr std::array kTypes{
    FileType{"html", "text/html; charset=utf-8"},
    FileType{"js", "text/javascript; charset=utf-8"},
    FileType{"css", "text/css; charset=utf-8"},
    FileType{"svg", "image/svg+xml"},
    FileType{"png", "image/png"},
    FileType{"jpg", "image/jpeg"},
    FileType{"jpeg", "image/jpeg"},
    FileType{"webp", "image/webp"},
    FileType{"ico", "image/x-icon"},
    FileType{"woff2", "font/woff2"},
};

const FileType* typeOf(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos)
        return nullptr;
    const auto ext = name.substr(dot + 1);
    for (const auto& t : kTypes)
        if (t.extension == ext)
            return &t;
    return nullptr;
}

// Letters, digits, '-', '_' and '.', not starting with '.': no "..", no dot-files, no separators
// (an encoded '/' or '\\' arrives decoded inside its segment), no NUL, no bytes above 0x7f (so no
// overlong UTF-8 forms of any of them either).
bool plainName(std::string_view s) {
    if (s.empty() || s.size() > kMaxSegmentChars || s.front() == '.')
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return false;
    return true;
}

void notFound(Response& res) {
    res.error(404, protocol::errors::kNotFound, "No such file.");
}

} // namespace

StaticFiles::StaticFiles(std::string root)
    : m_root(std::move(root)) {}

void StaticFiles::serve(const Request& req, Response& res) const {
    if (m_root.empty())
        return notFound(res);
    std::string relative;
    if (req.params.size() == 1 && req.params.front().second.empty()) {
        relative = "index.html";
    } else {
        if (req.params.size() > kMaxSegments)
            return notFound(res);
        for (const auto& [name, segment] : req.params) {
            if (!plainName(segment))
                return notFound(res);
            if (!relative.empty())
                relative += '/';
            relative += segment;
        }
    }
    const FileType* type = typeOf(relative.substr(relative.rfind('/') + 1));
    if (!type)
        return notFound(res);

    const std::string full = m_root + "/" + relative;
    const int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return notFound(res);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxFileBytes) {
        ::close(fd);
        return notFound(res);
    }
    const std::string etag = "\"" + std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) +
                             "." + std::to_string(st.st_mtim.tv_nsec) + "\"";
    // The page itself revalidates every time; the widget and assets may be cached briefly.
    res.setHeader("Cache-Control", relative == "index.html" ? "no-cache" : "public, max-age=300");
    res.setHeader("ETag", etag);
    res.setHeader("X-Content-Type-Options", "nosniff");
    const std::string_view ext = type->extension;
    if (ext == "js" || ext == "css" || ext == "svg")
        res.setHeader("Access-Control-Allow-Origin", "*"); // embeddable from any shop
    if (req.header("If-None-Match") == etag) {
        ::close(fd);
        res.status = 304;
        return;
    }
    std::string body(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < body.size()) {
        const auto n = ::read(fd, body.data() + got, body.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    body.resize(got);
    res.status = 200;
    res.contentType = type->contentType;
    res.body = std::move(body);
}

} // namespace parley::server
