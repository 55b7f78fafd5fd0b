#pragma once
// Serves the widget and the demo storefront from the web root: only files the widget and the
// store need (an allow-list of extensions, no dot-files), by names made of plain characters, so
// no encoding of "..", "/" or "\" can name anything outside the root. A Content-Type by
// extension, an ETag from size and modification time, 304 on If-None-Match.

#include "http/Message.h"

#include <string>

namespace parley::server {

class StaticFiles {
public:
    explicit StaticFiles(std::string root);
    // req.params holds the decoded path segments ("/" is one empty segment: index.html).
    void serve(const Request& req, Response& res) const;

private:
    std::string m_root;
};

} // namespace parley::server
