#pragma once
// A blocking HTTP client for tests, usable from many threads at once (one connection per call
// unless keepAlive is set), so that races against the real server are real races.

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace parley::test {

// Keep a response in a variable before looping over a part of it: in `for (x : get(...).body["k"])`
// the response is a temporary that dies before the loop runs.
struct HttpResponse {
    int status = 0; // 0: no answer (connection failed)
    nlohmann::json body;
    std::string rawBody;
    std::multimap<std::string, std::string> headers;
    std::string transportError; // why there was no answer (status 0)

    // For failure messages: "201 {...}" or "no answer (Connection timed out)".
    std::string describe() const;

    std::string header(const std::string& name) const;
    std::string errorCode() const; // body.error.code, or "" when absent
};

class HttpClient {
public:
    explicit HttpClient(int port, std::string host = "127.0.0.1");

    HttpResponse get(const std::string& path, const std::string& token = {}) const;
    HttpResponse post(const std::string& path, const nlohmann::json& body = nlohmann::json::object(),
                      const std::string& token = {}) const;
    HttpResponse put(const std::string& path, const nlohmann::json& body,
                     const std::string& token = {}) const;
    HttpResponse del(const std::string& path, const std::string& token = {}) const;
    // Sends body bytes as they are (malformed JSON, invalid UTF-8, huge bodies).
    HttpResponse raw(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& token = {}, const std::string& contentType = "application/json",
                     const std::multimap<std::string, std::string>& extraHeaders = {}) const;

    // Shortcuts for the common flows.
    struct Customer {
        std::string token;
        std::string sessionId;
    };
    Customer newCustomer() const;
    std::string login(const std::string& username, const std::string& password) const; // token or ""

private:
    int m_port;
    std::string m_host;
};

} // namespace parley::test
