#pragma once
// The embedded store: one SQLite database in WAL mode. Writes are serialized on one writer
// connection and committed in groups: the calling thread whose job finds no commit in progress
// takes every queued job and commits them as one transaction (each job inside its own savepoint,
// so one failing job rolls back only itself); callers that arrive meanwhile wait and are served by
// the next group. So an uncontended write costs no thread switch, and a busy store pays one
// commit per group. Readers use a small pool of read-only connections and never block the writer.

#include "store/Store.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;

namespace parley::server {

namespace sqlite {
class Connection;
}

class SqliteStore final : public Store {
public:
    static constexpr int kSchemaVersion = 3;

    // When a commit reaches the disk (PRAGMA synchronous, WAL mode). Either way a commit is
    // atomic and survives a crash or kill of the server; they differ on a power loss.
    enum class Sync {
        Full,   // the WAL is fsynced before a commit returns: survives a power loss too
        Normal, // fsync at checkpoints only: a power loss can undo the last commits
    };

    struct Options {
        std::size_t readers = 8; // idle read-only connections kept for reuse
        Sync sync = Sync::Full;
        // Past this many pages in the WAL, a checkpoint holds the writer back for a moment so the
        // WAL can start over (see checkpoint()): 32,768 pages of 4 KiB, a WAL of about 128 MiB.
        int walRestartPages = 32768;
    };

    // Opens (creating if needed) the database and migrates it forward. Throws on failure.
    explicit SqliteStore(const std::string& path, EventSink* sink = nullptr);
    SqliteStore(const std::string& path, EventSink* sink, Options options);
    ~SqliteStore() override;

    // Where committed events go; may be set once the realtime side exists.
    void setEventSink(EventSink* sink);

    void write(const std::function<void(WriteTx&)>& job) override;
    void read(const std::function<void(ReadTx&)>& job) override;

    // Finishes queued writes, stops the writer and checkpoints the WAL. Called by the destructor.
    void close();

    int schemaVersion() const;
    // How often a checkpoint has held the writer to start the WAL over (see checkpoint()).
    int walRestarts() const { return m_walRestarts.load(); }

private:
    struct Job {
        const std::function<void(WriteTx&)>* fn;
        std::exception_ptr error;
        bool done = false; // under m_queueMutex
    };
    void runBatch(std::vector<Job*>& batch);
    void checkpointLoop();
    void checkpoint();
    static void syncFile(const std::string& path);
    void pauseWriter();
    void resumeWriter();
    static int onWalCommit(void* self, sqlite3* db, const char* name, int walPages);
    void migrate();
    std::unique_ptr<sqlite::Connection> acquireReader();
    void releaseReader(std::unique_ptr<sqlite::Connection> c);

    std::string m_path;
    Options m_options;
    std::unique_ptr<sqlite::Connection> m_writer;
    std::mutex m_sinkMutex;
    EventSink* m_sink;

    std::mutex m_queueMutex;
    std::condition_variable m_queueCv; // a group was committed
    std::deque<Job*> m_queue;
    bool m_committing = false;     // a thread is running a group on m_writer, or pauseWriter() holds it
    bool m_pauseRequested = false; // pauseWriter() waits for the turn: no new group starts
    bool m_stopping = false;

    // Checkpoints run on their own connection and thread, so that copying the WAL back into the
    // database and its fsyncs never hold up a commit (SQLite would run them inside one).
    std::unique_ptr<sqlite::Connection> m_checkpointer;
    std::thread m_checkpointThread;
    std::mutex m_checkpointMutex;
    std::condition_variable m_checkpointCv;
    bool m_checkpointDue = false;   // the WAL has grown by kCheckpointPages since the last one
    int m_walPages = 0;             // WAL size after the last commit, in pages
    int m_walPagesAtCheckpoint = 0; // WAL size when the last checkpoint started
    bool m_commitsUnsynced = false; // commits since the last checkpoint (NORMAL: not yet fsynced)
    bool m_checkpointStopping = false;
    std::atomic<int> m_walRestarts{0};

    std::mutex m_readersMutex;
    std::vector<std::unique_ptr<sqlite::Connection>> m_readers;
};

} // namespace parley::server
