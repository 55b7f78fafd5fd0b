#include "store/pg/PgStore.h"

#include "store/pg/PgConnection.h"
#include "store/pg/PgSchema.h"
#include "store/pg/PgTx.h"
#include "util/Log.h"
#include "util/Threads.h"

#include <atomic>
#include <chrono>
#include <iterator>

namespace parley::server {

using pg::Connection;
using pg::PgError;

namespace {

// How long a read waits for a free pooled connection before it is answered 503.
constexpr auto kReaderWait = std::chrono::seconds(10);

// What a job or a group did: it ran to COMMIT, or the connection was lost before COMMIT was
// sent (nothing of it is in the database: it may run again on a new connection).
enum class Outcome { Done, LostBeforeCommit };

// outboxNode: with the event outbox, the node id its row is written with; null without.
Outcome writeGroupTransaction(Connection& c, std::span<GroupCommitWriter::Job* const> group,
                              std::vector<Event>& events, const std::string* outboxNode) {
    static const std::string lock =
        "SELECT pg_advisory_xact_lock(" + std::to_string(pg::kWriterLockKey) + ")";
    std::vector<std::exception_ptr> errors(group.size());
    try {
        c.exec("BEGIN");
        c.exec(lock);
    } catch (const PgError& e) {
        if (e.connectionLost())
            return Outcome::LostBeforeCommit;
        for (auto* job : group)
            job->error = std::current_exception();
        return Outcome::Done;
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
        try {
            c.exec("SAVEPOINT job");
            auto jobEvents = pg::runWrite(c, group[i]->fn());
            c.exec("RELEASE job");
            std::move(jobEvents.begin(), jobEvents.end(), std::back_inserter(events));
        } catch (...) {
            if (c.broken())
                return Outcome::LostBeforeCommit;
            errors[i] = std::current_exception();
            try {
                c.exec("ROLLBACK TO job");
                c.exec("RELEASE job");
            } catch (const std::exception& e) {
                if (c.broken())
                    return Outcome::LostBeforeCommit;
                log::error(std::string("rollback to savepoint failed: ") + e.what());
            }
        }
    }
    if (outboxNode && !events.empty()) {
        // The group's events commit with it, as one row: still under the writer lock, so row ids
        // are in commit order. NOTIFY is only the doorbell (delivered at COMMIT, at most one per
        // transaction); the feeds read the rows.
        try {
            c.query("INSERT INTO event_outbox (node_id, payload) VALUES ($1, $2)",
                    {*outboxNode, encodeEvents(events)});
            c.exec(std::string("NOTIFY ") + kEventChannel);
        } catch (...) {
            if (c.broken())
                return Outcome::LostBeforeCommit;
            // Committing without the events would lose them for every client: the group fails.
            const auto outboxError = std::current_exception();
            try {
                c.exec("ROLLBACK");
            } catch (...) { // the outbox's error is the one to report
            }
            for (auto* job : group)
                job->error = outboxError;
            events.clear();
            return Outcome::Done;
        }
    }
    try {
        c.exec("COMMIT");
    } catch (...) {
        // Lost during COMMIT: it may or may not have committed, so it is not run again; the
        // callers hear of the failure (503) and the client may retry (client_msg_id makes a
        // message idempotent).
        const auto commitError = std::current_exception();
        try {
            c.exec("ROLLBACK");
        } catch (...) { // the commit's error is the one to report
        }
        for (auto* job : group)
            job->error = commitError;
        events.clear();
        return Outcome::Done;
    }
    for (std::size_t i = 0; i < group.size(); ++i)
        group[i]->error = errors[i];
    return Outcome::Done;
}

// PostgreSQL's class 53, insufficient resources (53100 disk full, 53200 out of memory): the
// database's operator has to act, not the request. Its jobs are answered 503 with Retry-After
// (nothing of them was committed; the widget and the console send again), and the log says so at
// most once every 10 s, not once a request.
constexpr int kResourcesRetryAfterSeconds = 5;

void refuseOnFullDisk(std::span<GroupCommitWriter::Job* const> group) {
    static std::atomic<std::int64_t> lastLogged{0};
    for (auto* job : group) {
        if (!job->error)
            continue;
        try {
            std::rethrow_exception(job->error);
        } catch (const PgError& e) {
            if (!e.sqlState().starts_with("53"))
                continue;
            const std::string why = std::string("the database refused a write: ") + e.what();
            job->error = std::make_exception_ptr(StoreUnavailable(why, kResourcesRetryAfterSeconds));
            const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count();
            if (auto last = lastLogged.load();
                now - last >= 10 && lastLogged.compare_exchange_strong(last, now))
                log::error(why + " (SQLSTATE " + e.sqlState() + "); writes are answered 503");
        } catch (...) {
        }
    }
}

std::exception_ptr unavailable(const std::string& why) {
    log::error("database unavailable: " + why);
    return std::make_exception_ptr(StoreUnavailable());
}

} // namespace

PgStore::PgStore(const std::string& url, EventSink* sink, Options options)
    : m_url(url)
    , m_options(options)
    , m_sink(sink) {
    m_connection = std::make_unique<Connection>(url);
    pg::migrate(*m_connection);
    m_writer = std::make_unique<GroupCommitWriter>(
        [this](std::span<GroupCommitWriter::Job* const> group) { runGroup(group); }, options.writer);
    m_healthThread = std::thread([this] {
        threads::nameThisThread("db-health");
        checkHealth();
    });
}

// GET /healthz must say 503 while the database cannot be reached, at once and without a query of
// its own on the network thread: a query on a connection of this thread's own, every
// healthInterval, keeps the answer ready. A load balancer then takes the node out of rotation.
// A database that stops answering leaves the check waiting rather than failing: the time of the
// last success tells (unavailableReason).
void PgStore::checkHealth() {
    std::unique_ptr<Connection> c;
    std::unique_lock lock(m_healthMutex);
    while (!m_healthStopping) {
        lock.unlock();
        std::optional<std::string> problem;
        try {
            if (!c || c->broken())
                c = std::make_unique<Connection>(m_url);
            c->exec("SELECT 1");
        } catch (const std::exception& e) {
            problem = std::string("the database cannot be reached: ") + e.what();
            c.reset();
        }
        lock.lock();
        if (!problem)
            m_lastHealthy = std::chrono::steady_clock::now();
        if (problem && !m_unavailable)
            log::error(*problem);
        else if (!problem && m_unavailable)
            log::info("the database can be reached again");
        m_unavailable = std::move(problem);
        m_healthWake.wait_for(lock, m_options.healthInterval, [this] { return m_healthStopping; });
    }
}

std::optional<std::string> PgStore::unavailableReason() const {
    {
        std::lock_guard lock(m_healthMutex);
        if (m_unavailable)
            return m_unavailable;
        const auto since = std::chrono::steady_clock::now() - m_lastHealthy;
        if (since > m_options.healthStaleAfter)
            return "the database has not answered a health check for " +
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) + " s";
    }
    // A node whose feed cannot read the outbox would leave its clients without other nodes' events.
    return m_feed ? m_feed->unavailableReason() : std::nullopt;
}

PgStore::~PgStore() {
    close();
}

void PgStore::startEventOutbox(const std::string& nodeId) {
    if (m_feed)
        return;
    m_nodeId = nodeId;
    m_feed = std::make_unique<PgEventFeed>(
        m_url, nodeId,
        [this](std::vector<Event> events) {
            std::lock_guard lock(m_sinkMutex);
            if (m_sink)
                m_sink->publish(std::move(events));
        },
        m_options.feed);
    // Only now: a group that commits from here on is past the feed's starting point.
    m_outbox.store(true);
}

void PgStore::relayEphemeral(const std::vector<Event>& events) {
    if (!m_outbox.load() || events.empty())
        return;
    const auto payload =
        nlohmann::json{{"node", m_nodeId}, {"events", nlohmann::json::parse(encodeEvents(events))}}.dump();
    if (payload.size() > 7900) { // NOTIFY's limit is 8,000 bytes
        log::warn("a typing signal too big to relay to the other nodes was dropped");
        return;
    }
    std::unique_ptr<Connection> c;
    try {
        c = acquireReader();
        c->query("SELECT pg_notify($1, $2)", {kEphemeralChannel, payload});
        releaseReader(std::move(c));
    } catch (const std::exception& e) {
        if (c)
            releaseReader(nullptr);
        log::warn(std::string("a typing signal was not relayed to the other nodes: ") + e.what());
    }
}

void PgStore::setEventSink(EventSink* sink) {
    std::lock_guard lock(m_sinkMutex);
    m_sink = sink;
}

int PgStore::schemaVersion() {
    auto c = acquireReader();
    try {
        const int version = pg::schemaVersion(*c);
        releaseReader(std::move(c));
        return version;
    } catch (...) {
        releaseReader(nullptr);
        throw;
    }
}

std::string PgStore::sharedSecret(const std::string& name, const std::string& candidate) {
    std::string secret;
    write(
        [&](WriteTx&) {
            m_connection->query(
                "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                {name, candidate});
            secret =
                m_connection->query("SELECT value FROM server_secrets WHERE name = $1", {name}).text(0, 0);
        },
        Admission::Always);
    return secret;
}

void PgStore::close() {
    std::lock_guard lock(m_closeMutex);
    if (m_closed)
        return;
    m_closed = true;
    {
        std::lock_guard health(m_healthMutex);
        m_healthStopping = true;
    }
    m_healthWake.notify_all();
    if (m_healthThread.joinable())
        m_healthThread.join();
    m_writer->close(); // new writes fail; the queued ones still commit
    if (m_feed)
        m_feed->stop();
    std::lock_guard readersLock(m_readersMutex);
    m_readers.clear();
}

void PgStore::write(const std::function<void(WriteTx&)>& job, Admission admission) {
    m_writer->write(job, admission);
}

// On the writer's turn: the group's transaction, then its events, before any caller is released,
// so events go out in commit order (of this node; other nodes' commits are not seen here yet).
void PgStore::runGroup(std::span<GroupCommitWriter::Job* const> group) {
    std::vector<Event> events;
    const bool outbox = m_outbox.load();
    for (int attempt = 0;; ++attempt) {
        for (auto* job : group)
            job->error = nullptr;
        events.clear();
        try {
            if (m_connection->broken())
                m_connection->reconnect();
        } catch (const PgError& e) {
            const auto error = unavailable(e.what());
            for (auto* job : group)
                job->error = error;
            return;
        }
        if (writeGroupTransaction(*m_connection, group, events, outbox ? &m_nodeId : nullptr) ==
            Outcome::Done)
            break;
        // Nothing of the group was committed: run it once more on a new connection.
        log::warn("database connection lost during a write; reconnecting");
        if (attempt >= 1) {
            const auto error = unavailable("the connection was lost again");
            for (auto* job : group)
                job->error = error;
            return;
        }
    }
    refuseOnFullDisk(group);
    if (events.empty() || outbox) // with the outbox, this node's feed publishes them too
        return;
    std::lock_guard lock(m_sinkMutex);
    if (m_sink)
        m_sink->publish(std::move(events));
}

std::unique_ptr<Connection> PgStore::acquireReader() {
    {
        std::unique_lock lock(m_readersMutex);
        if (!m_readerFree.wait_for(lock, kReaderWait,
                                   [&] { return m_readersOut < m_options.pool || !m_readers.empty(); }))
            throw StoreUnavailable();
        ++m_readersOut;
        if (!m_readers.empty()) {
            auto c = std::move(m_readers.back());
            m_readers.pop_back();
            return c;
        }
    }
    try {
        return std::make_unique<Connection>(m_url);
    } catch (const PgError& e) {
        releaseReader(nullptr);
        std::rethrow_exception(unavailable(e.what()));
    }
}

void PgStore::releaseReader(std::unique_ptr<Connection> c) {
    {
        std::lock_guard lock(m_readersMutex);
        --m_readersOut;
        if (c && !c->broken() && !m_closed)
            m_readers.push_back(std::move(c));
    }
    m_readerFree.notify_one();
}

void PgStore::read(const std::function<void(ReadTx&)>& job) {
    for (int attempt = 0;; ++attempt) {
        auto conn = acquireReader();
        try {
            conn->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            pg::runRead(*conn, job);
            conn->exec("COMMIT");
            releaseReader(std::move(conn));
            return;
        } catch (const PgError& e) {
            const bool lost = conn->broken();
            if (!lost) {
                try {
                    conn->exec("ROLLBACK");
                } catch (...) { // the job's error is the one to report
                }
            }
            releaseReader(lost ? nullptr : std::move(conn));
            if (!lost)
                throw;
            // A pooled connection the server dropped (a restart): one more try on a new one.
            if (attempt >= 1)
                std::rethrow_exception(unavailable(e.what()));
        } catch (...) {
            if (!conn->broken()) {
                try {
                    conn->exec("ROLLBACK");
                } catch (...) { // the job's error is the one to report
                }
            }
            releaseReader(conn->broken() ? nullptr : std::move(conn));
            throw;
        }
    }
}

} // namespace parley::server
