#include "store/SqliteStore.h"

#include "store/SqliteCheckpointer.h"
#include "store/SqliteDb.h"
#include "store/SqliteSearchIndexer.h"
#include "store/SqliteTx.h"
#include "util/Log.h"

namespace parley::server {

using sqlite::Connection;

namespace {
// How long a client waits before sending again to a store whose disk refused a write: long enough
// not to hammer it, short enough that a chat goes on soon after space is freed.
constexpr int kDiskRetryAfterSeconds = 5;

// What an admin can do about a database that cannot be opened, by SQLite's result code.
std::string openingHint(int code) {
    switch (code & 0xFF) {
    case SQLITE_NOTADB:
        return " (not a Parley database, or a damaged one: restore it from a backup, or point "
               "--data-dir at another directory)";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return " (the server's user must be able to write the file and create files beside it, in "
               "the data dir)";
    case SQLITE_CORRUPT:
        return " (the file is damaged: restore it from a backup)";
    default:
        return {};
    }
}
} // namespace

SqliteStore::SqliteStore(const std::string& path, EventSink* sink)
    : SqliteStore(path, sink, Options{}) {}

SqliteStore::SqliteStore(const std::string& path, EventSink* sink, Options options)
    : m_path(path)
    , m_options(options)
    , m_sink(sink) {
    const bool syncFull = options.sync == Sync::Full;
    // FULL: a commit is on disk before the caller hears of it; group commit pays one fsync a group.
    // NORMAL: the commit is in the WAL file (the OS page cache) and fsynced at the next checkpoint.
    try {
        m_connection = std::make_unique<Connection>(path, false);
        // SQLite opens a write-protected file for reading only, without an error: the server would
        // start and then fail every message it was sent.
        if (m_connection->isReadOnly())
            throw sqlite::SqliteError(SQLITE_READONLY, "the file is write-protected");
        m_connection->exec("PRAGMA journal_mode = WAL");
        m_connection->exec(syncFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        m_connection->exec("PRAGMA foreign_keys = ON");
        // Erasing a shopper (issue 22) must leave none of its text in the file: freed space is
        // overwritten with zeros. Only erasures and deletes pay for it; appends do not.
        m_connection->exec("PRAGMA secure_delete = ON");
        sqlite::migrate(*m_connection);
    } catch (const sqlite::SqliteError& e) {
        throw sqlite::SqliteError(e.code(), "the database " + path + ": " + e.what() + openingHint(e.code()));
    }
    m_writer = std::make_unique<GroupCommitWriter>(
        [this](std::span<GroupCommitWriter::Job* const> group) { runGroup(group); }, options.writer);
    m_checkpointer = std::make_unique<SqliteCheckpointer>(path, syncFull, options.walRestartPages,
                                                          *m_connection, *m_writer);
    m_searchIndexer =
        std::make_unique<SqliteSearchIndexer>(*m_connection, *m_writer, options.searchIndexInterval);
}

SqliteStore::~SqliteStore() {
    close();
}

void SqliteStore::setEventSink(EventSink* sink) {
    std::lock_guard lock(m_sinkMutex);
    m_sink = sink;
}

int SqliteStore::schemaVersion() const {
    return sqlite::schemaVersion(*m_connection);
}

int SqliteStore::walRestarts() const {
    return m_checkpointer ? m_checkpointer->walRestarts() : 0;
}

void SqliteStore::close() {
    std::lock_guard lock(m_closeMutex);
    if (m_closed)
        return;
    m_closed = true;
    m_searchIndexer->stop(); // its batches are writes: stop it while the writer still takes them
    m_writer->close();       // new writes fail; the queued ones still commit
    m_checkpointer->stop();
    {
        std::lock_guard readersLock(m_readersMutex);
        m_readers.clear();
    }
    try {
        m_connection->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const std::exception& e) {
        log::warn(std::string("WAL checkpoint at close failed: ") + e.what());
    }
}

void SqliteStore::write(const std::function<void(WriteTx&)>& job, Admission admission) {
    m_writer->write(job, admission);
}

void SqliteStore::refreshSearchIndex() {
    m_searchIndexer->catchUp();
}

// On the writer's turn: the group's transaction, then its events, before any caller of the group
// (or of the next one) is released, so events go out in commit order.
void SqliteStore::runGroup(std::span<GroupCommitWriter::Job* const> group) {
    const auto changesBefore = sqlite3_total_changes64(m_connection->handle());
    auto events = sqlite::writeGroupTransaction(*m_connection, group);
    noteDiskState(group, sqlite3_total_changes64(m_connection->handle()) != changesBefore);
    if (events.empty())
        return;
    std::lock_guard lock(m_sinkMutex);
    if (m_sink)
        m_sink->publish(std::move(events));
}

// A full or failing disk is the operator's to fix, not the request's: its jobs are answered 503
// with Retry-After (nothing was stored; the widget and the console send again), GET /healthz says
// why, and the log says so once, not once a request.
void SqliteStore::noteDiskState(std::span<GroupCommitWriter::Job* const> group, bool wroteRows) {
    std::optional<std::string> problem;
    for (auto* job : group) {
        if (!job->error)
            continue;
        try {
            std::rethrow_exception(job->error);
        } catch (const sqlite::SqliteError& e) {
            const int code = e.code() & 0xFF;
            if (code != SQLITE_FULL && code != SQLITE_IOERR && code != SQLITE_READONLY)
                continue;
            problem = code == SQLITE_FULL ? "the disk of the database " + m_path + " is full"
                                          : "the database " + m_path + " cannot be written: " + e.what();
            job->error = std::make_exception_ptr(StoreUnavailable(*problem, kDiskRetryAfterSeconds));
        } catch (...) {
        }
    }
    std::lock_guard lock(m_diskMutex);
    if (problem) {
        if (!m_diskProblem)
            log::error(*problem + "; writes are answered 503 until it can be written again");
        m_diskProblem = std::move(problem);
    } else if (m_diskProblem && wroteRows) { // not an empty commit (the search index's idle pass)
        log::info("the database can be written again");
        m_diskProblem.reset();
    }
}

std::optional<std::string> SqliteStore::unavailableReason() const {
    std::lock_guard lock(m_diskMutex);
    return m_diskProblem;
}

std::unique_ptr<Connection> SqliteStore::acquireReader() {
    {
        std::lock_guard lock(m_readersMutex);
        if (!m_readers.empty()) {
            auto c = std::move(m_readers.back());
            m_readers.pop_back();
            return c;
        }
    }
    return std::make_unique<Connection>(m_path, true);
}

void SqliteStore::releaseReader(std::unique_ptr<Connection> c) {
    std::lock_guard lock(m_readersMutex);
    if (m_readers.size() < m_options.readers)
        m_readers.push_back(std::move(c));
}

void SqliteStore::read(const std::function<void(ReadTx&)>& job) {
    auto conn = acquireReader();
    try {
        sqlite::readTransaction(*conn, job);
    } catch (...) {
        releaseReader(std::move(conn));
        throw;
    }
    releaseReader(std::move(conn));
}

} // namespace parley::server
