#include "bus/RedisClient.h"

#include <hiredis/hiredis.h>

#include <sys/time.h>

#include <cerrno>

namespace parley::server {

namespace {

timeval toTimeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

RedisReply convert(const redisReply* r) {
    RedisReply out;
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        out.type = RedisReply::Type::Integer;
        out.integer = r->integer;
        break;
    case REDIS_REPLY_STRING:
        out.type = RedisReply::Type::String;
        out.text.assign(r->str, r->len);
        break;
    case REDIS_REPLY_STATUS:
        out.type = RedisReply::Type::Status;
        out.text.assign(r->str, r->len);
        break;
    case REDIS_REPLY_ERROR:
        out.type = RedisReply::Type::Error;
        out.text.assign(r->str, r->len);
        break;
    case REDIS_REPLY_ARRAY:
        out.type = RedisReply::Type::Array;
        out.elements.reserve(r->elements);
        for (std::size_t i = 0; i < r->elements; ++i)
            out.elements.push_back(convert(r->element[i]));
        break;
    default:
        out.type = RedisReply::Type::Nil;
    }
    return out;
}

} // namespace

void RedisClient::ContextDeleter::operator()(redisContext* c) const {
    redisFree(c);
}

RedisClient::RedisClient(const std::string& url)
    : RedisClient(url, Options{}) {}

RedisClient::RedisClient(const std::string& url, Options options)
    : m_url(url)
    , m_options(options) {
    static const std::string kRedis = "redis://";
    static const std::string kUnix = "unix://";
    if (url.rfind(kUnix, 0) == 0) {
        m_socketPath = url.substr(kUnix.size());
        if (m_socketPath.empty() || m_socketPath.front() != '/')
            throw std::invalid_argument("A unix:// bus URL needs an absolute socket path.");
    } else if (url.rfind(kRedis, 0) == 0) {
        auto rest = url.substr(kRedis.size());
        if (auto slash = rest.find('/'); slash != std::string::npos)
            rest.resize(slash); // a database number is not supported; the default one is used
        m_port = 6379;
        if (auto colon = rest.rfind(':'); colon != std::string::npos) {
            try {
                std::size_t used = 0;
                m_port = std::stoi(rest.substr(colon + 1), &used);
                if (used != rest.size() - colon - 1 || m_port <= 0 || m_port > 65535)
                    throw std::invalid_argument("port");
            } catch (const std::exception&) {
                throw std::invalid_argument("The bus URL has no valid port: " + url);
            }
            rest.resize(colon);
        }
        if (rest.empty())
            throw std::invalid_argument("The bus URL has no host: " + url);
        m_host = rest;
    } else {
        throw std::invalid_argument("The bus URL must be redis://HOST:PORT or unix:///path: " + url);
    }
}

RedisClient::~RedisClient() = default;

RedisClient::Context RedisClient::connect() {
    const auto timeout = toTimeval(m_options.connectTimeout);
    Context c(m_socketPath.empty() ? redisConnectWithTimeout(m_host.c_str(), m_port, timeout)
                                   : redisConnectUnixWithTimeout(m_socketPath.c_str(), timeout));
    if (!c)
        throw RedisUnavailable("Redis: out of memory for a connection");
    if (c->err)
        throw RedisUnavailable(std::string("Redis at ") + m_url + " cannot be reached: " + c->errstr);
    if (redisSetTimeout(c.get(), toTimeval(m_options.commandTimeout)) != REDIS_OK)
        throw RedisUnavailable("Redis: cannot set the command timeout");
    return c;
}

RedisClient::Context RedisClient::take(bool& reused) {
    {
        std::lock_guard lock(m_mutex);
        if (!m_idle.empty()) {
            auto c = std::move(m_idle.back());
            m_idle.pop_back();
            reused = true;
            return c;
        }
    }
    reused = false;
    return connect();
}

void RedisClient::giveBack(Context c) {
    std::lock_guard lock(m_mutex);
    if (m_idle.size() < m_options.maxIdleConnections)
        m_idle.push_back(std::move(c));
}

void RedisClient::markUp() {
    std::lock_guard lock(m_stateMutex);
    m_down.reset();
}

void RedisClient::markDown(const std::string& why) {
    std::lock_guard lock(m_stateMutex);
    m_down = why;
    m_downSince = std::chrono::steady_clock::now();
}

std::optional<std::string> RedisClient::unavailableReason() const {
    std::lock_guard lock(m_stateMutex);
    return m_down;
}

RedisReply RedisClient::run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    {
        std::lock_guard lock(m_stateMutex);
        if (m_down && std::chrono::steady_clock::now() - m_downSince < m_options.failFastFor)
            throw RedisUnavailable(*m_down);
    }
    try {
        for (int attempt = 0;; ++attempt) {
            bool reused = false;
            auto c = take(reused);
            errno = 0;
            auto* raw = static_cast<redisReply*>(
                redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data()));
            const bool timedOut = c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
            if (!raw) {
                // An idle connection that broke meanwhile (Redis restarted): once more on a new
                // connection. A timeout is not retried. The failed connection is dropped.
                if (reused && attempt == 0 && !timedOut)
                    continue;
                throw RedisUnavailable(std::string("Redis at ") + m_url +
                                       " did not answer: " + (c->errstr[0] ? c->errstr : "connection lost"));
            }
            auto reply = convert(raw);
            freeReplyObject(raw);
            giveBack(std::move(c));
            markUp();
            return reply;
        }
    } catch (const RedisUnavailable& e) {
        markDown(e.what());
        throw;
    }
}

RedisReply RedisClient::command(const std::vector<std::string>& args) {
    return run(args);
}

RedisReply RedisClient::eval(const std::string& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args) {
    std::string sha;
    {
        std::lock_guard lock(m_scriptMutex);
        if (auto it = m_scriptShas.find(script); it != m_scriptShas.end())
            sha = it->second;
    }
    auto argv = [&](const std::string& verb, const std::string& body) {
        std::vector<std::string> v{verb, body, std::to_string(keys.size())};
        v.insert(v.end(), keys.begin(), keys.end());
        v.insert(v.end(), args.begin(), args.end());
        return v;
    };
    if (!sha.empty()) {
        auto reply = run(argv("EVALSHA", sha));
        if (reply.type != RedisReply::Type::Error || reply.text.rfind("NOSCRIPT", 0) != 0)
            return reply;
    }
    auto loaded = run({"SCRIPT", "LOAD", script});
    if (loaded.type != RedisReply::Type::String) // a syntax error in the script: say so
        return loaded;
    {
        std::lock_guard lock(m_scriptMutex);
        m_scriptShas[script] = loaded.text;
    }
    // This call sends the body: an EVALSHA here could meet NOSCRIPT again if the scripts were
    // flushed (or Redis restarted) since the LOAD. Later calls use the SHA.
    return run(argv("EVAL", script));
}

} // namespace parley::server
