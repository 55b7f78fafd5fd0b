#include "http/Router.h"

#include "app/ApiError.h"
#include "parley/protocol/Errors.h"
#include "store/Store.h"
#include "util/Log.h"

#include <stdexcept>

namespace parley::server {

namespace errors = protocol::errors;

namespace {

std::vector<std::string_view> split(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const auto slash = path.find('/', start);
        out.push_back(
            path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
        if (slash == std::string_view::npos)
            return out;
        start = slash + 1;
    }
}

const char* methodName(HttpMethod m) {
    switch (m) {
    case HttpMethod::Get:
        return "GET";
    case HttpMethod::Head:
        return "HEAD";
    case HttpMethod::Post:
        return "POST";
    case HttpMethod::Put:
        return "PUT";
    case HttpMethod::Delete:
        return "DELETE";
    case HttpMethod::Options:
        return "OPTIONS";
    case HttpMethod::Patch:
        return "PATCH";
    case HttpMethod::Other:
        break;
    }
    return "?";
}

} // namespace

void Router::add(HttpMethod method, std::string_view pattern, Handler handler, Run run) {
    if (pattern.empty() || pattern.front() != '/')
        throw std::logic_error("route pattern must start with '/': " + std::string(pattern));
    Route route{method, {}, std::move(handler), run};
    for (auto s : split(pattern.substr(1))) {
        if (s.size() > 2 && s.front() == '{' && s.back() == '}')
            route.segments.push_back({std::string(s.substr(1, s.size() - 2)), true});
        else
            route.segments.push_back({std::string(s), false});
    }
    m_routes.push_back(std::move(route));
}

void Router::setFallback(Handler handler, Run run) {
    m_fallback = std::move(handler);
    m_fallbackRun = run;
}

void Router::setPreflight(std::function<bool(const Request&, Response&)> preflight) {
    m_preflight = std::move(preflight);
}

void Router::setDecorator(std::function<void(const Request&, Response&)> decorator) {
    m_decorator = std::move(decorator);
}

Router::Match Router::match(Request& req, Response& res) const {
    if (m_preflight && m_preflight(req, res)) {
        decorate(req, res);
        return {};
    }
    const std::string_view path = req.path();
    if (path.empty() || path.front() != '/') {
        res.error(400, errors::kInvalidRequest, "The request target must be a path starting with '/'.");
        decorate(req, res);
        return {};
    }
    // Split the raw path first, then decode each segment: %2f never becomes a boundary.
    const auto raw = split(path.substr(1));
    std::vector<std::string> segments;
    segments.reserve(raw.size());
    for (auto s : raw) {
        auto decoded = percentDecode(s);
        if (!decoded) {
            res.error(400, errors::kInvalidRequest, "The path is not correctly percent-encoded.");
            decorate(req, res);
            return {};
        }
        segments.push_back(std::move(*decoded));
    }

    const HttpMethod method = req.method == HttpMethod::Head ? HttpMethod::Get : req.method;
    std::string allowed;
    for (const auto& route : m_routes) {
        if (route.segments.size() != segments.size())
            continue;
        bool same = true;
        for (std::size_t i = 0; i < segments.size() && same; ++i)
            same = route.segments[i].isParam ? !segments[i].empty() : route.segments[i].text == segments[i];
        if (!same)
            continue;
        if (route.method != method) {
            allowed += (allowed.empty() ? "" : ", ") + std::string(methodName(route.method));
            continue;
        }
        req.params.clear();
        for (std::size_t i = 0; i < segments.size(); ++i)
            if (route.segments[i].isParam)
                req.params.emplace_back(route.segments[i].text, std::move(segments[i]));
        return {&route.handler, route.run};
    }
    if (!allowed.empty()) {
        res.error(405, errors::kInvalidRequest, "Method not allowed.");
        res.setHeader("Allow", allowed);
        decorate(req, res);
        return {};
    }
    if (m_fallback && method == HttpMethod::Get) {
        req.params.clear();
        for (auto& s : segments)
            req.params.emplace_back(std::string_view{}, std::move(s));
        return {&m_fallback, m_fallbackRun};
    }
    res.error(404, errors::kNotFound, "No such endpoint.");
    decorate(req, res);
    return {};
}

void Router::run(const Handler& handler, const Request& req, Response& res) const {
    try {
        handler(req, res);
    } catch (const ApiError& e) {
        res = Response{};
        res.error(e.status(), e.code(), e.what());
        if (e.retryAfterSeconds())
            res.setHeader("Retry-After", std::to_string(*e.retryAfterSeconds()));
        if (e.status() == 401)
            res.setHeader("WWW-Authenticate", "Bearer");
    } catch (const StoreOverloaded& e) {
        // A read that found the database out of reach (issue 20; writes become ApiErrors).
        res = Response{};
        const auto error = ApiError::overloaded(e.retryAfterSeconds());
        res.error(error.status(), error.code(), error.what());
        res.setHeader("Retry-After", std::to_string(e.retryAfterSeconds()));
    } catch (const nlohmann::json::exception& e) {
        res = Response{};
        res.error(400, errors::kInvalidRequest, std::string("Invalid request: ") + e.what());
    } catch (const std::exception& e) {
        log::error("unhandled error in " + req.methodName + " " + std::string(req.path()) + ": " + e.what());
        res = Response{};
        res.error(500, errors::kInternal, "Internal server error.");
    } catch (...) {
        log::error("unhandled non-standard exception in " + req.methodName + " " + std::string(req.path()));
        res = Response{};
        res.error(500, errors::kInternal, "Internal server error.");
    }
    decorate(req, res);
}

void Router::decorate(const Request& req, Response& res) const {
    if (m_decorator)
        m_decorator(req, res);
}

} // namespace parley::server
