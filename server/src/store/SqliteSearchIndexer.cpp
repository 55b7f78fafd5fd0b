#include "store/SqliteSearchIndexer.h"

#include "store/GroupCommitWriter.h"
#include "store/SqliteDb.h"
#include "store/Store.h"
#include "util/Log.h"
#include "util/Threads.h"

#include <algorithm>
#include <exception>
#include <string>

namespace parley::server {

namespace {
// One job indexes at most this many rowids, so other writers wait for one short job at a time.
// Messages are never deleted, so rowids above the mark are about as many as the rows.
constexpr std::int64_t kBatchRows = 2000;
} // namespace

namespace sqlite {

std::int64_t indexPendingSearchText(Connection& writer, std::int64_t maxRows) {
    std::int64_t mark = 0;
    {
        auto s = writer.prepare("SELECT indexed_rowid FROM search_progress WHERE id = 1");
        if (s.step())
            mark = s.int64(0);
    }
    std::int64_t top = 0;
    {
        auto s = writer.prepare("SELECT coalesce(max(rowid), 0) FROM messages");
        if (s.step())
            top = s.int64(0);
    }
    if (top <= mark)
        return 0;
    const std::int64_t upTo = std::min(top, mark + maxRows);
    {
        auto s =
            writer.prepare("INSERT INTO message_search (rowid, content) SELECT rowid, content FROM messages "
                           "WHERE rowid > ?1 AND rowid <= ?2 AND kind = 'text' "
                           "AND sender_type IN ('customer', 'agent', 'bot')");
        s.bind(1, mark).bind(2, upTo);
        s.step();
    }
    {
        auto s = writer.prepare("UPDATE search_progress SET indexed_rowid = ?1 WHERE id = 1");
        s.bind(1, upTo);
        s.step();
    }
    return top - upTo;
}

} // namespace sqlite

SqliteSearchIndexer::SqliteSearchIndexer(sqlite::Connection& writer, GroupCommitWriter& turn,
                                         std::chrono::milliseconds interval)
    : m_writer(writer)
    , m_turn(turn)
    , m_interval(interval) {
    if (m_interval.count() > 0)
        m_thread = std::thread([this] {
            threads::nameThisThread("db-search-index");
            loop();
        });
}

SqliteSearchIndexer::~SqliteSearchIndexer() {
    stop();
}

void SqliteSearchIndexer::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void SqliteSearchIndexer::catchUp() {
    // The server's own upkeep: never refused by admission (a search must see what was sent).
    std::int64_t remaining = 0;
    do {
        m_turn.write([&](WriteTx&) { remaining = sqlite::indexPendingSearchText(m_writer, kBatchRows); },
                     Admission::Always);
    } while (remaining > 0);
}

void SqliteSearchIndexer::loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        m_cv.wait_for(lock, m_interval, [this] { return m_stopping; });
        if (m_stopping)
            break;
        lock.unlock();
        try {
            catchUp();
        } catch (const StoreUnavailable&) {
            // A disk that refuses writes: the store has said so once; not again every second.
        } catch (const std::exception& e) {
            // The messages stay above the mark; the next pass or search indexes them.
            log::warn(std::string("search index batch failed: ") + e.what());
        }
        lock.lock();
    }
}

} // namespace parley::server
