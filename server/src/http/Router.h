#pragma once
// Routes: a method and a path pattern such as "/api/v1/conversations/{id}/messages". The raw path
// is split at '/' first and each segment percent-decoded after, so an encoded slash (%2f) stays
// inside its segment: "/api/v1/conversations/x%2fmessages" is the conversation "x/messages", never
// the messages route. Handlers throw ApiError; run() turns every error into the contract's body.

#include "http/Message.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::server {

class Router {
public:
    using Handler = std::function<void(const Request&, Response&)>;
    // Where a handler runs. Inline: on the connection's io thread, so it must not block (no store
    // call, no file larger than the widget's). Worker: on the bounded worker pool (--http-threads).
    enum class Run { Inline, Worker };

    void add(HttpMethod method, std::string_view pattern, Handler handler, Run run = Run::Worker);
    void get(std::string_view pattern, Handler h, Run run = Run::Worker) {
        add(HttpMethod::Get, pattern, std::move(h), run);
    }
    void post(std::string_view pattern, Handler h) { add(HttpMethod::Post, pattern, std::move(h)); }
    void put(std::string_view pattern, Handler h) { add(HttpMethod::Put, pattern, std::move(h)); }
    void del(std::string_view pattern, Handler h) { add(HttpMethod::Delete, pattern, std::move(h)); }

    // GET and HEAD of paths no route has (the static files). The handler gets the decoded path
    // segments in req.params, each named "".
    void setFallback(Handler handler, Run run);
    // Answers a request before routing when it returns true (the CORS preflight). Runs inline.
    void setPreflight(std::function<bool(const Request&, Response&)> preflight);
    // Adds to every response of a request whose head was read (CORS), the server's own errors too.
    void setDecorator(std::function<void(const Request&, Response&)> decorator);

    struct Match {
        const Handler* handler = nullptr; // null: `response` is the answer already
        Run run = Run::Inline;
    };
    // Finds the handler and fills req.params, or answers at once (preflight, 400, 404, 405).
    Match match(Request& req, Response& response) const;
    // Runs a matched handler: ApiError becomes its status and code, a JSON error 400, anything
    // else a logged 500. Then decorate().
    void run(const Handler& handler, const Request& req, Response& response) const;
    void decorate(const Request& req, Response& response) const;

private:
    struct Segment {
        std::string text;
        bool isParam = false;
    };
    struct Route {
        HttpMethod method;
        std::vector<Segment> segments;
        Handler handler;
        Run run;
    };
    std::vector<Route> m_routes;
    Handler m_fallback;
    Run m_fallbackRun = Run::Inline;
    std::function<bool(const Request&, Response&)> m_preflight;
    std::function<void(const Request&, Response&)> m_decorator;
};

} // namespace parley::server
