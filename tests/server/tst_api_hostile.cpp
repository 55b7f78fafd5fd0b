// Hostile input at the application level, table-driven, against the real server: malformed and
// truncated JSON, a wrong type for every field of every body, invalid UTF-8 of every kind (in
// values, keys, the Authorization header, paths and queries), deep nesting, huge numbers,
// duplicate keys, control characters, forged, altered, swapped and expired tokens, role mix-ups on
// every route, other sessions' conversations (404, never 403), ids that are no UUID, and odd
// after_seq values. Every case gets the contract's status and error code, and the server keeps
// serving: after each case a normal request succeeds and the process is alive.
// Transport-level abuse (chunked bodies, slowloris, header floods, framing) is tested elsewhere;
// the WebSocket cases are in tests/realtime/tst_realtime_hostile.cpp.
#include "ApiTestBase.h"
#include "TokenForge.h"

#include <QElapsedTimer>

using namespace parley::test;

namespace {

QByteArray bytes(const std::string& s) {
    return QByteArray::fromStdString(s);
}

// A body with one field replaced by raw JSON text (which may be anything at all).
std::string withField(const json& body, const std::string& field, const std::string& rawValue) {
    std::string out = "{";
    bool first = true;
    bool replaced = false;
    for (const auto& [key, value] : body.items()) {
        out += (first ? "" : ",") + json(key).dump() + ":" + (key == field ? rawValue : value.dump());
        replaced = replaced || key == field;
        first = false;
    }
    if (!replaced)
        out += (first ? "" : ",") + json(field).dump() + ":" + rawValue;
    return out + "}";
}

// A body with one more member whose key is given as raw bytes (which may be anything at all).
std::string withRawKey(const json& body, const std::string& rawKey) {
    auto out = body.dump();
    out.pop_back();
    return out + ",\"" + rawKey + "\":\"v\"}";
}

struct Endpoint {
    const char* name;
    const char* method;
    const char* path; // {conv}, {agent} and {other-agent} are filled in
    const char* who;
    json validBody;
    std::vector<std::string> stringFields, intFields, boolFields;
};

// Every route that reads a body, with a body it would accept.
const std::vector<Endpoint>& bodyEndpoints() {
    static const std::vector<Endpoint> all = {
        {"message",
         "POST",
         "/api/v1/conversations/{conv}/messages",
         "owner",
         {{"content", "hello"}, {"client_msg_id", "wt-1"}, {"kind", "text"}, {"faq_slug", "returns"}},
         {"content", "client_msg_id", "kind", "faq_slug"},
         {},
         {}},
        {"presence",
         "PUT",
         "/api/v1/agent/presence",
         "assigned",
         {{"presence", "online"}},
         {"presence"},
         {},
         {}},
        {"login",
         "POST",
         "/api/v1/agent/login",
         "none",
         {{"username", "nobody"}, {"password", "password-1"}},
         {"username", "password"},
         {},
         {}},
        {"faq create",
         "POST",
         "/api/v1/admin/faq",
         "admin",
         {{"slug", "wt"}, {"question", "Q?"}, {"answer", "A."}, {"display_order", 1}, {"is_active", true}},
         {"slug", "question", "answer"},
         {"display_order"},
         {"is_active"}},
        {"faq edit",
         "PUT",
         "/api/v1/admin/faq/returns",
         "admin",
         {{"slug", "returns"},
          {"question", "Q?"},
          {"answer", "A."},
          {"display_order", 1},
          {"is_active", true}},
         {"slug", "question", "answer"},
         {"display_order"},
         {"is_active"}},
        {"agent create",
         "POST",
         "/api/v1/admin/agents",
         "admin",
         {{"username", "wt"},
          {"display_name", "W"},
          {"password", "password-1"},
          {"max_active_chats", 2},
          {"role", "agent"}},
         {"username", "display_name", "password", "role"},
         {"max_active_chats"},
         {}},
        {"agent edit",
         "PUT",
         "/api/v1/admin/agents/{other-agent}",
         "admin",
         {{"display_name", "W"}, {"password", "password-1"}, {"max_active_chats", 2}, {"role", "agent"}},
         {"display_name", "password", "role"},
         {"max_active_chats"},
         {}},
    };
    return all;
}

// Invalid UTF-8 and the JSON escapes that decode to no valid text.
const std::vector<std::pair<const char*, std::string>>& badUtf8() {
    static const std::vector<std::pair<const char*, std::string>> all = {
        {"overlong 2-byte /", "\xC0\xAF"},
        {"overlong NUL", "\xC0\x80"},
        {"overlong 3-byte", "\xE0\x80\xAF"},
        {"overlong 4-byte", "\xF0\x80\x80\xAF"},
        {"UTF-16 high surrogate", "\xED\xA0\x80"},
        {"UTF-16 low surrogate", "\xED\xBF\xBF"},
        {"above U+10FFFF", "\xF4\x90\x80\x80"},
        {"lead byte F5", "\xF5\x80\x80\x80"},
        {"byte FE", "\xFE"},
        {"byte FF", "\xFF"},
        {"lone continuation", "\x80"},
        {"truncated 2-byte", "\xC3"},
        {"truncated 3-byte", "\xE2\x82"},
        {"truncated 4-byte", "\xF0\x9F\x98"},
        {"escaped lone high surrogate", "\\ud800"},
        {"escaped lone low surrogate", "\\udc00"},
        {"escaped high then no low", "\\ud800\\u0041"},
        {"escaped pair reversed", "\\udc00\\ud800"},
    };
    return all;
}

} // namespace

class TestApiHostile : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }
    std::map<std::string, std::string> m_tokens; // by role name; "none" is no token
    std::string m_conv;                          // the owner's, handed off to "assigned"
    std::string m_strangerConv;                  // another session's
    std::string m_assignedId, m_otherAgentId;

    std::string fill(std::string path) const {
        auto replace = [&](const std::string& what, const std::string& with) {
            for (auto at = path.find(what); at != std::string::npos; at = path.find(what))
                path.replace(at, what.size(), with);
        };
        replace("{conv}", m_conv);
        replace("{stranger-conv}", m_strangerConv);
        replace("{agent}", m_assignedId);
        replace("{other-agent}", m_otherAgentId);
        return path;
    }

    HttpResponse call(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& who, const std::multimap<std::string, std::string>& headers = {}) {
        return http().raw(method, fill(path), body, m_tokens.at(who), "application/json", headers);
    }

    static void expectError(const HttpResponse& r, int status, const std::string& code) {
        QVERIFY2(r.status == status, r.describe().c_str());
        QVERIFY2(r.errorCode() == code, r.describe().c_str());
        QVERIFY2(!r.body["error"].value("message", "").empty(), r.describe().c_str());
    }

    std::size_t messageCount() { return f.conversation(m_conv, m_tokens["owner"])["messages"].size(); }

private slots:
    void initTestCase() {
        QVERIFY(f.start({QStringLiteral("--customer-rate-burst"), QStringLiteral("100000")}));
        const auto assigned = f.createAgent("hostile-assigned", 5, true);
        const auto other = f.createAgent("hostile-other", 5, false);
        m_assignedId = assigned.id;
        m_otherAgentId = other.id;
        auto [ownerToken, conv] = f.customerWithConversation();
        auto [strangerToken, strangerConv] = f.customerWithConversation();
        m_conv = conv;
        m_strangerConv = strangerConv;
        m_tokens = {{"none", ""},
                    {"owner", ownerToken},
                    {"stranger", strangerToken},
                    {"assigned", assigned.token},
                    {"other-agent", other.token},
                    {"admin", f.adminToken}};
        const auto handoff =
            http().post("/api/v1/conversations/" + m_conv + "/handoff", json::object(), ownerToken);
        QCOMPARE(handoff.body["conversation"].value("assigned_agent_id", ""), m_assignedId);
    }

    // After every case: the server still serves a normal request, and runs.
    void cleanup() {
        QVERIFY(f.server.running());
        QCOMPARE(http().get("/api/v1/faq").status, 200);
        QCOMPARE(http().get("/api/v1/conversations/" + m_conv, m_tokens["owner"]).status, 200);
    }

    void malformedJson_data() {
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<QByteArray>("body");
        const std::vector<std::pair<const char*, std::string>> bodies = {
            {"truncated object", R"({"content":"x")"},
            {"truncated after colon", R"({"content":)"},
            {"truncated string", "{\"content\":\"x"}, // (no raw string: moc miscounts its quotes)
            {"only a brace", "{"},
            {"only a bracket", "["},
            {"only a quote", "\""},
            {"trailing comma", R"({"content":"x",})"},
            {"single quotes", "{'content':'x'}"},
            {"bare key", R"({content:"x"})"},
            {"NaN", R"({"content":NaN})"},
            {"Infinity", R"({"content":Infinity})"},
            {"number overflow", R"({"content":1e999})"},
            {"garbage after", R"({"content":"x"} x)"},
            {"two documents", R"({"content":"x"}{})"},
            {"comment", "/"
                        "* c *"
                        "/ {\"content\":\"x\"}"},
            {"bad escape", "{\"content\":\"\\x\"}"},
            {"short unicode escape", "{\"content\":\"\\u12\"}"},
            {"raw control character in a string", "{\"content\":\"a\x01"
                                                  "b\"}"},
            {"raw newline in a string", "{\"content\":\"a\nb\"}"},
            {"literal truncated", "tru"},
            {"an array", "[1,2]"},
            {"a string", "\"content\""},
            {"a number", "42"},
            {"null", "null"},
            {"true", "true"},
            {"NUL byte outside strings", std::string("{\"content\":\"x\"}\0", 16)},
        };
        for (const auto& e : bodyEndpoints())
            for (const auto& [name, body] : bodies)
                QTest::addRow("%s: %s", e.name, name) << QString::fromLatin1(e.name) << bytes(body);
    }
    void malformedJson() {
        QFETCH(QString, endpoint);
        QFETCH(QByteArray, body);
        const auto& e = *std::find_if(bodyEndpoints().begin(), bodyEndpoints().end(),
                                      [&](const Endpoint& x) { return endpoint == QLatin1String(x.name); });
        expectError(call(e.method, e.path, body.toStdString(), e.who), 400, "invalid_request");
    }

    void wrongTypes_data() {
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<QByteArray>("body");
        const std::vector<std::string> notString = {"5",  "true",    "1.5",          "[]",
                                                    "{}", "[\"x\"]", "{\"a\":\"b\"}"};
        const std::vector<std::string> notInt = {"\"1\"",
                                                 "true",
                                                 "1.5",
                                                 "1e2",
                                                 "[]",
                                                 "{}",
                                                 "[1]",
                                                 "2147483648",
                                                 "-2147483649",
                                                 "99999999999999999999",
                                                 "-99999999999999999999",
                                                 "1e400"};
        const std::vector<std::string> notBool = {"\"true\"", "1", "0", "[]", "{}", "[true]"};
        for (const auto& e : bodyEndpoints()) {
            auto add = [&](const std::vector<std::string>& fields, const std::vector<std::string>& values) {
                for (const auto& field : fields)
                    for (const auto& v : values)
                        QTest::addRow("%s: %s = %s", e.name, field.c_str(), v.c_str())
                            << QString::fromLatin1(e.name) << bytes(withField(e.validBody, field, v));
            };
            add(e.stringFields, notString);
            add(e.intFields, notInt);
            add(e.boolFields, notBool);
        }
    }
    void wrongTypes() {
        QFETCH(QString, endpoint);
        QFETCH(QByteArray, body);
        const auto& e = *std::find_if(bodyEndpoints().begin(), bodyEndpoints().end(),
                                      [&](const Endpoint& x) { return endpoint == QLatin1String(x.name); });
        const auto before = messageCount();
        expectError(call(e.method, e.path, body.toStdString(), e.who), 400, "invalid_request");
        QCOMPARE(messageCount(), before); // nothing half-written
    }

    void invalidUtf8InBodies_data() {
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<QByteArray>("body");
        for (const auto& [name, seq] : badUtf8()) {
            for (const char* endpoint : {"message", "login", "faq create"}) {
                const auto& e =
                    *std::find_if(bodyEndpoints().begin(), bodyEndpoints().end(),
                                  [&](const Endpoint& x) { return std::string(endpoint) == x.name; });
                const auto field = e.stringFields.front();
                QTest::addRow("%s: %s in a value", endpoint, name)
                    << QString::fromLatin1(endpoint)
                    << bytes(withField(e.validBody, field, "\"a" + seq + "b\""));
                QTest::addRow("%s: %s at the end of a value", endpoint, name)
                    << QString::fromLatin1(endpoint)
                    << bytes(withField(e.validBody, field, "\"ab" + seq + "\""));
                QTest::addRow("%s: %s in a key", endpoint, name)
                    << QString::fromLatin1(endpoint) << bytes(withRawKey(e.validBody, "x" + seq));
            }
        }
    }
    void invalidUtf8InBodies() {
        QFETCH(QString, endpoint);
        QFETCH(QByteArray, body);
        const auto& e = *std::find_if(bodyEndpoints().begin(), bodyEndpoints().end(),
                                      [&](const Endpoint& x) { return endpoint == QLatin1String(x.name); });
        const auto before = messageCount();
        expectError(call(e.method, e.path, body.toStdString(), e.who), 400, "invalid_request");
        QCOMPARE(messageCount(), before);
    }

    void invalidUtf8InHeadersPathsAndQueries() {
        const auto& owner = m_tokens["owner"];
        for (const auto& [name, seq] : badUtf8()) {
            if (seq.front() == '\\')
                continue; // escapes mean nothing outside JSON
            for (const auto& header : {"Bearer " + seq, "Bearer " + owner + seq, "Bearer " + seq + owner,
                                       "Bear" + seq + "er " + owner}) {
                const auto r = http().raw("GET", "/api/v1/conversations/" + m_conv, {}, {},
                                          "application/json", {{"Authorization", header}});
                expectError(r, 401, "unauthorized");
            }
            // Other headers are not read: an odd one changes nothing.
            QCOMPARE(http()
                         .raw("GET", "/api/v1/conversations/" + m_conv, {}, owner, "application/json",
                              {{"X-Shop-Note", "a" + seq}})
                         .status,
                     200);
        }
        for (const char* encoded : {"%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%FF", "%E2%82", "%C0%80"}) {
            expectError(http().get(std::string("/api/v1/conversations/") + encoded, owner), 404, "not_found");
            expectError(http().get(std::string("/api/v1/conversations/") + encoded + "/messages", owner), 404,
                        "not_found");
            expectError(
                http().get("/api/v1/conversations/" + m_conv + "/messages?after_seq=" + encoded, owner), 400,
                "invalid_request");
            expectError(http().del(std::string("/api/v1/admin/faq/") + encoded, f.adminToken), 404,
                        "not_found");
        }
    }

    void deepNestingIsRefusedInBoundedTime_data() {
        QTest::addColumn<QByteArray>("body");
        auto nested = [](int depth, const std::string& open, const std::string& close,
                         const std::string& inner) {
            std::string s;
            for (int i = 0; i < depth; ++i)
                s += open;
            s += inner;
            for (int i = 0; i < depth; ++i)
                s += close;
            return s;
        };
        QTest::newRow("33 arrays as the body") << bytes(nested(33, "[", "]", ""));
        QTest::newRow("30000 arrays as the body") << bytes(nested(30000, "[", "]", ""));
        QTest::newRow("30000 arrays, never closed") << bytes(nested(30000, "[", "", ""));
        QTest::newRow("10000 objects") << bytes(nested(10000, "{\"a\":", "}", "1"));
        QTest::newRow("deep in an unknown field")
            << bytes("{\"content\":\"x\",\"extra\":" + nested(20000, "[", "]", "") + "}");
        QTest::newRow("deep in content") << bytes("{\"content\":" + nested(20000, "[", "]", "\"x\"") + "}");
    }
    void deepNestingIsRefusedInBoundedTime() {
        QFETCH(QByteArray, body);
        QElapsedTimer timer;
        timer.start();
        expectError(call("POST", "/api/v1/conversations/{conv}/messages", body.toStdString(), "owner"), 400,
                    "invalid_request");
        QVERIFY2(timer.elapsed() < 2000, std::to_string(timer.elapsed()).c_str());
    }

    void duplicateKeysAreRefused() {
        const auto before = messageCount();
        for (const std::string body : {R"({"content":"first","content":"second"})",
                                       R"({"content":"x","client_msg_id":"a","client_msg_id":"b"})",
                                       R"({"content":"x","extra":{"k":1,"k":2}})",
                                       R"({"content":"x","extra":[{"k":1},{"k":2,"k":3}]})"}) {
            const auto r = call("POST", "/api/v1/conversations/{conv}/messages", body, "owner");
            expectError(r, 400, "invalid_request");
            QVERIFY2(r.body["error"].value("message", "").find("twice") != std::string::npos,
                     r.describe().c_str());
        }
        expectError(call("POST", "/api/v1/agent/login",
                         R"({"username":"admin","username":"x","password":"y"})", "none"),
                    400, "invalid_request");
        QCOMPARE(messageCount(), before);
        // Keys that differ in case are different keys; unknown ones are ignored.
        QCOMPARE(call("POST", "/api/v1/conversations/{conv}/messages",
                      R"({"content":"case","Content":"other"})", "owner")
                     .status,
                 201);
    }

    void controlCharactersInText() {
        const auto before = messageCount();
        for (const std::string text : {"\\u0000", "a\\u0000b", "bell\\u0007", "\\u001b[31mred", "del\\u007f",
                                       "csi\\u009b31m", "nel\\u0085"}) {
            const auto body = "{\"content\":\"" + text + "\"}";
            expectError(call("POST", "/api/v1/conversations/{conv}/messages", body, "owner"), 400,
                        "invalid_request");
            expectError(call("POST", "/api/v1/admin/faq",
                             "{\"slug\":\"ctl\",\"question\":\"Q?\",\"answer\":\"" + text + "\"}", "admin"),
                        400, "invalid_request");
        }
        for (const std::string& id : {std::string("\\u0000"), std::string("a\\nb"), std::string("a\\u007fb"),
                                      std::string("a\\u0080b"), std::string(129, 'k'), std::string()})
            expectError(call("POST", "/api/v1/conversations/{conv}/messages",
                             "{\"content\":\"x\",\"client_msg_id\":\"" + id + "\"}", "owner"),
                        400, "invalid_request");
        // One-line names: no DEL, no C1 (U+009B is a terminal's escape, shown in every console).
        for (const std::string name : {"Del\\u007fName", "Evil\\u009b31mName", "\\u00a0\\u2003"})
            expectError(
                call("POST", "/api/v1/admin/agents",
                     "{\"username\":\"ctl\",\"display_name\":\"" + name +
                         "\",\"password\":\"ctl-password\",\"max_active_chats\":2,\"role\":\"agent\"}",
                     "admin"),
                400, "invalid_request");
        // Stored names lose only White_Space at their ends: an emoji's U+FE0F stays.
        const auto emoji = call("POST", "/api/v1/admin/agents",
                                "{\"username\":\"emoji\",\"display_name\":\" Kim \\u2764\\ufe0f\\u00a0\","
                                "\"password\":\"emoji-password\",\"max_active_chats\":2,\"role\":\"agent\"}",
                                "admin");
        QCOMPARE(emoji.status, 201);
        QCOMPARE(emoji.body["agent"].value("display_name", ""), std::string("Kim \u2764\ufe0f"));
        QCOMPARE(messageCount(), before);
        const auto ok = call("POST", "/api/v1/conversations/{conv}/messages",
                             R"({"content":"tab\tand\nlines\r\n"})", "owner");
        QCOMPARE(ok.status, 201);
        QCOMPARE(ok.body["message"].value("content", ""), std::string("tab\tand\nlines\r\n"));
    }

    void forgedAndAlteredTokens_data() {
        QTest::addColumn<QByteArray>("token");
        const auto forge = TokenForge::fromDataDir(f.server.dataDir());
        QVERIFY(forge.valid());
        const TokenForge other("another-secret-of-32-bytes-long!");
        const auto& owner = m_tokens["owner"];
        const auto& stranger = m_tokens["stranger"];
        const auto& agent = m_tokens["assigned"];
        const auto agentPayload = *TokenForge::payloadOf(agent);
        const auto sig = [](const std::string& t) { return t.substr(t.find('.')); };
        const auto head = [](const std::string& t) { return t.substr(0, t.find('.')); };
        auto flipped = owner;
        flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
        auto altered = agentPayload;
        altered["aid"] = "00000000-0000-4000-8000-000000000000";
        auto exp = agentPayload;
        exp["exp"] = 1;
        auto noSid = agentPayload;
        noSid.erase("sid");
        auto unknownSid = agentPayload;
        unknownSid["sid"] = "00000000-0000-4000-8000-000000000000";
        auto sidOfAnother = *TokenForge::payloadOf(f.adminToken);
        sidOfAnother["aid"] = agentPayload["aid"]; // the admin's session, this agent's id
        auto expAsText = agentPayload;
        expAsText["exp"] = std::to_string(agentPayload["exp"].get<long long>());
        auto expAsFloat = agentPayload;
        expAsFloat["exp"] = 1e12;
        const std::string jwtHeader = TokenForge::base64Url(R"({"alg":"none","typ":"JWT"})");
        const std::string hsHeader = TokenForge::base64Url(R"({"alg":"HS256","typ":"JWT"})");
        const std::string claims = TokenForge::base64Url(agentPayload.dump());

        const std::vector<std::pair<const char*, std::string>> tokens = {
            {"garbage", "garbage"},
            {"a dot", "."},
            {"two dots", ".."},
            {"empty signature", head(owner) + "."},
            {"payload only", head(owner)},
            {"signature only", sig(owner).substr(1)},
            {"truncated by one", owner.substr(0, owner.size() - 1)},
            {"truncated by half", owner.substr(0, owner.size() / 2)},
            {"one signature character changed", flipped},
            {"customer payload, other customer's signature", head(owner) + sig(stranger)},
            {"agent payload, customer's signature", head(agent) + sig(owner)},
            {"agent id changed, signature kept", TokenForge::base64Url(altered.dump()) + sig(agent)},
            {"signed with another secret", other.sign(agentPayload)},
            {"customer signed with another secret", other.sign({{"typ", "c"}, {"sid", "s"}})},
            {"expired agent token", forge.sign(exp)},
            {"agent token without a session (before sessions)", forge.sign(noSid)},
            {"agent token of an unknown session", forge.sign(unknownSid)},
            {"agent token naming another agent's session", forge.sign(sidOfAnother)},
            {"exp as text", forge.sign(expAsText)},
            {"exp as a float", forge.sign(expAsFloat)},
            {"unknown kind", forge.sign({{"typ", "admin"}, {"aid", agentPayload["aid"]}})},
            {"kind as a number", forge.sign({{"typ", 1}, {"sid", "s"}})},
            {"no kind", forge.sign({{"sid", "s"}})},
            {"customer session as a number", forge.sign({{"typ", "c"}, {"sid", 5}})},
            {"payload not an object", forge.signRaw("[1,2]")},
            {"payload not JSON", forge.signRaw("not json")},
            {"JWT with alg none", jwtHeader + "." + claims + "."},
            {"JWT with alg HS256 signed as JWT",
             hsHeader + "." + claims + "." + forge.mac(hsHeader + "." + claims)},
            {"token with a space inside", owner.substr(0, 10) + " " + owner.substr(10)},
            {"token of 5000 characters", std::string(5000, 'A') + "." + std::string(43, 'B')},
        };
        for (const auto& [name, token] : tokens)
            QTest::newRow(name) << bytes(token);
    }
    void forgedAndAlteredTokens() {
        QFETCH(QByteArray, token);
        const auto t = token.toStdString();
        for (const std::string& path : {"/api/v1/conversations/" + m_conv, std::string("/api/v1/queue"),
                                        std::string("/api/v1/admin/agents")}) {
            const auto r = http().get(path, t);
            expectError(r, 401, "unauthorized");
            QCOMPARE(r.header("WWW-Authenticate"), std::string("Bearer"));
        }
        expectError(http().post("/api/v1/conversations/" + m_conv + "/messages", {{"content", "x"}}, t), 401,
                    "unauthorized");
    }

    void authorizationSchemes() {
        const auto& owner = m_tokens["owner"];
        const auto path = "/api/v1/conversations/" + m_conv;
        auto withHeader = [&](const std::string& value) {
            return http().raw("GET", path, {}, {}, "application/json", {{"Authorization", value}});
        };
        QCOMPARE(withHeader("Bearer " + owner).status, 200);
        QCOMPARE(withHeader("bearer " + owner).status, 200); // the scheme is case-insensitive
        QCOMPARE(withHeader("BEARER  " + owner).status, 200);
        for (const std::string& value :
             {std::string("Bearer"), std::string("Bearer "), "Basic " + owner, owner, "Bearer" + owner,
              "Token " + owner, std::string(""), "Bearer\t" + owner})
            expectError(withHeader(value), 401, "unauthorized");
    }

    void roleMixUps_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("who");
        QTest::addColumn<int>("status");
        struct Route {
            const char* method;
            const char* path;
            const char* body;
            // none, owner, stranger, assigned, other-agent, admin
            std::array<int, 6> expected;
        };
        const char* roles[] = {"none", "owner", "stranger", "assigned", "other-agent", "admin"};
        const std::vector<Route> routes = {
            {"GET", "/api/v1/conversations/{conv}", "", {401, 200, 404, 200, 200, 200}},
            {"GET", "/api/v1/conversations/{conv}/messages?after_seq=0", "", {401, 200, 404, 200, 200, 200}},
            {"POST",
             "/api/v1/conversations/{conv}/messages",
             R"({"content":"hi"})",
             {401, 201, 404, 201, 403, 403}},
            {"POST", "/api/v1/conversations/{conv}/handoff", "", {401, 200, 404, 403, 403, 403}},
            {"POST", "/api/v1/conversations", "", {401, 200, 200, 403, 403, 403}},
            {"PUT", "/api/v1/agent/presence", R"({"presence":"online"})", {401, 403, 403, 200, 0, 0}},
            {"GET", "/api/v1/agent/conversations", "", {401, 403, 403, 200, 200, 200}},
            {"GET", "/api/v1/queue", "", {401, 403, 403, 200, 200, 200}},
            {"GET", "/api/v1/agents", "", {401, 403, 403, 200, 200, 200}},
            {"GET", "/api/v1/admin/faq", "", {401, 403, 403, 403, 403, 200}},
            {"POST",
             "/api/v1/admin/faq",
             R"({"slug":"role-mix","question":"Q?","answer":"A."})",
             {401, 403, 403, 403, 403, 0}},
            {"PUT", "/api/v1/admin/faq/returns", R"({"display_order":3})", {401, 403, 403, 403, 403, 0}},
            {"DELETE", "/api/v1/admin/faq/returns", "", {401, 403, 403, 403, 403, 0}},
            {"GET", "/api/v1/admin/agents", "", {401, 403, 403, 403, 403, 200}},
            {"POST",
             "/api/v1/admin/agents",
             R"({"username":"role-mix","display_name":"R","password":"password-1"})",
             {401, 403, 403, 403, 403, 0}},
            {"PUT",
             "/api/v1/admin/agents/{other-agent}",
             R"({"max_active_chats":4})",
             {401, 403, 403, 403, 403, 0}},
            {"GET", "/api/v1/faq", "", {200, 200, 200, 200, 200, 200}},
            {"POST", "/api/v1/customer/session", "", {201, 201, 201, 201, 201, 201}},
        };
        for (const auto& r : routes)
            for (std::size_t i = 0; i < std::size(roles); ++i)
                if (r.expected[i] != 0) // 0: covered by the API suites (it changes state the others need)
                    QTest::addRow("%s %s as %s", r.method, r.path, roles[i])
                        << QString::fromLatin1(r.method) << QString::fromLatin1(r.path) << QByteArray(r.body)
                        << QString::fromLatin1(roles[i]) << r.expected[i];
    }
    void roleMixUps() {
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(QString, who);
        QFETCH(int, status);
        const auto r = call(method.toStdString(), path.toStdString(), body.toStdString(), who.toStdString());
        QVERIFY2(r.status == status, r.describe().c_str());
        const std::map<int, std::string> codes = {
            {401, "unauthorized"}, {403, "forbidden"}, {404, "not_found"}};
        if (codes.count(status))
            QCOMPARE(r.errorCode(), codes.at(status));
    }

    void closeIsForTheAssignedAgentOrAnAdmin() {
        const auto [token, conv] = f.customerWithConversation();
        QCOMPARE(http().post("/api/v1/conversations/" + conv + "/handoff", json::object(), token).status,
                 200);
        QCOMPARE(f.conversation(conv, token)["conversation"].value("assigned_agent_id", ""), m_assignedId);
        const auto path = "/api/v1/conversations/" + conv + "/close";
        expectError(http().post(path, json::object()), 401, "unauthorized");
        expectError(http().post(path, json::object(), token), 403, "forbidden"); // a customer never closes
        expectError(http().post(path, json::object(), m_tokens["stranger"]), 403, "forbidden");
        expectError(http().post(path, json::object(), m_tokens["other-agent"]), 403, "forbidden");
        QCOMPARE(http().post(path, json::object(), m_tokens["assigned"]).status, 200);
        expectError(http().post(path, json::object(), f.adminToken), 409, "invalid_transition");
    }

    void anotherSessionsConversationIsNotFound_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("read") << "GET"
                              << "/api/v1/conversations/{stranger-conv}" << QByteArray();
        QTest::newRow("poll") << "GET"
                              << "/api/v1/conversations/{stranger-conv}/messages?after_seq=0" << QByteArray();
        QTest::newRow("send") << "POST"
                              << "/api/v1/conversations/{stranger-conv}/messages"
                              << QByteArray(R"({"content":"hi","client_msg_id":"x"})");
        QTest::newRow("handoff") << "POST"
                                 << "/api/v1/conversations/{stranger-conv}/handoff" << QByteArray();
    }
    void anotherSessionsConversationIsNotFound() {
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        expectError(call(method.toStdString(), path.toStdString(), body.toStdString(), "owner"), 404,
                    "not_found");
        // An unknown id answers exactly the same.
        auto unknown = path;
        unknown.replace(QStringLiteral("{stranger-conv}"),
                        QStringLiteral("00000000-0000-4000-8000-000000000000"));
        const auto r = call(method.toStdString(), unknown.toStdString(), body.toStdString(), "owner");
        const auto foreign = call(method.toStdString(), path.toStdString(), body.toStdString(), "owner");
        QCOMPARE(r.rawBody, foreign.rawBody);
    }

    void idsThatAreNoUuid_data() {
        QTest::addColumn<QString>("id");
        QTest::newRow("word") << "not-a-uuid";
        QTest::newRow("nil uuid") << "00000000-0000-0000-0000-000000000000";
        QTest::newRow("too long") << QString(2000, QLatin1Char('a'));
        QTest::newRow("uuid plus a character") << "{conv}x";
        QTest::newRow("uuid without dashes") << "0123456789abcdef0123456789abcdef0123";
        QTest::newRow("agent id") << "{agent}";
        QTest::newRow("encoded NUL") << "%00";
        QTest::newRow("encoded slashes") << "..%2F..%2Fadmin";
        QTest::newRow("encoded quote") << "%22%3E%3Cscript%3E";
        QTest::newRow("spaces") << "%20%20";
    }
    void idsThatAreNoUuid() {
        QFETCH(QString, id);
        const auto base = "/api/v1/conversations/" + id.toStdString();
        for (const char* who : {"owner", "assigned", "admin"}) {
            expectError(call("GET", base, {}, who), 404, "not_found");
            expectError(call("GET", base + "/messages?after_seq=0", {}, who), 404, "not_found");
            expectError(call("POST", base + "/messages", R"({"content":"x"})", who), 404, "not_found");
        }
        expectError(call("POST", base + "/handoff", {}, "owner"), 404, "not_found");
        expectError(call("POST", base + "/close", {}, "admin"), 404, "not_found");
        if (id != QLatin1String("{agent}")) // that one is an agent's id
            expectError(
                call("PUT", "/api/v1/admin/agents/" + id.toStdString(), R"({"max_active_chats":1})", "admin"),
                404, "not_found");
    }

    void oddAfterSeq_data() {
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("status");
        QTest::newRow("negative") << "after_seq=-1" << 400;
        QTest::newRow("empty") << "after_seq=" << 400;
        QTest::newRow("no value") << "after_seq" << 400;
        QTest::newRow("word") << "after_seq=abc" << 400;
        QTest::newRow("fraction") << "after_seq=1.5" << 400;
        QTest::newRow("exponent") << "after_seq=1e3" << 400;
        QTest::newRow("hex") << "after_seq=0x10" << 400;
        QTest::newRow("plus sign") << "after_seq=%2B1" << 400;
        QTest::newRow("leading space") << "after_seq=%201" << 400;
        QTest::newRow("trailing space") << "after_seq=1%20" << 400;
        QTest::newRow("NUL") << "after_seq=1%00" << 400;
        QTest::newRow("int64 max + 1") << "after_seq=9223372036854775808" << 400;
        QTest::newRow("huge") << "after_seq=99999999999999999999999999" << 400;
        QTest::newRow("repeated") << "after_seq=1&after_seq=2" << 400;
        QTest::newRow("int64 max") << "after_seq=9223372036854775807" << 200;
        QTest::newRow("zero") << "after_seq=0" << 200;
        QTest::newRow("beyond the last") << "after_seq=1000000" << 200;
        QTest::newRow("absent") << "other=1" << 200;
    }
    void oddAfterSeq() {
        QFETCH(QString, query);
        QFETCH(int, status);
        for (const char* who : {"owner", "assigned"}) {
            const auto r =
                call("GET", "/api/v1/conversations/{conv}/messages?" + query.toStdString(), {}, who);
            QVERIFY2(r.status == status, r.describe().c_str());
            if (status == 400)
                QCOMPARE(r.errorCode(), std::string("invalid_request"));
            else if (query.contains(QStringLiteral("max")) || query.contains(QStringLiteral("beyond")))
                QCOMPARE(r.body["messages"].size(), std::size_t(0));
        }
    }

    void loginWithNamesNoAgentCanHave() {
        QElapsedTimer timer;
        timer.start();
        for (const std::string& name : {std::string(60000, 'u'), std::string("admin "), std::string("ad min"),
                                        std::string("admin\\u0000"), std::string("ädmin"), std::string("")}) {
            const auto body = "{\"username\":\"" + name + "\",\"password\":\"whatever-1\"}";
            expectError(call("POST", "/api/v1/agent/login", body, "none"), 401, "unauthorized");
        }
        // Answered without the password hash each costs (a hash takes tens of milliseconds).
        QVERIFY2(timer.elapsed() < 3000, std::to_string(timer.elapsed()).c_str());
        QVERIFY(!http().login("admin", ServerProcess::kAdminPassword).empty());
    }

    void cleanupTestCase() {
        QVERIFY(f.server.running());
        QCOMPARE(http().get("/healthz").status, 200);
        QVERIFY(f.server.stop()); // and it still stops cleanly
    }
};

QTEST_GUILESS_MAIN(TestApiHostile)
#include "tst_api_hostile.moc"
