#pragma once
// Serves the widget and storefront from the web root: safe paths only, a Content-Type by
// extension, an ETag from size and modification time, 304 on If-None-Match.

#include <string>

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace parley::server {

class StaticFiles {
public:
    explicit StaticFiles(std::string root);
    void serve(const std::string& relativePath, const httplib::Request& req, httplib::Response& res) const;

private:
    std::string m_root;
};

} // namespace parley::server
