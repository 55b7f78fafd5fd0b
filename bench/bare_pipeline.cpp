// parley-bench-bare: the raw ceiling of the message path, a benchmark tool (not a server).
//
// It does what parley-server does for POST /api/v1/conversations/{id}/messages and nothing else:
// reads the same HTTP request and parses its JSON, inserts the same row into SQLite (the store's
// two statements, its schema for conversations and messages, its pragmas, its group commit of up
// to 128 jobs in savepoints, its checkpointing beside the commits), answers 201 with the same
// message JSON, and writes the same message.created frame to the conversation's customer and
// agent WebSockets. No tokens are verified, no rule runs, no rate limit, no bot, no idempotency
// lookup, no event hub: routing is two hash lookups. parley-bench-sweep measures it in the same
// run as the server, so that each figure of the server is also a ratio to what this machine can do.
//
// One port for REST and /ws. Set-up: POST /bare/setup {"agents":[{"id","token"}],
// "conversations":[{"id","customer_token","agent_id"}]} creates the rows and the routes; a
// WebSocket's hello names its token. GET /api/v1/admin/stats answers the writer's groups, jobs and
// CPU time as parley-server does. Threads: one io_context per CPU it may run on (--threads).

#include "parley/protocol/Codec.h"
#include "parley/protocol/Types.h"
#include "store/SqliteWalVfs.h"
#include "util/Text.h"
#include "util/Threads.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;

const char* kUsage = R"(Usage: parley-bench-bare [OPTIONS]

The raw ceiling of Parley's message path for parley-bench-sweep: HTTP + SQLite + WebSocket with
no application logic (see bench/README.md). Not a server: it trusts every token.

  --host ADDR          address to listen on (default 127.0.0.1)
  --http-port N        port for REST and /ws (default 0: any free port)
  --ports-file FILE    write {"http": PORT} there once listening
  --data-dir DIR       where bare.db goes (created if missing; required)
  --threads N          io threads (default: the CPUs it may run on)
  --db-sync normal|full  PRAGMA synchronous, as parley-server's --db-sync (default normal)
  --max-queue N        answer 503 overloaded (Retry-After: 1) while N messages wait for the writer
                       (default 0: never; to check the sweep's 503 figures against a known limit)
  --help
)";

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string portsFile;
    std::string dataDir;
    int threads = 0;
    bool syncFull = false;
    std::size_t maxQueue = 0;
};

Options parseOptions(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (a == "--host")
            o.host = value();
        else if (a == "--http-port")
            o.port = std::stoi(value());
        else if (a == "--ports-file")
            o.portsFile = value();
        else if (a == "--data-dir")
            o.dataDir = value();
        else if (a == "--threads")
            o.threads = std::stoi(value());
        else if (a == "--max-queue")
            o.maxQueue = static_cast<std::size_t>(std::stoul(value()));
        else if (a == "--db-sync") {
            const auto v = value();
            if (v != "normal" && v != "full")
                throw std::invalid_argument("--db-sync must be normal or full");
            o.syncFull = v == "full";
        } else
            throw std::invalid_argument("unknown option " + a + " (see --help)");
    }
    if (o.dataDir.empty())
        throw std::invalid_argument("--data-dir is required");
    if (o.threads <= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        o.threads = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    }
    return o;
}

// --- SQLite: the store's schema, pragmas, statements, group commit and checkpoints ----------------

[[noreturn]] void sqliteFail(sqlite3* db, const std::string& what) {
    throw std::runtime_error(what + ": " + sqlite3_errmsg(db));
}

void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "?";
        sqlite3_free(err);
        throw std::runtime_error(std::string("exec: ") + msg);
    }
}

sqlite3* open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        parley::server::sqlite::walFrameVfsName()) != SQLITE_OK) // as the store writes
        sqliteFail(db, "open " + path);
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

// The tables the message path touches, as server/src/store/SqliteStore.cpp creates them.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS agents (
  id               TEXT PRIMARY KEY,
  username         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name     TEXT NOT NULL,
  role             TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
  password_hash    TEXT NOT NULL,
  presence         TEXT NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'offline')),
  max_active_chats INTEGER NOT NULL CHECK (max_active_chats BETWEEN 0 AND 100),
  last_assignment_no INTEGER,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conversations (
  id                  TEXT PRIMARY KEY,
  customer_session_id TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('automated', 'agent', 'closed')),
  assigned_agent_id   TEXT REFERENCES agents (id),
  requested_agent_at  TEXT,
  queue_ticket        INTEGER,
  closed_at           TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  last_seq            INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS conversations_open_per_session ON conversations (customer_session_id)
  WHERE status <> 'closed';
CREATE INDEX IF NOT EXISTS conversations_queue ON conversations (requested_agent_at, queue_ticket)
  WHERE status = 'agent' AND assigned_agent_id IS NULL;
CREATE INDEX IF NOT EXISTS conversations_by_agent ON conversations (assigned_agent_id) WHERE status = 'agent';
CREATE INDEX IF NOT EXISTS conversations_ticket ON conversations (queue_ticket);
CREATE TABLE IF NOT EXISTS messages (
  id              TEXT PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  seq             INTEGER NOT NULL,
  sender_type     TEXT NOT NULL CHECK (sender_type IN ('customer', 'bot', 'agent', 'system')),
  sender_agent_id TEXT,
  kind            TEXT NOT NULL CHECK (kind IN ('text', 'quick_reply', 'event')),
  content         TEXT NOT NULL,
  metadata        TEXT NOT NULL DEFAULT '{}',
  client_msg_id   TEXT,
  created_at      TEXT NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_msg_id ON messages (conversation_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
)sql";

struct Job {
    parley::protocol::Message message;
    // After the commit (or its failure), on the committing thread; the message has its seq now.
    std::function<void(bool ok, parley::protocol::Message& message)> done;
};

// The store's write path: every queued job (up to 128) commits as one transaction, each in its own
// savepoint; nobody blocks waiting for a group: a job's completion is called after the commit.
// Checkpoints run on their own thread and connection, as the store's.
class Db {
public:
    Db(const std::string& path, bool syncFull)
        : m_path(path) {
        const char* sync = syncFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
        m_writer = open(path);
        exec(m_writer, "PRAGMA journal_mode = WAL");
        exec(m_writer, sync);
        exec(m_writer, "PRAGMA foreign_keys = ON");
        exec(m_writer, kSchema);
        m_checkpointer = open(path);
        exec(m_checkpointer, sync);
        sqlite3_busy_handler(m_checkpointer, &Db::pollForReaders, nullptr);
        sqlite3_wal_hook(m_writer, &Db::onWalCommit, this);
        m_update = prepare("UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? "
                           "RETURNING last_seq");
        m_insert =
            prepare("INSERT INTO messages (id, conversation_id, seq, sender_type, sender_agent_id, kind, "
                    "content, metadata, client_msg_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        m_checkpointThread = std::thread([this] { checkpointLoop(); });
        m_writerThread = std::thread([this] { writerLoop(); });
    }

    ~Db() {
        {
            std::lock_guard lock(m_queueMutex);
            m_stopping = true;
            using ms = std::chrono::duration<double, std::milli>;
            std::printf(
                "bare: %llu messages in %llu groups (%.1f a group), %.0f ms committing; %llu WAL restarts "
                "held the writer %.0f ms\n",
                static_cast<unsigned long long>(m_jobs), static_cast<unsigned long long>(m_groups),
                m_groups ? static_cast<double>(m_jobs) / static_cast<double>(m_groups) : 0.0,
                ms(m_commitTime).count(), static_cast<unsigned long long>(m_restarts),
                ms(m_pausedTime).count());
            std::fflush(stdout);
        }
        m_queueCv.notify_all();
        m_writerThread.join();
        {
            std::lock_guard lock(m_checkpointMutex);
            m_checkpointStopping = true;
        }
        m_checkpointCv.notify_all();
        m_checkpointThread.join();
        sqlite3_finalize(m_update);
        sqlite3_finalize(m_insert);
        sqlite3_close(m_checkpointer);
        exec(m_writer, "PRAGMA wal_checkpoint(TRUNCATE)");
        sqlite3_close(m_writer);
    }

    // Set-up only (before any traffic): agents and conversations in one transaction.
    void setUp(const json& body) {
        std::lock_guard lock(m_writerMutex);
        const auto now = parley::server::formatRfc3339(std::chrono::system_clock::now());
        exec(m_writer, "BEGIN IMMEDIATE");
        try {
            sqlite3_stmt* a =
                prepare("INSERT OR IGNORE INTO agents (id, username, display_name, role, password_hash, "
                        "presence, max_active_chats, created_at, updated_at) VALUES "
                        "(?1, ?1, ?1, 'agent', '-', 'online', 100, ?2, ?2)");
            for (const auto& agent : body.at("agents")) {
                bindText(a, 1, agent.at("id").get<std::string>());
                bindText(a, 2, now);
                step(a);
                sqlite3_reset(a);
            }
            sqlite3_finalize(a);
            sqlite3_stmt* c =
                prepare("INSERT INTO conversations (id, customer_session_id, status, assigned_agent_id, "
                        "requested_agent_at, created_at, updated_at) VALUES (?1, ?2, 'agent', ?3, ?4, "
                        "?4, ?4)");
            for (const auto& conv : body.at("conversations")) {
                bindText(c, 1, conv.at("id").get<std::string>());
                bindText(c, 2, parley::server::newUuid());
                bindText(c, 3, conv.at("agent_id").get<std::string>());
                bindText(c, 4, now);
                step(c);
                sqlite3_reset(c);
            }
            sqlite3_finalize(c);
            exec(m_writer, "COMMIT");
        } catch (...) {
            exec(m_writer, "ROLLBACK");
            throw;
        }
    }

    // What parley-server's GET /api/v1/admin/stats says of its writer, for the sweep.
    json stats() {
        std::lock_guard lock(m_queueMutex);
        return json{{"store", "sqlite"},
                    {"writer",
                     {{"groups", m_groups},
                      {"jobs", m_jobs},
                      {"cpu_seconds", static_cast<double>(m_groupCpuNs.load()) / 1e9}}}};
    }

    // False (and the job dropped) when maxQueue > 0 jobs already wait.
    bool submit(Job job, std::size_t maxQueue) {
        {
            std::lock_guard lock(m_queueMutex);
            if (maxQueue > 0 && m_queue.size() >= maxQueue)
                return false;
            m_queue.push_back(std::move(job));
        }
        m_queueCv.notify_one();
        return true;
    }

private:
    static constexpr std::size_t kMaxBatch = 128;  // as SqliteStore::write
    static constexpr int kCheckpointPages = 1000;  // as SqliteStore
    static constexpr int kWalRestartPages = 32768; // as SqliteStore::Options
    static constexpr auto kCheckpointInterval = std::chrono::seconds(1);

    // The writer: each group is everything queued (up to 128) while the previous one committed.
    // (The server's callers take turns committing the group instead; an io thread here would stall
    // its own connections meanwhile, so the ceiling has a thread of its own for it.)
    void writerLoop() {
        std::vector<Job> batch;
        for (;;) {
            {
                std::unique_lock lock(m_queueMutex);
                m_queueCv.wait(lock, [&] { return m_stopping || (!m_queue.empty() && !m_paused); });
                if (m_stopping && m_queue.empty())
                    return;
                batch.clear();
                while (!m_queue.empty() && batch.size() < kMaxBatch) {
                    batch.push_back(std::move(m_queue.front()));
                    m_queue.pop_front();
                }
                m_committing = true;
            }
            const auto t0 = std::chrono::steady_clock::now();
            const auto cpu0 = parley::server::threads::cpuNanoseconds();
            const bool ok = runBatch(batch);
            const auto spent = std::chrono::steady_clock::now() - t0;
            m_groupCpuNs += parley::server::threads::cpuNanoseconds() - cpu0;
            {
                std::lock_guard lock(m_queueMutex);
                m_committing = false;
                ++m_groups;
                m_jobs += batch.size();
                m_commitTime += spent;
            }
            m_queueCv.notify_all();
            for (auto& j : batch)
                j.done(ok, j.message);
        }
    }

    bool runBatch(std::vector<Job>& batch) {
        std::lock_guard lock(m_writerMutex);
        try {
            exec(m_writer, "BEGIN IMMEDIATE");
            insertAll(batch);
            exec(m_writer, "COMMIT");
            if (parley::server::sqlite::flushWalFrames(m_writer) != SQLITE_OK)
                throw std::runtime_error("write WAL after commit");
            return true;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bare: group failed: %s\n", e.what());
            sqlite3_reset(m_update);
            sqlite3_reset(m_insert);
            if (!sqlite3_get_autocommit(m_writer))
                sqlite3_exec(m_writer, "ROLLBACK", nullptr, nullptr, nullptr);
            return false;
        }
    }

    void insertAll(std::vector<Job>& batch) {
        for (auto& j : batch) {
            auto& m = j.message;
            exec(m_writer, "SAVEPOINT job");
            bindText(m_update, 1, m.createdAt);
            bindText(m_update, 2, m.conversationId);
            if (sqlite3_step(m_update) != SQLITE_ROW)
                sqliteFail(m_writer, "no conversation " + m.conversationId);
            m.seq = sqlite3_column_int64(m_update, 0);
            while (sqlite3_step(m_update) == SQLITE_ROW) {
            }
            sqlite3_reset(m_update);
            bindText(m_insert, 1, m.id);
            bindText(m_insert, 2, m.conversationId);
            sqlite3_bind_int64(m_insert, 3, m.seq);
            bindText(m_insert, 4, parley::protocol::toString(m.senderType));
            if (m.senderAgentId)
                bindText(m_insert, 5, *m.senderAgentId);
            else
                sqlite3_bind_null(m_insert, 5);
            bindText(m_insert, 6, parley::protocol::toString(m.kind));
            bindText(m_insert, 7, m.content);
            bindText(m_insert, 8, m.metadata.dump());
            if (m.clientMsgId)
                bindText(m_insert, 9, *m.clientMsgId);
            else
                sqlite3_bind_null(m_insert, 9);
            bindText(m_insert, 10, m.createdAt);
            step(m_insert);
            sqlite3_reset(m_insert);
            sqlite3_clear_bindings(m_insert);
            exec(m_writer, "RELEASE job");
        }
    }

    sqlite3_stmt* prepare(const char* sql) {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v3(m_writer, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
            sqliteFail(m_writer, std::string("prepare: ") + sql);
        return s;
    }
    static void bindText(sqlite3_stmt* s, int i, std::string_view v) {
        sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    void step(sqlite3_stmt* s) {
        if (sqlite3_step(s) != SQLITE_DONE)
            sqliteFail(m_writer, "step");
    }

    static int pollForReaders(void*, int attempts) {
        if (attempts >= 2000)
            return 0;
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        return 1;
    }

    static int onWalCommit(void* self, sqlite3*, const char*, int walPages) {
        auto* db = static_cast<Db*>(self);
        bool due = false;
        {
            std::lock_guard lock(db->m_checkpointMutex);
            db->m_unsynced = true;
            db->m_walPages = walPages;
            const int since = db->m_walPagesAtCheckpoint;
            due = walPages >= kCheckpointPages && (walPages < since || walPages - since >= kCheckpointPages);
            db->m_checkpointDue = db->m_checkpointDue || due;
        }
        if (due)
            db->m_checkpointCv.notify_one();
        return SQLITE_OK;
    }

    void checkpointLoop() {
        std::unique_lock lock(m_checkpointMutex);
        for (;;) {
            m_checkpointCv.wait_for(lock, kCheckpointInterval,
                                    [&] { return m_checkpointStopping || m_checkpointDue; });
            if (m_checkpointStopping)
                return;
            if (!m_checkpointDue && !m_unsynced)
                continue;
            m_checkpointDue = m_unsynced = false;
            m_walPagesAtCheckpoint = m_walPages;
            const int walPages = m_walPages;
            lock.unlock();
            checkpoint(walPages);
            lock.lock();
        }
    }

    // PASSIVE beside the commits; past kWalRestartPages the writer is held for a RESTART pass so
    // that the WAL starts over (see SqliteStore::checkpoint for why).
    void checkpoint(int walPages) {
        try {
            exec(m_checkpointer, "PRAGMA wal_checkpoint(PASSIVE)");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "bare: checkpoint: %s\n", e.what());
            return;
        }
        if (walPages < kWalRestartPages)
            return;
        for (const auto& file : {m_path, m_path + "-wal"}) {
            const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ::fdatasync(fd);
                ::close(fd);
            }
        }
        const auto t0 = std::chrono::steady_clock::now();
        {
            std::unique_lock lock(m_queueMutex);
            m_paused = true;
            m_queueCv.wait(lock, [&] { return !m_committing; });
        }
        sqlite3_wal_checkpoint_v2(m_checkpointer, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
        {
            std::lock_guard lock(m_queueMutex);
            m_paused = false;
            ++m_restarts;
            m_pausedTime += std::chrono::steady_clock::now() - t0;
        }
        m_queueCv.notify_all(); // what queued meanwhile commits as one group
    }

    std::string m_path;
    sqlite3* m_writer = nullptr;
    sqlite3* m_checkpointer = nullptr;
    sqlite3_stmt* m_update = nullptr;
    sqlite3_stmt* m_insert = nullptr;
    std::mutex m_writerMutex; // the writer connection: set-up and groups

    std::mutex m_queueMutex;
    std::condition_variable m_queueCv;
    std::deque<Job> m_queue;
    bool m_committing = false;
    bool m_paused = false; // a RESTART checkpoint holds the writer
    bool m_stopping = false;
    std::uint64_t m_groups = 0, m_jobs = 0, m_restarts = 0;
    std::atomic<std::uint64_t> m_groupCpuNs{0}; // the writer thread's CPU running groups
    std::chrono::steady_clock::duration m_commitTime{}, m_pausedTime{};
    std::thread m_writerThread;

    std::mutex m_checkpointMutex;
    std::condition_variable m_checkpointCv;
    bool m_checkpointStopping = false, m_checkpointDue = false, m_unsynced = false;
    int m_walPages = 0, m_walPagesAtCheckpoint = 0;
    std::thread m_checkpointThread;
};

// --- sockets ------------------------------------------------------------------------------------

class WsSession;

struct Route {
    std::string customerToken;
    std::string agentToken;
    std::string agentId;
};

// Tokens -> WebSocket sessions (set by hello), conversation ids -> their two parties.
class Registry {
public:
    void addRoute(const std::string& conversationId, Route r) {
        std::unique_lock lock(m_mutex);
        m_routes[conversationId] = std::move(r);
    }
    const Route* route(const std::string& conversationId) const {
        std::shared_lock lock(m_mutex);
        const auto it = m_routes.find(conversationId);
        return it == m_routes.end() ? nullptr : &it->second; // routes are never removed
    }
    void attach(const std::string& token, const std::shared_ptr<WsSession>& s) {
        std::unique_lock lock(m_mutex);
        m_sockets[token] = s;
    }
    std::shared_ptr<WsSession> socket(const std::string& token) const {
        std::shared_lock lock(m_mutex);
        const auto it = m_sockets.find(token);
        return it == m_sockets.end() ? nullptr : it->second.lock();
    }

private:
    mutable std::shared_mutex m_mutex;
    std::unordered_map<std::string, Route> m_routes;
    std::unordered_map<std::string, std::weak_ptr<WsSession>> m_sockets;
};

struct Context {
    Registry registry;
    std::unique_ptr<Db> db;
    std::string host;
    int port = 0;
    std::size_t maxQueue = 0;
    std::atomic<std::uint64_t> connections{0};
};

class WsSession : public std::enable_shared_from_this<WsSession> {
public:
    WsSession(tcp::socket socket, Context& ctx)
        : m_ws(std::move(socket))
        , m_ctx(ctx) {}

    void start(http::request<http::string_body> upgrade) {
        // As the server: pings after half the idle time (15 s), a peer silent for 30 s is dropped;
        // the timeouts differ a little per connection so that 10,000 sockets opened together are
        // not pinged together.
        websocket::stream_base::timeout t;
        t.handshake_timeout = 10s;
        t.idle_timeout =
            30s + std::chrono::milliseconds(static_cast<long long>(m_ctx.connections++ % 1000) * 15);
        t.keep_alive_pings = true;
        m_ws.set_option(t);
        m_ws.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
            if (!ec)
                self->read();
        });
    }

    // Any thread: queued and written on this session's own thread.
    void send(std::shared_ptr<const std::string> frame) {
        net::post(m_ws.get_executor(), [self = shared_from_this(), frame = std::move(frame)]() mutable {
            self->m_out.push_back(std::move(frame));
            if (self->m_out.size() == 1)
                self->write();
        });
    }

private:
    void read() {
        m_ws.async_read(m_buf, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec)
                return;
            self->onFrame();
            self->m_buf.consume(self->m_buf.size());
            self->read();
        });
    }
    void onFrame() {
        if (m_helloDone)
            return; // the bench sends nothing after hello
        const auto frame = json::parse(beast::buffers_to_string(m_buf.data()), nullptr, false);
        if (!frame.is_object() || frame.value("type", "") != "hello" || !frame.contains("token") ||
            !frame["token"].is_string())
            return;
        m_helloDone = true;
        m_ctx.registry.attach(frame["token"].get<std::string>(), shared_from_this());
        send(std::make_shared<const std::string>(R"({"type":"hello.ok","data":{"role":"customer"}})"));
    }
    void write() {
        m_ws.text(true);
        m_ws.async_write(net::buffer(*m_out.front()),
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec)
                                 return;
                             self->m_out.pop_front();
                             if (!self->m_out.empty())
                                 self->write();
                         });
    }

    websocket::stream<tcp::socket> m_ws;
    Context& m_ctx;
    beast::flat_buffer m_buf;
    std::deque<std::shared_ptr<const std::string>> m_out;
    bool m_helloDone = false;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    HttpSession(tcp::socket socket, Context& ctx)
        : m_socket(std::move(socket))
        , m_ctx(ctx) {}

    void start() { read(); }

private:
    void read() {
        m_parser.emplace();
        m_parser->body_limit(64 * 1024);
        http::async_read(m_socket, m_buf, *m_parser,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec)
                                 return;
                             self->handle(self->m_parser->release());
                         });
    }

    void reply(unsigned status, std::string body, bool keepAlive) {
        auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
        res->set(http::field::content_type, "application/json; charset=utf-8");
        if (status == 503)
            res->set(http::field::retry_after, "1");
        res->keep_alive(keepAlive);
        res->body() = std::move(body);
        res->prepare_payload();
        http::async_write(m_socket, *res,
                          [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                              if (ec || !res->keep_alive())
                                  return;
                              self->read();
                          });
    }

    void handle(http::request<http::string_body> req) {
        const auto target = std::string_view(req.target().data(), req.target().size());
        const bool keepAlive = req.keep_alive();
        if (websocket::is_upgrade(req) && target == "/ws") {
            std::make_shared<WsSession>(std::move(m_socket), m_ctx)->start(std::move(req));
            return;
        }
        try {
            constexpr std::string_view prefix = "/api/v1/conversations/";
            constexpr std::string_view suffix = "/messages";
            if (req.method() == http::verb::post && target.size() > prefix.size() + suffix.size() &&
                target.substr(0, prefix.size()) == prefix &&
                target.substr(target.size() - suffix.size()) == suffix)
                return postMessage(req, std::string(target.substr(
                                            prefix.size(), target.size() - prefix.size() - suffix.size())));
            if (target == "/healthz")
                return reply(200, R"({"status":"ok"})", keepAlive);
            if (target == "/api/v1/admin/stats")
                return reply(200, m_ctx.db->stats().dump(), keepAlive);
            if (target == "/api/v1/widget/config") {
                auto host = std::string(req[http::field::host]);
                if (auto colon = host.rfind(':'); colon != std::string::npos)
                    host.resize(colon);
                if (host.empty())
                    host = m_ctx.host;
                return reply(
                    200, json{{"ws_url", "ws://" + host + ":" + std::to_string(m_ctx.port) + "/ws"}}.dump(),
                    keepAlive);
            }
            if (req.method() == http::verb::post && target == "/bare/setup") {
                const auto body = json::parse(req.body());
                m_ctx.db->setUp(body);
                std::unordered_map<std::string, std::string> agentTokens;
                for (const auto& a : body.at("agents"))
                    agentTokens[a.at("id").get<std::string>()] = a.at("token").get<std::string>();
                for (const auto& c : body.at("conversations")) {
                    const auto agentId = c.at("agent_id").get<std::string>();
                    m_ctx.registry.addRoute(
                        c.at("id").get<std::string>(),
                        Route{c.at("customer_token").get<std::string>(), agentTokens.at(agentId), agentId});
                }
                return reply(201, "{}", keepAlive);
            }
            return reply(404, R"({"error":{"code":"not_found","message":"Not found."}})", keepAlive);
        } catch (const std::exception& e) {
            return reply(400, json{{"error", {{"code", "invalid_request"}, {"message", e.what()}}}}.dump(),
                         keepAlive);
        }
    }

    void postMessage(const http::request<http::string_body>& req, std::string conversationId) {
        const bool keepAlive = req.keep_alive();
        const auto* route = m_ctx.registry.route(conversationId);
        if (!route)
            return reply(404, R"({"error":{"code":"not_found","message":"No such conversation."}})",
                         keepAlive);
        const auto auth = req[http::field::authorization];
        constexpr std::string_view bearer = "Bearer ";
        const std::string_view token = auth.size() > bearer.size()
                                           ? std::string_view(auth.data(), auth.size()).substr(7)
                                           : std::string_view();
        const bool fromCustomer = token == route->customerToken;
        if (!fromCustomer && token != route->agentToken)
            return reply(403, R"({"error":{"code":"forbidden","message":"Not a party."}})", keepAlive);
        const auto body = json::parse(req.body(), nullptr, false);
        if (!body.is_object() || !body.contains("content") || !body["content"].is_string())
            return reply(400, R"({"error":{"code":"invalid_request","message":"content"}})", keepAlive);

        Job job;
        auto& m = job.message;
        const auto now = std::chrono::system_clock::now();
        m.id = parley::server::newTimeOrderedUuid(now);
        m.conversationId = std::move(conversationId);
        m.senderType =
            fromCustomer ? parley::protocol::SenderType::Customer : parley::protocol::SenderType::Agent;
        if (!fromCustomer)
            m.senderAgentId = route->agentId;
        m.kind = parley::protocol::MessageKind::Text;
        m.content = body["content"].get<std::string>();
        if (const auto id = body.find("client_msg_id"); id != body.end() && id->is_string())
            m.clientMsgId = id->get<std::string>();
        m.createdAt = parley::server::formatRfc3339(now);
        // After the commit: the answer and the frames go out on this connection's own thread.
        job.done = [self = shared_from_this(), route, keepAlive](bool ok, parley::protocol::Message& msg) {
            net::post(self->m_socket.get_executor(), [self, route, keepAlive, m = std::move(msg), ok]() {
                if (!ok)
                    return self->reply(500, R"({"error":{"code":"internal","message":"commit failed"}})",
                                       keepAlive);
                self->reply(201, json{{"message", m}, {"replies", json::array()}}.dump(), keepAlive);
                const json frameJson{{"type", "message.created"}, {"data", {{"message", m}}}};
                auto frame = std::make_shared<const std::string>(
                    frameJson.dump(-1, ' ', false, json::error_handler_t::replace));
                for (const auto* token : {&route->customerToken, &route->agentToken})
                    if (auto ws = self->m_ctx.registry.socket(*token))
                        ws->send(frame);
            });
        };
        if (!m_ctx.db->submit(std::move(job), m_ctx.maxQueue))
            reply(503, R"({"error":{"code":"overloaded","message":"Too many messages wait to be stored."}})",
                  keepAlive);
    }

    tcp::socket m_socket;
    Context& m_ctx;
    beast::flat_buffer m_buf;
    std::optional<http::request_parser<http::string_body>> m_parser;
};

int run(const Options& o) {
    std::filesystem::create_directories(o.dataDir);
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    Context ctx;
    ctx.db = std::make_unique<Db>(o.dataDir + "/bare.db", o.syncFull);
    ctx.host = o.host;
    ctx.maxQueue = o.maxQueue;

    std::vector<std::unique_ptr<net::io_context>> ios;
    for (int i = 0; i < o.threads; ++i)
        ios.push_back(std::make_unique<net::io_context>(1));
    tcp::acceptor acceptor(*ios[0]);
    const tcp::endpoint ep(net::ip::make_address(o.host), static_cast<unsigned short>(o.port));
    acceptor.open(ep.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(4096);
    ctx.port = acceptor.local_endpoint().port();

    std::size_t next = 0;
    std::function<void()> accept = [&] {
        auto& io = *ios[next++ % ios.size()];
        acceptor.async_accept(io, [&](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true), ec);
                auto session = std::make_shared<HttpSession>(std::move(socket), ctx);
                net::post(io, [session] { session->start(); });
            }
            if (acceptor.is_open())
                accept();
        });
    };
    accept();

    net::signal_set signals(*ios[0], SIGTERM, SIGINT);
    signals.async_wait([&](beast::error_code, int) {
        acceptor.close();
        for (auto& io : ios)
            io->stop();
    });

    if (!o.portsFile.empty()) {
        const std::string tmp = o.portsFile + ".tmp";
        std::ofstream(tmp) << "{\"http\": " << ctx.port << "}\n";
        std::filesystem::rename(tmp, o.portsFile);
    }
    std::printf("parley-bench-bare: listening on %s:%d, %d io threads, data in %s\n", o.host.c_str(),
                ctx.port, o.threads, o.dataDir.c_str());
    std::fflush(stdout);

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < ios.size(); ++i)
        threads.emplace_back([&io = *ios[i]] {
            auto guard = net::make_work_guard(io);
            io.run();
        });
    {
        auto guard = net::make_work_guard(*ios[0]);
        ios[0]->run();
    }
    for (auto& io : ios)
        io->stop();
    for (auto& t : threads)
        t.join();
    ctx.db.reset(); // the writer's last completions post into the stopped io_contexts, still alive here
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        return run(parseOptions(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parley-bench-bare: %s\n", e.what());
        return 1;
    }
}
