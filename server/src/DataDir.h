#pragma once
// The data directory: created 0700 when missing; holds parley.db (SQLite, WAL), server.secret
// (32 random bytes, 0600) that signs every token, so tokens survive restarts, and parley.lock.
// A server holds an exclusive lock on parley.lock for as long as it runs: two servers never
// share one data dir (they would race on the secret, the schema and the first admin).

#include <string>

namespace parley::server {

class DataDir {
public:
    // Creates the directory when missing and takes its lock; throws with a message naming the
    // directory when it cannot, or when another process holds the lock.
    explicit DataDir(std::string path);
    ~DataDir();
    DataDir(const DataDir&) = delete;
    DataDir& operator=(const DataDir&) = delete;

    const std::string& path() const { return m_path; }
    std::string databasePath() const { return m_path + "/parley.db"; }
    std::string lockPath() const { return m_path + "/parley.lock"; }
    bool isNew() const { return m_isNew; }
    // Reads the secret, creating it on first use: written to a temporary file in the directory,
    // flushed, renamed into place and the directory flushed, so it is never seen half-written.
    std::string secret() const;

private:
    void lock();

    std::string m_path;
    int m_lockFd = -1;
    bool m_isNew = false;
};

} // namespace parley::server
