// Issue 19, agents at work (part A) against the real server: internal notes (never a customer's),
// transfers (to an agent or back to the queue, and concurrent ones), canned replies, disabled
// agents, and queue updates to every connected agent. REST plus real WebSocket clients.
#include "ApiTestBase.h"
#include "WsTestClient.h"

#include <memory>

using namespace parley::test;

namespace {

bool containsText(const std::vector<json>& frames, const std::string& text) {
    for (const auto& f : frames)
        if (f.dump().find(text) != std::string::npos)
            return true;
    return false;
}

// The conversation's assigned agent, "" while it has none (the field is null then).
std::string assignee(const json& conversation) {
    const auto it = conversation.find("assigned_agent_id");
    return it != conversation.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

class TestApiAgentsAtWorkA : public QObject {
    Q_OBJECT
    std::unique_ptr<ApiFixture> m_f;
    HttpClient& http() { return *m_f->http; }
    const std::string& admin() { return m_f->adminToken; }

    std::unique_ptr<WsTestClient> connectAs(const std::string& token) {
        auto ws = std::make_unique<WsTestClient>(m_f->server.wsUrl());
        const auto reply = ws->hello(token);
        if (reply.value("type", "") != "hello.ok")
            qWarning("hello failed: %s", reply.dump().c_str());
        return ws;
    }

    // A customer whose conversation asked for an agent: {token, conversation id}.
    std::pair<std::string, std::string> handedOff() {
        auto [token, id] = m_f->customerWithConversation();
        http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token);
        return {token, id};
    }
    json conversation(const std::string& id) { return m_f->conversation(id, admin())["conversation"]; }
    json agentById(const std::string& id) {
        // A copy: iterating the temporary response's member directly would dangle.
        const auto agents = http().get("/api/v1/admin/agents", admin()).body["agents"];
        for (const auto& a : agents)
            if (a.value("id", "") == id)
                return a;
        return nullptr;
    }
    HttpResponse transfer(const std::string& id, const json& body, const std::string& token) {
        return http().post("/api/v1/conversations/" + id + "/transfer", body, token);
    }

private slots:
    void init() {
        m_f = std::make_unique<ApiFixture>();
        QVERIFY(m_f->start());
    }
    void cleanup() { m_f.reset(); }

    // --- internal notes -----------------------------------------------------------------------

    void notesAreForAgentsOnly() {
        const auto a = m_f->createAgent("note-a", 5, true);
        const auto b = m_f->createAgent("note-b", 5, false); // any agent may write one
        const auto c = m_f->createAgent("note-c", 5, false); // watches the conversation
        auto [customer, id] = handedOff();
        QCOMPARE(assignee(conversation(id)), a.id);

        auto wsA = connectAs(a.token);
        auto wsC = connectAs(c.token);
        auto wsCustomer = connectAs(customer);
        wsC->resume(id, 0);
        QVERIFY(wsC->waitForType("message.created"));
        QVERIFY(wsC->fence());
        const auto before = http().get("/api/v1/conversations/" + id, customer).body;
        const auto lastSeqBefore = before["messages"].back().value("seq", 0);

        const std::string secret = "Customer was rude on the phone yesterday";
        const auto posted =
            http().post("/api/v1/conversations/" + id + "/notes", {{"content", secret}}, b.token);
        QCOMPARE(posted.status, 201);
        const auto note = posted.body["note"];
        QCOMPARE(note.value("conversation_id", ""), id);
        QCOMPARE(note.value("agent_id", ""), b.id);
        QCOMPARE(note.value("agent_display_name", ""), std::string("Agent note-b"));
        QCOMPARE(note.value("content", ""), secret);
        QVERIFY(!note.value("id", "").empty() && !note.value("created_at", "").empty());
        QVERIFY(!note.contains("seq"));

        // The assigned agent and the watcher hear of it.
        auto isNote = [&](const json& f) {
            return f.value("type", "") == "note.created" && f["data"]["note"].value("content", "") == secret;
        };
        QVERIFY(wsA->waitFor(isNote));
        QVERIFY(wsC->waitFor(isNote));

        // Everybody may list them; a customer's token gets 404, for reading and writing.
        const auto list = http().get("/api/v1/conversations/" + id + "/notes", b.token);
        QCOMPARE(list.status, 200);
        QCOMPARE(list.body["notes"].size(), std::size_t(1));
        QCOMPARE_JSON(list.body["notes"][0], note);
        QCOMPARE(http().get("/api/v1/conversations/" + id + "/notes", customer).status, 404);
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/notes", {{"content", "x"}}, customer).status,
                 404);
        QCOMPARE(http().get("/api/v1/conversations/" + id + "/notes").status, 401);

        // Not a message: no seq taken, not in the conversation, polling, resume or any customer event.
        const auto after = http().get("/api/v1/conversations/" + id, customer).body;
        QCOMPARE(after.dump().find(secret), std::string::npos);
        QCOMPARE(after["messages"].size(), before["messages"].size());
        const auto polled = http().get("/api/v1/conversations/" + id + "/messages?after_seq=0", customer);
        QCOMPARE(polled.status, 200);
        QCOMPARE(polled.body.dump().find(secret), std::string::npos);
        // The next message takes the very next seq: the note took none.
        const auto sent =
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hello?"}}, customer);
        QCOMPARE(sent.status, 201);
        QCOMPARE(sent.body["message"].value("seq", 0), lastSeqBefore + 1);
        QVERIFY(wsCustomer->waitFor([](const json& f) {
            return f.value("type", "") == "message.created" &&
                   f["data"]["message"].value("content", "") == "hello?";
        }));
        QVERIFY(wsCustomer->fence());
        QVERIFY(!containsText(wsCustomer->frames(), secret));
        QCOMPARE(wsCustomer->count("note.created"), 0);
        auto resumed = connectAs(customer);
        resumed->resume(id, 0);
        QVERIFY(resumed->waitFor([](const json& f) {
            return f.value("type", "") == "message.created" &&
                   f["data"]["message"].value("content", "") == "hello?";
        }));
        QVERIFY(resumed->fence());
        QVERIFY(!containsText(resumed->frames(), secret));
    }

    void notesInAnyStatusAndValidated() {
        const auto a = m_f->createAgent("nv-a", 5, true);
        auto [customer, automated] = m_f->customerWithConversation(); // still with the bot
        QCOMPARE(
            http()
                .post("/api/v1/conversations/" + automated + "/notes", {{"content", "bot only"}}, a.token)
                .status,
            201);
        auto [customer2, id] = handedOff();
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), a.token).status, 200);
        QCOMPARE(http()
                     .post("/api/v1/conversations/" + id + "/notes", {{"content", "after close"}}, a.token)
                     .status,
                 201);

        const auto path = "/api/v1/conversations/" + id + "/notes";
        QCOMPARE(http().post(path, {{"content", "   "}}, a.token).errorCode(), std::string("empty_message"));
        QCOMPARE(http().post(path, {{"content", std::string(4001, 'x')}}, a.token).errorCode(),
                 std::string("message_too_long"));
        QCOMPARE(http().post(path, {{"content", std::string(4000, 'x')}}, a.token).status, 201);
        QCOMPARE(http().post(path, json::object(), a.token).status, 400);
        QCOMPARE(http().post(path, {{"content", 5}}, a.token).status, 400);
        QCOMPARE(http().post(path, {{"content", std::string("a\x01b")}}, a.token).status, 400);
        QCOMPARE(
            http().get("/api/v1/conversations/00000000-0000-4000-8000-000000000000/notes", a.token).status,
            404);
        QCOMPARE(http().get("/api/v1/conversations/nope/notes", a.token).status, 404);
        QCOMPARE(http().get(path, a.token).body["notes"].size(), std::size_t(2));
    }

    // --- transfer -------------------------------------------------------------------------------

    void transferToAnAgent() {
        const auto a = m_f->createAgent("tr-a", 5, true);
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto chat = handedOff();
        const std::string& customer = chat.first;
        const std::string& id = chat.second;
        QCOMPARE(assignee(conversation(id)), a.id);
        const auto b = m_f->createAgent("tr-b", 5, true);
        const auto off = m_f->createAgent("tr-off", 5, false);
        const auto full = m_f->createAgent("tr-full", 0, true);

        auto wsA = connectAs(a.token);
        auto wsB = connectAs(b.token);
        auto wsCustomer = connectAs(customer);

        QCOMPARE(transfer(id, {{"agent_id", b.id}}, b.token).status, 403); // not the assigned agent
        QCOMPARE(transfer(id, {{"agent_id", off.id}}, a.token).errorCode(), std::string("agent_unavailable"));
        QCOMPARE(transfer(id, {{"agent_id", off.id}}, a.token).status, 409);
        QCOMPARE(transfer(id, {{"agent_id", full.id}}, a.token).errorCode(),
                 std::string("agent_unavailable"));
        QCOMPARE(transfer(id, {{"agent_id", "00000000-0000-4000-8000-000000000000"}}, a.token).status, 404);
        QCOMPARE(transfer(id, json::object(), a.token).status, 400);
        QCOMPARE(transfer(id, {{"agent_id", b.id}}, customer).status, 403);
        QCOMPARE(assignee(conversation(id)), a.id); // refused ones changed nothing

        const auto r = transfer(id, {{"agent_id", b.id}, {"note", "Wants a refund, order 1234"}}, a.token);
        QCOMPARE(r.status, 200);
        QCOMPARE(assignee(r.body["conversation"]), b.id);
        QCOMPARE(r.body["conversation"].value("status", ""), std::string("agent"));

        // The customer: a system message and agent.assigned naming B.
        QVERIFY(wsCustomer->waitFor([&](const json& f) {
            return f.value("type", "") == "agent.assigned" && f["data"]["agent"].value("id", "") == b.id;
        }));
        QVERIFY(wsCustomer->waitFor([&](const json& f) {
            return f.value("type", "") == "message.created" &&
                   f["data"]["message"]["metadata"].value("event", "") == "transferred" &&
                   f["data"]["message"]["metadata"].value("agent_id", "") == b.id;
        }));
        // The old agent: conversation.updated; the new one: agent.assigned and the note.
        QVERIFY(wsA->waitFor([&](const json& f) {
            return f.value("type", "") == "conversation.updated" &&
                   assignee(f["data"]["conversation"]) == b.id;
        }));
        QVERIFY(wsB->waitFor([&](const json& f) {
            return f.value("type", "") == "agent.assigned" && WsTestClient::conversationOf(f) == id;
        }));
        QVERIFY(wsB->waitFor([&](const json& f) {
            return f.value("type", "") == "note.created" &&
                   f["data"]["note"].value("content", "") == "Wants a refund, order 1234";
        }));
        const auto notes = http().get("/api/v1/conversations/" + id + "/notes", b.token).body["notes"];
        QCOMPARE(notes.size(), std::size_t(1));
        QCOMPARE(notes[0].value("agent_id", ""), a.id);
        QVERIFY(wsCustomer->fence());
        QVERIFY(!containsText(wsCustomer->frames(), "order 1234"));

        QCOMPARE(agentById(a.id).value("active_chats", -1), 0);
        QCOMPARE(agentById(b.id).value("active_chats", -1), 1);
        // Now A is not the assigned agent any more; B writes.
        QCOMPARE(
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hi"}}, a.token).status,
            403);
        QCOMPARE(
            http().post("/api/v1/conversations/" + id + "/messages", {{"content", "hi"}}, b.token).status,
            201);
        // An admin may transfer a conversation it is not assigned.
        QCOMPARE(transfer(id, {{"agent_id", a.id}}, admin()).status, 200);
        QCOMPARE(assignee(conversation(id)), a.id);
    }

    void transferBackToTheQueue() {
        const auto a = m_f->createAgent("tq-a", 5, true);
        auto [customer, id] = handedOff();
        QCOMPARE(assignee(conversation(id)), a.id);

        // A is the only online agent and sits this pass out: the conversation waits.
        auto r = transfer(id, {{"agent_id", nullptr}}, a.token);
        QCOMPARE(r.status, 200);
        QVERIFY(r.body["conversation"]["assigned_agent_id"].is_null());
        QCOMPARE(r.body["conversation"].value("queue_position", 0), 1);
        QCOMPARE(agentById(a.id).value("active_chats", -1), 0);

        // The next pass is a usual one: B comes online and takes it.
        const auto b = m_f->createAgent("tq-b", 5, true);
        QCOMPARE(assignee(conversation(id)), b.id);

        // From B back to the queue while A has room: A takes it at once, B is left out.
        r = transfer(id, {{"agent_id", nullptr}, {"note", "Back to you, A"}}, b.token);
        QCOMPARE(r.status, 200);
        QCOMPARE(assignee(r.body["conversation"]), a.id);
        const auto notes = http().get("/api/v1/conversations/" + id + "/notes", a.token).body["notes"];
        QCOMPARE(notes.size(), std::size_t(1));
        QCOMPARE(notes[0].value("content", ""), std::string("Back to you, A"));

        // Closed and automated conversations are not transferred.
        QCOMPARE(http().post("/api/v1/conversations/" + id + "/close", json::object(), a.token).status, 200);
        QCOMPARE(transfer(id, {{"agent_id", nullptr}}, admin()).errorCode(),
                 std::string("conversation_closed"));
        auto [c2, automated] = m_f->customerWithConversation();
        QCOMPARE(transfer(automated, {{"agent_id", b.id}}, admin()).errorCode(),
                 std::string("invalid_transition"));
    }

    void concurrentTransfersRespectTheMaximum() {
        const auto source = m_f->createAgent("cc-src", 20, true);
        std::vector<std::string> ids;
        for (int i = 0; i < 8; ++i)
            ids.push_back(handedOff().second);
        for (const auto& id : ids)
            QCOMPARE(assignee(conversation(id)), source.id);
        const auto target = m_f->createAgent("cc-dst", 3, true);
        QCOMPARE(transfer(ids[0], {{"agent_id", target.id}}, source.token).status, 200);
        QCOMPARE(transfer(ids[1], {{"agent_id", target.id}}, source.token).status, 200);
        // The target is at its maximum - 1: of six racing transfers exactly one gets through.
        std::vector<int> statuses(6);
        std::vector<std::string> codes(6);
        race(6, [&](int i) {
            HttpClient client(m_f->server.httpPort());
            const auto r = client.post("/api/v1/conversations/" + ids[2 + i] + "/transfer",
                                       {{"agent_id", target.id}}, source.token);
            statuses[i] = r.status;
            codes[i] = r.errorCode();
        });
        QCOMPARE(std::count(statuses.begin(), statuses.end(), 200), 1L);
        QCOMPARE(std::count(codes.begin(), codes.end(), std::string("agent_unavailable")), 5L);
        QCOMPARE(agentById(target.id).value("active_chats", -1), 3);
        QCOMPARE(agentById(source.id).value("active_chats", -1), 5);
    }

    // --- canned replies -------------------------------------------------------------------------

    void cannedReplies() {
        const auto a = m_f->createAgent("cn-a", 5, false);
        auto create = [&](const std::string& shortcut, const std::string& title, const std::string& content) {
            return http().post("/api/v1/admin/canned",
                               {{"shortcut", shortcut}, {"title", title}, {"content", content}}, admin());
        };
        const auto refund = create("refund", "Refund policy", "Refunds take 5 days.");
        QCOMPARE(refund.status, 201);
        const auto reply = refund.body["canned_reply"];
        QVERIFY(!reply.value("id", "").empty());
        QCOMPARE(reply.value("shortcut", ""), std::string("refund"));
        QCOMPARE(create("ship_times", "Shipping", "We ship in 2 days; refund on request.").status, 201);
        QCOMPARE(create("hello-1", "Greeting", "Hi! How can I help?").status, 201);

        // Validation, uniqueness, rights.
        QCOMPARE(create("refund", "Again", "x").errorCode(), std::string("conflict"));
        QCOMPARE(create("Refund", "Upper", "x").status, 400);
        QCOMPARE(create("", "Empty", "x").status, 400);
        QCOMPARE(create(std::string(33, 'a'), "Long", "x").status, 400);
        QCOMPARE(create(std::string(32, 'a'), "Long enough", "x").status, 201);
        QCOMPARE(create("a b", "Space", "x").status, 400);
        QCOMPARE(create("t1", "", "x").status, 400);
        QCOMPARE(create("t2", std::string(201, 't'), "x").status, 400);
        QCOMPARE(create("t3", "Long content", std::string(4001, 'c')).status, 400);
        QCOMPARE(create("t4", "Empty content", " ").status, 400);
        QCOMPARE(http().post("/api/v1/admin/canned", {{"shortcut", "t5"}, {"content", "x"}}, admin()).status,
                 400);
        QCOMPARE(
            http()
                .post("/api/v1/admin/canned", {{"shortcut", "t6"}, {"title", "T"}, {"content", "x"}}, a.token)
                .status,
            403);
        QCOMPARE(http().get("/api/v1/admin/canned", a.token).status, 403);

        // Search: shortcut matches first, then title or content matches; case ignored.
        auto search = [&](const std::string& q) {
            std::vector<std::string> shortcuts;
            const auto found = http().get("/api/v1/canned?q=" + q, a.token).body["canned"];
            for (const auto& c : found)
                shortcuts.push_back(c.value("shortcut", ""));
            return shortcuts;
        };
        QCOMPARE(search("REFUND"), (std::vector<std::string>{"refund", "ship_times"}));
        QCOMPARE(search("greet"), (std::vector<std::string>{"hello-1"}));
        QCOMPARE(search("zzz"), std::vector<std::string>{});
        QCOMPARE(http().get("/api/v1/canned", a.token).body["canned"].size(), std::size_t(4));
        const auto customer = http().newCustomer();
        QCOMPARE(http().get("/api/v1/canned", customer.token).status, 403);

        // Edit and delete.
        const auto id = reply.value("id", "");
        auto put = http().put("/api/v1/admin/canned/" + id, {{"title", "Refunds"}}, admin());
        QCOMPARE(put.status, 200);
        QCOMPARE(put.body["canned_reply"].value("title", ""), std::string("Refunds"));
        QCOMPARE(put.body["canned_reply"].value("content", ""), std::string("Refunds take 5 days."));
        QCOMPARE(http().put("/api/v1/admin/canned/" + id, {{"shortcut", "hello-1"}}, admin()).errorCode(),
                 std::string("conflict"));
        QCOMPARE(http().put("/api/v1/admin/canned/" + id, {{"shortcut", "BAD"}}, admin()).status, 400);
        QCOMPARE(http().get("/api/v1/admin/canned", admin()).body["canned"].size(), std::size_t(4));
        QCOMPARE(http().del("/api/v1/admin/canned/" + id, admin()).status, 204);
        QCOMPARE(http().del("/api/v1/admin/canned/" + id, admin()).status, 404);
        QCOMPARE(http().put("/api/v1/admin/canned/" + id, {{"title", "x"}}, admin()).status, 404);
        QCOMPARE(search("refund"), (std::vector<std::string>{"ship_times"}));
    }

    // --- disabled agents ------------------------------------------------------------------------

    void disablingAnAgent() {
        const auto d = m_f->createAgent("dis-d", 5, true);
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto chat = handedOff();
        const std::string& customer = chat.first;
        const std::string& id = chat.second;
        QCOMPARE(assignee(conversation(id)), d.id);
        const auto e = m_f->createAgent("dis-e", 0, true); // no room yet
        auto wsD = connectAs(d.token);
        auto wsCustomer = connectAs(customer);
        QCOMPARE(agentById(d.id).value("disabled", true), false);

        const auto r = http().put("/api/v1/admin/agents/" + d.id, {{"disabled", true}}, admin());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body["agent"].value("disabled", false), true);
        QCOMPARE(r.body["agent"].value("presence", ""), std::string("offline"));
        QCOMPARE(r.body["agent"].value("active_chats", -1), 0);
        // Its tokens stop at once and its connections close; it cannot sign in.
        QVERIFY(wsD->waitDisconnected());
        QCOMPARE(http().get("/api/v1/agents", d.token).status, 401);
        QCOMPARE(http()
                     .post("/api/v1/agent/login", {{"username", "dis-d"}, {"password", "password-dis-d"}})
                     .status,
                 401);
        // Its conversation waits again (E has no room), with a system message for the customer.
        QVERIFY(conversation(id)["assigned_agent_id"].is_null());
        QCOMPARE(conversation(id).value("queue_position", 0), 1);
        QVERIFY(wsCustomer->waitFor([&](const json& f) {
            return f.value("type", "") == "message.created" &&
                   f["data"]["message"]["metadata"].value("event", "") == "unassigned";
        }));
        // It is served by the usual rules: E gets room and takes it; D is never chosen.
        QCOMPARE(http().put("/api/v1/admin/agents/" + e.id, {{"max_active_chats", 5}}, admin()).status, 200);
        QCOMPARE(assignee(conversation(id)), e.id);
        // A disabled agent is not a transfer target.
        QCOMPARE(transfer(id, {{"agent_id", d.id}}, e.token).errorCode(), std::string("agent_unavailable"));

        // Enabled again: it signs in (and starts offline).
        QCOMPARE(http().put("/api/v1/admin/agents/" + d.id, {{"disabled", false}}, admin()).status, 200);
        const auto again =
            http().post("/api/v1/agent/login", {{"username", "dis-d"}, {"password", "password-dis-d"}});
        QCOMPARE(again.status, 200);
        QCOMPARE(again.body["agent"].value("disabled", true), false);
        QCOMPARE(http().put("/api/v1/admin/agents/" + d.id, {{"disabled", "yes"}}, admin()).status, 400);
    }

    void theLastAdminCannotBeDisabled() {
        const auto adminId = http().get("/api/v1/agents", admin()).body["agents"][0].value("id", "");
        QCOMPARE(http().put("/api/v1/admin/agents/" + adminId, {{"disabled", true}}, admin()).errorCode(),
                 std::string("conflict"));
        QCOMPARE(http().get("/api/v1/agents", admin()).status, 200); // still signed in
        const auto second = m_f->createAgent("dis-admin2", 5, false, "admin");
        // The second admin, once disabled, does not count: the first stays the last one.
        QCOMPARE(http().put("/api/v1/admin/agents/" + second.id, {{"disabled", true}}, admin()).status, 200);
        QCOMPARE(http().put("/api/v1/admin/agents/" + adminId, {{"disabled", true}}, admin()).status, 409);
        QCOMPARE(http().put("/api/v1/admin/agents/" + adminId, {{"role", "agent"}}, admin()).status, 409);
        QCOMPARE(http().put("/api/v1/admin/agents/" + second.id, {{"disabled", false}}, admin()).status, 200);
        // With another enabled admin, an admin may be disabled (here: itself, ending its own token).
        QCOMPARE(http().put("/api/v1/admin/agents/" + adminId, {{"disabled", true}}, admin()).status, 200);
        QCOMPARE(http().get("/api/v1/agents", admin()).status, 401);
    }

    // --- queue updates to every connected agent -------------------------------------------------

    void connectedOfflineAgentHearsTheQueue() {
        const auto o = m_f->createAgent("q-off", 5, false);
        auto wsO = connectAs(o.token);
        const std::string id = handedOff().second; // nobody online: it waits
        QVERIFY(wsO->waitFor([&](const json& f) {
            return f.value("type", "") == "conversation.updated" && WsTestClient::conversationOf(f) == id &&
                   f["data"]["conversation"].value("queue_position", 0) == 1;
        }));
        // And when it leaves the queue.
        const auto a = m_f->createAgent("q-on", 5, true);
        QVERIFY(wsO->waitFor([&](const json& f) {
            return f.value("type", "") == "conversation.updated" && WsTestClient::conversationOf(f) == id &&
                   assignee(f["data"]["conversation"]) == a.id;
        }));
    }
};

QTEST_GUILESS_MAIN(TestApiAgentsAtWorkA)
#include "tst_api_agents_at_work_a.moc"
