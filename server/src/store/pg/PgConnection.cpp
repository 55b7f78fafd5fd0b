#include "store/pg/PgConnection.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <utility>

namespace parley::server::pg {

Result::Result(pg_result* r)
    : m_r(r) {}

Result::~Result() {
    if (m_r)
        PQclear(m_r);
}

Result::Result(Result&& o) noexcept
    : m_r(std::exchange(o.m_r, nullptr)) {}

Result& Result::operator=(Result&& o) noexcept {
    if (this != &o) {
        if (m_r)
            PQclear(m_r);
        m_r = std::exchange(o.m_r, nullptr);
    }
    return *this;
}

int Result::rows() const {
    return m_r ? PQntuples(m_r) : 0;
}

bool Result::isNull(int row, int col) const {
    return PQgetisnull(m_r, row, col) != 0;
}

std::string Result::text(int row, int col) const {
    return std::string(PQgetvalue(m_r, row, col), static_cast<std::size_t>(PQgetlength(m_r, row, col)));
}

std::optional<std::string> Result::optText(int row, int col) const {
    if (isNull(row, col))
        return std::nullopt;
    return text(row, col);
}

std::int64_t Result::int64(int row, int col) const {
    if (isNull(row, col))
        return 0;
    return std::strtoll(PQgetvalue(m_r, row, col), nullptr, 10);
}

std::int64_t Result::affected() const {
    const char* n = m_r ? PQcmdTuples(m_r) : "";
    return *n ? std::strtoll(n, nullptr, 10) : 0;
}

namespace {

// PostgreSQL refuses text that is not UTF-8 where SQLite stores and compares bytes. What reaches
// the store unvalidated is only ever a key to look up (an id from a path or a query; written text
// is validated by the use cases), and no stored text equals it: each invalid byte becomes U+FFFD,
// so the lookup finds nothing, as on SQLite, instead of failing.
std::string validUtf8(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        bool ok = n > 0 && c != 0 && i + n <= s.size() && !(n == 2 && c < 0xC2);
        for (std::size_t k = 1; ok && k < n; ++k)
            ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        if (ok && n == 3) {
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
        } else if (ok && n == 4) {
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90) && c <= 0xF4;
        }
        if (ok) {
            out.append(s, i, n);
            i += n;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

bool isValidUtf8(const std::string& s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c == 0)
            return validUtf8(s) == s;
    return true;
}

// Notices (e.g. "extension already exists") are not errors: keep them off stderr.
void ignoreNotice(void*, const char*) {}

} // namespace

Connection::Connection(std::string url)
    : m_url(std::move(url)) {
    reconnect();
}

Connection::~Connection() {
    if (m_conn)
        PQfinish(m_conn);
}

void Connection::reconnect() {
    if (m_conn) {
        PQfinish(m_conn);
        m_conn = nullptr;
    }
    m_prepared.clear();
    // libpq waits for ever by default on a server that stops answering (a network black hole, a
    // stalled host): bound the connect, probe idle connections, and drop one whose sent data goes
    // unacknowledged (tcp_user_timeout: a long query is acknowledged, so it is never cut by it).
    // The URL comes last, so a URL that names one of these keeps its own value. A unix socket
    // ignores the TCP ones.
    static const char* const keys[] = {
        "connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname",          nullptr};
    const char* const values[] = {"10", "1", "30", "10", "3", "30000", m_url.c_str(), nullptr};
    m_conn = PQconnectdbParams(keys, values, /*expand_dbname*/ 1);
    if (!m_conn || PQstatus(m_conn) != CONNECTION_OK) {
        std::string why = m_conn ? PQerrorMessage(m_conn) : "out of memory";
        while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
            why.pop_back();
        if (m_conn) {
            PQfinish(m_conn);
            m_conn = nullptr;
        }
        throw PgError("cannot connect to the database: " + why, true);
    }
    PQsetNoticeProcessor(m_conn, ignoreNotice, nullptr);
}

int Connection::socket() const {
    return m_conn ? PQsocket(m_conn) : -1;
}

std::vector<Connection::Notification> Connection::takeNotifications() {
    if (broken())
        throw PgError("the database connection is lost", true);
    if (PQconsumeInput(m_conn) == 0) // a socket error: the connection is unusable from here
        throw PgError(std::string("reading notifications failed: ") + PQerrorMessage(m_conn), true);
    std::vector<Notification> out;
    while (PGnotify* n = PQnotifies(m_conn)) {
        out.push_back({n->relname ? n->relname : "", n->extra ? n->extra : ""});
        PQfreemem(n);
    }
    return out;
}

bool Connection::broken() const {
    return !m_conn || PQstatus(m_conn) != CONNECTION_OK;
}

void Connection::fail(const std::string& what, pg_result* r) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlState = state ? state : "";
    std::string message = m_conn ? PQerrorMessage(m_conn) : "no connection";
    if (r && PQresultErrorMessage(r) && *PQresultErrorMessage(r))
        message = PQresultErrorMessage(r);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    if (r)
        PQclear(r);
    // Class 08 is "connection exception"; 57P0x: the server is shutting down or restarting.
    const bool lost = broken() || sqlState.rfind("08", 0) == 0 || sqlState.rfind("57P", 0) == 0;
    throw PgError(what + ": " + message, lost, sqlState);
}

void Connection::exec(const std::string& sql) {
    if (broken())
        throw PgError("the database connection is lost", true);
    pg_result* r = PQexec(m_conn, sql.c_str());
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        fail("statement failed", r);
    PQclear(r);
}

Result Connection::query(const std::string& sql, const std::vector<Param>& params) {
    if (broken())
        throw PgError("the database connection is lost", true);
    auto it = m_prepared.find(sql);
    if (it == m_prepared.end()) {
        std::string name = "s" + std::to_string(m_prepared.size());
        pg_result* r = PQprepare(m_conn, name.c_str(), sql.c_str(), 0, nullptr);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            fail("preparing failed (" + sql.substr(0, 80) + ")", r);
        PQclear(r);
        it = m_prepared.emplace(sql, std::move(name)).first;
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    std::vector<std::string> repaired; // reserved: values point into it
    repaired.reserve(params.size());
    for (const auto& p : params) {
        if (p.value() && !isValidUtf8(*p.value())) {
            repaired.push_back(validUtf8(*p.value()));
            values.push_back(repaired.back().c_str());
        } else {
            values.push_back(p.value() ? p.value()->c_str() : nullptr);
        }
    }
    pg_result* r = PQexecPrepared(m_conn, it->second.c_str(), static_cast<int>(values.size()), values.data(),
                                  nullptr, nullptr, 0);
    const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        fail("query failed", r);
    return Result(r);
}

} // namespace parley::server::pg
