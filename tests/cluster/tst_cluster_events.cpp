// Events across nodes (issue 20): three parley-server nodes on one PostgreSQL database with --bus.
// An event committed on any node reaches the WebSocket clients of every node, once per
// connection, in seq order; FAQ edits reach every node's bot; a node killed right after its
// commit does not make the others' clients miss the event; resume works on another node.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QScopeGuard>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <unistd.h>

using namespace parley::test;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string pgTool(const std::string& tool) {
    const auto bin = env("PARLEY_TEST_PG_BIN");
    return bin.empty() ? tool : bin + "/" + tool;
}

// seqs is exactly first, first+1, ..., last.
bool isRun(const std::vector<std::int64_t>& seqs, std::int64_t first, std::int64_t last) {
    if (seqs.size() != static_cast<std::size_t>(last - first + 1))
        return false;
    for (std::size_t i = 0; i < seqs.size(); ++i)
        if (seqs[i] != first + static_cast<std::int64_t>(i))
            return false;
    return true;
}

// Every seq once, in order, and after `base` exactly base + 1 .. last. A socket that attached just
// after a write on another node may still be sent that earlier event (it was crossing nodes), so
// seqs up to base may be there too, but never twice or out of order.
bool isRunAfter(const std::vector<std::int64_t>& seqs, std::int64_t base, std::int64_t last) {
    if (!std::is_sorted(seqs.begin(), seqs.end()) ||
        std::adjacent_find(seqs.begin(), seqs.end()) != seqs.end())
        return false;
    std::vector<std::int64_t> after;
    std::copy_if(seqs.begin(), seqs.end(), std::back_inserter(after), [&](auto s) { return s > base; });
    return isRun(after, base + 1, last);
}

// Runs SQL as the superuser on a database of the test PostgreSQL; its output, or nullopt.
std::optional<std::string> psql(const std::string& sql, const std::string& database = "postgres") {
    const auto cmd = "'" + pgTool("psql") + "' -h '" + env("PARLEY_TEST_PG_SOCKET_DIR") +
                     "' -U postgres -d " + database + " -At -c \"" + sql + "\" 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p)
        return std::nullopt;
    std::string out;
    char buf[512];
    while (auto n = std::fread(buf, 1, sizeof buf, p))
        out.append(buf, n);
    if (::pclose(p) != 0) {
        qWarning("psql failed: %s", out.c_str());
        return std::nullopt;
    }
    return out;
}

std::string dump(const std::vector<std::int64_t>& seqs) {
    std::string out;
    for (auto s : seqs)
        out += std::to_string(s) + " ";
    return out;
}

} // namespace

class TestClusterEvents : public QObject {
    Q_OBJECT

    static constexpr int kNodes = 3;

    std::unique_ptr<WsTestClient> connectTo(int node, const std::string& token) {
        auto ws = std::make_unique<WsTestClient>(m_nodes[node]->wsUrl());
        auto reply = ws->hello(token);
        if (reply.value("type", "") != "hello.ok")
            qWarning("hello on node %d failed: %s", node, reply.dump().c_str());
        return ws;
    }

    std::int64_t lastSeqOf(const std::string& token, const std::string& conversationId) {
        auto c = m_rest[0]->conversation(token, conversationId);
        if (!c.contains("messages") || c["messages"].empty())
            return -1;
        return c["messages"].back()["seq"].get<std::int64_t>();
    }

    bool seesLast(WsTestClient& ws, const std::string& conversationId, std::int64_t last) {
        return QTest::qWaitFor(
            [&] {
                auto s = ws.seqsOf(conversationId);
                return !s.empty() && s.back() >= last;
            },
            30000);
    }

    std::string nodeName(int node) const { return m_database + "-n" + std::to_string(node); }

    // The backend of a node's event feed (the only connection that LISTENs and reads the outbox).
    std::string feedPid(int node) {
        const auto out =
            psql("SELECT pid FROM pg_stat_activity WHERE application_name = '" + nodeName(node) +
                 "' AND (query LIKE 'LISTEN%' OR query LIKE 'SELECT id, payload FROM event_outbox%' OR "
                 "query LIKE 'DELETE FROM event_outbox%')");
        return out && !out->empty() ? out->substr(0, out->find('\n')) : std::string();
    }

    // Cuts a node's event feed off: new connections to the database are refused, then the feed's
    // is ended (the only one that LISTENs and reads the outbox). The node's other connections stay.
    bool cutFeed(int node) {
        if (!psql("ALTER DATABASE " + m_database + " WITH ALLOW_CONNECTIONS false"))
            return false;
        return QTest::qWaitFor(
            [&] {
                const auto out = psql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" +
                    nodeName(node) +
                    "' AND (query LIKE 'LISTEN%' OR query LIKE 'SELECT id, payload FROM event_outbox%' OR "
                    "query LIKE 'DELETE FROM event_outbox%')");
                return out && out->find('t') != std::string::npos;
            },
            10000);
    }

    bool allowConnections() {
        return psql("ALTER DATABASE " + m_database + " WITH ALLOW_CONNECTIONS true").has_value();
    }

    static bool hasMessage(const json& f, const std::string& content) {
        return f.value("type", "") == "message.created" &&
               f["data"]["message"].value("content", "").find(content) != std::string::npos;
    }

private slots:
    void initTestCase() {
        const auto pgDir = env("PARLEY_TEST_PG_SOCKET_DIR");
        const auto redis = env("PARLEY_TEST_REDIS_SOCKET");
        if (pgDir.empty() || redis.empty())
            QSKIP("needs the parley_pg and parley_redis fixtures");
        m_database = "parley_cl" + std::to_string(::getpid());
        const auto create =
            "'" + pgTool("createdb") + "' -h '" + pgDir + "' -U postgres " + m_database + " 2>&1";
        QCOMPARE(std::system(create.c_str()), 0);
        const auto url = "postgresql:///" + m_database + "?host=" + pgDir + "&user=postgres";
        const QStringList args{"--database",
                               QString::fromStdString(url),
                               "--bus",
                               QString::fromStdString("unix://" + redis),
                               "--customer-rate-burst",
                               "1000",
                               "--customer-rate-per-minute",
                               "60000"};
        for (int i = 0; i < kNodes; ++i) {
            m_nodes.push_back(std::make_unique<ServerProcess>());
            // Each node's connections carry its name, so a test can find its event feed's.
            auto nodeArgs = args;
            nodeArgs[1] += QString::fromStdString("&application_name=" + nodeName(i));
            QVERIFY2(m_nodes.back()->start(nodeArgs), qPrintable(m_nodes.back()->output()));
            m_rest.push_back(std::make_unique<Rest>(m_nodes.back()->httpPort()));
        }
        m_agent = m_rest[0]->createAgent("cluster-a", 20);
        QVERIFY(!m_agent.token.empty());
    }

    void cleanupTestCase() {
        m_nodes.clear(); // stops them
        if (!m_database.empty()) {
            const auto drop = "'" + pgTool("dropdb") + "' -h '" + env("PARLEY_TEST_PG_SOCKET_DIR") +
                              "' -U postgres --if-exists " + m_database + " 2>&1";
            if (std::system(drop.c_str()) != 0)
                qWarning("cannot drop the test database %s", m_database.c_str());
        }
    }

    // The customer on node 0, its agent on node 1, the writes on every node: every event of the
    // contract's WebSocket table reaches both, once, in seq order.
    void everyEventOfTheTableCrossesNodes() {
        auto chat = m_rest[0]->customerWithConversation();
        QVERIFY(!chat.conversationId.empty());
        const auto base = lastSeqOf(chat.customer.token, chat.conversationId); // the greeting
        auto customer = connectTo(0, chat.customer.token);
        auto agent = connectTo(1, m_agent.token);
        const auto& id = chat.conversationId;

        // The bot answers on node 0; the customer sees its message and the reply.
        QCOMPARE(m_rest[0]->customerSend(chat, "Hello from node zero").status, 201);
        QVERIFY(customer->waitForCount("message.created", 2));

        QVERIFY(m_rest[1]->setPresence(m_agent, false));
        // Queued (the agent is offline): conversation.updated to the customer and every agent.
        const auto queued = m_rest[0]->handoff(chat);
        QVERIFY2(queued.value("queue_position", 0) == 1 && queued["assigned_agent_id"].is_null(),
                 queued.dump().c_str());
        QVERIFY(customer->waitFor([&](const json& f) {
            return f.value("type", "") == "conversation.updated" && WsTestClient::conversationOf(f) == id;
        }));
        QVERIFY(agent->waitFor([&](const json& f) {
            return f.value("type", "") == "conversation.updated" && WsTestClient::conversationOf(f) == id;
        }));

        // Online on node 2: presence to the agent on node 1, and the queue serves it.
        QVERIFY(m_rest[2]->setPresence(m_agent, true));
        QVERIFY(agent->waitFor([&](const json& f) {
            return f.value("type", "") == "agent.presence.changed" &&
                   f["data"]["agent"].value("id", "") == m_agent.id &&
                   f["data"]["agent"].value("presence", "") == "online";
        }));
        QVERIFY(customer->waitForType("agent.assigned"));
        QVERIFY(agent->waitFor([&](const json& f) {
            return f.value("type", "") == "agent.assigned" && WsTestClient::conversationOf(f) == id;
        }));

        // Typing both ways (never stored: relayed by a NOTIFY of its own).
        customer->send({{"type", "typing"}, {"conversation_id", id}});
        QVERIFY(agent->waitFor([&](const json& f) {
            return f.value("type", "") == "typing" && f["data"].value("sender_type", "") == "customer";
        }));
        agent->send({{"type", "typing"}, {"conversation_id", id}});
        QVERIFY(customer->waitFor([&](const json& f) {
            return f.value("type", "") == "typing" && f["data"].value("sender_type", "") == "agent";
        }));

        // Messages both ways, each written on another node than its reader's.
        QCOMPARE(m_rest[1]->agentSend(m_agent, id, "agent on node one").status, 201);
        QVERIFY(customer->waitFor([](const json& f) { return hasMessage(f, "agent on node one"); }));
        QCOMPARE(m_rest[2]->customerSend(chat, "customer through node two").status, 201);
        QVERIFY(agent->waitFor([](const json& f) { return hasMessage(f, "customer through node two"); }));

        // Closed on node 2.
        const auto closed =
            m_rest[2]->http().post("/api/v1/conversations/" + id + "/close", json::object(), m_agent.token);
        QCOMPARE(closed.status, 200);
        QVERIFY(customer->waitForType("chat.closed"));
        QVERIFY(agent->waitFor([&](const json& f) {
            return f.value("type", "") == "chat.closed" && WsTestClient::conversationOf(f) == id;
        }));

        QVERIFY(customer->fence());
        QVERIFY(agent->fence());
        QCOMPARE(customer->framesFor("agent.assigned", id).size(), std::size_t(1));
        QCOMPARE(agent->framesFor("agent.assigned", id).size(), std::size_t(1));
        QCOMPARE(customer->framesFor("chat.closed", id).size(), std::size_t(1));
        QCOMPARE(agent->framesFor("chat.closed", id).size(), std::size_t(1));
        const auto last = lastSeqOf(chat.customer.token, id);
        auto seqs = customer->seqsOf(id);
        QVERIFY2(isRun(seqs, base + 1, last), dump(seqs).c_str());
        // The agent sees the messages from its assignment on, each once, in order.
        seqs = agent->seqsOf(id);
        QVERIFY2(!seqs.empty() && isRun(seqs, seqs.front(), last), dump(seqs).c_str());
    }

    // Concurrent sends on every node into one conversation: the customer and an agent connection
    // on each node see every seq once, in order.
    void burstOverNodesIsGapFreeEverywhere() {
        QVERIFY(m_rest[1]->setPresence(m_agent, true));
        auto chat = m_rest[0]->customerWithConversation();
        QCOMPARE(m_rest[0]->handoff(chat).value("assigned_agent_id", ""), m_agent.id);
        const auto& id = chat.conversationId;
        const auto base = lastSeqOf(chat.customer.token, id);
        auto customer = connectTo(2, chat.customer.token);
        std::vector<std::unique_ptr<WsTestClient>> agents;
        for (int i = 0; i < kNodes; ++i)
            agents.push_back(connectTo(i, m_agent.token));

        constexpr int kPerNode = 30;
        std::atomic<int> failed{0};
        std::vector<std::thread> senders;
        for (int i = 0; i < kNodes; ++i)
            senders.emplace_back([&, i, port = m_nodes[i]->httpPort()] {
                HttpClient http(port);
                for (int k = 0; k < kPerNode; ++k) {
                    const bool fromAgent = (k + i) % 2 == 0;
                    const auto r =
                        http.post("/api/v1/conversations/" + id + "/messages",
                                  {{"content", "burst " + std::to_string(i) + "/" + std::to_string(k)}},
                                  fromAgent ? m_agent.token : chat.customer.token);
                    if (r.status != 201)
                        ++failed;
                }
            });
        // Wait for the clients while the senders run (their frames arrive on this thread's loop).
        const bool all = QTest::qWaitFor(
            [&] {
                auto s = customer->seqsOf(id);
                return !s.empty() && s.back() >= base + kNodes * kPerNode;
            },
            60000);
        for (auto& t : senders)
            t.join();
        QCOMPARE(failed.load(), 0);
        QVERIFY2(all, (std::to_string(base) + ": " + dump(customer->seqsOf(id))).c_str());
        const auto last = lastSeqOf(chat.customer.token, id);
        QCOMPARE(last, base + kNodes * kPerNode);
        for (auto& a : agents)
            QVERIFY(seesLast(*a, id, last));
        QVERIFY(customer->fence());
        auto seqs = customer->seqsOf(id);
        QVERIFY2(isRunAfter(seqs, base, last), dump(seqs).c_str());
        for (auto& a : agents) {
            QVERIFY(a->fence());
            seqs = a->seqsOf(id);
            QVERIFY2(isRunAfter(seqs, base, last), dump(seqs).c_str());
        }
        QCOMPARE(m_rest[1]
                     ->http()
                     .post("/api/v1/conversations/" + id + "/close", json::object(), m_agent.token)
                     .status,
                 200);
    }

    // The bot on node 2 answers from an FAQ entry created on node 0 after node 2 had built its index.
    void faqEditOnOneNodeIsUsedByTheBotOnAnother() {
        auto chat = m_rest[2]->customerWithConversation();
        auto customer = connectTo(2, chat.customer.token);
        const std::string question = "Do you sell zorblax gadgets?";
        QCOMPARE(m_rest[2]->customerSend(chat, question).status, 201);
        QVERIFY(customer->waitForCount("message.created", 2)); // node 2's bot index is built now
        QVERIFY(customer->framesOfType("message.created")[1]["data"]["message"]
                    .value("content", "")
                    .find("ship in two days") == std::string::npos);

        const auto created = m_rest[0]->http().post("/api/v1/admin/faq",
                                                    {{"slug", "zorblax"},
                                                     {"question", question},
                                                     {"answer", "Zorblax gadgets ship in two days."},
                                                     {"keywords", "zorblax"}},
                                                    m_rest[0]->adminToken());
        QCOMPARE(created.status, 201);
        // A later commit from node 0 seen on node 2: node 2's feed has passed the FAQ change.
        QCOMPARE(m_rest[0]->customerSend(chat, "ok").status, 201);
        QVERIFY(customer->waitFor([](const json& f) { return hasMessage(f, "ok"); }));

        QCOMPARE(m_rest[2]->customerSend(chat, question).status, 201);
        QVERIFY(customer->waitFor([](const json& f) {
            return hasMessage(f, "ship in two days") &&
                   f["data"]["message"].value("sender_type", "") == "bot";
        }));
    }

    // Erased on node 0: the shopper's connection on node 1 closes and node 1 refuses its token. A
    // password changed on node 0 ends the agent's other tokens and its connections on node 1.
    void erasureAndEndedSessionsReachEveryNode() {
        auto chat = m_rest[1]->customerWithConversation();
        auto customer = connectTo(1, chat.customer.token);
        QVERIFY(customer->isConnected());
        const auto erased = m_rest[0]->http().del("/api/v1/admin/customers/" + chat.customer.sessionId,
                                                  m_rest[0]->adminToken());
        QCOMPARE(erased.status, 204);
        QVERIFY(customer->waitDisconnected());
        QCOMPARE(
            m_rest[1]->http().get("/api/v1/conversations/" + chat.conversationId, chat.customer.token).status,
            401);

        const auto other = m_rest[0]->createAgent("cluster-b");
        auto agent = connectTo(1, other.token);
        QVERIFY(agent->isConnected());
        QCOMPARE(m_rest[0]
                     ->http()
                     .put("/api/v1/admin/agents/" + other.id, {{"password", "a-new-password-1"}},
                          m_rest[0]->adminToken())
                     .status,
                 200);
        QVERIFY(agent->waitDisconnected());
        QCOMPARE(m_rest[1]->http().get("/api/v1/agents", other.token).status, 401);
    }

    // A shopper resumes on node 1 while node 1's feed is behind the database (cut off, then back):
    // the backlog sends what follows after_seq; when the feed catches up, the messages it brings
    // late (the one at after_seq, the backlog's) are not sent again, and newer ones follow in order.
    void resumeWhileTheFeedLagsSendsEachMessageOnceInOrder() {
        QVERIFY(m_rest[1]->setPresence(m_agent, true));
        auto chat = m_rest[0]->customerWithConversation();
        QCOMPARE(m_rest[0]->handoff(chat).value("assigned_agent_id", ""), m_agent.id);
        const auto& id = chat.conversationId;
        // Node 1's pooled read connections are open before new connections are refused.
        for (int i = 0; i < 3; ++i)
            QCOMPARE(m_rest[1]->http().get("/api/v1/conversations/" + id, chat.customer.token).status, 200);

        auto reopen = qScopeGuard([&] { allowConnections(); });
        QVERIFY(cutFeed(1));
        QCOMPARE(m_rest[0]->agentSend(m_agent, id, "the client has this one").status, 201);
        const auto n = lastSeqOf(chat.customer.token, id);
        QCOMPARE(m_rest[0]->agentSend(m_agent, id, "written before the resume").status, 201);
        auto resumed = connectTo(1, chat.customer.token);
        resumed->resume(id, n);
        QVERIFY(seesLast(*resumed, id, n + 1)); // from the backlog: the feed is still cut

        QVERIFY(allowConnections());
        QCOMPARE(m_rest[0]->agentSend(m_agent, id, "written after the feed came back").status, 201);
        QVERIFY(seesLast(*resumed, id, n + 2));
        QVERIFY(resumed->fence());
        const auto seqs = resumed->seqsOf(id);
        QVERIFY2(isRun(seqs, n + 1, n + 2), dump(seqs).c_str());
    }

    // Node 1's feed stalls (its backend SIGSTOPped) while node 0 changes the greeting, erases a
    // shopper and writes to a shopper connected to node 1, and those outbox rows are pruned before
    // node 1 reads them (deleted here, as a feed cut off for longer than the 10 minutes the outbox
    // keeps rows finds them). Reading again, node 1 finds the gap and reloads its caches (the new
    // greeting, the erased shopper refused) and closes its connections with 1001, so that the
    // shopper's reconnect and resume bring the message its connection never got.
    void aFeedThatMissedPrunedRowsReloadsItsCaches() {
        auto primed = m_rest[1]->customerWithConversation(); // node 1 has the bot's texts cached
        auto erased = m_rest[1]->customerWithConversation();
        const auto erasedPath = "/api/v1/conversations/" + erased.conversationId;
        QCOMPARE(m_rest[1]->http().get(erasedPath, erased.customer.token).status, 200);
        auto watcher = connectTo(1, primed.customer.token);
        std::string pid;
        QTRY_VERIFY_WITH_TIMEOUT(!(pid = feedPid(1)).empty(), 10000);
        QCOMPARE(::kill(std::stoi(pid), SIGSTOP), 0);
        auto resume = qScopeGuard([&] { ::kill(std::stoi(pid), SIGCONT); });

        const auto greeting = "A greeting written while node 1 was away " + std::to_string(::getpid());
        const auto admin = m_rest[0]->adminToken();
        QCOMPARE(m_rest[0]
                     ->http()
                     .put("/api/v1/admin/settings", {{"bot", {{"greeting", greeting}}}}, admin)
                     .status,
                 200);
        QCOMPARE(m_rest[0]->http().del("/api/v1/admin/customers/" + erased.customer.sessionId, admin).status,
                 204);
        const auto seenBefore = lastSeqOf(primed.customer.token, primed.conversationId);
        QCOMPARE(m_rest[0]->customerSend(primed, "written while node 1 was away").status, 201);
        QVERIFY(psql("DELETE FROM event_outbox", m_database));
        QCOMPARE(::kill(std::stoi(pid), SIGCONT), 0);
        resume.dismiss();

        // The next row leaves a hole after the last one node 1 read: it finds the gap.
        QCOMPARE(m_rest[0]->customerSend(primed, "after the gap").status, 201);
        QVERIFY(watcher->waitDisconnected());
        QCOMPARE(int(watcher->closeCode()), 1001);
        QVERIFY(!watcher->waitFor(
            [](const json& f) { return hasMessage(f, "written while node 1 was away"); }, 0));
        auto again = connectTo(1, primed.customer.token);
        again->resume(primed.conversationId, seenBefore);
        QVERIFY(again->waitFor([](const json& f) { return hasMessage(f, "written while node 1 was away"); }));
        QVERIFY(again->waitFor([](const json& f) { return hasMessage(f, "after the gap"); }));
        // And a later event reaches it live: node 1's feed has read past the gap.
        QCOMPARE(m_rest[0]->customerSend(primed, "after the reconnect").status, 201);
        QVERIFY(again->waitFor([](const json& f) { return hasMessage(f, "after the reconnect"); }));
        QCOMPARE(m_rest[1]->http().get(erasedPath, erased.customer.token).status, 401);
        auto fresh = m_rest[1]->customerWithConversation();
        const auto c = m_rest[1]->conversation(fresh.customer.token, fresh.conversationId);
        QVERIFY2(!c["messages"].empty() && c["messages"].front().value("content", "") == greeting,
                 c.dump().c_str());
    }

    // Node 2 answers 201 and is killed at once: its event still reaches node 0's customer, and the
    // customer resumes on node 1 without a gap.
    void killedSenderLosesNoEvent() {
        QVERIFY(m_rest[1]->setPresence(m_agent, true));
        auto chat = m_rest[0]->customerWithConversation();
        QCOMPARE(m_rest[0]->handoff(chat).value("assigned_agent_id", ""), m_agent.id);
        const auto& id = chat.conversationId;
        auto customer = connectTo(0, chat.customer.token);

        QCOMPARE(m_rest[2]->agentSend(m_agent, id, "written just before the crash").status, 201);
        m_nodes[2]->kill();
        QVERIFY(
            customer->waitFor([](const json& f) { return hasMessage(f, "written just before the crash"); }));

        const auto last = lastSeqOf(chat.customer.token, id);
        auto resumed = connectTo(1, chat.customer.token);
        resumed->resume(id, 0);
        QVERIFY(seesLast(*resumed, id, last));
        QVERIFY(resumed->fence());
        auto seqs = resumed->seqsOf(id);
        QVERIFY2(isRun(seqs, 1, last), dump(seqs).c_str());
        QVERIFY(customer->fence());
        seqs = customer->seqsOf(id);
        QVERIFY2(!seqs.empty() && isRun(seqs, seqs.front(), last), dump(seqs).c_str());
    }

private:
    std::string m_database;
    std::vector<std::unique_ptr<ServerProcess>> m_nodes;
    std::vector<std::unique_ptr<Rest>> m_rest;
    TestAgent m_agent;
};

QTEST_MAIN(TestClusterEvents)
#include "tst_cluster_events.moc"
