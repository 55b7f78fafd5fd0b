#include "store/SqliteCheckpointer.h"

#include "store/GroupCommitWriter.h"
#include "store/SqliteDb.h"
#include "util/Log.h"
#include "util/Threads.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace parley::server {

using sqlite::Connection;

namespace {

constexpr int kCheckpointPages = 1000; // SQLite's default automatic checkpoint size
// Under NORMAL a commit reaches the disk at the latest with the next checkpoint: at most this late.
constexpr auto kCheckpointInterval = std::chrono::seconds(1);
// How the RESTART pass waits for readers still on old WAL frames. A read takes well under a
// millisecond, and the writer is held meanwhile, so poll finely: SQLite's own busy timeout sleeps
// 1, 2, 5, 10 ms... in turn and made the pass last 3 to 14 ms instead of about one.
constexpr auto kRestartReaderPoll = std::chrono::microseconds(50);
constexpr int kRestartReaderPolls = 2000; // about 100 ms, then give up until the next checkpoint

int pollForReaders(void*, int attempts) {
    if (attempts >= kRestartReaderPolls)
        return 0;
    std::this_thread::sleep_for(kRestartReaderPoll);
    return 1;
}

} // namespace

SqliteCheckpointer::SqliteCheckpointer(const std::string& path, bool syncFull, int walRestartPages,
                                       Connection& writer, GroupCommitWriter& turn)
    : m_path(path)
    , m_walRestartPages(walRestartPages)
    , m_writer(writer)
    , m_turn(turn) {
    m_connection = std::make_unique<Connection>(path, false);
    // The checkpoint's fsyncs follow this connection's setting.
    m_connection->exec(syncFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // Only the RESTART pass waits for readers (PASSIVE never does); the writer is held meanwhile.
    sqlite3_busy_handler(m_connection->handle(), &pollForReaders, nullptr);
    // Replaces SQLite's automatic checkpoint, which would run on the writer inside a commit.
    sqlite3_wal_hook(m_writer.handle(), &SqliteCheckpointer::onWalCommit, this);
    m_thread = std::thread([this] {
        threads::nameThisThread("db-checkpoint");
        loop();
    });
}

SqliteCheckpointer::~SqliteCheckpointer() {
    stop();
}

void SqliteCheckpointer::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    if (m_connection) {
        sqlite3_wal_hook(m_writer.handle(), nullptr, nullptr);
        m_connection.reset();
    }
}

// Due once the WAL has grown by kCheckpointPages since the last checkpoint began (or started over
// and passed kCheckpointPages again). Not "whenever it is larger than that": while readers keep
// the WAL from starting over, that fired a checkpoint and its two fsyncs after every commit
// (263 fdatasync calls a second at 1,000 messages/s).
int SqliteCheckpointer::onWalCommit(void* self, sqlite3*, const char*, int walPages) {
    auto* checkpointer = static_cast<SqliteCheckpointer*>(self);
    bool due = false;
    {
        std::lock_guard lock(checkpointer->m_mutex);
        checkpointer->m_commitsUnsynced = true;
        checkpointer->m_walPages = walPages;
        const int since = checkpointer->m_walPagesAtCheckpoint;
        due = walPages >= kCheckpointPages && (walPages < since || walPages - since >= kCheckpointPages);
        checkpointer->m_due = checkpointer->m_due || due;
    }
    if (due)
        checkpointer->m_cv.notify_one();
    return SQLITE_OK;
}

// PASSIVE: copies what it can without waiting for the writer or readers; the writer starts the
// WAL over at its next commit once everything is copied.
void SqliteCheckpointer::loop() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_cv.wait_for(lock, kCheckpointInterval, [&] { return m_stopping || m_due; });
        if (m_stopping)
            return;
        if (!m_due && !m_commitsUnsynced)
            continue;
        m_due = false;
        m_commitsUnsynced = false;
        m_walPagesAtCheckpoint = m_walPages;
        lock.unlock();
        checkpoint();
        lock.lock();
    }
}

// The WAL starts over only when a checkpoint has copied all of it and no commit came in between.
// Under sustained writes a PASSIVE checkpoint never gets there: commits land while it copies, so
// the WAL file grew without bound (600 MB after 30 s at 1,000 messages/s), and with it the page
// cache and the blocks allocated for every write. So once the WAL passes walRestartPages, the
// writer is held for a RESTART pass over what the PASSIVE one left: a few hundred pages, copied
// and fsynced while new writes queue and then commit as one group.
void SqliteCheckpointer::checkpoint() {
    try {
        m_connection->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const std::exception& e) {
        log::warn(std::string("WAL checkpoint failed (retried later): ") + e.what());
        return;
    }
    int walPages = 0;
    {
        std::lock_guard lock(m_mutex);
        walPages = m_walPages;
    }
    if (walPages < m_walRestartPages)
        return;
    // A PASSIVE checkpoint that does not reach the WAL's end copies pages into the database but
    // leaves its fsync to the one that does: the RESTART pass would flush the database pages of
    // every checkpoint since the last restart, and the WAL since this one, with the writer held.
    // Flushed here, beside the commits, that pass has a few milliseconds' worth left.
    syncFile(m_path);
    syncFile(m_path + "-wal");
    const auto held = std::chrono::steady_clock::now();
    m_turn.pause();
    const int rc = sqlite3_wal_checkpoint_v2(m_connection->handle(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                             nullptr, nullptr);
    m_turn.resume();
    const std::chrono::duration<double, std::milli> heldMs = std::chrono::steady_clock::now() - held;
    if (rc == SQLITE_BUSY) { // a reader outlasted the wait; the next checkpoint tries again
        log::warn("WAL restart: a reader kept the WAL past the wait; writes were held " +
                  std::to_string(static_cast<int>(heldMs.count())) + " ms");
        return;
    }
    if (rc != SQLITE_OK) {
        log::warn(std::string("WAL restart checkpoint failed (retried later): ") +
                  sqlite3_errmsg(m_connection->handle()));
        return;
    }
    {
        // The WAL starts over at the next commit. Until that commit's hook reports it, m_walPages
        // still holds the size before this pass, and a checkpoint due from the growth before it
        // would find it over walRestartPages and hold the writer for a second, useless pass.
        std::lock_guard lock(m_mutex);
        m_walPages = 0;
        m_walPagesAtCheckpoint = 0;
        m_due = false;
    }
    ++m_walRestarts;
    // Only under sustained writes (otherwise the WAL starts over by itself): worth an operator's eye.
    char text[160];
    std::snprintf(text, sizeof text,
                  "WAL started over at %d pages under sustained writes; writes held %.1f ms", walPages,
                  heldMs.count());
    log::info(text);
}

void SqliteCheckpointer::syncFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fdatasync(fd) != 0)
        log::warn("cannot flush " + path + " before a WAL restart: " + std::strerror(errno));
    if (fd >= 0)
        ::close(fd);
}

} // namespace parley::server
