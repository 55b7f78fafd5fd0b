#pragma once
// The server's SQLite file opened read-only, every query on one snapshot, for tests that check
// invariants in the database itself (beside what the API says). Link PkgConfig::SQLITE3.

#include "DbRows.h"

#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::test {

class SqliteReadOnly {
public:
    using Row = DbRow;

    explicit SqliteReadOnly(const std::string& path) {
        m_ok = sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
               sqlite3_exec(m_db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    ~SqliteReadOnly() {
        if (m_db) {
            sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr);
            sqlite3_close(m_db);
        }
    }
    SqliteReadOnly(const SqliteReadOnly&) = delete;
    SqliteReadOnly& operator=(const SqliteReadOnly&) = delete;

    bool ok() const { return m_ok; }
    std::string error() const { return m_db ? sqlite3_errmsg(m_db) : "cannot open the database"; }

    // Every row, each column as text (NULL as nullopt); a failed query sets lastError().
    std::vector<Row> rows(const std::string& sql, const std::vector<std::string>& params = {}) {
        std::vector<Row> out;
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
            m_lastError = sql + ": " + error();
            return out;
        }
        for (std::size_t i = 0; i < params.size(); ++i)
            sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            Row row;
            for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                row.push_back(text ? std::optional<std::string>(text) : std::nullopt);
            }
            out.push_back(std::move(row));
        }
        if (rc != SQLITE_DONE)
            m_lastError = sql + ": " + error();
        sqlite3_finalize(stmt);
        return out;
    }
    const std::string& lastError() const { return m_lastError; }

private:
    sqlite3* m_db = nullptr;
    bool m_ok = false;
    std::string m_lastError;
};

} // namespace parley::test
