#pragma once
// The data directory: created 0700 when missing; holds parley.db (SQLite, WAL) and
// server.secret (32 random bytes, 0600) that signs every token, so tokens survive restarts.

#include <string>

namespace parley::server {

class DataDir {
public:
    explicit DataDir(std::string path); // creates it when missing; throws on failure
    const std::string& path() const { return m_path; }
    std::string databasePath() const { return m_path + "/parley.db"; }
    bool isNew() const { return m_isNew; }
    // Reads the secret, creating it on first use (exclusively, so two starts cannot race).
    std::string secret() const;

private:
    std::string m_path;
    bool m_isNew = false;
};

} // namespace parley::server
