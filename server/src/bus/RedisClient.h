#pragma once
// A small, thread-safe Redis client over hiredis for the cluster's shared state (issue 20):
// presence counts, node heartbeats, the customer rate limit and the login throttle.
//
// Connections come from a small pool: a caller takes one for the length of a command, so threads
// never share a hiredis context. Every connect and every command has a timeout, so a Redis that
// hangs makes a call fail (RedisUnavailable) in bounded time instead of hanging a request. A
// connection that failed is dropped; the next call connects afresh (reconnect on loss).
// Lua scripts run by EVALSHA, falling back to EVAL when Redis does not know the script yet
// (after a restart of Redis, for instance). A write on a dropped connection raises SIGPIPE: the
// process must ignore it (parley-server's main does).

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

struct redisContext;

namespace parley::server {

// Redis cannot be reached (connect failed, timed out, connection lost). Requests that need it
// answer 503.
class RedisUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct RedisReply {
    enum class Type { Nil, Integer, String, Status, Array, Error };
    Type type = Type::Nil;
    long long integer = 0;
    std::string text; // String, Status, Error
    std::vector<RedisReply> elements;

    bool isNil() const { return type == Type::Nil; }
};

class RedisClient {
public:
    struct Options {
        std::chrono::milliseconds connectTimeout{1000};
        std::chrono::milliseconds commandTimeout{1000};
        std::size_t maxIdleConnections = 8;
        // After Redis could not be reached, calls fail at once for this long instead of each
        // waiting for a timeout (every customer message asks the rate limit).
        std::chrono::milliseconds failFastFor{1000};
    };
    // url: redis://HOST[:PORT] (default port 6379) or unix:///path/to/redis.sock. Throws
    // std::invalid_argument for any other form. Connects lazily.
    explicit RedisClient(const std::string& url);
    RedisClient(const std::string& url, Options options);
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    // Runs one command. Throws RedisUnavailable when Redis cannot be reached in time; a Redis
    // error reply is returned as Type::Error (scripts' errors are the caller's bug, not an outage).
    RedisReply command(const std::vector<std::string>& args);
    // EVALSHA of the script, EVAL when Redis does not have it cached.
    RedisReply eval(const std::string& script, const std::vector<std::string>& keys,
                    const std::vector<std::string>& args);

    // Why the last call failed to reach Redis, or nothing when the last call reached it. Cheap.
    std::optional<std::string> unavailableReason() const;
    const std::string& url() const { return m_url; }

private:
    struct ContextDeleter {
        void operator()(redisContext* c) const;
    };
    using Context = std::unique_ptr<redisContext, ContextDeleter>;
    Context take(bool& reused);
    void giveBack(Context c);
    Context connect();
    RedisReply run(const std::vector<std::string>& args);
    void markUp();
    void markDown(const std::string& why);

    std::string m_url;
    Options m_options;
    std::string m_host;
    int m_port = 0;
    std::string m_socketPath; // unix socket when not empty
    std::mutex m_mutex;
    std::vector<Context> m_idle;
    mutable std::mutex m_stateMutex;
    std::optional<std::string> m_down;
    std::chrono::steady_clock::time_point m_downSince{};
    std::mutex m_scriptMutex;
    std::unordered_map<std::string, std::string> m_scriptShas; // script text -> SHA1 from SCRIPT LOAD
};

} // namespace parley::server
