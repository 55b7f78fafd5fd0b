#pragma once
// WAL checkpoints of the SQLite store, on a connection and thread of their own, so that copying
// the WAL back into the database and its fsyncs never hold up a commit (SQLite would run them
// inside one). PASSIVE checkpoints as the WAL grows and at least every second; under sustained
// writes, once the WAL passes walRestartPages, a RESTART pass with the writer held so that the
// WAL can start over (see checkpoint()).

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace parley::server {

class GroupCommitWriter;

namespace sqlite {
class Connection;
}

class SqliteCheckpointer {
public:
    // Opens its own connection to path (synchronous FULL or NORMAL, as the writer's) and replaces
    // SQLite's automatic checkpoint on `writer` by a WAL hook that wakes this thread. `turn` is
    // the writer whose turn a RESTART pass takes.
    SqliteCheckpointer(const std::string& path, bool syncFull, int walRestartPages,
                       sqlite::Connection& writer, GroupCommitWriter& turn);
    ~SqliteCheckpointer(); // stop()
    SqliteCheckpointer(const SqliteCheckpointer&) = delete;
    SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

    // Stops the thread and removes the WAL hook. Call when no more commits come.
    void stop();

    // How often a checkpoint has held the writer to start the WAL over.
    int walRestarts() const { return m_walRestarts.load(); }

private:
    static int onWalCommit(void* self, sqlite3* db, const char* name, int walPages);
    void loop();
    void checkpoint();
    static void syncFile(const std::string& path);

    std::string m_path;
    int m_walRestartPages;
    sqlite::Connection& m_writer;
    GroupCommitWriter& m_turn;
    std::unique_ptr<sqlite::Connection> m_connection;

    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_due = false;             // the WAL has grown by kCheckpointPages since the last one
    int m_walPages = 0;             // WAL size after the last commit, in pages
    int m_walPagesAtCheckpoint = 0; // WAL size when the last checkpoint started
    bool m_commitsUnsynced = false; // commits since the last checkpoint (NORMAL: not yet fsynced)
    bool m_stopping = false;
    std::atomic<int> m_walRestarts{0};
    std::thread m_thread;
};

} // namespace parley::server
