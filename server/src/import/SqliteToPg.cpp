#include "import/SqliteToPg.h"

#include "store/SqliteDb.h"
#include "store/SqliteSchema.h"
#include "store/pg/PgConnection.h"
#include "store/pg/PgSchema.h"
#include "util/Text.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <optional>
#include <sys/file.h>
#include <unistd.h>

namespace parley::server::import {

namespace {

struct TableSpec {
    const char* name;
    const char* order; // SQLite's insertion order (rowid) where the table has one, else its key
};

// Every table of the schema (version 10) with rows to copy, parents before children. Columns are
// copied by name (SQLite's, each must exist in PostgreSQL), so a later step's new column needs
// nothing here; a later step's new table is refused at import until it is listed here or in
// sqliteOnly() (checkSourceSchema), so it is never left behind without a word.
constexpr TableSpec kTables[] = {
    {"agents", "rowid"},
    {"conversations", "rowid"},
    {"messages", "rowid"},
    {"faq_entries", "rowid"},
    {"settings", "rowid"},
    {"agent_sessions", "rowid"},
    {"notes", "rowid"},
    {"canned_replies", "rowid"},
    {"erased_customer_sessions", "session_id"},
    {"admin_audit_log", "id"},
    {"reply_mail_watch", "conversation_id"},
    {"mail_outbox", "id"},
};

// The PostgreSQL-only table of the secrets the nodes share (DataDir's server.secret on one node).
constexpr const char* kSecretsTable = "server_secrets";
constexpr const char* kTokenSecretName = "token_secret"; // as Server.cpp reads it

// SQLite tables without a PostgreSQL counterpart: the FTS5 index (and its shadow tables) and its
// batch indexer's mark. PostgreSQL's GIN index over messages is built as they are inserted.
bool sqliteOnly(const std::string& table) {
    return table == "search_progress" || table == "message_search" ||
           table.rfind("message_search_", 0) == 0 || table.rfind("sqlite_", 0) == 0;
}

constexpr std::size_t kBatchRows = 500;         // rows per INSERT: few round trips, few parameters
constexpr std::int64_t kProgressEvery = 100000; // a progress line this often in a large table

std::string quoted(const std::string& name) {
    return "\"" + name + "\"";
}

// The data dir as a file system sees it; clear messages for the usual mistakes.
std::string databaseFile(const std::string& dataDir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(dataDir, ec))
        throw std::runtime_error("data dir " + dataDir + " does not exist");
    if (!fs::is_directory(dataDir, ec))
        throw std::runtime_error("data dir " + dataDir + " is not a directory");
    const auto file = dataDir + "/parley.db";
    if (!fs::is_regular_file(file, ec))
        throw std::runtime_error("data dir " + dataDir + " has no parley.db: not a Parley data dir");
    return file;
}

// Whether a parley-server holds the data dir's lock now (DataDir: flock on parley.lock). Only
// looked at, never held: the import reads a snapshot and works with a running server.
bool heldByServer(const std::string& dataDir) {
    const auto file = dataDir + "/parley.lock";
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd); // releases the shared lock if it was taken
    return held;
}

// server.secret as DataDir reads it: the first 64 bytes, at least 32. nullopt: there is none (a
// data dir whose server never started has issued no token).
std::optional<std::string> readTokenSecret(const std::string& dataDir) {
    const auto file = dataDir + "/server.secret";
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return std::nullopt;
        throw std::runtime_error("cannot read " + file + ": " + std::strerror(errno));
    }
    std::string secret(64, '\0');
    const auto n = ::read(fd, secret.data(), secret.size());
    const int error = errno;
    ::close(fd);
    if (n < 0)
        throw std::runtime_error("cannot read " + file + ": " + std::strerror(error));
    if (n < 32)
        throw std::runtime_error(file + " is damaged (shorter than 32 bytes)");
    secret.resize(static_cast<std::size_t>(n));
    return secret;
}

void checkSourceSchema(sqlite::Connection& src, const std::string& file) {
    const int version = sqlite::schemaVersion(src);
    if (version == 0)
        throw std::runtime_error(file + " has no Parley schema (version 0): not a Parley database");
    if (version < sqlite::kSchemaVersion)
        throw std::runtime_error(file + " has schema version " + std::to_string(version) +
                                 ", older than this parley-server's (" +
                                 std::to_string(sqlite::kSchemaVersion) +
                                 "): start this parley-server once on the data dir (without --database) "
                                 "to migrate it, stop it, then import");
    if (version > sqlite::kSchemaVersion)
        throw std::runtime_error(file + " has schema version " + std::to_string(version) +
                                 ", newer than this parley-server understands (" +
                                 std::to_string(sqlite::kSchemaVersion) + "): import with a newer one");

    auto tables = src.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    while (tables.step()) {
        const auto name = tables.text(0);
        bool known = sqliteOnly(name);
        for (const auto& t : kTables)
            known = known || name == t.name;
        // A table a later step added that this import does not copy would be lost without a word.
        if (!known)
            throw std::runtime_error(file + " has a table \"" + name +
                                     "\" that this import does not know how to copy");
    }
}

std::vector<std::string> sqliteColumns(sqlite::Connection& src, const std::string& table) {
    std::vector<std::string> columns;
    auto s = src.prepare("PRAGMA table_info(" + quoted(table) + ")");
    while (s.step())
        columns.push_back(s.text(1));
    if (columns.empty())
        throw std::runtime_error("the SQLite database has no table " + table);
    return columns;
}

bool tableExists(pg::Connection& dst, const std::string& table) {
    return dst.query("SELECT to_regclass($1) IS NOT NULL", {quoted(table)}).text(0, 0) == "t";
}

// The tables of the target that hold a row already (those that exist).
std::vector<std::string> tablesWithRows(pg::Connection& dst) {
    std::vector<std::string> names;
    for (const auto& t : kTables)
        names.emplace_back(t.name);
    names.emplace_back(kSecretsTable);
    std::vector<std::string> nonEmpty;
    for (const auto& name : names)
        if (tableExists(dst, name) &&
            dst.query("SELECT EXISTS (SELECT 1 FROM " + quoted(name) + ")").text(0, 0) == "t")
            nonEmpty.push_back(name);
    return nonEmpty;
}

void refuseIfNotEmpty(pg::Connection& dst) {
    const auto nonEmpty = tablesWithRows(dst);
    if (nonEmpty.empty())
        return;
    std::string list;
    for (const auto& name : nonEmpty)
        list += (list.empty() ? "" : ", ") + name;
    throw DatabaseNotEmpty("the database is not empty (it has rows in " + list +
                           "): import only into a new, empty database; nothing was written");
}

struct PgColumn {
    std::string type; // format_type: text, integer, bigint
    bool alwaysGenerated = false;
};

std::map<std::string, PgColumn> pgColumns(pg::Connection& dst, const std::string& table) {
    std::map<std::string, PgColumn> columns;
    const auto r =
        dst.query("SELECT attname, format_type(atttypid, atttypmod), attidentity FROM pg_attribute "
                  "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                  {quoted(table)});
    for (int i = 0; i < r.rows(); ++i)
        columns[r.text(i, 0)] = PgColumn{r.text(i, 1), r.text(i, 2) == "a"};
    return columns;
}

std::string insertSql(const std::string& table, const std::vector<std::string>& columns,
                      const std::map<std::string, PgColumn>& types, std::size_t rows) {
    std::string sql = "INSERT INTO " + quoted(table) + " (";
    bool overriding = false;
    for (std::size_t c = 0; c < columns.size(); ++c) {
        sql += (c ? ", " : "") + quoted(columns[c]);
        overriding = overriding || types.at(columns[c]).alwaysGenerated;
    }
    sql += overriding ? ") OVERRIDING SYSTEM VALUE VALUES " : ") VALUES ";
    std::size_t n = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        sql += r ? ", (" : "(";
        for (std::size_t c = 0; c < columns.size(); ++c)
            sql += (c ? ", $" : "$") + std::to_string(++n) + "::" + types.at(columns[c]).type;
        sql += ")";
    }
    return sql;
}

// Copies one table's rows in SQLite's order, kBatchRows rows per INSERT. Returns the rows copied.
std::int64_t copyTable(sqlite::Connection& src, pg::Connection& dst, const TableSpec& spec,
                       std::int64_t expected, const std::function<void(const std::string&)>& progress) {
    const std::string table = spec.name;
    const auto columns = sqliteColumns(src, table);
    const auto types = pgColumns(dst, table);
    for (const auto& c : columns)
        if (!types.contains(c))
            throw std::runtime_error("column " + table + "." + c +
                                     " of the SQLite database has no counterpart in PostgreSQL");

    std::string select = "SELECT ";
    for (std::size_t c = 0; c < columns.size(); ++c)
        select += (c ? ", " : "") + quoted(columns[c]);
    select += " FROM " + quoted(table) + " ORDER BY " + spec.order;

    const auto fullBatch = insertSql(table, columns, types, kBatchRows);
    std::vector<pg::Param> params;
    params.reserve(kBatchRows * columns.size());
    std::int64_t copied = 0;
    auto flush = [&] {
        const auto rows = params.size() / columns.size();
        if (rows == 0)
            return;
        dst.query(rows == kBatchRows ? fullBatch : insertSql(table, columns, types, rows), params);
        params.clear();
    };
    auto rows = src.prepare(select);
    while (rows.step()) {
        for (std::size_t c = 0; c < columns.size(); ++c)
            params.emplace_back(rows.optText(static_cast<int>(c)));
        if (params.size() == kBatchRows * columns.size())
            flush();
        if (++copied % kProgressEvery == 0)
            progress("  " + table + ": " + std::to_string(copied) + " of " + std::to_string(expected) +
                     " rows...");
    }
    flush();
    return copied;
}

// Serial and identity columns continue after the largest copied value, so new rows of the nodes
// (audit log, mail outbox) never collide with copied ones.
void advanceSequences(pg::Connection& dst, const std::string& table) {
    const auto r = dst.query("SELECT attname, pg_get_serial_sequence($2, attname) FROM pg_attribute "
                             "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
                             {quoted(table), quoted(table)});
    for (int i = 0; i < r.rows(); ++i) {
        if (r.isNull(i, 1))
            continue;
        dst.query("SELECT setval($1::regclass, COALESCE((SELECT MAX(" + quoted(r.text(i, 0)) + ") FROM " +
                      quoted(table) + "), 0) + 1, false)",
                  {r.text(i, 1)});
    }
}

} // namespace

ImportSummary importSqliteToPg(const std::string& dataDir, const std::string& url,
                               const std::function<void(const std::string&)>& progress) {
    ImportSummary summary;
    const auto file = databaseFile(dataDir);
    summary.sourceInUse = heldByServer(dataDir);
    if (summary.sourceInUse)
        progress("A parley-server is running on " + dataDir +
                 ": importing a snapshot of it; what it writes from now on is not imported.");

    // One read transaction over everything read from SQLite: one consistent snapshot. (While it is
    // open, a running server's checkpoints cannot pass it: its WAL file grows until the end.)
    sqlite::Connection src(file, true);
    src.exec("BEGIN");
    src.prepare("SELECT count(*) FROM sqlite_master").step(); // the snapshot starts here
    checkSourceSchema(src, file);
    std::vector<std::int64_t> expected;
    for (const auto& t : kTables) {
        auto s = src.prepare("SELECT count(*) FROM " + quoted(t.name));
        s.step();
        expected.push_back(s.int64(0));
    }
    const auto secret = readTokenSecret(dataDir);

    progress("Connecting to the PostgreSQL database...");
    pg::Connection dst(url);
    // A database that is not empty is refused before anything is written, migrations included.
    if (pg::schemaVersion(dst) > 0)
        refuseIfNotEmpty(dst);
    pg::migrate(dst);

    dst.exec("BEGIN");
    try {
        // The writers' lock: no node writes while the rows go in (a node starting now waits).
        dst.exec("SELECT pg_advisory_xact_lock(" + std::to_string(pg::kWriterLockKey) + ")");
        refuseIfNotEmpty(dst); // again, under the lock: a node may have started meanwhile
        std::size_t i = 0;
        for (const auto& t : kTables) {
            progress("Copying " + std::string(t.name) + " (" + std::to_string(expected[i]) + " rows)...");
            const auto copied = copyTable(src, dst, t, expected[i], progress);
            const auto stored = dst.query("SELECT count(*) FROM " + quoted(t.name)).int64(0, 0);
            if (copied != expected[i] || stored != expected[i])
                throw std::runtime_error(std::string("table ") + t.name + ": " + std::to_string(expected[i]) +
                                         " rows in SQLite, " + std::to_string(copied) + " read, " +
                                         std::to_string(stored) + " stored");
            summary.tables.push_back({t.name, copied});
            ++i;
        }
        if (secret) {
            dst.query("INSERT INTO " + std::string(kSecretsTable) + " (name, value) VALUES ($1, $2)",
                      {kTokenSecretName, base64UrlEncode(*secret)});
            summary.tokenSecretCopied = true;
        }
        // setval is not undone by a rollback: last, when nothing but COMMIT can fail any more.
        for (const auto& t : kTables)
            advanceSequences(dst, t.name);
        progress("Committing...");
        dst.exec("COMMIT");
    } catch (...) {
        try {
            if (!dst.broken())
                dst.exec("ROLLBACK");
        } catch (...) { // the import's error is the one to report
        }
        throw;
    }
    src.exec("COMMIT");
    return summary;
}

} // namespace parley::server::import
