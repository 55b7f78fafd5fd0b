// QueueModel against the real queue: oldest first, positions, waiting time, live changes.
#include "ConsoleTestUtil.h"

#include "core/QueueModel.h"
#include "core/Shopper.h"

#include <QAbstractItemModelTester>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestQueueModel : public QObject, private ServerFixture {
    Q_OBJECT
private:
    std::vector<proto::Conversation> fetchQueue() {
        const auto api = apiClientFor(m_server, m_adminToken);
        auto r = await<std::vector<proto::Conversation>>([&](auto cb) { api->queue(cb); });
        return r && r->ok() ? r->value : std::vector<proto::Conversation>{};
    }

private slots:
    void initTestCase() { QVERIFY(startServerAsAdmin()); }

    void init() { QVERIFY(setPresence(*m_http, m_adminToken, "offline")); }
    void cleanup() {}

    void snapshotOldestFirstWithWaitingTime() {
        const Customer first = customerWantingAgent(*m_http);
        const Customer second = customerWantingAgent(*m_http);
        QueueModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto queue = fetchQueue();
        QCOMPARE(queue.size(), std::size_t(2));
        model.setConversations({queue.rbegin(), queue.rend()}); // order comes from requested_agent_at
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, 0).data(QueueModel::ConversationIdRole).toString(), qs(first.conversationId));
        QCOMPARE(model.index(1, 0).data(QueueModel::ConversationIdRole).toString(),
                 qs(second.conversationId));
        QCOMPARE(model.index(0, QueueModel::PositionColumn).data().toInt(), 1);
        QCOMPARE(model.index(1, QueueModel::PositionColumn).data().toInt(), 2);
        // The shopper as every other view names it.
        QCOMPARE(model.index(0, QueueModel::CustomerColumn).data().toString(),
                 QStringLiteral("Shopper ") + parley::console::shopperCode(first.sessionId));
        QCOMPARE(model.index(0, QueueModel::PageColumn).data().toString(), QString()); // not told yet

        // Waiting time follows the clock, not the server.
        const QDateTime requested = model.index(0, 0).data(QueueModel::RequestedAtRole).toDateTime();
        QVERIFY(requested.isValid());
        model.setClock([requested] { return requested.addSecs(185); });
        QCOMPARE(model.index(0, QueueModel::WaitingColumn).data(QueueModel::WaitingSecondsRole).toLongLong(),
                 185);
        QCOMPARE(model.index(0, QueueModel::WaitingColumn).data().toString(), QStringLiteral("3 min"));
        model.setClock([requested] { return requested.addSecs(3725); });
        QCOMPARE(model.index(0, QueueModel::WaitingColumn).data().toString(), QStringLiteral("1 h 02 min"));
        // The display refreshes on its own every second.
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QTRY_VERIFY_WITH_TIMEOUT(changed.count() > 0, 10000);

        // The first is served (as an event would tell): it leaves the queue and the second moves up.
        auto conv =
            m_http->get("/api/v1/conversations/" + first.conversationId, m_adminToken).body["conversation"];
        conv["assigned_agent_id"] = "00000000-0000-4000-8000-000000000001";
        conv["queue_position"] = nullptr;
        model.apply(conv.get<proto::Conversation>());
        QCOMPARE(model.rowCount(), 1);
        QVERIFY(!model.contains(qs(first.conversationId)));
        QCOMPARE(model.index(0, QueueModel::PositionColumn).data().toInt(), 1);

        // A third customer arrives: appended at the end.
        const Customer third = customerWantingAgent(*m_http);
        for (const auto& c : fetchQueue())
            model.apply(c);
        QVERIFY(model.rowCount() >= 2);
        QCOMPARE(model.index(model.rowCount() - 1, 0).data(QueueModel::ConversationIdRole).toString(),
                 qs(third.conversationId));

        // Unqueued conversations never enter.
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        model.setConversations(fetchQueue());
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestQueueModel)
#include "tst_console_queuemodel.moc"
