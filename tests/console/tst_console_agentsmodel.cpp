// AgentsModel (admin list) and TeamModel (team panel) with the server's agents.
#include "ConsoleTestUtil.h"

#include "core/AgentListModel.h"

#include <QAbstractItemModelTester>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestAgentsModel : public QObject, private ServerFixture {
    Q_OBJECT
private:
    std::unique_ptr<ApiClient> m_api;

private slots:
    void initTestCase() {
        QVERIFY(startServerAsAdmin());
        m_api = apiClientFor(m_server, m_adminToken);
        QVERIFY(!createAgent(*m_http, m_adminToken, "zoe", "Zoe", 3).empty());
        QVERIFY(!createAgent(*m_http, m_adminToken, "bob", "Bob", 2).empty());
    }
    void init() {}
    void cleanup() {}

    void adminListColumns() {
        auto r = await<std::vector<proto::Agent>>([&](auto cb) { m_api->adminAgents(cb); });
        QVERIFY(r && r->ok());
        AgentsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setAgents(r->value);
        QCOMPARE(model.rowCount(), 3);
        // By username.
        QCOMPARE(model.index(0, AgentsModel::UsernameColumn).data().toString(), QStringLiteral("admin"));
        QCOMPARE(model.index(1, AgentsModel::UsernameColumn).data().toString(), QStringLiteral("bob"));
        QCOMPARE(model.index(1, AgentsModel::DisplayNameColumn).data().toString(), QStringLiteral("Bob"));
        QCOMPARE(model.index(1, AgentsModel::MaxChatsColumn).data().toInt(), 2);
        QCOMPARE(model.index(1, AgentsModel::RoleColumn).data().toString(), QStringLiteral("agent"));
        QCOMPARE(model.index(0, AgentsModel::RoleColumn).data().toString(), QStringLiteral("admin"));
        QCOMPARE(model.index(2, 0).data(AgentListModel::PresenceRole).toString(), QStringLiteral("offline"));
        QCOMPARE(model.headerData(AgentsModel::MaxChatsColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Max chats"));
    }

    void teamShowsOnlineFirstWithLoad() {
        const std::string bob = m_http->login("bob", "agent-pass-1");
        QVERIFY(setPresence(*m_http, bob, "online"));
        const Customer c = customerWantingAgent(*m_http); // goes to bob, the only one online
        Q_UNUSED(c);
        auto r = await<std::vector<proto::Agent>>([&](auto cb) { m_api->agents(cb); });
        QVERIFY(r && r->ok());
        TeamModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setAgents(r->value);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0, TeamModel::NameColumn).data().toString(), QStringLiteral("Bob"));
        QCOMPARE(model.index(0, TeamModel::PresenceColumn).data().toString(), QStringLiteral("online"));
        QCOMPARE(model.index(0, TeamModel::LoadColumn).data().toString(), QStringLiteral("1 / 2"));

        // A presence event moves Zoe up among the online ones (by name: Bob, Zoe).
        proto::Agent zoe;
        for (const auto& a : r->value)
            if (a.username == "zoe")
                zoe = a;
        zoe.presence = proto::Presence::Online;
        model.upsert(zoe);
        QCOMPARE(model.index(1, TeamModel::NameColumn).data().toString(), QStringLiteral("Zoe"));
        QCOMPARE(model.index(2, TeamModel::PresenceColumn).data().toString(), QStringLiteral("offline"));
        QVERIFY(setPresence(*m_http, bob, "offline"));
    }
};

QTEST_GUILESS_MAIN(TestAgentsModel)
#include "tst_console_agentsmodel.moc"
