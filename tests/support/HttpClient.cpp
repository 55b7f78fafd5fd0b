#include "HttpClient.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

namespace parley::test {

std::string HttpResponse::header(const std::string& name) const {
    for (const auto& [k, v] : headers)
        if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                return std::tolower(a) == std::tolower(b);
            }))
            return v;
    return {};
}

std::string HttpResponse::errorCode() const {
    if (body.is_object() && body.contains("error") && body["error"].is_object())
        return body["error"].value("code", "");
    return {};
}

std::string HttpResponse::describe() const {
    if (status == 0)
        return "no answer (" + transportError + ")";
    return std::to_string(status) + " " + rawBody.substr(0, 300);
}

HttpClient::HttpClient(int port, std::string host)
    : m_port(port)
    , m_host(std::move(host)) {}

HttpResponse HttpClient::raw(const std::string& method, const std::string& path, const std::string& body,
                             const std::string& token, const std::string& contentType,
                             const std::multimap<std::string, std::string>& extraHeaders) const {
    httplib::Client cli(m_host, m_port);
    cli.set_connection_timeout(5);
    cli.set_read_timeout(60);
    cli.set_write_timeout(60);
    cli.set_tcp_nodelay(true);
    httplib::Headers headers(extraHeaders.begin(), extraHeaders.end());
    if (!token.empty())
        headers.emplace("Authorization", "Bearer " + token);
    auto send = [&]() -> httplib::Result {
        if (method == "POST")
            return cli.Post(path, headers, body, contentType);
        if (method == "PUT")
            return cli.Put(path, headers, body, contentType);
        if (method == "DELETE")
            return cli.Delete(path, headers);
        if (method == "OPTIONS")
            return cli.Options(path, headers);
        return cli.Get(path, headers);
    };
    const auto res = send();
    HttpResponse out;
    if (!res) {
        out.transportError = httplib::to_string(res.error());
        return out;
    }
    out.status = res->status;
    out.rawBody = res->body;
    for (const auto& [k, v] : res->headers)
        out.headers.emplace(k, v);
    if (!res->body.empty())
        out.body = nlohmann::json::parse(res->body, nullptr, false);
    return out;
}

HttpResponse HttpClient::get(const std::string& path, const std::string& token) const {
    return raw("GET", path, {}, token);
}
HttpResponse HttpClient::post(const std::string& path, const nlohmann::json& body,
                              const std::string& token) const {
    return raw("POST", path, body.dump(), token);
}
HttpResponse HttpClient::put(const std::string& path, const nlohmann::json& body,
                             const std::string& token) const {
    return raw("PUT", path, body.dump(), token);
}
HttpResponse HttpClient::del(const std::string& path, const std::string& token) const {
    return raw("DELETE", path, {}, token);
}

HttpClient::Customer HttpClient::newCustomer() const {
    auto r = post("/api/v1/customer/session");
    if (r.status != 201)
        return {};
    return {r.body.value("token", ""), r.body.value("customer_session_id", "")};
}

std::string HttpClient::login(const std::string& username, const std::string& password) const {
    auto r = post("/api/v1/agent/login", {{"username", username}, {"password", password}});
    return r.status == 200 ? r.body.value("token", "") : std::string{};
}

} // namespace parley::test
