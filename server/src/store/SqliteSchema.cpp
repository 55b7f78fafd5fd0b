#include "store/SqliteSchema.h"

#include "store/SqliteDb.h"
#include "util/Log.h"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace parley::server::sqlite {

namespace {

// Forward-only migrations; entry i takes the schema from version i to i + 1.
const std::array<const char*, kSchemaVersion> kMigrations = {R"sql(
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
                                                             R"sql(
-- v1.1: FAQ keywords, and admin settings as one JSON document per key.
ALTER TABLE faq_entries ADD COLUMN keywords TEXT NOT NULL DEFAULT '';
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
)sql",
                                                             R"sql(
-- client_msg_id is an idempotency key per sender (issue 16): an agent's id must not collide with
-- the customer's. The old key (conversation, client_msg_id) was stricter, so every stored row
-- already satisfies the new one and the index builds on any existing database.
DROP INDEX messages_client_msg_id;
CREATE UNIQUE INDEX messages_client_msg_id ON messages
  (conversation_id, sender_type, IFNULL(sender_agent_id, ''), client_msg_id)
  WHERE client_msg_id IS NOT NULL;
)sql",
                                                             R"sql(
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
)sql",
                                                             R"sql(
-- Agents at work (issue 19): disabled agents, internal notes (never messages: no seq, never sent
-- to a customer) and the team's canned replies.
ALTER TABLE agents ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE notes (
  id                 TEXT PRIMARY KEY,
  conversation_id    TEXT NOT NULL REFERENCES conversations (id),
  agent_id           TEXT NOT NULL REFERENCES agents (id),
  agent_display_name TEXT NOT NULL,
  content            TEXT NOT NULL,
  created_at         TEXT NOT NULL
);
CREATE INDEX notes_by_conversation ON notes (conversation_id, created_at);
CREATE TABLE canned_replies (
  id         TEXT PRIMARY KEY,
  shortcut   TEXT NOT NULL UNIQUE,
  title      TEXT NOT NULL,
  content    TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
)sql",
                                                             R"sql(
-- Agents at work B: where the shopper is (page context), how far each side has read, past chats
-- by shopper, and full-text search over what people and the bot wrote.
ALTER TABLE conversations ADD COLUMN context TEXT NOT NULL DEFAULT '{}';
ALTER TABLE conversations ADD COLUMN customer_last_read_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN agent_last_read_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_by_session ON conversations (customer_session_id, created_at);
-- An external-content index over messages.content: the text is stored once (in messages), the
-- index holds the terms. Case and accents are folded (unicode61, remove_diacritics 2) and English
-- word endings stemmed (porter). Only text messages of customers, agents and the bot are indexed;
-- the triggers keep the index in step with every insert, update (erasure) and delete of any writer,
-- inside that writer's transaction, and use the same condition so that only indexed rows are
-- removed from it.
CREATE VIRTUAL TABLE message_search USING fts5(
  content, content = 'messages', content_rowid = 'rowid',
  tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
  WHEN new.kind = 'text' AND new.sender_type IN ('customer', 'agent', 'bot')
BEGIN
  INSERT INTO message_search (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
  WHEN old.kind = 'text' AND old.sender_type IN ('customer', 'agent', 'bot')
BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER message_search_update_old AFTER UPDATE OF content, kind, sender_type ON messages
  WHEN old.kind = 'text' AND old.sender_type IN ('customer', 'agent', 'bot')
BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER message_search_update_new AFTER UPDATE OF content, kind, sender_type ON messages
  WHEN new.kind = 'text' AND new.sender_type IN ('customer', 'agent', 'bot')
BEGIN
  INSERT INTO message_search (rowid, content) VALUES (new.rowid, new.content);
END;
-- Backfill: every message stored before this step.
INSERT INTO message_search (rowid, content)
  SELECT rowid, content FROM messages
  WHERE kind = 'text' AND sender_type IN ('customer', 'agent', 'bot');
)sql",
                                                             R"sql(
-- step 7: shoppers after hours and after the chat (issue 21): the reply address a shopper left
-- and its rating of the closed chat, on the conversation they belong to.
ALTER TABLE conversations ADD COLUMN contact_email TEXT;
ALTER TABLE conversations ADD COLUMN contact_name TEXT;
ALTER TABLE conversations ADD COLUMN rating_score INTEGER CHECK (rating_score BETWEEN 1 AND 5);
ALTER TABLE conversations ADD COLUMN rating_comment TEXT;
ALTER TABLE conversations ADD COLUMN rated_at TEXT;
)sql",
                                                             R"sql(
-- Reports and data rights (issue 22). Reports read conversations by the day of their creation,
-- handoff and close; a shopper's data is found by its session; an erased session's tokens are
-- refused (the set is loaded at start and kept in memory); admins' sensitive acts are logged.
CREATE INDEX conversations_created ON conversations (created_at, requested_agent_at);
CREATE INDEX conversations_requested ON conversations (requested_agent_at, id);
CREATE INDEX conversations_closed ON conversations (closed_at, requested_agent_at, assigned_agent_id);
-- A handoff's first response in one seek; only agents' messages pay for it.
CREATE INDEX messages_first_agent ON messages (conversation_id, seq, created_at, sender_agent_id)
  WHERE sender_type = 'agent';
CREATE TABLE erased_customer_sessions (
  session_id TEXT PRIMARY KEY,
  erased_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE admin_audit_log (
  id             INTEGER PRIMARY KEY,
  at             TEXT NOT NULL,
  actor_agent_id TEXT NOT NULL,
  action         TEXT NOT NULL,
  subject        TEXT NOT NULL
);
)sql",
                                                             R"sql(
-- step 9: the search index leaves the commit path. Indexing a message inside the transaction
-- that stores it made every commit flush and merge an FTS5 segment: more than half of a write's
-- cost. New messages are now indexed in batches after commit (SqliteSearchIndexer, and a search
-- first catches up), so a batch of a thousand messages costs about what one commit did. The mark
-- is the largest messages.rowid already indexed; rows at or below it are kept in step by the
-- triggers (an erasure rewrites their content), rows above it wait for the next batch, which
-- indexes whatever content they then have.
CREATE TABLE search_progress (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_rowid INTEGER NOT NULL
);
INSERT INTO search_progress (id, indexed_rowid) SELECT 1, coalesce(max(rowid), 0) FROM messages;
DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_delete;
DROP TRIGGER message_search_update_old;
DROP TRIGGER message_search_update_new;
-- Rows only get a rowid at or below the mark on insert if SQLite reuses a deleted largest rowid.
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
  WHEN new.kind = 'text' AND new.sender_type IN ('customer', 'agent', 'bot')
   AND new.rowid <= (SELECT indexed_rowid FROM search_progress)
BEGIN
  INSERT INTO message_search (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
  WHEN old.kind = 'text' AND old.sender_type IN ('customer', 'agent', 'bot')
   AND old.rowid <= (SELECT indexed_rowid FROM search_progress)
BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER message_search_update_old AFTER UPDATE OF content, kind, sender_type ON messages
  WHEN old.kind = 'text' AND old.sender_type IN ('customer', 'agent', 'bot')
   AND old.rowid <= (SELECT indexed_rowid FROM search_progress)
BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER message_search_update_new AFTER UPDATE OF content, kind, sender_type ON messages
  WHEN new.kind = 'text' AND new.sender_type IN ('customer', 'agent', 'bot')
   AND new.rowid <= (SELECT indexed_rowid FROM search_progress)
BEGIN
  INSERT INTO message_search (rowid, content) VALUES (new.rowid, new.content);
END;
)sql",
                                                             R"sql(
-- step 10: reply mail (issue 21, mail21). Per conversation with a reply address, whether an agent
-- reply may owe the shopper a mail and what mails covered so far; and the durable outbox the
-- sender thread works through (a row leaves it once the SMTP server has taken the mail).
CREATE TABLE reply_mail_watch (
  conversation_id TEXT PRIMARY KEY REFERENCES conversations (id),
  pending_since   TEXT,
  mailed_seq      INTEGER NOT NULL DEFAULT 0,
  last_mail_at    TEXT
) WITHOUT ROWID;
CREATE INDEX reply_mail_watch_due ON reply_mail_watch (pending_since) WHERE pending_since IS NOT NULL;
CREATE TABLE mail_outbox (
  id              INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations (id),
  recipient       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  last_seq        INTEGER NOT NULL,
  created_at      TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error      TEXT,
  failed_at       TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX mail_outbox_by_conversation ON mail_outbox (conversation_id);
)sql",
                                                             R"sql(
-- step 11: reserved for the PostgreSQL event outbox
SELECT 1;
)sql",
                                                             R"sql(
-- step 12: the search triggers without an IN list. SQLite codes `x IN ('a', 'b', 'c')` as an
-- ephemeral table, opened and freed each time the WHEN clause runs: on every message insert.
-- The mark is tested first (new rows are above it), and the sender types are spelt out. The
-- messages table's CHECKs follow in C++ (spellOutMessageChecks).
DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_delete;
DROP TRIGGER message_search_update_old;
DROP TRIGGER message_search_update_new;
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
  WHEN new.rowid <= (SELECT indexed_rowid FROM search_progress) AND new.kind = 'text'
   AND (new.sender_type = 'customer' OR new.sender_type = 'agent' OR new.sender_type = 'bot')
BEGIN
  INSERT INTO message_search (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
  WHEN old.rowid <= (SELECT indexed_rowid FROM search_progress) AND old.kind = 'text'
   AND (old.sender_type = 'customer' OR old.sender_type = 'agent' OR old.sender_type = 'bot')
BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER message_search_update_old AFTER UPDATE OF content, kind, sender_type ON messages
  WHEN old.rowid <= (SELECT indexed_rowid FROM search_progress) AND old.kind = 'text'
   AND (old.sender_type = 'customer' OR old.sender_type = 'agent' OR old.sender_type = 'bot')
BEGIN
  INSERT INTO message_search (message_search, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER message_search_update_new AFTER UPDATE OF content, kind, sender_type ON messages
  WHEN new.rowid <= (SELECT indexed_rowid FROM search_progress) AND new.kind = 'text'
   AND (new.sender_type = 'customer' OR new.sender_type = 'agent' OR new.sender_type = 'bot')
BEGIN
  INSERT INTO message_search (rowid, content) VALUES (new.rowid, new.content);
END;
)sql",
                                                             R"sql(
-- step 13: a handoff's first agent reply (the reports' first response) is kept on its conversation,
-- set by the reply's own transaction, instead of sought in an index of every agent message: that
-- index cost each agent message an insert of a long key into a page of its own, in the writer's
-- turn. Filled here from that index, which then goes.
ALTER TABLE conversations ADD COLUMN first_agent_reply_at TEXT;
ALTER TABLE conversations ADD COLUMN first_agent_reply_by TEXT;
UPDATE conversations SET (first_agent_reply_at, first_agent_reply_by) = (
  SELECT m.created_at, m.sender_agent_id FROM messages m INDEXED BY messages_first_agent
  WHERE m.conversation_id = conversations.id AND m.sender_type = 'agent' ORDER BY m.seq LIMIT 1)
WHERE requested_agent_at IS NOT NULL;
DROP INDEX messages_first_agent;
)sql"};

constexpr const char* kSenderTypeInList = "CHECK (sender_type IN ('customer', 'bot', 'agent', 'system'))";
constexpr const char* kKindInList = "CHECK (kind IN ('text', 'quick_reply', 'event'))";

// The second half of step 12: the messages table's CHECKs without IN lists, for the reason the
// triggers lost theirs (an ephemeral table per insert). Every row satisfies the new CHECKs, as they
// say the same thing, so this is SQLite's documented procedure for changing a CHECK in place
// (lang_altertable.html, "Making Other Kinds Of Table Schema Changes"): rewrite the table's SQL
// in sqlite_schema and bump schema_version, inside the step's transaction.
void spellOutMessageChecks(Connection& c) {
    std::int64_t schemaCookie = 0;
    {
        auto s = c.prepare("PRAGMA schema_version");
        if (!s.step())
            throw std::runtime_error("schema step 12: no schema_version");
        schemaCookie = s.int64(0);
    }
    c.exec("PRAGMA writable_schema = ON");
    {
        auto s = c.prepare("UPDATE sqlite_schema SET sql = replace(replace(sql, ?1, ?2), ?3, ?4) "
                           "WHERE type = 'table' AND name = 'messages' AND instr(sql, ?1) > 0 "
                           "AND instr(sql, ?3) > 0");
        s.bind(1, kSenderTypeInList)
            .bind(2, "CHECK (sender_type = 'customer' OR sender_type = 'bot' OR sender_type = 'agent' OR "
                     "sender_type = 'system')");
        s.bind(3, kKindInList).bind(4, "CHECK (kind = 'text' OR kind = 'quick_reply' OR kind = 'event')");
        s.run();
    }
    const bool rewritten = c.changes() == 1;
    c.exec("PRAGMA schema_version = " + std::to_string(schemaCookie + 1));
    c.exec("PRAGMA writable_schema = OFF");
    if (!rewritten) // a table not made by step 1: correct as it is, only slower to insert into
        log::warn(
            "schema step 12: the messages table's CHECKs are not as step 1 made them; left as they are");
    // Compiling a statement on the table re-reads the schema: a rewrite SQLite cannot parse
    // throws here and the step rolls back. (No integrity_check: it reads the whole database.)
    c.exec("SELECT 1 FROM messages LIMIT 0");
}

} // namespace

int schemaVersion(Connection& c) {
    auto s = c.prepare("PRAGMA user_version");
    return s.step() ? static_cast<int>(s.int64(0)) : 0;
}

void migrate(Connection& c) {
    int version = schemaVersion(c);
    if (version > kSchemaVersion)
        throw std::runtime_error("database schema version " + std::to_string(version) +
                                 " is newer than this parley-server understands (" +
                                 std::to_string(kSchemaVersion) + ")");
    for (; version < kSchemaVersion; ++version) {
        c.exec("BEGIN IMMEDIATE");
        try {
            c.exec(kMigrations[static_cast<std::size_t>(version)]);
            if (version + 1 == 12)
                spellOutMessageChecks(c);
            c.exec("PRAGMA user_version = " + std::to_string(version + 1));
            c.exec("COMMIT");
        } catch (...) {
            c.exec("ROLLBACK");
            throw;
        }
        log::info("database migrated to schema version " + std::to_string(version + 1));
    }
}

} // namespace parley::server::sqlite
