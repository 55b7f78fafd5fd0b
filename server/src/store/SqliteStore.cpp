#include "store/SqliteStore.h"

#include "store/SqliteDb.h"
#include "util/Log.h"
#include "util/Threads.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

namespace parley::server {

using protocol::Agent;
using protocol::Conversation;
using protocol::FaqEntry;
using protocol::Message;
using sqlite::Connection;
using sqlite::Statement;

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

// 1 -> 2
constexpr const char* kClientMsgIdPerSender = R"sql(
-- client_msg_id is an idempotency key per sender (issue 16): an agent's id must not collide with
-- the customer's. The old key (conversation, client_msg_id) was stricter, so every stored row
-- already satisfies the new one and the index builds on any existing database.
DROP INDEX messages_client_msg_id;
CREATE UNIQUE INDEX messages_client_msg_id ON messages
  (conversation_id, sender_type, IFNULL(sender_agent_id, ''), client_msg_id)
  WHERE client_msg_id IS NOT NULL;
)sql";

// 2 -> 3
constexpr const char* kAgentSessions = R"sql(
-- Agent tokens name a session (issue 16): a password or role change ends the agent's sessions,
-- so their tokens stop working before they expire. Tokens issued before this step carry no
-- session and are refused: their agents sign in again.
CREATE TABLE agent_sessions (
  id         TEXT PRIMARY KEY,
  agent_id   TEXT NOT NULL REFERENCES agents (id),
  created_at TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX agent_sessions_by_agent ON agent_sessions (agent_id, expires_at);
)sql";

// Forward-only migrations; entry i takes the schema from version i to i + 1.
const std::array<const char*, SqliteStore::kSchemaVersion> kMigrations = {R"sql(
CREATE TABLE agents (
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
CREATE TABLE conversations (
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
-- A customer session has at most one open conversation.
CREATE UNIQUE INDEX conversations_open_per_session ON conversations (customer_session_id)
  WHERE status <> 'closed';
CREATE INDEX conversations_queue ON conversations (requested_agent_at, queue_ticket)
  WHERE status = 'agent' AND assigned_agent_id IS NULL;
CREATE INDEX conversations_by_agent ON conversations (assigned_agent_id) WHERE status = 'agent';
CREATE INDEX conversations_ticket ON conversations (queue_ticket);
CREATE TABLE messages (
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
CREATE UNIQUE INDEX messages_client_msg_id ON messages (conversation_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
CREATE TABLE faq_entries (
  slug          TEXT PRIMARY KEY,
  question      TEXT NOT NULL,
  answer        TEXT NOT NULL,
  display_order INTEGER NOT NULL,
  is_active     INTEGER NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
)sql",
                                                                          kClientMsgIdPerSender,
                                                                          kAgentSessions};

constexpr const char* kConversationColumns = "id, customer_session_id, status, assigned_agent_id, "
                                             "requested_agent_at, closed_at, created_at, updated_at";
constexpr const char* kMessageColumns = "id, conversation_id, seq, sender_type, sender_agent_id, kind, "
                                        "content, metadata, client_msg_id, created_at";
constexpr const char* kAgentSelect =
    "SELECT a.id, a.username, a.display_name, a.role, a.presence, a.max_active_chats, "
    "(SELECT COUNT(*) FROM conversations c WHERE c.status = 'agent' AND c.assigned_agent_id = a.id), "
    "a.password_hash, a.last_assignment_no, a.created_at, a.updated_at FROM agents a ";
constexpr const char* kQueueWhere = "status = 'agent' AND assigned_agent_id IS NULL";

Conversation conversationFrom(const Statement& s) {
    Conversation c;
    c.id = s.text(0);
    c.customerSessionId = s.text(1);
    c.status = protocol::parseConversationStatus(s.text(2)).value_or(protocol::ConversationStatus::Closed);
    c.assignedAgentId = s.optText(3);
    c.requestedAgentAt = s.optText(4);
    c.closedAt = s.optText(5);
    c.createdAt = s.text(6);
    c.updatedAt = s.text(7);
    return c;
}

Message messageFrom(const Statement& s) {
    Message m;
    m.id = s.text(0);
    m.conversationId = s.text(1);
    m.seq = s.int64(2);
    m.senderType = protocol::parseSenderType(s.text(3)).value_or(protocol::SenderType::System);
    m.senderAgentId = s.optText(4);
    m.kind = protocol::parseMessageKind(s.text(5)).value_or(protocol::MessageKind::Text);
    m.content = s.text(6);
    m.metadata = nlohmann::json::parse(s.text(7), nullptr, false);
    if (m.metadata.is_discarded())
        m.metadata = nlohmann::json::object();
    m.clientMsgId = s.optText(8);
    m.createdAt = s.text(9);
    return m;
}

AgentRecord agentFrom(const Statement& s) {
    AgentRecord r;
    r.agent.id = s.text(0);
    r.agent.username = s.text(1);
    r.agent.displayName = s.text(2);
    r.agent.role = protocol::parseRole(s.text(3)).value_or(protocol::Role::Agent);
    r.agent.presence = protocol::parsePresence(s.text(4)).value_or(protocol::Presence::Offline);
    r.agent.maxActiveChats = static_cast<int>(s.int64(5));
    r.agent.activeChats = static_cast<int>(s.int64(6));
    r.passwordHash = s.text(7);
    if (!s.isNull(8))
        r.lastAssignmentNo = s.int64(8);
    r.createdAt = s.text(9);
    r.updatedAt = s.text(10);
    return r;
}

FaqEntry faqFrom(const Statement& s) {
    return FaqEntry{s.text(0), s.text(1), s.text(2), static_cast<int>(s.int64(3)), s.int64(4) != 0};
}

class SqliteReadTx : public virtual ReadTx {
public:
    explicit SqliteReadTx(Connection& c)
        : m_c(c) {}

    std::optional<Conversation> conversation(const std::string& id) override {
        auto s =
            m_c.prepare(std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE id = ?");
        s.bind(1, id);
        if (!s.step())
            return std::nullopt;
        auto c = conversationFrom(s);
        fillQueuePosition(c);
        return c;
    }

    std::optional<Conversation> openConversationOfSession(const std::string& sessionId) override {
        auto s = m_c.prepare(std::string("SELECT ") + kConversationColumns +
                             " FROM conversations WHERE customer_session_id = ? AND status <> 'closed'");
        s.bind(1, sessionId);
        if (!s.step())
            return std::nullopt;
        auto c = conversationFrom(s);
        fillQueuePosition(c);
        return c;
    }

    std::vector<Message> messages(const std::string& conversationId, std::int64_t afterSeq,
                                  int limit) override {
        auto s = m_c.prepare(std::string("SELECT ") + kMessageColumns +
                             " FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?");
        s.bind(1, conversationId)
            .bind(2, afterSeq)
            .bind(3, limit > 0 ? std::int64_t(limit) : std::int64_t(-1));
        std::vector<Message> out;
        while (s.step())
            out.push_back(messageFrom(s));
        return out;
    }

    std::optional<Message> messageByClientId(const std::string& conversationId, protocol::SenderType sender,
                                             const std::string& senderAgentId,
                                             const std::string& clientMsgId) override {
        // The same expressions as the unique index messages_client_msg_id, so that it is used.
        auto s = m_c.prepare(std::string("SELECT ") + kMessageColumns +
                             " FROM messages WHERE conversation_id = ? AND sender_type = ? AND "
                             "IFNULL(sender_agent_id, '') = ? AND client_msg_id = ?");
        s.bind(1, conversationId).bind(2, protocol::toString(sender)).bind(3, senderAgentId);
        s.bind(4, clientMsgId);
        if (!s.step())
            return std::nullopt;
        return messageFrom(s);
    }

    std::int64_t lastSeq(const std::string& conversationId) override {
        auto s = m_c.prepare("SELECT last_seq FROM conversations WHERE id = ?");
        s.bind(1, conversationId);
        return s.step() ? s.int64(0) : 0;
    }

    std::vector<Conversation> queue() override {
        auto s = m_c.prepare(std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE " +
                             kQueueWhere + " ORDER BY requested_agent_at, queue_ticket");
        std::vector<Conversation> out;
        while (s.step()) {
            out.push_back(conversationFrom(s));
            out.back().queuePosition = static_cast<int>(out.size());
        }
        return out;
    }

    std::vector<Conversation> conversationsAssignedTo(const std::string& agentId) override {
        auto s = m_c.prepare(std::string("SELECT ") + kConversationColumns +
                             " FROM conversations WHERE status = 'agent' AND assigned_agent_id = ?"
                             " ORDER BY updated_at DESC, id");
        s.bind(1, agentId);
        std::vector<Conversation> out;
        while (s.step())
            out.push_back(conversationFrom(s));
        return out;
    }

    std::vector<FaqEntry> faq(bool activeOnly) override {
        auto s = m_c.prepare(activeOnly
                                 ? "SELECT slug, question, answer, display_order, is_active FROM faq_entries "
                                   "WHERE is_active = 1 ORDER BY display_order, slug"
                                 : "SELECT slug, question, answer, display_order, is_active FROM faq_entries "
                                   "ORDER BY display_order, slug");
        std::vector<FaqEntry> out;
        while (s.step())
            out.push_back(faqFrom(s));
        return out;
    }

    std::optional<FaqEntry> faqEntry(const std::string& slug) override {
        auto s = m_c.prepare(
            "SELECT slug, question, answer, display_order, is_active FROM faq_entries WHERE slug = ?");
        s.bind(1, slug);
        if (!s.step())
            return std::nullopt;
        return faqFrom(s);
    }

    std::optional<AgentRecord> agentById(const std::string& id) override {
        auto s = m_c.prepare(std::string(kAgentSelect) + "WHERE a.id = ?");
        s.bind(1, id);
        if (!s.step())
            return std::nullopt;
        return agentFrom(s);
    }

    std::optional<protocol::Role> agentSessionRole(const std::string& sessionId,
                                                   const std::string& agentId) override {
        auto s = m_c.prepare("SELECT a.role FROM agent_sessions s JOIN agents a ON a.id = s.agent_id "
                             "WHERE s.id = ? AND s.agent_id = ?");
        s.bind(1, sessionId).bind(2, agentId);
        if (!s.step())
            return std::nullopt;
        return protocol::parseRole(s.text(0)).value_or(protocol::Role::Agent);
    }

    std::optional<AgentRecord> agentByUsername(const std::string& username) override {
        auto s = m_c.prepare(std::string(kAgentSelect) + "WHERE a.username = ?");
        s.bind(1, username);
        if (!s.step())
            return std::nullopt;
        return agentFrom(s);
    }

    std::vector<AgentRecord> agents() override {
        auto s = m_c.prepare(std::string(kAgentSelect) + "ORDER BY a.username");
        std::vector<AgentRecord> out;
        while (s.step())
            out.push_back(agentFrom(s));
        return out;
    }

protected:
    void fillQueuePosition(Conversation& c) {
        if (!c.isQueued())
            return;
        auto s = m_c.prepare(
            std::string("SELECT COUNT(*) FROM conversations o, conversations me WHERE me.id = ? AND o.") +
            "status = 'agent' AND o.assigned_agent_id IS NULL AND (o.requested_agent_at < "
            "me.requested_agent_at OR (o.requested_agent_at = me.requested_agent_at AND "
            "o.queue_ticket < me.queue_ticket))");
        s.bind(1, c.id);
        c.queuePosition = s.step() ? static_cast<int>(s.int64(0)) + 1 : 1;
    }

    Connection& m_c;
};

class SqliteWriteTx final : public WriteTx, public SqliteReadTx {
public:
    explicit SqliteWriteTx(Connection& c)
        : SqliteReadTx(c) {}

    void insertConversation(const Conversation& c) override {
        auto s = m_c.prepare(
            "INSERT INTO conversations (id, customer_session_id, status, assigned_agent_id, "
            "requested_agent_at, closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, c.id)
            .bind(2, c.customerSessionId)
            .bind(3, protocol::toString(c.status))
            .bind(4, c.assignedAgentId);
        s.bind(5, c.requestedAgentAt).bind(6, c.closedAt).bind(7, c.createdAt).bind(8, c.updatedAt);
        s.run();
    }

    void updateConversation(const Conversation& c) override {
        // A conversation takes a queue ticket the first time it asks for an agent; it keeps it, so a
        // conversation that comes back to the queue keeps its place by age.
        auto s = m_c.prepare(
            "UPDATE conversations SET status = ?1, assigned_agent_id = ?2, requested_agent_at = ?3, "
            "closed_at = ?4, "
            "updated_at = ?5, queue_ticket = CASE WHEN ?3 IS NOT NULL AND queue_ticket IS NULL THEN "
            "(SELECT COALESCE(MAX(queue_ticket), 0) + 1 FROM conversations) ELSE queue_ticket END WHERE id = "
            "?6");
        s.bind(1, protocol::toString(c.status)).bind(2, c.assignedAgentId).bind(3, c.requestedAgentAt);
        s.bind(4, c.closedAt).bind(5, c.updatedAt).bind(6, c.id);
        s.run();
    }

    void appendMessage(Message& m) override {
        {
            auto s =
                m_c.prepare("UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? "
                            "RETURNING last_seq");
            s.bind(1, m.createdAt).bind(2, m.conversationId);
            if (!s.step())
                throw sqlite::SqliteError(SQLITE_NOTFOUND,
                                          "appendMessage: no conversation " + m.conversationId);
            m.seq = s.int64(0);
            s.run();
        }
        auto s = m_c.prepare(std::string("INSERT INTO messages (") + kMessageColumns +
                             ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, m.id).bind(2, m.conversationId).bind(3, m.seq).bind(4, protocol::toString(m.senderType));
        s.bind(5, m.senderAgentId).bind(6, protocol::toString(m.kind)).bind(7, m.content);
        s.bind(8, (m.metadata.is_null() ? nlohmann::json::object() : m.metadata).dump());
        s.bind(9, m.clientMsgId).bind(10, m.createdAt);
        s.run();
    }

    void insertFaq(const FaqEntry& e, const std::string& now) override {
        auto s = m_c.prepare(
            "INSERT INTO faq_entries (slug, question, answer, display_order, is_active, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, e.slug)
            .bind(2, e.question)
            .bind(3, e.answer)
            .bind(4, e.displayOrder)
            .bind(5, e.isActive ? 1 : 0);
        s.bind(6, now).bind(7, now);
        s.run();
    }

    void updateFaq(const std::string& slug, const FaqEntry& e, const std::string& now) override {
        auto s = m_c.prepare("UPDATE faq_entries SET slug = ?, question = ?, answer = ?, display_order = ?, "
                             "is_active = ?, updated_at = ? WHERE slug = ?");
        s.bind(1, e.slug)
            .bind(2, e.question)
            .bind(3, e.answer)
            .bind(4, e.displayOrder)
            .bind(5, e.isActive ? 1 : 0);
        s.bind(6, now).bind(7, slug);
        s.run();
    }

    bool deleteFaq(const std::string& slug) override {
        auto s = m_c.prepare("DELETE FROM faq_entries WHERE slug = ?");
        s.bind(1, slug);
        s.run();
        return m_c.changes() > 0;
    }

    void insertAgent(const AgentRecord& a) override {
        auto s = m_c.prepare("INSERT INTO agents (id, username, display_name, role, password_hash, presence, "
                             "max_active_chats, last_assignment_no, created_at, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, a.agent.id).bind(2, a.agent.username).bind(3, a.agent.displayName);
        s.bind(4, protocol::toString(a.agent.role))
            .bind(5, a.passwordHash)
            .bind(6, protocol::toString(a.agent.presence));
        s.bind(7, a.agent.maxActiveChats);
        a.lastAssignmentNo ? s.bind(8, *a.lastAssignmentNo) : s.bindNull(8);
        s.bind(9, a.createdAt).bind(10, a.updatedAt);
        s.run();
    }

    void updateAgent(const AgentRecord& a) override {
        auto s = m_c.prepare(
            "UPDATE agents SET username = ?, display_name = ?, role = ?, password_hash = ?, "
            "presence = ?, max_active_chats = ?, last_assignment_no = ?, updated_at = ? WHERE id = ?");
        s.bind(1, a.agent.username).bind(2, a.agent.displayName).bind(3, protocol::toString(a.agent.role));
        s.bind(4, a.passwordHash)
            .bind(5, protocol::toString(a.agent.presence))
            .bind(6, a.agent.maxActiveChats);
        a.lastAssignmentNo ? s.bind(7, *a.lastAssignmentNo) : s.bindNull(7);
        s.bind(8, a.updatedAt).bind(9, a.agent.id);
        s.run();
    }

    void insertAgentSession(const std::string& sessionId, const std::string& agentId,
                            const std::string& createdAt, std::int64_t expiresAt) override {
        auto s = m_c.prepare(
            "INSERT INTO agent_sessions (id, agent_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
        s.bind(1, sessionId).bind(2, agentId).bind(3, createdAt).bind(4, expiresAt);
        s.run();
    }

    int deleteAgentSessions(const std::string& agentId,
                            const std::optional<std::string>& keepSessionId) override {
        auto s = m_c.prepare("DELETE FROM agent_sessions WHERE agent_id = ?1 AND (?2 IS NULL OR id <> ?2)");
        s.bind(1, agentId).bind(2, keepSessionId);
        s.run();
        return static_cast<int>(m_c.changes());
    }

    void deleteExpiredAgentSessions(const std::string& agentId, std::int64_t now) override {
        auto s = m_c.prepare("DELETE FROM agent_sessions WHERE agent_id = ? AND expires_at <= ?");
        s.bind(1, agentId).bind(2, now);
        s.run();
    }

    void publishAfterCommit(Event e) override { m_events.push_back(std::move(e)); }

    std::vector<Event> takeEvents() { return std::exchange(m_events, {}); }

private:
    std::vector<Event> m_events;
};

} // namespace

SqliteStore::SqliteStore(const std::string& path, EventSink* sink)
    : SqliteStore(path, sink, Options{}) {}

SqliteStore::SqliteStore(const std::string& path, EventSink* sink, Options options)
    : m_path(path)
    , m_options(options)
    , m_sink(sink) {
    const Sync sync = options.sync;
    // FULL: a commit is on disk before the caller hears of it; group commit pays one fsync a batch.
    // NORMAL: the commit is in the WAL file (the OS page cache) and fsynced at the next checkpoint.
    const char* syncPragma = sync == Sync::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
    m_writer = std::make_unique<Connection>(path, false);
    m_writer->exec("PRAGMA journal_mode = WAL");
    m_writer->exec(syncPragma);
    m_writer->exec("PRAGMA foreign_keys = ON");
    migrate();
    m_checkpointer = std::make_unique<Connection>(path, false);
    m_checkpointer->exec(syncPragma); // the checkpoint's fsyncs follow this connection's setting
    // Only the RESTART pass waits for readers (PASSIVE never does); the writer is held meanwhile.
    sqlite3_busy_handler(m_checkpointer->handle(), &pollForReaders, nullptr);
    // Replaces SQLite's automatic checkpoint, which would run on the writer inside a commit.
    sqlite3_wal_hook(m_writer->handle(), &SqliteStore::onWalCommit, this);
    m_checkpointThread = std::thread([this] {
        threads::nameThisThread("db-checkpoint");
        checkpointLoop();
    });
}

// Due once the WAL has grown by kCheckpointPages since the last checkpoint began (or started over
// and passed kCheckpointPages again). Not "whenever it is larger than that": while readers keep
// the WAL from starting over, that fired a checkpoint and its two fsyncs after every commit
// (263 fdatasync calls a second at 1,000 messages/s).
int SqliteStore::onWalCommit(void* self, sqlite3*, const char*, int walPages) {
    auto* store = static_cast<SqliteStore*>(self);
    bool due = false;
    {
        std::lock_guard lock(store->m_checkpointMutex);
        store->m_commitsUnsynced = true;
        store->m_walPages = walPages;
        const int since = store->m_walPagesAtCheckpoint;
        due = walPages >= kCheckpointPages && (walPages < since || walPages - since >= kCheckpointPages);
        store->m_checkpointDue = store->m_checkpointDue || due;
    }
    if (due)
        store->m_checkpointCv.notify_one();
    return SQLITE_OK;
}

// PASSIVE: copies what it can without waiting for the writer or readers; the writer starts the
// WAL over at its next commit once everything is copied.
void SqliteStore::checkpointLoop() {
    std::unique_lock lock(m_checkpointMutex);
    for (;;) {
        m_checkpointCv.wait_for(lock, kCheckpointInterval,
                                [&] { return m_checkpointStopping || m_checkpointDue; });
        if (m_checkpointStopping)
            return;
        if (!m_checkpointDue && !m_commitsUnsynced)
            continue;
        m_checkpointDue = false;
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
void SqliteStore::checkpoint() {
    try {
        m_checkpointer->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const std::exception& e) {
        log::warn(std::string("WAL checkpoint failed (retried later): ") + e.what());
        return;
    }
    int walPages = 0;
    {
        std::lock_guard lock(m_checkpointMutex);
        walPages = m_walPages;
    }
    if (walPages < m_options.walRestartPages)
        return;
    // A PASSIVE checkpoint that does not reach the WAL's end copies pages into the database but
    // leaves its fsync to the one that does: the RESTART pass would flush the database pages of
    // every checkpoint since the last restart, and the WAL since this one, with the writer held.
    // Flushed here, beside the commits, that pass has a few milliseconds' worth left.
    syncFile(m_path);
    syncFile(m_path + "-wal");
    const auto held = std::chrono::steady_clock::now();
    pauseWriter();
    const int rc = sqlite3_wal_checkpoint_v2(m_checkpointer->handle(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                             nullptr, nullptr);
    resumeWriter();
    const std::chrono::duration<double, std::milli> heldMs = std::chrono::steady_clock::now() - held;
    if (rc == SQLITE_BUSY) { // a reader outlasted the wait; the next checkpoint tries again
        log::warn("WAL restart: a reader kept the WAL past the wait; writes were held " +
                  std::to_string(static_cast<int>(heldMs.count())) + " ms");
        return;
    }
    if (rc != SQLITE_OK) {
        log::warn(std::string("WAL restart checkpoint failed (retried later): ") +
                  sqlite3_errmsg(m_checkpointer->handle()));
        return;
    }
    ++m_walRestarts;
    // Only under sustained writes (otherwise the WAL starts over by itself): worth an operator's eye.
    char text[160];
    std::snprintf(text, sizeof text,
                  "WAL started over at %d pages under sustained writes; writes held %.1f ms", walPages,
                  heldMs.count());
    log::info(text);
}

void SqliteStore::syncFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fdatasync(fd) != 0)
        log::warn("cannot flush " + path + " before a WAL restart: " + std::strerror(errno));
    if (fd >= 0)
        ::close(fd);
}

// Takes the writer's turn as if committing a group: queued writes wait, none is refused. Asks
// first, so that a steady stream of writers cannot keep taking the turn before it.
void SqliteStore::pauseWriter() {
    std::unique_lock lock(m_queueMutex);
    m_pauseRequested = true;
    m_queueCv.wait(lock, [&] { return !m_committing; });
    m_pauseRequested = false;
    m_committing = true;
}

void SqliteStore::resumeWriter() {
    {
        std::lock_guard lock(m_queueMutex);
        m_committing = false;
    }
    m_queueCv.notify_all(); // the first waiting caller commits everything queued meanwhile
}

SqliteStore::~SqliteStore() {
    close();
}

void SqliteStore::setEventSink(EventSink* sink) {
    std::lock_guard lock(m_sinkMutex);
    m_sink = sink;
}

int SqliteStore::schemaVersion() const {
    auto s = m_writer->prepare("PRAGMA user_version");
    return s.step() ? static_cast<int>(s.int64(0)) : 0;
}

void SqliteStore::migrate() {
    int version = schemaVersion();
    if (version > kSchemaVersion)
        throw std::runtime_error("database schema version " + std::to_string(version) +
                                 " is newer than this parley-server understands (" +
                                 std::to_string(kSchemaVersion) + ")");
    for (; version < kSchemaVersion; ++version) {
        m_writer->exec("BEGIN IMMEDIATE");
        try {
            m_writer->exec(kMigrations[static_cast<std::size_t>(version)]);
            m_writer->exec("PRAGMA user_version = " + std::to_string(version + 1));
            m_writer->exec("COMMIT");
        } catch (...) {
            m_writer->exec("ROLLBACK");
            throw;
        }
        log::info("database migrated to schema version " + std::to_string(version + 1));
    }
}

void SqliteStore::close() {
    {
        std::unique_lock lock(m_queueMutex);
        if (m_stopping)
            return;
        m_stopping = true; // new writes fail; the queued ones still commit
        m_queueCv.wait(lock, [&] { return m_queue.empty() && !m_committing; });
    }
    {
        std::lock_guard lock(m_checkpointMutex);
        m_checkpointStopping = true;
    }
    m_checkpointCv.notify_all();
    if (m_checkpointThread.joinable())
        m_checkpointThread.join();
    m_checkpointer.reset();
    {
        std::lock_guard lock(m_readersMutex);
        m_readers.clear();
    }
    try {
        m_writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const std::exception& e) {
        log::warn(std::string("WAL checkpoint at close failed: ") + e.what());
    }
    m_writer.reset();
}

void SqliteStore::write(const std::function<void(WriteTx&)>& job) {
    constexpr std::size_t kMaxBatch = 128;
    Job j{&job, {}};
    std::unique_lock lock(m_queueMutex);
    if (m_stopping)
        throw std::runtime_error("the store is closed");
    m_queue.push_back(&j);
    while (!j.done) {
        if (m_committing || m_pauseRequested) {
            m_queueCv.wait(lock);
            continue;
        }
        m_committing = true;
        std::vector<Job*> batch;
        while (!m_queue.empty() && batch.size() < kMaxBatch) {
            batch.push_back(m_queue.front());
            m_queue.pop_front();
        }
        lock.unlock();
        try {
            runBatch(batch);
        } catch (const std::exception& e) { // runBatch catches the jobs' own errors; this is a bug
            log::error(std::string("write group failed: ") + e.what());
            for (auto* b : batch)
                if (!b->error)
                    b->error = std::current_exception();
        }
        lock.lock();
        for (auto* b : batch)
            b->done = true;
        m_committing = false;
        m_queueCv.notify_all(); // the group's callers return; the next caller in line commits
    }
    lock.unlock();
    if (j.error)
        std::rethrow_exception(j.error);
}

void SqliteStore::runBatch(std::vector<Job*>& batch) {
    std::vector<std::exception_ptr> errors(batch.size());
    std::vector<Event> events;
    try {
        m_writer->exec("BEGIN IMMEDIATE");
    } catch (...) {
        for (auto* j : batch)
            j->error = std::current_exception();
        return;
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        SqliteWriteTx tx(*m_writer);
        try {
            m_writer->exec("SAVEPOINT job");
            (*batch[i]->fn)(tx);
            m_writer->exec("RELEASE job");
            auto jobEvents = tx.takeEvents();
            std::move(jobEvents.begin(), jobEvents.end(), std::back_inserter(events));
        } catch (...) {
            errors[i] = std::current_exception();
            try {
                m_writer->exec("ROLLBACK TO job");
                m_writer->exec("RELEASE job");
            } catch (const std::exception& e) {
                log::error(std::string("rollback to savepoint failed: ") + e.what());
            }
        }
    }
    try {
        m_writer->exec("COMMIT");
    } catch (...) {
        const auto commitError = std::current_exception();
        try {
            m_writer->exec("ROLLBACK");
        } catch (...) {
        }
        for (auto* j : batch)
            j->error = commitError;
        return;
    }
    if (!events.empty()) {
        std::lock_guard lock(m_sinkMutex);
        if (m_sink)
            m_sink->publish(std::move(events));
    }
    for (std::size_t i = 0; i < batch.size(); ++i)
        batch[i]->error = errors[i];
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
    auto c = std::make_unique<Connection>(m_path, true);
    return c;
}

void SqliteStore::releaseReader(std::unique_ptr<Connection> c) {
    std::lock_guard lock(m_readersMutex);
    if (m_readers.size() < m_options.readers)
        m_readers.push_back(std::move(c));
}

void SqliteStore::read(const std::function<void(ReadTx&)>& job) {
    auto conn = acquireReader();
    conn->exec("BEGIN");
    try {
        SqliteReadTx tx(*conn);
        job(tx);
        conn->exec("COMMIT");
    } catch (...) {
        try {
            conn->exec("ROLLBACK");
        } catch (...) {
        }
        releaseReader(std::move(conn));
        throw;
    }
    releaseReader(std::move(conn));
}

} // namespace parley::server
