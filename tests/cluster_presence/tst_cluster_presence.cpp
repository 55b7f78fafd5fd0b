// Two parley-server nodes on one PostgreSQL database and one Redis (issue 20): presence is
// cluster-wide (an agent whose connection moves to the other node within the grace period keeps
// its chats; one that is gone from both is requeued once, with one system message per
// conversation, by one node; the survivor requeues the agents of a node killed with SIGKILL), and
// the customer rate limit and the login throttle hold when requests alternate between the nodes.
// Events do not cross nodes here (that is the outbox's work): outcomes are read over REST and in
// the database.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QProcess>
#include <QScopeGuard>
#include <QTest>

#include <atomic>
#include <csignal>
#include <memory>
#include <unistd.h>
#include <vector>

using namespace parley::test;

namespace {
constexpr int kGraceSeconds = 2;
}

class TestClusterPresence : public QObject {
    Q_OBJECT

    std::string m_pgDir, m_pgBin, m_redisSocket, m_database;
    std::unique_ptr<ServerProcess> m_node1, m_node2;
    std::unique_ptr<Rest> m_rest1, m_rest2;

    QStringList nodeArgs(const QString& nodeId) const { return nodeArgs(nodeId, m_database, kGraceSeconds); }
    QStringList nodeArgs(const QString& nodeId, const std::string& database, int graceSeconds) const {
        const auto url =
            QString::fromStdString("postgresql:///" + database + "?host=" + m_pgDir + "&user=postgres");
        return {QStringLiteral("--database"),
                url,
                QStringLiteral("--bus"),
                QString::fromStdString("unix://" + m_redisSocket),
                QStringLiteral("--node-id"),
                nodeId,
                QStringLiteral("--agent-grace-seconds"),
                QString::number(graceSeconds),
                QStringLiteral("--customer-rate-burst"),
                QStringLiteral("4"),
                QStringLiteral("--customer-rate-per-minute"),
                QStringLiteral("1")};
    }

    std::string psql(const std::string& sql) const {
        QProcess p;
        p.start(QString::fromStdString(m_pgBin + "/psql"),
                {QStringLiteral("-h"), QString::fromStdString(m_pgDir), QStringLiteral("-U"),
                 QStringLiteral("postgres"), QStringLiteral("-d"), QString::fromStdString(m_database),
                 QStringLiteral("-tAc"), QString::fromStdString(sql)});
        if (!p.waitForFinished(20000) || p.exitCode() != 0)
            qWarning("psql failed: %s", p.readAllStandardError().constData());
        return p.readAllStandardOutput().trimmed().toStdString();
    }

    std::unique_ptr<WsTestClient> connectAs(const ServerProcess& node, const std::string& token) {
        auto ws = std::make_unique<WsTestClient>(node.wsUrl());
        auto reply = ws->hello(token);
        if (reply.value("type", "") != "hello.ok")
            qWarning("hello failed: %s", reply.dump().c_str());
        return ws;
    }

    // Online, and a new chat handed off through node 1 (to this agent when the queue was empty).
    Rest::CustomerChat oneChatFor(const TestAgent& agent) {
        auto chat = m_rest1->customerWithConversation();
        if (!m_rest1->setPresence(agent, true))
            qWarning("presence failed");
        auto conv = m_rest1->handoff(chat);
        if (!conv["assigned_agent_id"].is_string() || conv["assigned_agent_id"] != agent.id)
            qWarning("expected assignment to %s: %s", agent.username.c_str(), conv.dump().c_str());
        return chat;
    }

    std::string presenceOf(Rest& rest, const TestAgent& agent) {
        return rest.agentInfo(agent.id).value("presence", "");
    }

    std::string assigneeOf(Rest& rest, const Rest::CustomerChat& chat) {
        auto c = rest.conversation(chat.customer.token, chat.conversationId);
        return c["conversation"]["assigned_agent_id"].is_string()
                   ? c["conversation"]["assigned_agent_id"].get<std::string>()
                   : std::string();
    }

    // The open conversations assigned to the agent (it may have taken some from the queue too).
    std::vector<std::string> chatsOf(const TestAgent& agent) {
        std::vector<std::string> ids;
        const auto r = m_rest1->http().get("/api/v1/agent/conversations", agent.token);
        for (const auto& c : r.body["conversations"])
            ids.push_back(c.value("id", ""));
        return ids;
    }

    // The system messages that unassigned the conversation from the agent, over REST (as admin)
    // and in the database.
    int unassignedOverRest(Rest& rest, const std::string& conversationId, const TestAgent& agent) {
        const auto r = rest.http().get("/api/v1/conversations/" + conversationId, rest.adminToken());
        int n = 0;
        for (const auto& m : r.body["messages"])
            if (m.value("sender_type", "") == "system" && m["metadata"].value("event", "") == "unassigned" &&
                m["metadata"].value("agent_id", "") == agent.id)
                ++n;
        return n;
    }
    int unassignedInDatabase(const std::string& conversationId, const TestAgent& agent) {
        return std::stoi(psql("SELECT count(*) FROM messages WHERE conversation_id = '" + conversationId +
                              "' AND sender_type = 'system' AND metadata LIKE '%\"event\":\"unassigned\"%'"
                              " AND metadata LIKE '%\"agent_id\":\"" +
                              agent.id + "\"%'"));
    }

private slots:
    void initTestCase() {
        const char* pg = std::getenv("PARLEY_TEST_PG_SOCKET_DIR");
        const char* redis = std::getenv("PARLEY_TEST_REDIS_SOCKET");
        if (!pg || !*pg || !redis || !*redis)
            QSKIP("needs the parley_pg and parley_redis fixtures (run through ctest)");
        m_pgDir = pg;
        m_redisSocket = redis;
        const char* bin = std::getenv("PARLEY_TEST_PG_BIN");
        m_pgBin = bin && *bin ? bin : "/usr/lib/postgresql/15/bin";
        m_database = "parley_cluster_presence_" + std::to_string(::getpid());
        QCOMPARE(
            QProcess::execute(QString::fromStdString(m_pgBin + "/createdb"),
                              {QStringLiteral("-h"), QString::fromStdString(m_pgDir), QStringLiteral("-U"),
                               QStringLiteral("postgres"), QString::fromStdString(m_database)}),
            0);
        m_node1 = std::make_unique<ServerProcess>();
        m_node2 = std::make_unique<ServerProcess>();
        QVERIFY(m_node1->start(nodeArgs(QStringLiteral("presence-node-1-%1").arg(::getpid()))));
        QVERIFY(m_node2->start(nodeArgs(QStringLiteral("presence-node-2-%1").arg(::getpid()))));
        m_rest1 = std::make_unique<Rest>(m_node1->httpPort());
        m_rest2 = std::make_unique<Rest>(m_node2->httpPort());
        QCOMPARE(m_rest1->http().get("/healthz").status, 200);
        QCOMPARE(m_rest2->http().get("/healthz").status, 200);
    }

    void cleanupTestCase() {
        m_node1.reset();
        m_node2.reset();
        if (!m_database.empty())
            QProcess::execute(QString::fromStdString(m_pgBin + "/dropdb"),
                              {QStringLiteral("--if-exists"), QStringLiteral("--force"), QStringLiteral("-h"),
                               QString::fromStdString(m_pgDir), QStringLiteral("-U"),
                               QStringLiteral("postgres"), QString::fromStdString(m_database)});
    }

    void reconnectOnTheOtherNodeKeepsTheChats() {
        auto mover = m_rest1->createAgent("cp-mover", 1);
        auto witness = m_rest1->createAgent("cp-witness", 0);
        auto wsMover = connectAs(*m_node1, mover.token);
        auto chat = oneChatFor(mover);
        QCOMPARE(assigneeOf(*m_rest1, chat), mover.id);
        // A witness dropped right after the mover marks the moment the mover's grace is over.
        auto wsWitness = connectAs(*m_node1, witness.token);
        QVERIFY(m_rest1->setPresence(witness, true));

        wsMover->abort();
        auto wsMoverOnNode2 = connectAs(*m_node2, mover.token);
        QVERIFY(wsMoverOnNode2->isConnected());
        wsWitness->abort();
        QTRY_COMPARE_WITH_TIMEOUT(presenceOf(*m_rest2, witness), std::string("offline"), 30000);
        QCOMPARE(presenceOf(*m_rest2, mover), std::string("online"));
        QCOMPARE(assigneeOf(*m_rest2, chat), mover.id);
        QCOMPARE(unassignedOverRest(*m_rest2, chat.conversationId, mover), 0);
        QCOMPARE(unassignedInDatabase(chat.conversationId, mover), 0);
    }

    // Node 1 is killed. Its agent has no connection anywhere once node 1 is gone; node 2 notices
    // when node 1's heartbeat expires and runs the grace period. Node 1 is started again after.
    void theSurvivorRequeuesAKilledNodesAgentOnce() {
        auto stranded = m_rest1->createAgent("cp-stranded", 1);
        auto wsStranded = connectAs(*m_node1, stranded.token);
        auto chat = oneChatFor(stranded);
        QCOMPARE(assigneeOf(*m_rest1, chat), stranded.id);
        const auto chats = chatsOf(stranded);
        QCOMPARE(chats.size(), std::size_t(1));

        m_node1->kill();
        QVERIFY(wsStranded->waitDisconnected());
        QTRY_COMPARE_WITH_TIMEOUT(presenceOf(*m_rest2, stranded), std::string("offline"), 60000);
        QCOMPARE(assigneeOf(*m_rest2, chat), std::string());
        QCOMPARE(unassignedOverRest(*m_rest2, chat.conversationId, stranded), 1);
        QCOMPARE(unassignedInDatabase(chat.conversationId, stranded), 1);
        QVERIFY2(
            QString::fromStdString(m_node2->output().toStdString()).contains(QStringLiteral("dead node")),
            "node 2 did not take over node 1's agents");
        // Node 1 again, as a new process with its flags (on a port of its own).
        m_node1 = std::make_unique<ServerProcess>();
        QVERIFY(m_node1->start(nodeArgs(QStringLiteral("presence-node-1-%1").arg(::getpid()))));
        m_rest1 = std::make_unique<Rest>(m_node1->httpPort());
        QCOMPARE(m_rest1->http().get("/healthz").status, 200);
    }

    // Three nodes of a cluster of their own (another database). The agent's only connection is on
    // node 0, which is killed; the survivor whose heartbeat sweep takes its agent over is killed
    // too before the grace period ends, so nobody holds that grace any more. The last node still
    // requeues the agent: every grace period, each node gives the agents the store has online (or
    // holding chats) and connected nowhere a grace period of its own.
    void anAgentIsLostWhenItsTakerDiesToo() {
        const auto database = m_database + "_taker";
        QCOMPARE(
            QProcess::execute(QString::fromStdString(m_pgBin + "/createdb"),
                              {QStringLiteral("-h"), QString::fromStdString(m_pgDir), QStringLiteral("-U"),
                               QStringLiteral("postgres"), QString::fromStdString(database)}),
            0);
        auto dropAfter = qScopeGuard([&] {
            QProcess::execute(QString::fromStdString(m_pgBin + "/dropdb"),
                              {QStringLiteral("--if-exists"), QStringLiteral("--force"), QStringLiteral("-h"),
                               QString::fromStdString(m_pgDir), QStringLiteral("-U"),
                               QStringLiteral("postgres"), QString::fromStdString(database)});
        });
        // Long enough for the test to kill the taker within it (node 0's heartbeat expires first).
        constexpr int kGrace = 5;
        std::vector<std::unique_ptr<ServerProcess>> nodes;
        for (int i = 0; i < 3; ++i) {
            nodes.push_back(std::make_unique<ServerProcess>());
            QVERIFY(nodes.back()->start(
                nodeArgs(QStringLiteral("taker-node-%1-%2").arg(i).arg(::getpid()), database, kGrace)));
        }
        Rest rest0(nodes[0]->httpPort());
        auto agent = rest0.createAgent("cp-taken", 1);
        auto ws = connectAs(*nodes[0], agent.token);
        auto chat = rest0.customerWithConversation();
        QVERIFY(rest0.setPresence(agent, true));
        QCOMPARE(rest0.handoff(chat).value("assigned_agent_id", ""), agent.id);

        nodes[0]->kill();
        QVERIFY(ws->waitDisconnected());
        int taker = 0;
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (int i : {1, 2})
                    if (nodes[i]->output().contains(QStringLiteral("of a dead node get their grace period")))
                        taker = i;
                return taker != 0;
            },
            40000));
        nodes[taker]->kill();
        Rest last(nodes[3 - taker]->httpPort());
        QTRY_COMPARE_WITH_TIMEOUT(presenceOf(last, agent), std::string("offline"), 60000);
        QCOMPARE(assigneeOf(last, chat), std::string());
        QCOMPARE(unassignedOverRest(last, chat.conversationId, agent), 1);
    }

    void goneFromBothNodesIsRequeuedOnce() {
        auto gone = m_rest1->createAgent("cp-gone", 2);
        auto witness = m_rest1->createAgent("cp-witness-2", 0);
        // Connected on both nodes, so both run a grace period and both try to mark it lost.
        auto wsGone1 = connectAs(*m_node1, gone.token);
        auto wsGone2 = connectAs(*m_node2, gone.token);
        // Online with room for two: it takes what waits in the queue (the chat of the agent lost
        // above, when run after it) and a new chat.
        QVERIFY(m_rest1->setPresence(gone, true));
        m_rest1->handoff(m_rest1->customerWithConversation());
        const auto chats = chatsOf(gone);
        QVERIFY(!chats.empty());
        auto wsWitness1 = connectAs(*m_node1, witness.token);
        auto wsWitness2 = connectAs(*m_node2, witness.token);
        QVERIFY(m_rest1->setPresence(witness, true));

        wsGone1->abort();
        wsGone2->abort();
        wsWitness1->abort();
        wsWitness2->abort();
        QTRY_COMPARE_WITH_TIMEOUT(presenceOf(*m_rest1, gone), std::string("offline"), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(presenceOf(*m_rest1, witness), std::string("offline"), 30000);
        QVERIFY(chatsOf(gone).empty());
        for (const auto& id : chats) {
            QCOMPARE(unassignedOverRest(*m_rest1, id, gone), 1);
            QCOMPARE(unassignedOverRest(*m_rest2, id, gone), 1);
            QCOMPARE(unassignedInDatabase(id, gone), 1);
        }
    }

    void customerRateLimitHoldsAcrossNodes() {
        auto chat = m_rest1->customerWithConversation();
        int accepted = 0, limited = 0;
        for (int i = 0; i < 8; ++i) {
            auto& rest = i % 2 ? *m_rest2 : *m_rest1;
            const auto r = rest.customerSend(chat, "message " + std::to_string(i));
            if (r.status == 201)
                ++accepted;
            else if (r.status == 429)
                ++limited;
            else
                QFAIL(r.describe().c_str());
        }
        QCOMPARE(accepted, 4); // the burst, once for the cluster (per node it would be 8)
        QCOMPARE(limited, 4);
    }

    void loginThrottleHoldsAcrossNodes() {
        auto agent = m_rest1->createAgent("cp-throttled", 1);
        // Five failures (the default before a lock), alternating nodes: locked on both.
        for (int i = 0; i < 5; ++i) {
            auto& rest = i % 2 ? *m_rest2 : *m_rest1;
            const auto r = rest.http().post("/api/v1/agent/login",
                                            {{"username", agent.username}, {"password", "wrong"}});
            QCOMPARE(r.status, 401);
        }
        for (auto* rest : {m_rest1.get(), m_rest2.get()}) {
            const auto r = rest->http().post("/api/v1/agent/login",
                                             {{"username", agent.username}, {"password", "wrong"}});
            QCOMPARE(r.status, 429);
        }
    }

    // A node that cannot reach its bus says so on /healthz and answers 503 to what needs it.
    void healthzSaysWhenTheBusIsAway() {
        ServerProcess orphan;
        auto args = nodeArgs(QStringLiteral("presence-node-3-%1").arg(::getpid()));
        args[3] = QStringLiteral("unix:///nonexistent/parley-redis.sock");
        QVERIFY(orphan.start(args));
        HttpClient http(orphan.httpPort());
        QTRY_COMPARE_WITH_TIMEOUT(http.get("/healthz").status, 503, 10000);
        const auto health = http.get("/healthz");
        QCOMPARE(health.body.value("status", ""), std::string("unavailable"));
        QVERIFY2(health.body.value("reason", "").find("bus") != std::string::npos, health.rawBody.c_str());
        const auto login = http.post("/api/v1/agent/login", {{"username", "admin"}, {"password", "x"}});
        QCOMPARE(login.status, 503);
    }

    // The database stops answering the node's health check (its backend SIGSTOPped, as a stalled
    // host would leave it): /healthz says 503 within seconds rather than "ok" for as long as the
    // stall lasts, and 200 again once the database answers.
    void healthzSaysWhenTheDatabaseStalls() {
        const auto name = "stall-" + std::to_string(::getpid());
        auto args = nodeArgs(QString::fromStdString(name));
        args[1] += QString::fromStdString("&application_name=" + name);
        ServerProcess node;
        QVERIFY(node.start(args));
        HttpClient http(node.httpPort());
        QTRY_COMPARE_WITH_TIMEOUT(http.get("/healthz").status, 200, 10000);
        // The health check's connection: the one of the node's that runs SELECT 1.
        std::string pid;
        QTRY_VERIFY_WITH_TIMEOUT(!(pid = psql("SELECT pid FROM pg_stat_activity WHERE application_name = '" +
                                              name + "' AND query = 'SELECT 1'"))
                                      .empty(),
                                 10000);
        QCOMPARE(::kill(std::stoi(pid), SIGSTOP), 0);
        auto resume = qScopeGuard([&] { ::kill(std::stoi(pid), SIGCONT); });
        QTRY_COMPARE_WITH_TIMEOUT(http.get("/healthz").status, 503, 15000);
        const auto health = http.get("/healthz");
        QVERIFY2(health.body.value("reason", "").find("not answered") != std::string::npos,
                 health.rawBody.c_str());
        QCOMPARE(::kill(std::stoi(pid), SIGCONT), 0);
        resume.dismiss();
        QTRY_COMPARE_WITH_TIMEOUT(http.get("/healthz").status, 200, 15000);
    }
};

QTEST_GUILESS_MAIN(TestClusterPresence)
#include "tst_cluster_presence.moc"
