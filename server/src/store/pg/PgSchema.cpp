#include "store/pg/PgSchema.h"

#include "store/pg/PgConnection.h"
#include "util/Log.h"

#include <array>
#include <stdexcept>
#include <string>

namespace parley::server::pg {

namespace {

// Forward-only migrations; entry i takes the schema from version i to i + 1, the same steps as
// the SQLite store's. Text is compared byte by byte (COLLATE "C") as SQLite does, so every
// ORDER BY gives the same order on either store; timestamps are the same RFC 3339 UTC text.
const std::array<const char*, kSchemaVersion> kMigrations = {R"sql(
CREATE TABLE agents (
  id               TEXT COLLATE "C" PRIMARY KEY,
  username         TEXT COLLATE "C" NOT NULL,
  display_name     TEXT COLLATE "C" NOT NULL,
  role             TEXT COLLATE "C" NOT NULL CHECK (role IN ('agent', 'admin')),
  password_hash    TEXT COLLATE "C" NOT NULL,
  presence         TEXT COLLATE "C" NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'offline')),
  max_active_chats INTEGER NOT NULL CHECK (max_active_chats BETWEEN 0 AND 100),
  last_assignment_no BIGINT,
  created_at       TEXT COLLATE "C" NOT NULL,
  updated_at       TEXT COLLATE "C" NOT NULL
);
-- SQLite's COLLATE NOCASE: user names are unique and looked up without ASCII case.
CREATE UNIQUE INDEX agents_username ON agents (lower(username));
CREATE TABLE conversations (
  row_no              BIGINT GENERATED ALWAYS AS IDENTITY, -- SQLite's rowid: insertion order
  id                  TEXT COLLATE "C" PRIMARY KEY,
  customer_session_id TEXT COLLATE "C" NOT NULL,
  status              TEXT COLLATE "C" NOT NULL CHECK (status IN ('automated', 'agent', 'closed')),
  assigned_agent_id   TEXT COLLATE "C" REFERENCES agents (id),
  requested_agent_at  TEXT COLLATE "C",
  queue_ticket        BIGINT,
  closed_at           TEXT COLLATE "C",
  created_at          TEXT COLLATE "C" NOT NULL,
  updated_at          TEXT COLLATE "C" NOT NULL,
  last_seq            BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX conversations_open_per_session ON conversations (customer_session_id)
  WHERE status <> 'closed';
CREATE INDEX conversations_queue ON conversations (requested_agent_at, queue_ticket)
  WHERE status = 'agent' AND assigned_agent_id IS NULL;
CREATE INDEX conversations_by_agent ON conversations (assigned_agent_id) WHERE status = 'agent';
CREATE INDEX conversations_ticket ON conversations (queue_ticket);
CREATE TABLE messages (
  id              TEXT COLLATE "C" PRIMARY KEY,
  conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
  seq             BIGINT NOT NULL,
  sender_type     TEXT COLLATE "C" NOT NULL CHECK (sender_type IN ('customer', 'bot', 'agent', 'system')),
  sender_agent_id TEXT COLLATE "C",
  kind            TEXT COLLATE "C" NOT NULL CHECK (kind IN ('text', 'quick_reply', 'event')),
  content         TEXT COLLATE "C" NOT NULL,
  metadata        TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  client_msg_id   TEXT COLLATE "C",
  created_at      TEXT COLLATE "C" NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client_msg_id ON messages (conversation_id, client_msg_id)
  WHERE client_msg_id IS NOT NULL;
CREATE TABLE faq_entries (
  slug          TEXT COLLATE "C" PRIMARY KEY,
  question      TEXT COLLATE "C" NOT NULL,
  answer        TEXT COLLATE "C" NOT NULL,
  display_order INTEGER NOT NULL,
  is_active     INTEGER NOT NULL,
  created_at    TEXT COLLATE "C" NOT NULL,
  updated_at    TEXT COLLATE "C" NOT NULL
);
)sql",
                                                             R"sql(
ALTER TABLE faq_entries ADD COLUMN keywords TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE TABLE settings (
  key        TEXT COLLATE "C" PRIMARY KEY,
  value      TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL
);
)sql",
                                                             R"sql(
DROP INDEX messages_client_msg_id;
CREATE UNIQUE INDEX messages_client_msg_id ON messages
  (conversation_id, sender_type, COALESCE(sender_agent_id, ''), client_msg_id)
  WHERE client_msg_id IS NOT NULL;
)sql",
                                                             R"sql(
CREATE TABLE agent_sessions (
  id         TEXT COLLATE "C" PRIMARY KEY,
  agent_id   TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
  created_at TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX agent_sessions_by_agent ON agent_sessions (agent_id, expires_at);
)sql",
                                                             R"sql(
ALTER TABLE agents ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
CREATE TABLE notes (
  row_no             BIGINT GENERATED ALWAYS AS IDENTITY,
  id                 TEXT COLLATE "C" PRIMARY KEY,
  conversation_id    TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
  agent_id           TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
  agent_display_name TEXT COLLATE "C" NOT NULL,
  content            TEXT COLLATE "C" NOT NULL,
  created_at         TEXT COLLATE "C" NOT NULL
);
CREATE INDEX notes_by_conversation ON notes (conversation_id, created_at);
CREATE TABLE canned_replies (
  id         TEXT COLLATE "C" PRIMARY KEY,
  shortcut   TEXT COLLATE "C" NOT NULL UNIQUE,
  title      TEXT COLLATE "C" NOT NULL,
  content    TEXT COLLATE "C" NOT NULL,
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL
);
)sql",
                                                             R"sql(
ALTER TABLE conversations ADD COLUMN context TEXT COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE conversations ADD COLUMN customer_last_read_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN agent_last_read_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX conversations_by_session ON conversations (customer_session_id, created_at);
-- Full-text search over what people and the bot wrote, as SQLite's FTS5 (porter, unicode61,
-- remove_diacritics): accents folded by the unaccent dictionary (contrib's unaccent extension,
-- trusted, so the database owner may create it), case folded and English word endings stemmed by
-- a Snowball dictionary without stop words (FTS5 drops none either). The index is an expression
-- GIN index over exactly the rows searched; the query repeats the expression and the condition.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH DICTIONARY parley_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION parley_search (COPY = english);
ALTER TEXT SEARCH CONFIGURATION parley_search
  ALTER MAPPING FOR asciiword, word, hword, hword_part, asciihword, hword_asciipart, numword,
                    hword_numpart, numhword
  WITH unaccent, parley_stem;
CREATE INDEX message_search ON messages USING GIN (to_tsvector('parley_search'::regconfig, content))
  WHERE kind = 'text' AND sender_type IN ('customer', 'agent', 'bot');
)sql",
                                                             R"sql(
ALTER TABLE conversations ADD COLUMN contact_email TEXT COLLATE "C";
ALTER TABLE conversations ADD COLUMN contact_name TEXT COLLATE "C";
ALTER TABLE conversations ADD COLUMN rating_score INTEGER CHECK (rating_score BETWEEN 1 AND 5);
ALTER TABLE conversations ADD COLUMN rating_comment TEXT COLLATE "C";
ALTER TABLE conversations ADD COLUMN rated_at TEXT COLLATE "C";
)sql",
                                                             R"sql(
CREATE INDEX conversations_created ON conversations (created_at, requested_agent_at);
CREATE INDEX conversations_requested ON conversations (requested_agent_at, id);
CREATE INDEX conversations_closed ON conversations (closed_at, requested_agent_at, assigned_agent_id);
CREATE INDEX messages_first_agent ON messages (conversation_id, seq, created_at, sender_agent_id)
  WHERE sender_type = 'agent';
CREATE TABLE erased_customer_sessions (
  session_id TEXT COLLATE "C" PRIMARY KEY,
  erased_at  TEXT COLLATE "C" NOT NULL
);
CREATE TABLE admin_audit_log (
  id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at             TEXT COLLATE "C" NOT NULL,
  actor_agent_id TEXT COLLATE "C" NOT NULL,
  action         TEXT COLLATE "C" NOT NULL,
  subject        TEXT COLLATE "C" NOT NULL
);
-- Several nodes (issue 20): the secrets every node shares (the token-signing secret), which a
-- single node keeps in its data dir.
CREATE TABLE server_secrets (
  name  TEXT COLLATE "C" PRIMARY KEY,
  value TEXT COLLATE "C" NOT NULL
);
)sql",
                                                             R"sql(
-- step 9: SQLite's search index left the commit path (batches after commit). PostgreSQL's GIN
-- index already defers most of its work (fastupdate: new entries go to a pending list merged in
-- bulk), so nothing changes here.
SELECT 1;
)sql",
                                                             R"sql(
-- step 10: reply mail (issue 21), as SQLite's step 10: what mails owe each shopper with a reply
-- address, and the durable outbox the sender thread works through.
CREATE TABLE reply_mail_watch (
  conversation_id TEXT COLLATE "C" PRIMARY KEY REFERENCES conversations (id),
  pending_since   TEXT COLLATE "C",
  mailed_seq      BIGINT NOT NULL DEFAULT 0,
  last_mail_at    TEXT COLLATE "C"
);
CREATE INDEX reply_mail_watch_due ON reply_mail_watch (pending_since) WHERE pending_since IS NOT NULL;
CREATE TABLE mail_outbox (
  id              BIGSERIAL PRIMARY KEY,
  conversation_id TEXT COLLATE "C" NOT NULL REFERENCES conversations (id),
  recipient       TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  last_seq        BIGINT NOT NULL,
  created_at      TEXT COLLATE "C" NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT COLLATE "C",
  last_error      TEXT,
  failed_at       TEXT COLLATE "C"
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX mail_outbox_by_conversation ON mail_outbox (conversation_id);
)sql",
                                                             R"sql(
-- step 11: the event outbox (issue 20, several nodes). Each write group inserts its committed
-- events here in the same transaction and NOTIFYs parley_events; every node's feed reads the rows
-- past the last id it saw, in id order (ids are in commit order: groups hold the writer lock until
-- COMMIT). Rows older than a few minutes are pruned.
CREATE TABLE event_outbox (
  id         BIGSERIAL PRIMARY KEY,
  node_id    TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  payload    TEXT NOT NULL
);
CREATE INDEX event_outbox_created_at ON event_outbox (created_at);
)sql",
                                                             R"sql(
-- step 12: SQLite's search triggers lose their IN lists; nothing changes here
SELECT 1;
)sql",
                                                             R"sql(
-- step 13: as SQLite's step 13, a handoff's first agent reply is kept on its conversation, set by
-- the reply's own transaction, instead of sought in an index of every agent message.
ALTER TABLE conversations ADD COLUMN first_agent_reply_at TEXT COLLATE "C";
ALTER TABLE conversations ADD COLUMN first_agent_reply_by TEXT COLLATE "C";
UPDATE conversations c SET (first_agent_reply_at, first_agent_reply_by) = (
  SELECT m.created_at, m.sender_agent_id FROM messages m
  WHERE m.conversation_id = c.id AND m.sender_type = 'agent' ORDER BY m.seq LIMIT 1)
WHERE c.requested_agent_at IS NOT NULL;
DROP INDEX messages_first_agent;
)sql"};

} // namespace

int schemaVersion(Connection& c) {
    auto r = c.query("SELECT to_regclass('parley_schema') IS NOT NULL");
    if (r.text(0, 0) != "t")
        return 0;
    auto v = c.query("SELECT version FROM parley_schema");
    return v.rows() > 0 ? static_cast<int>(v.int64(0, 0)) : 0;
}

void migrate(Connection& c) {
    const std::string key = std::to_string(kWriterLockKey);
    // A session lock, held across the steps: a second node starting now waits, then finds the
    // schema current. Writers take the same key, so none writes into a half-migrated schema.
    c.exec("SELECT pg_advisory_lock(" + key + ")");
    try {
        c.exec("CREATE TABLE IF NOT EXISTS parley_schema (version INTEGER NOT NULL)");
        int version = schemaVersion(c);
        if (version > kSchemaVersion)
            throw std::runtime_error("database schema version " + std::to_string(version) +
                                     " is newer than this parley-server understands (" +
                                     std::to_string(kSchemaVersion) + ")");
        for (; version < kSchemaVersion; ++version) {
            c.exec("BEGIN");
            try {
                c.exec(kMigrations[static_cast<std::size_t>(version)]);
                c.exec("DELETE FROM parley_schema");
                c.exec("INSERT INTO parley_schema (version) VALUES (" + std::to_string(version + 1) + ")");
                c.exec("COMMIT");
            } catch (...) {
                try {
                    c.exec("ROLLBACK");
                } catch (...) { // the step's error is the one to report
                }
                throw;
            }
            log::info("database migrated to schema version " + std::to_string(version + 1));
        }
    } catch (...) {
        try {
            c.exec("SELECT pg_advisory_unlock(" + key + ")");
        } catch (...) { // the migration's error is the one to report
        }
        throw;
    }
    c.exec("SELECT pg_advisory_unlock(" + key + ")");
}

} // namespace parley::server::pg
