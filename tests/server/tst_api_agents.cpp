// Agents against the real server: sign-in, presence, assignment and its tie-breaks, the queue,
// agent messages, closing, and the audit trail of system messages.
#include "ApiTestBase.h"

using namespace parley::test;

namespace {

std::vector<std::string> events(const json& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages)
        if (m["kind"] == "event")
            out.push_back(m["metadata"].value("event", ""));
    return out;
}
} // namespace

class TestApiAgents : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }
    int m_n = 0;
    std::string unique(const char* prefix) { return prefix + std::to_string(++m_n); }

    // Every online agent goes offline and every open conversation is closed, so tests start even.
    void quiesce() {
        const auto queue = http().get("/api/v1/queue", f.adminToken).body["conversations"];
        for (const auto& c : queue)
            http().post("/api/v1/conversations/" + c["id"].get<std::string>() + "/close", json::object(),
                        f.adminToken);
        const auto agents = http().get("/api/v1/agents", f.adminToken).body["agents"];
        for (const auto& a : agents) {
            if (a["active_chats"].get<int>() > 0)
                http().put("/api/v1/admin/agents/" + a["id"].get<std::string>(), {{"max_active_chats", 0}},
                           f.adminToken);
        }
    }
    std::string handoff(const std::string& token, const std::string& id) {
        return http()
            .post("/api/v1/conversations/" + id + "/handoff", json::object(), token)
            .body["conversation"]
            .dump();
    }
    json assignedAgentOf(const std::string& id) {
        return f.conversation(id, f.adminToken)["conversation"]["assigned_agent_id"];
    }

private slots:
    void initTestCase() { QVERIFY(f.start()); }

    void login() {
        f.createAgent("alice", 3, false);
        const auto ok =
            http().post("/api/v1/agent/login", {{"username", "alice"}, {"password", "password-alice"}});
        QCOMPARE(ok.status, 200);
        QVERIFY(!ok.body.value("token", "").empty());
        QCOMPARE_JSON(ok.body["agent"]["username"], json("alice"));
        QCOMPARE_JSON(ok.body["agent"]["presence"], json("offline")); // signing in does not change presence
        QVERIFY(!ok.body["agent"].contains("password_hash"));
        const auto wrong =
            http().post("/api/v1/agent/login", {{"username", "alice"}, {"password", "nope-nope"}});
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.errorCode(), std::string("unauthorized"));
        QCOMPARE(
            http().post("/api/v1/agent/login", {{"username", "nobody"}, {"password", "whatever1"}}).status,
            401);
        QCOMPARE(http().post("/api/v1/agent/login", {{"username", "alice"}}).status, 400);
        QCOMPARE(http().post("/api/v1/agent/login", {{"username", 1}, {"password", "x"}}).status, 400);
    }

    void repeatedFailedLoginsAreSlowedDown() {
        f.createAgent("mallory-target", 1, false);
        int unauthorized = 0;
        HttpResponse last;
        for (int i = 0; i < 7; ++i) {
            last = http().post("/api/v1/agent/login",
                               {{"username", "mallory-target"}, {"password", "guess-" + std::to_string(i)}});
            if (last.status == 401)
                ++unauthorized;
        }
        QCOMPARE(unauthorized, 5);
        QCOMPARE(last.status, 429);
        QVERIFY(std::stoi(last.header("Retry-After")) >= 1);
        // While throttled even the right password is refused; other users are unaffected.
        QCOMPARE(http()
                     .post("/api/v1/agent/login",
                           {{"username", "mallory-target"}, {"password", "password-mallory-target"}})
                     .status,
                 429);
        QVERIFY(!http().login("alice", "password-alice").empty());
    }

    void presence() {
        auto a = f.createAgent(unique("pres"), 2, false);
        const auto on = http().put("/api/v1/agent/presence", {{"presence", "online"}}, a.token);
        QCOMPARE(on.status, 200);
        QCOMPARE_JSON(on.body["agent"]["presence"], json("online"));
        QCOMPARE(http().put("/api/v1/agent/presence", {{"presence", "away"}}, a.token).status, 400);
        QCOMPARE(http().put("/api/v1/agent/presence", json::object(), a.token).status, 400);
        QCOMPARE(http().put("/api/v1/agent/presence", {{"presence", "online"}}, "bad-token").status, 401);
        const auto team = http().get("/api/v1/agents", a.token);
        QCOMPARE(team.status, 200);
        bool found = false;
        for (const auto& ag : team.body["agents"])
            if (ag["id"] == a.id) {
                found = true;
                QCOMPARE_JSON(ag["presence"], json("online"));
                QCOMPARE_JSON(ag["active_chats"], json(0));
                QCOMPARE_JSON(ag["max_active_chats"], json(2));
            }
        QVERIFY(found);
        QCOMPARE(http().put("/api/v1/agent/presence", {{"presence", "offline"}}, a.token).status, 200);
    }

    void handoffWithAFreeAgentAssignsAtOnce() {
        quiesce();
        auto a = f.createAgent(unique("free"), 2, true);
        auto [token, id] = f.customerWithConversation();
        const auto r = http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token);
        QCOMPARE(r.status, 200);
        QCOMPARE_JSON(r.body["conversation"]["assigned_agent_id"], json(a.id));
        QVERIFY(r.body["conversation"]["queue_position"].is_null());
        const auto messages = f.conversation(id, token)["messages"];
        QCOMPARE(countContent(messages, kBusyMessage), 0);
        QCOMPARE(events(messages), std::vector<std::string>{"assigned"});
        QVERIFY(messages.back()["content"].get<std::string>().find("Agent free") != std::string::npos);
        QCOMPARE_JSON(messages.back()["metadata"]["agent_display_name"],
                      json("Agent " + std::string("free") + std::to_string(m_n)));

        const auto mine = http().get("/api/v1/agent/conversations", a.token);
        QCOMPARE(mine.body["conversations"].size(), std::size_t(1));
        QCOMPARE_JSON(mine.body["conversations"][0]["id"], json(id));
        QCOMPARE(http().get("/api/v1/queue", a.token).body["conversations"].size(), std::size_t(0));

        // Only the assigned agent writes; the customer sees it; no bot reply after handoff.
        const auto reply =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "Hi, I'm here!"}}, a.token);
        QCOMPARE(reply.status, 201);
        QCOMPARE_JSON(reply.body["message"]["sender_type"], json("agent"));
        QCOMPARE_JSON(reply.body["message"]["sender_agent_id"], json(a.id));
        QCOMPARE(reply.body["replies"].size(), std::size_t(0));
        auto other = f.createAgent(unique("other"), 2, true);
        const auto denied =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "me too"}}, other.token);
        QCOMPARE(denied.status, 403);
        QCOMPARE(denied.errorCode(), std::string("forbidden"));
        QCOMPARE(http()
                     .post("/api/v1/conversations/" + id + "/messages", {{"content", "admin"}}, f.adminToken)
                     .status,
                 403);
        // Any agent may read any conversation.
        QCOMPARE(http().get("/api/v1/conversations/" + id, other.token).status, 200);
        QCOMPARE(http().get("/api/v1/conversations/" + id + "/messages?after_seq=0", other.token).status,
                 200);
        QCOMPARE(countContent(f.conversation(id, token)["messages"], "Hi, I'm here!"), 1);

        // Closing: not by a customer, not by another agent; then read-only for everyone.
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), token).status, 403);
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), other.token).status,
                 403);
        const auto closed = http().post("/api/v1/conversations/" + id + "/close", json::object(), a.token);
        QCOMPARE(closed.status, 200);
        QCOMPARE_JSON(closed.body["conversation"]["status"], json("closed"));
        QVERIFY(closed.body["conversation"]["closed_at"].is_string());
        const auto again = http().post("/api/v1/conversations/" + id + "/close", json::object(), a.token);
        QCOMPARE(again.status, 409); // closing one that is not in `agent` (contract)
        QCOMPARE(again.errorCode(), std::string("invalid_transition"));
        const auto write =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hello?"}}, token);
        QCOMPARE(write.status, 409);
        QCOMPARE(write.errorCode(), std::string("conversation_closed"));
        QCOMPARE(
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "bye"}}, a.token).status,
            409);
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token).status, 409);
        QCOMPARE(events(f.conversation(id, token)["messages"]),
                 (std::vector<std::string>{"assigned", "closed"}));
        QCOMPARE(http().get("/api/v1/agent/conversations", a.token).body["conversations"].size(),
                 std::size_t(0));

        // A closed conversation is history: the session opens a new one.
        const auto fresh = http().post("/api/v1/conversations", json::object(), token);
        QCOMPARE(fresh.status, 201);
        QVERIFY(fresh.body["conversation"]["id"] != json(id));
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, a.token);
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, other.token);
    }

    void closeRules() {
        auto [token, id] = f.customerWithConversation();
        const auto automated =
            http().post("/api/v1/conversations/" + id + "/close", json::object(), f.adminToken);
        QCOMPARE(automated.status, 409);
        QCOMPARE(automated.errorCode(), std::string("invalid_transition"));
        auto plain = f.createAgent(unique("plain"), 1, false);
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), plain.token).status,
                 403);
        QCOMPARE(http()
                     .post("/api/v1/conversations/00000000-0000-4000-8000-000000000000/close", json::object(),
                           plain.token)
                     .status,
                 404);
        // An admin may close a queued conversation; it leaves the queue.
        quiesce();
        handoff(token, id);
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), f.adminToken).status,
                 200);
        const auto queue = http().get("/api/v1/queue", f.adminToken).body["conversations"];
        for (const auto& c : queue)
            QVERIFY(c["id"] != json(id));
    }

    // Issue 16: client_msg_id was unique per conversation, so an agent that happened to use the
    // customer's id got the customer's message back and its own text was dropped; and the same id
    // with other content answered 200 silently. The key is (conversation, sender, client_msg_id).
    void clientMsgIdIsPerSenderAndBoundToItsContent() {
        quiesce();
        auto a = f.createAgent(unique("idem"), 1, true);
        auto [token, id] = f.customerWithConversation();
        handoff(token, id);
        QCOMPARE_JSON(assignedAgentOf(id), json(a.id));
        const auto path = "/api/v1/conversations/" + id + "/messages";

        const auto fromCustomer =
            http().post(path, {{"content", "my parcel"}, {"client_msg_id", "k-1"}}, token);
        QCOMPARE(fromCustomer.status, 201);
        const auto fromAgent =
            http().post(path, {{"content", "let me look"}, {"client_msg_id", "k-1"}}, a.token);
        QCOMPARE(fromAgent.status, 201);
        QCOMPARE_JSON(fromAgent.body["message"]["content"], json("let me look"));
        QCOMPARE_JSON(fromAgent.body["message"]["sender_type"], json("agent"));
        QCOMPARE_JSON(fromAgent.body["message"]["client_msg_id"], json("k-1"));

        // The same key and content again: 200 with the first message, nothing new.
        const auto againCustomer =
            http().post(path, {{"content", "my parcel"}, {"client_msg_id", "k-1"}}, token);
        QCOMPARE(againCustomer.status, 200);
        QCOMPARE_JSON(againCustomer.body["message"], fromCustomer.body["message"]);
        const auto againAgent =
            http().post(path, {{"content", "let me look"}, {"client_msg_id", "k-1"}}, a.token);
        QCOMPARE(againAgent.status, 200);
        QCOMPARE_JSON(againAgent.body["message"], fromAgent.body["message"]);

        // The same key with other content is a client bug: 409, and nothing is stored.
        for (const auto& [who, text] : {std::pair{token, std::string("something else")},
                                        std::pair{a.token, std::string("other words")}}) {
            const auto clash = http().post(path, {{"content", text}, {"client_msg_id", "k-1"}}, who);
            QCOMPARE(clash.status, 409);
            QCOMPARE(clash.errorCode(), std::string("conflict"));
            QVERIFY(clash.body["error"].value("message", "").find("client_msg_id") != std::string::npos);
        }
        const auto messages = f.conversation(id, token)["messages"];
        QCOMPARE(countContent(messages, "my parcel"), 1);
        QCOMPARE(countContent(messages, "let me look"), 1);
        QCOMPARE(countContent(messages, "something else"), 0);
        QCOMPARE(countContent(messages, "other words"), 0);

        // A repeat still answers 200 once the conversation is closed (the first send did happen).
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), a.token).status, 200);
        QCOMPARE(http().post(path, {{"content", "my parcel"}, {"client_msg_id", "k-1"}}, token).status, 200);
        QCOMPARE(http().post(path, {{"content", "let me look"}, {"client_msg_id", "k-1"}}, a.token).status,
                 200);
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, a.token);
    }

    void queueIsServedOldestFirstWhenAnAgentComesOnline() {
        quiesce();
        auto a = f.createAgent(unique("late"), 2, false);
        std::vector<std::pair<std::string, std::string>> customers;
        for (int i = 0; i < 3; ++i) {
            customers.push_back(f.customerWithConversation());
            handoff(customers.back().first, customers.back().second);
        }
        const auto queue = http().get("/api/v1/queue", a.token).body["conversations"];
        QCOMPARE(queue.size(), std::size_t(3));
        for (int i = 0; i < 3; ++i) {
            QCOMPARE_JSON(queue[i]["id"], json(customers[i].second));
            QCOMPARE_JSON(queue[i]["queue_position"], json(i + 1));
            QCOMPARE(countContent(f.conversation(customers[i].second, customers[i].first)["messages"],
                                  kBusyMessage),
                     1);
        }
        http().put("/api/v1/agent/presence", {{"presence", "online"}}, a.token);
        QCOMPARE_JSON(assignedAgentOf(customers[0].second), json(a.id));
        QCOMPARE_JSON(assignedAgentOf(customers[1].second), json(a.id));
        QVERIFY(assignedAgentOf(customers[2].second).is_null()); // its maximum is 2
        const auto third = f.conversation(customers[2].second, customers[2].first);
        QCOMPARE_JSON(third["conversation"]["queue_position"], json(1));
        QCOMPARE(countContent(third["messages"], kBusyMessage), 1); // still exactly one busy message

        // Going offline by choice keeps the chats and stops new ones.
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, a.token);
        QCOMPARE(http().get("/api/v1/agent/conversations", a.token).body["conversations"].size(),
                 std::size_t(2));
        // Closing one frees capacity, but an offline agent takes nothing new.
        http().post("/api/v1/conversations/" + customers[0].second + "/close", json::object(), a.token);
        QVERIFY(assignedAgentOf(customers[2].second).is_null());
        // Back online: the waiting conversation is served.
        http().put("/api/v1/agent/presence", {{"presence", "online"}}, a.token);
        QCOMPARE_JSON(assignedAgentOf(customers[2].second), json(a.id));
        // Closing a chat serves the queue at once.
        auto [t4, c4] = f.customerWithConversation();
        handoff(t4, c4);
        QVERIFY(assignedAgentOf(c4).is_null());
        http().post("/api/v1/conversations/" + customers[1].second + "/close", json::object(), a.token);
        QCOMPARE_JSON(assignedAgentOf(c4), json(a.id));
        const auto unassignedFlow = events(f.conversation(c4, t4)["messages"]);
        QCOMPARE(unassignedFlow, (std::vector<std::string>{"queued", "assigned"}));
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, a.token);
    }

    void raisedMaximumServesTheQueueAndLoweredUnassignsNothing() {
        quiesce();
        auto a = f.createAgent(unique("cap"), 0, true); // 0: receives nothing
        auto [t1, c1] = f.customerWithConversation();
        handoff(t1, c1);
        QVERIFY(assignedAgentOf(c1).is_null());
        const auto raised =
            http().put("/api/v1/admin/agents/" + a.id, {{"max_active_chats", 1}}, f.adminToken);
        QCOMPARE(raised.status, 200);
        QCOMPARE_JSON(assignedAgentOf(c1), json(a.id));
        QCOMPARE_JSON(raised.body["agent"]["active_chats"], json(1));
        const auto lowered =
            http().put("/api/v1/admin/agents/" + a.id, {{"max_active_chats", 0}}, f.adminToken);
        QCOMPARE(lowered.status, 200);
        QCOMPARE_JSON(assignedAgentOf(c1), json(a.id));
        QCOMPARE_JSON(lowered.body["agent"]["active_chats"], json(1));
        http().put("/api/v1/agent/presence", {{"presence", "offline"}}, a.token);
    }

    void tieBreaks() {
        quiesce();
        // Three agents with equal load: the one never assigned first, then by oldest last assignment.
        auto x = f.createAgent(unique("tie"), 5, false);
        auto y = f.createAgent(unique("tie"), 5, false);
        auto z = f.createAgent(unique("tie"), 5, false);
        for (auto* a : {&x, &y, &z})
            http().put("/api/v1/agent/presence", {{"presence", "online"}}, a->token);
        std::vector<std::string> smallestFirst{x.id, y.id, z.id};
        std::sort(smallestFirst.begin(), smallestFirst.end());
        // Nobody was ever assigned: equal load and history, so the smaller id wins; then the others in
        // id order (each new assignment makes that agent the most recent).
        std::vector<std::string> got;
        for (int i = 0; i < 3; ++i) {
            auto [t, c] = f.customerWithConversation();
            handoff(t, c);
            got.push_back(assignedAgentOf(c).get<std::string>());
        }
        QCOMPARE(got, smallestFirst);
        // All have 1 chat now; the oldest last assignment is smallestFirst[0].
        auto [t4, c4] = f.customerWithConversation();
        handoff(t4, c4);
        QCOMPARE(assignedAgentOf(c4).get<std::string>(), smallestFirst[0]);
        // Fewest open chats beats history: the other two have 1, smallestFirst[0] has 2.
        auto [t5, c5] = f.customerWithConversation();
        handoff(t5, c5);
        QCOMPARE(assignedAgentOf(c5).get<std::string>(), smallestFirst[1]);
        for (auto* a : {&x, &y, &z})
            http().put("/api/v1/agent/presence", {{"presence", "offline"}}, a->token);
    }
};

QTEST_GUILESS_MAIN(TestApiAgents)
#include "tst_api_agents.moc"
