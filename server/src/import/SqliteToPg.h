#pragma once
// `parley-server import` (issue 20, several nodes): a single node's SQLite data dir copied into an
// empty PostgreSQL database, so the nodes of a cluster continue where the single node left off.
//
// - The SQLite file is opened read-only and read in ONE read transaction (one snapshot), so a data
//   dir in use by a running server still imports consistently (what it writes later is not seen).
//   Its schema version must be this build's: an older one is refused (a single-node start
//   migrates it first), a newer one too.
// - The PostgreSQL schema is created or migrated (store/pg/PgSchema), then every table is copied
//   in ONE PostgreSQL transaction that holds the writers' advisory lock: a failure leaves nothing
//   written, and no node writes in the meantime.
// - "Empty" means: no row in any table the import writes (agents, conversations, messages, FAQ,
//   settings, sessions, notes, canned replies, erased sessions, audit log, reply mail) and no
//   stored secret. A node that has once started on a database has created an admin, the FAQ and
//   the token secret in it, so that database is refused. A refused database is not written to at
//   all (not even migrated).
// - Ids, seq, last_seq, timestamps and password hashes are copied as they are; serial columns'
//   sequences are set past the largest copied id; rows keep their insertion order (row_no).
// - The token secret (server.secret) becomes the database's shared "token_secret" (base64url),
//   so customer and agent tokens the single node issued stay valid on every node.
// - SQLite's own search index (FTS5 and its progress mark) is not copied: PostgreSQL's GIN index
//   over messages is built as the messages are inserted.

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::server::import {

// The target database holds Parley data already; nothing was written.
class DatabaseNotEmpty : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TableCount {
    std::string table;
    std::int64_t rows = 0;
};

struct ImportSummary {
    std::vector<TableCount> tables; // in copy order
    bool tokenSecretCopied = false;
    bool sourceInUse = false; // a parley-server held the data dir's lock while it was read
};

// Copies dataDir's parley.db and server.secret into the database at url. progress gets one line
// of text now and then (for stdout). Throws DatabaseNotEmpty, or std::exception with a message
// for people on any other failure (nothing written then either).
ImportSummary importSqliteToPg(const std::string& dataDir, const std::string& url,
                               const std::function<void(const std::string&)>& progress);

} // namespace parley::server::import
