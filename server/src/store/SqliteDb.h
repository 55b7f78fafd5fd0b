#pragma once
// Thin RAII over the SQLite C API: a connection with a per-connection cache of prepared
// statements, and a statement cursor with typed binds and columns. Errors throw SqliteError.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::server::sqlite {

class SqliteError : public std::runtime_error {
public:
    SqliteError(int code, const std::string& what)
        : std::runtime_error(what)
        , m_code(code) {}
    int code() const { return m_code; }
    bool isConstraint() const { return (m_code & 0xFF) == SQLITE_CONSTRAINT; }

private:
    int m_code;
};

class Statement {
public:
    explicit Statement(sqlite3_stmt* s);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::string_view v);
    Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    Statement& bind(int i, const std::optional<std::string>& v);
    Statement& bind(int i, std::int64_t v);
    Statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
    Statement& bindNull(int i);

    bool step(); // true: a row is ready
    void run();  // step to completion (INSERT/UPDATE/DELETE)

    std::string text(int col) const;
    std::optional<std::string> optText(int col) const;
    std::int64_t int64(int col) const;
    bool isNull(int col) const;

private:
    sqlite3_stmt* m_stmt;
};

class Connection {
public:
    Connection(const std::string& path, bool readOnly);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void exec(const std::string& sql);
    Statement prepare(const std::string& sql); // cached; reset when the Statement goes out of scope
    std::int64_t changes() const { return sqlite3_changes64(m_db); }
    // Opened for reading only: asked so, or the file is write-protected (SQLite then falls back).
    bool isReadOnly() const { return sqlite3_db_readonly(m_db, "main") == 1; }
    // How often the cached statements were re-prepared: one whose plan depends on a bound value
    // is re-prepared each time it is bound, which a hot path should never do.
    std::int64_t reprepares() const;
    sqlite3* handle() const { return m_db; }

private:
    sqlite3* m_db = nullptr;
    std::unordered_map<std::string, sqlite3_stmt*> m_cache;
};

} // namespace parley::server::sqlite
