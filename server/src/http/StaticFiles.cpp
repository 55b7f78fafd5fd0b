#include "http/StaticFiles.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace parley::server {
namespace {

std::string contentType(const std::string& path) {
    auto ext = path.substr(path.find_last_of('.') + 1);
    if (ext == "html")
        return "text/html; charset=utf-8";
    if (ext == "js" || ext == "mjs")
        return "text/javascript; charset=utf-8";
    if (ext == "css")
        return "text/css; charset=utf-8";
    if (ext == "svg")
        return "image/svg+xml";
    if (ext == "png")
        return "image/png";
    if (ext == "ico")
        return "image/x-icon";
    if (ext == "json")
        return "application/json";
    if (ext == "woff2")
        return "font/woff2";
    return "application/octet-stream";
}

bool safe(const std::string& path) {
    if (path.empty() || path.front() == '/' || path.find("..") != std::string::npos)
        return false;
    for (char c : path)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' || c == '_'))
            return false;
    return true;
}

void notFound(httplib::Response& res) {
    res.status = 404;
    res.set_content(nlohmann::json{{"error", {{"code", "not_found"}, {"message", "No such file."}}}}.dump(),
                    "application/json; charset=utf-8");
}

} // namespace

StaticFiles::StaticFiles(std::string root)
    : m_root(std::move(root)) {}

void StaticFiles::serve(const std::string& relativePath, const httplib::Request& req,
                        httplib::Response& res) const {
    if (m_root.empty() || !safe(relativePath))
        return notFound(res);
    const std::string full = m_root + "/" + relativePath;
    struct stat st {};
    if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return notFound(res);
    const std::string etag = "\"" + std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) +
                             "." + std::to_string(st.st_mtim.tv_nsec) + "\"";
    // The page itself revalidates every time; the widget and assets may be cached briefly.
    res.set_header("Cache-Control", relativePath == "index.html" ? "no-cache" : "public, max-age=300");
    res.set_header("ETag", etag);
    res.set_header("X-Content-Type-Options", "nosniff");
    if (relativePath.ends_with(".js") || relativePath.ends_with(".css") || relativePath.ends_with(".svg"))
        res.set_header("Access-Control-Allow-Origin", "*"); // embeddable from any shop
    if (req.get_header_value("If-None-Match") == etag) {
        res.status = 304;
        return;
    }
    std::ifstream in(full, std::ios::binary);
    std::ostringstream buf;
    buf << in.rdbuf();
    res.status = 200;
    res.set_content(buf.str(), contentType(relativePath));
}

} // namespace parley::server
