#pragma once
// A PostgreSQL database of the test cluster read from the test (libpq), every query on one
// snapshot (REPEATABLE READ, read only): the twin of SqliteReadOnly for the cluster suites, which
// check invariants in the shared database itself. Link PkgConfig::LIBPQ.

#include "DbRows.h"

#include <libpq-fe.h>

#include <optional>
#include <string>
#include <vector>

namespace parley::test {

class PgReadOnly {
public:
    using Row = DbRow;

    // url: a libpq connection string or URL (postgresql:///db?host=/socket/dir&user=postgres).
    explicit PgReadOnly(const std::string& url)
        : m_conn(PQconnectdb(url.c_str())) {
        m_ok = PQstatus(m_conn) == CONNECTION_OK && exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }
    ~PgReadOnly() {
        if (m_ok)
            exec("COMMIT");
        PQfinish(m_conn);
    }
    PgReadOnly(const PgReadOnly&) = delete;
    PgReadOnly& operator=(const PgReadOnly&) = delete;

    bool ok() const { return m_ok; }
    std::string error() const { return PQerrorMessage(m_conn); }

    // Every row, each column as text (NULL as nullopt); a failed query leaves lastError() set.
    std::vector<Row> rows(const std::string& sql) {
        std::vector<Row> out;
        PGresult* res = PQexec(m_conn, sql.c_str());
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            m_lastError = sql + ": " + error();
            PQclear(res);
            return out;
        }
        for (int r = 0; r < PQntuples(res); ++r) {
            Row row;
            for (int c = 0; c < PQnfields(res); ++c)
                row.push_back(PQgetisnull(res, r, c) ? std::nullopt
                                                     : std::optional<std::string>(PQgetvalue(res, r, c)));
            out.push_back(std::move(row));
        }
        PQclear(res);
        return out;
    }
    const std::string& lastError() const { return m_lastError; }

private:
    bool exec(const char* sql) {
        PGresult* res = PQexec(m_conn, sql);
        const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            m_lastError = std::string(sql) + ": " + error();
        PQclear(res);
        return ok;
    }

    PGconn* m_conn;
    bool m_ok = false;
    std::string m_lastError;
};

} // namespace parley::test
