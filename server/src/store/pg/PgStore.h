#pragma once
// The PostgreSQL store (issue 20, several nodes): the Store interface over a PostgreSQL database
// that several parley-server nodes share. The parts:
//   PgConnection  libpq, text parameters, statements prepared once per connection
//   PgSchema      the forward-only migrations (the SQLite store's steps and version numbers)
//   PgTx          ReadTx / WriteTx: the SQLite store's queries in PostgreSQL's dialect
// Writes: one writer connection per node behind the same GroupCommitWriter as SQLite (admission
// bound -> StoreOverloaded, groups of jobs, one savepoint per job). Each group is one READ
// COMMITTED transaction that first takes pg_advisory_xact_lock(kWriterLockKey): writes are
// serialized across every node exactly like SQLite's single writer, which the use cases'
// assignment and seq rules assume. Events go out only after COMMIT.
// Reads: a pool of at most `pool` connections, each read in a REPEATABLE READ READ ONLY
// transaction (one snapshot), never waiting for a writer.
// A lost connection is reconnected and the group (or read) run again when nothing was committed;
// a database that cannot be reached answers StoreUnavailable (503).
// Several nodes (startEventOutbox, with --bus): events go through the event_outbox table instead
// of straight to the sink: written in the group's transaction, read back in commit order by every
// node's PgEventFeed (store/pg/PgEventFeed.h), which publishes them to the sink.

#include "store/GroupCommitWriter.h"
#include "store/Store.h"
#include "store/pg/PgEventFeed.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parley::server {

namespace pg {
class Connection;
}

class PgStore final : public Store {
public:
    struct Options {
        std::size_t pool = 8; // read connections at most; a read waits for a free one
        GroupCommitWriter::Options writer{};
        std::chrono::milliseconds healthInterval{1000};
        // A health check that has not succeeded for this long (one in flight that the database does
        // not answer, a stall) makes the node unavailable, as a failed one does.
        std::chrono::milliseconds healthStaleAfter{5000};
        PgEventFeed::Options feed{}; // with startEventOutbox
    };

    // Connects, creates or migrates the schema. Throws when the database cannot be reached.
    PgStore(const std::string& url, EventSink* sink, Options options);
    ~PgStore() override;

    void setEventSink(EventSink* sink);
    // Events across nodes (issue 20): from now on every group's events go through event_outbox and
    // reach the sink through this node's feed (which starts at the outbox's current end). Call
    // once, before clients are served; nodeId is written beside each row. Throws PgError.
    void startEventOutbox(const std::string& nodeId);
    // After startEventOutbox: events that are never stored (typing), handed to the other nodes'
    // feeds by a NOTIFY with the events as its payload (best effort: dropped when too big or when
    // the database cannot be reached). Blocks for a pooled connection: not on an io thread.
    EventSink& ephemeralRelay() { return m_ephemeralRelay; }

    using Store::write;
    void write(const std::function<void(WriteTx&)>& job, Admission admission) override;
    void read(const std::function<void(ReadTx&)>& job) override;

    // Finishes queued writes, stops the writer, closes the connections. Called by the destructor.
    void close();

    int schemaVersion();
    // The secret named `name` that every node shares: candidate is stored when there is none yet
    // (the first node to start wins), and the stored one is returned.
    std::string sharedSecret(const std::string& name, const std::string& candidate);
    GroupCommitWriter::Stats writerStats() const { return m_writer->stats(); }
    // Set while the health check (a query every healthInterval on a connection of its own) fails,
    // or has not succeeded for healthStaleAfter (the database does not answer).
    std::optional<std::string> unavailableReason() const override;

private:
    void checkHealth();
    void runGroup(std::span<GroupCommitWriter::Job* const> group);
    std::unique_ptr<pg::Connection> acquireReader();
    void releaseReader(std::unique_ptr<pg::Connection> c);

    std::string m_url;
    Options m_options;
    std::unique_ptr<pg::Connection> m_connection; // the writer's
    std::mutex m_sinkMutex;
    EventSink* m_sink;
    std::unique_ptr<GroupCommitWriter> m_writer;
    std::mutex m_closeMutex;
    bool m_closed = false;

    std::mutex m_readersMutex;
    std::condition_variable m_readerFree;
    std::vector<std::unique_ptr<pg::Connection>> m_readers; // idle
    std::size_t m_readersOut = 0;                           // in use

    mutable std::mutex m_healthMutex;
    std::condition_variable m_healthWake;
    std::optional<std::string> m_unavailable; // why the last health check failed
    std::chrono::steady_clock::time_point m_lastHealthy = std::chrono::steady_clock::now();
    bool m_healthStopping = false;
    std::thread m_healthThread;

    std::unique_ptr<PgEventFeed> m_feed; // after startEventOutbox
    std::string m_nodeId;
    std::atomic<bool> m_outbox{false}; // read by the writer's thread
    struct EphemeralRelay final : EventSink {
        PgStore& store;
        explicit EphemeralRelay(PgStore& s)
            : store(s) {}
        void publish(std::vector<Event> events) override { store.relayEphemeral(events); }
    };
    void relayEphemeral(const std::vector<Event>& events);
    EphemeralRelay m_ephemeralRelay{*this};
};

} // namespace parley::server
