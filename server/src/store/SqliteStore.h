#pragma once
// The embedded store: one SQLite database in WAL mode, behind the Store interface. This class
// wires the parts together, each in its own file:
//   SqliteSchema       the forward-only migrations
//   SqliteTx           ReadTx / WriteTx over a connection; a write group's transaction
//   GroupCommitWriter  the single writer: admission queue, groups, one wake-up per caller
//   SqliteCheckpointer WAL checkpoints on their own connection and thread
//   SqliteSearchIndexer the FTS5 search index, in batches after commit
// Writes go to one writer connection and commit in groups (one transaction, a savepoint per
// job); readers use a small pool of read-only connections and never block the writer.

#include "store/GroupCommitWriter.h"
#include "store/SqliteSchema.h"
#include "store/Store.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::server {

namespace sqlite {
class Connection;
}
class SqliteCheckpointer;
class SqliteSearchIndexer;

class SqliteStore final : public Store {
public:
    static constexpr int kSchemaVersion = sqlite::kSchemaVersion;

    // When a commit reaches the disk (PRAGMA synchronous, WAL mode). Either way a commit is
    // atomic and survives a crash or kill of the server; they differ on a power loss.
    enum class Sync {
        Full,   // the WAL is fsynced before a commit returns: survives a power loss too
        Normal, // fsync at checkpoints only: a power loss can undo the last commits
    };

    struct Options {
        std::size_t readers =
            8; // idle read-only connections kept for reuse (the server: one per handler thread)
        Sync sync = Sync::Full;
        // Past this many pages in the WAL, a checkpoint holds the writer back for a moment so the
        // WAL can start over (see SqliteCheckpointer): 32,768 pages of 4 KiB, about 128 MiB.
        int walRestartPages = 32768;
        // How long a new message may wait to be indexed for search when nobody searches (a
        // search first indexes what is pending); zero: only searches index.
        std::chrono::milliseconds searchIndexInterval{1000};
        // Group size, admission bound (writeQueueLimit) and who runs the groups.
        GroupCommitWriter::Options writer{};
    };

    // Opens (creating if needed) the database and migrates it forward. Throws on failure.
    explicit SqliteStore(const std::string& path, EventSink* sink = nullptr);
    SqliteStore(const std::string& path, EventSink* sink, Options options);
    ~SqliteStore() override;

    // Where committed events go; may be set once the realtime side exists.
    void setEventSink(EventSink* sink);

    using Store::write;
    void write(const std::function<void(WriteTx&)>& job, Admission admission) override;
    void read(const std::function<void(ReadTx&)>& job) override;
    void refreshSearchIndex() override;
    // While the last write failed because the disk refused it (full, or an I/O error): why.
    std::optional<std::string> unavailableReason() const override;

    // Finishes queued writes, stops the writer and checkpoints the WAL. Called by the destructor.
    void close();

    int schemaVersion() const;
    // How often a checkpoint has held the writer to start the WAL over.
    int walRestarts() const;
    GroupCommitWriter::Stats writerStats() const { return m_writer->stats(); }
    std::size_t writesQueued() const { return m_writer->queued(); }

private:
    void runGroup(std::span<GroupCommitWriter::Job* const> group);
    void noteDiskState(std::span<GroupCommitWriter::Job* const> group, bool wroteRows);
    std::unique_ptr<sqlite::Connection> acquireReader();
    void releaseReader(std::unique_ptr<sqlite::Connection> c);

    std::string m_path;
    Options m_options;
    std::unique_ptr<sqlite::Connection> m_connection; // the writer's
    std::mutex m_sinkMutex;
    EventSink* m_sink;
    std::unique_ptr<GroupCommitWriter> m_writer;
    std::unique_ptr<SqliteCheckpointer> m_checkpointer;
    std::unique_ptr<SqliteSearchIndexer> m_searchIndexer;
    std::mutex m_closeMutex;
    bool m_closed = false;

    std::mutex m_readersMutex;
    std::vector<std::unique_ptr<sqlite::Connection>> m_readers;

    mutable std::mutex m_diskMutex;
    std::optional<std::string> m_diskProblem; // set by a write the disk refused, cleared by one it took
};

} // namespace parley::server
