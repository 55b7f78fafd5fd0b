#pragma once
// The full-text search index of the SQLite store, kept off the commit path. Messages are stored
// without touching the FTS5 index; this indexes the new ones in batches, as write jobs of their own
// on the single writer: about once a second, and whenever a search asks (catchUp), so a search
// still finds a message the moment its POST has answered. See migration step 9.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace parley::server {

class GroupCommitWriter;

namespace sqlite {
class Connection;

// Indexes the text messages above the index's mark, up to maxRows rowids of them, and raises the
// mark; runs in the caller's (the writer's) transaction. Returns how many rowids are still above
// the mark (0: caught up).
std::int64_t indexPendingSearchText(Connection& writer, std::int64_t maxRows);
} // namespace sqlite

class SqliteSearchIndexer {
public:
    // interval: how long a new message may wait for its batch when nobody searches; zero starts
    // no thread (only catchUp indexes).
    SqliteSearchIndexer(sqlite::Connection& writer, GroupCommitWriter& turn,
                        std::chrono::milliseconds interval);
    ~SqliteSearchIndexer(); // stop()
    SqliteSearchIndexer(const SqliteSearchIndexer&) = delete;
    SqliteSearchIndexer& operator=(const SqliteSearchIndexer&) = delete;

    // Indexes everything committed before the call; returns once it is. Safe from any thread.
    void catchUp();
    // Stops the thread; call while the writer still takes jobs.
    void stop();

private:
    void loop();

    sqlite::Connection& m_writer;
    GroupCommitWriter& m_turn;
    std::chrono::milliseconds m_interval;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace parley::server
