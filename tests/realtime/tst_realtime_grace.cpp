// Presence is kept apart from sockets: an agent whose every connection is gone past
// --agent-grace-seconds is set offline and its chats are served again (offline by choice too);
// a reconnect within the grace period, or a second window that stays open, changes nothing
// visible.
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QElapsedTimer>
#include <QTest>

using namespace parley::test;

class TestRealtimeGrace : public QObject {
    Q_OBJECT

    std::unique_ptr<WsTestClient> connectAs(const std::string& token) {
        auto ws = std::make_unique<WsTestClient>(m_server.wsUrl());
        auto reply = ws->hello(token);
        if (reply.value("type", "") != "hello.ok")
            qWarning("hello failed: %s", reply.dump().c_str());
        return ws;
    }

    // Brings the agent online with room for exactly one chat and hands it one customer.
    Rest::CustomerChat oneChatFor(const TestAgent& agent) {
        auto chat = m_rest->customerWithConversation();
        if (!m_rest->setPresence(agent, true))
            qWarning("presence failed");
        auto conv = m_rest->handoff(chat);
        if (conv.value("assigned_agent_id", "") != agent.id)
            qWarning("expected assignment to %s: %s", agent.username.c_str(), conv.dump().c_str());
        return chat;
    }

    // "Nothing happens to X past the grace period" has no event of its own. A witness agent (online,
    // room for no chat) that loses its only connection after X did marks the moment: once the
    // witness is reported offline, X's grace period has run out too.
    TestAgent onlineWitness(const std::string& name, std::unique_ptr<WsTestClient>& ws) {
        auto witness = m_rest->createAgent(name, 0);
        ws = connectAs(witness.token);
        if (!m_rest->setPresence(witness, true))
            qWarning("witness presence failed");
        return witness;
    }
    static bool isLost(const json& f, const TestAgent& agent) {
        return f.value("type", "") == "agent.presence.changed" &&
               f["data"]["agent"].value("id", "") == agent.id &&
               f["data"]["agent"].value("presence", "") == "offline";
    }

    std::string assigneeOf(const Rest::CustomerChat& chat) {
        auto c = m_rest->conversation(chat.customer.token, chat.conversationId);
        return c["conversation"]["assigned_agent_id"].is_string()
                   ? c["conversation"]["assigned_agent_id"].get<std::string>()
                   : std::string();
    }

private slots:
    void initTestCase() {
        QVERIFY(m_server.start({QStringLiteral("--agent-grace-seconds"), QStringLiteral("2")}));
        m_rest = std::make_unique<Rest>(m_server.httpPort());
    }

    void lostAgentIsRequeuedAndReassignedWhileOthersKeepTheirChats() {
        auto lost = m_rest->createAgent("grace-lost", 1);
        auto back = m_rest->createAgent("grace-back", 1);
        auto twoWindows = m_rest->createAgent("grace-two", 1);
        m_backup = m_rest->createAgent("grace-backup", 5);

        auto wsLost = connectAs(lost.token);
        auto wsBack = connectAs(back.token);
        auto wsTwoA = connectAs(twoWindows.token);
        auto wsTwoB = connectAs(twoWindows.token);
        m_wsBackup = connectAs(m_backup.token);

        auto chatLost = oneChatFor(lost);
        auto chatBack = oneChatFor(back);
        auto chatTwo = oneChatFor(twoWindows);
        QCOMPARE(assigneeOf(chatLost), lost.id);
        QCOMPARE(assigneeOf(chatBack), back.id);
        QCOMPARE(assigneeOf(chatTwo), twoWindows.id);
        QVERIFY(m_rest->setPresence(m_backup, true)); // online last, so it took none of the above
        m_chat = chatLost;

        auto wsCustomer = connectAs(chatLost.customer.token);
        QVERIFY(wsCustomer->fence());
        // Marks the moment the grace periods started below have run out (see onlineWitness).
        std::unique_ptr<WsTestClient> wsDropWitness;
        const auto dropWitness = onlineWitness("grace-witness-0", wsDropWitness);
        QVERIFY(m_wsBackup->fence());
        m_wsBackup->clear();
        wsCustomer->clear();

        // All at once: `lost` vanishes, `back` drops and reconnects at once, `two` closes one window.
        QElapsedTimer sinceDrop;
        sinceDrop.start();
        wsLost->abort();
        wsBack->abort();
        wsTwoA->close();
        QVERIFY(wsTwoA->waitDisconnected());
        auto wsBackAgain = connectAs(back.token);
        QVERIFY(wsBackAgain->isConnected());
        wsDropWitness->abort(); // after every drop above: its grace period ends last

        // Past the grace period the lost agent's chat goes to the backup agent.
        QVERIFY(m_wsBackup->waitFor(
            [&](const json& f) {
                return f.value("type", "") == "agent.assigned" &&
                       f["data"]["conversation"].value("id", "") == chatLost.conversationId;
            },
            20000));
        QVERIFY2(sinceDrop.elapsed() >= 1900, "reassigned before the grace period was over");
        QVERIFY(m_wsBackup->waitFor([&](const json& f) {
            return f.value("type", "") == "agent.presence.changed" &&
                   f["data"]["agent"].value("id", "") == lost.id &&
                   f["data"]["agent"].value("presence", "") == "offline";
        }));
        // The customer is told: unassigned (system message), then assigned to the backup.
        QVERIFY(wsCustomer->waitFor([&](const json& f) {
            return f.value("type", "") == "agent.assigned" &&
                   f["data"]["agent"].value("id", "") == m_backup.id;
        }));
        QVERIFY(wsCustomer->fence());
        std::vector<std::string> events;
        for (const auto& f : wsCustomer->framesFor("message.created", chatLost.conversationId))
            events.push_back(f["data"]["message"]["metadata"].value("event", ""));
        QCOMPARE(events, (std::vector<std::string>{"unassigned", "assigned"}));
        QCOMPARE(assigneeOf(chatLost), m_backup.id);
        QCOMPARE(m_rest->agentInfo(lost.id).value("presence", ""), std::string("offline"));

        // `back` and `two` had the same timers running (or would have): nothing happened to them.
        // Once the witness, dropped after them, is reported lost, their grace periods are over.
        QVERIFY(m_wsBackup->waitFor([&](const json& f) { return isLost(f, dropWitness); }, 20000));
        QCOMPARE(m_rest->agentInfo(back.id).value("presence", ""), std::string("online"));
        QCOMPARE(m_rest->agentInfo(twoWindows.id).value("presence", ""), std::string("online"));
        QCOMPARE(assigneeOf(chatBack), back.id);
        QCOMPARE(assigneeOf(chatTwo), twoWindows.id);
        QVERIFY(m_wsBackup->fence());
        for (const auto& f : m_wsBackup->framesOfType("agent.presence.changed")) {
            const auto id = f["data"]["agent"].value("id", "");
            QVERIFY2(id != back.id && id != twoWindows.id, f.dump().c_str());
        }

        // Offline by choice keeps the chats while the agent is connected; gone past the grace
        // period, nobody is there to answer them: they are served again (contract: "every realtime
        // connection gone longer than the grace period ... its open conversations are unassigned").
        QVERIFY(m_rest->setPresence(back, false));
        QVERIFY(m_wsBackup->fence());
        QCOMPARE(assigneeOf(chatBack), back.id);
        wsBackAgain->abort();
        QVERIFY(m_wsBackup->waitFor(
            [&](const json& f) {
                return isLost(f, back) && f["data"]["agent"].value("active_chats", -1) == 0;
            },
            20000));
        const auto nowWith = assigneeOf(chatBack); // unassigned and served in the same commit
        QVERIFY2(nowWith != back.id && !nowWith.empty(), nowWith.c_str());
    }

    void onlineAgentThatDoesNotComeBackAfterARestartIsLost() {
        // The backup agent is online with the chat; after a restart nobody is connected, so it gets
        // the grace period to come back, and does not.
        m_wsBackup.reset();
        QVERIFY(m_server.restart());
        WsTestClient customer(m_server.wsUrl());
        QCOMPARE(customer.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        QVERIFY(customer.waitFor(
            [](const json& f) {
                return f.value("type", "") == "message.created" &&
                       f["data"]["message"]["metadata"].value("event", "") == "unassigned";
            },
            20000));
        QCOMPARE(m_rest->agentInfo(m_backup.id).value("presence", ""), std::string("offline"));
    }

    void reconnectAfterARestartWithinTheGraceKeepsTheAgent() {
        auto agent = m_rest->createAgent("grace-restart", 1);
        QVERIFY(m_rest->setPresence(agent, true));
        // The witness is made before the restart: after it, only two connections stand between the
        // start of the grace period and the agent's reconnect, so a loaded machine (ctest -j, CI)
        // still reconnects within the 2 s. Creating an agent (a password hash) took longer.
        auto witness = m_rest->createAgent("grace-witness-2", 0);
        QVERIFY(m_rest->setPresence(witness, true));
        QVERIFY(m_server.restart()); // the grace period of every online agent starts with the server
        auto ws = connectAs(agent.token);
        QVERIFY(ws->isConnected());
        auto wsWitness = connectAs(witness.token);
        QVERIFY(wsWitness->isConnected());
        wsWitness->abort(); // its grace period starts after the agent's would have
        QVERIFY(ws->waitFor([&](const json& f) { return isLost(f, witness); }, 20000));
        QCOMPARE(m_rest->agentInfo(agent.id).value("presence", ""), std::string("online"));
    }

private:
    ServerProcess m_server;
    std::unique_ptr<Rest> m_rest;
    TestAgent m_backup;
    std::unique_ptr<WsTestClient> m_wsBackup;
    Rest::CustomerChat m_chat;
};

QTEST_GUILESS_MAIN(TestRealtimeGrace)
#include "tst_realtime_grace.moc"
