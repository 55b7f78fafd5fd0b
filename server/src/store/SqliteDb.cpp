#include "store/SqliteDb.h"

#include "store/SqliteWalVfs.h"

namespace parley::server::sqlite {
namespace {
[[noreturn]] void fail(sqlite3* db, int rc, const std::string& context) {
    throw SqliteError(rc, context + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}
} // namespace

Statement::Statement(sqlite3_stmt* s)
    : m_stmt(s) {}

Statement::~Statement() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

Statement& Statement::bind(int i, std::string_view v) {
    const int rc = sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    if (rc != SQLITE_OK)
        fail(sqlite3_db_handle(m_stmt), rc, "bind");
    return *this;
}

Statement& Statement::bind(int i, const std::optional<std::string>& v) {
    return v ? bind(i, std::string_view(*v)) : bindNull(i);
}

Statement& Statement::bind(int i, std::int64_t v) {
    const int rc = sqlite3_bind_int64(m_stmt, i, v);
    if (rc != SQLITE_OK)
        fail(sqlite3_db_handle(m_stmt), rc, "bind");
    return *this;
}

Statement& Statement::bindNull(int i) {
    sqlite3_bind_null(m_stmt, i);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    fail(sqlite3_db_handle(m_stmt), rc, std::string("step: ") + sqlite3_sql(m_stmt));
}

void Statement::run() {
    while (step()) {
    }
}

std::string Statement::text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))) : std::string();
}

std::optional<std::string> Statement::optText(int col) const {
    if (isNull(col))
        return std::nullopt;
    return text(col);
}

std::int64_t Statement::int64(int col) const {
    return sqlite3_column_int64(m_stmt, col);
}
bool Statement::isNull(int col) const {
    return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

Connection::Connection(const std::string& path, bool readOnly) {
    const int flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                      SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &m_db, flags, walFrameVfsName());
    if (rc != SQLITE_OK) {
        std::string msg = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close(m_db);
        m_db = nullptr;
        throw SqliteError(rc, "open " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(m_db, 1);
    sqlite3_busy_timeout(m_db, 5000);
}

Connection::~Connection() {
    for (auto& [sql, stmt] : m_cache)
        sqlite3_finalize(stmt);
    sqlite3_close(m_db);
}

void Connection::exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw SqliteError(rc, "exec: " + msg);
    }
}

std::int64_t Connection::reprepares() const {
    std::int64_t n = 0;
    for (const auto& [sql, stmt] : m_cache)
        n += sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0);
    return n;
}

Statement Connection::prepare(const std::string& sql) {
    auto it = m_cache.find(sql);
    if (it == m_cache.end()) {
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()),
                                          SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK)
            fail(m_db, rc, "prepare: " + sql);
        it = m_cache.emplace(sql, stmt).first;
    }
    return Statement(it->second);
}

} // namespace parley::server::sqlite
