#pragma once
// A thin C++ face of one libpq connection: statements with text parameters, prepared once per
// connection, results read as text (the stored forms are text, as in the SQLite store).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

struct pg_conn;
struct pg_result;

namespace parley::server::pg {

// A failed statement or connection. connectionLost: the server could not be reached or the
// connection broke, so whatever was not committed is gone (the transaction can be retried on a new
// connection); otherwise the statement itself failed (a constraint, a bad query).
class PgError : public std::runtime_error {
public:
    PgError(const std::string& what, bool connectionLost, std::string sqlState = {})
        : std::runtime_error(what)
        , m_connectionLost(connectionLost)
        , m_sqlState(std::move(sqlState)) {}
    bool connectionLost() const { return m_connectionLost; }
    const std::string& sqlState() const { return m_sqlState; }

private:
    bool m_connectionLost;
    std::string m_sqlState;
};

// One statement parameter in text form; nullopt is SQL NULL.
class Param {
public:
    Param(std::nullopt_t) {}
    Param(const char* s)
        : m_value(s) {}
    Param(std::string s)
        : m_value(std::move(s)) {}
    Param(std::string_view s)
        : m_value(std::string(s)) {}
    Param(const std::optional<std::string>& s)
        : m_value(s) {}
    template <typename T, typename = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
    Param(T n)
        : m_value(std::to_string(n)) {}
    const std::optional<std::string>& value() const { return m_value; }

private:
    std::optional<std::string> m_value;
};

class Result {
public:
    Result() = default;
    explicit Result(pg_result* r);
    ~Result();
    Result(Result&& o) noexcept;
    Result& operator=(Result&& o) noexcept;
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;

    int rows() const;
    bool isNull(int row, int col) const;
    std::string text(int row, int col) const;
    std::optional<std::string> optText(int row, int col) const;
    std::int64_t int64(int row, int col) const; // 0 for NULL
    std::int64_t affected() const;              // rows an INSERT/UPDATE/DELETE touched

private:
    pg_result* m_r = nullptr;
};

// One row of a Result, read like a SQLite statement's current row.
class Row {
public:
    Row(const Result& r, int row)
        : m_r(r)
        , m_row(row) {}
    bool isNull(int col) const { return m_r.isNull(m_row, col); }
    std::string text(int col) const { return m_r.text(m_row, col); }
    std::optional<std::string> optText(int col) const { return m_r.optText(m_row, col); }
    std::int64_t int64(int col) const { return m_r.int64(m_row, col); }

private:
    const Result& m_r;
    int m_row;
};

class Connection {
public:
    // Connects (libpq's URL or key=value string); throws PgError(connectionLost) when it cannot.
    explicit Connection(std::string url);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Statements without parameters; several separated by ';' are allowed.
    void exec(const std::string& sql);
    // One statement with $1.. parameters, prepared on this connection the first time it is seen.
    Result query(const std::string& sql, const std::vector<Param>& params = {});

    // LISTEN/NOTIFY (the event feed): the socket to poll, and reading what arrived on it: every
    // notification that came, consumed; throws PgError(connectionLost).
    struct Notification {
        std::string channel;
        std::string payload;
    };
    int socket() const;
    std::vector<Notification> takeNotifications();

    bool broken() const; // the connection is gone: reconnect() before using it again
    void reconnect();    // throws PgError(connectionLost) when the server cannot be reached

private:
    [[noreturn]] void fail(const std::string& what, pg_result* r);

    std::string m_url;
    pg_conn* m_conn = nullptr;
    std::unordered_map<std::string, std::string> m_prepared; // sql -> statement name
};

} // namespace parley::server::pg
