// MessagesModel with a real conversation's history: order by seq, roles, and dedupe.
#include "ConsoleTestUtil.h"

#include "core/MessagesModel.h"

#include <QAbstractItemModelTester>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestMessagesModel : public QObject, private ServerFixture {
    Q_OBJECT
private:
    std::unique_ptr<ApiClient> m_api;
    Customer m_customer;
    std::vector<proto::Message> m_history;

private slots:
    void initTestCase() {
        QVERIFY(startServerAsAdmin());
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        m_customer = customerWantingAgent(*m_http);
        QCOMPARE(customerSays(*m_http, m_customer, "My order #42 has not arrived."), 201);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + m_customer.conversationId + "/messages",
                            {{"content", "Let me check that for you."}}, m_adminToken)
                     .status,
                 201);
        m_api = apiClientFor(m_server, m_adminToken);
        auto r = await<ConversationWithMessages>(
            [&](auto cb) { m_api->conversation(qs(m_customer.conversationId), cb); });
        QVERIFY(r && r->ok());
        m_history = r->value.messages;
        QVERIFY(m_history.size() >= 4); // greeting, system "assigned", customer, agent
    }

    void init() {}
    void cleanup() {}

    void historyInSeqOrderWithRoles() {
        MessagesModel model(qs(m_customer.conversationId));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        // Deliberately reversed: the model sorts by seq.
        std::vector<proto::Message> reversed(m_history.rbegin(), m_history.rend());
        QCOMPARE(model.addMessages(reversed), int(m_history.size()));
        QCOMPARE(model.rowCount(), int(m_history.size()));
        for (int row = 0; row < model.rowCount(); ++row)
            QCOMPARE(model.index(row).data(MessagesModel::SeqRole).toLongLong(), qint64(row + 1));
        QCOMPARE(model.lastSeq(), m_history.back().seq);
        QCOMPARE(model.index(0).data(MessagesModel::SenderTypeRole).toString(), QStringLiteral("bot"));
        const int last = model.rowCount() - 1;
        QCOMPARE(model.index(last).data(MessagesModel::SenderTypeRole).toString(), QStringLiteral("agent"));
        QCOMPARE(model.index(last).data().toString(), QStringLiteral("Let me check that for you."));
        QVERIFY(model.index(last).data(MessagesModel::CreatedAtRole).toDateTime().isValid());
        QVERIFY(!model.index(last).data(MessagesModel::SenderAgentIdRole).toString().isEmpty());
        bool sawSystem = false, sawCustomer = false;
        for (int row = 0; row < model.rowCount(); ++row) {
            const QString t = model.index(row).data(MessagesModel::SenderTypeRole).toString();
            sawSystem |= t == QLatin1String("system");
            sawCustomer |= t == QLatin1String("customer");
        }
        QVERIFY(sawSystem);
        QVERIFY(sawCustomer);
    }

    void sameSeqTwiceIsOneRow() {
        MessagesModel model(qs(m_customer.conversationId));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QVERIFY(model.addMessage(m_history[1]));
        QVERIFY(!model.addMessage(m_history[1]));
        QCOMPARE(model.addMessages(m_history), int(m_history.size()) - 1);
        QCOMPARE(model.addMessages(m_history), 0);
        QCOMPARE(model.rowCount(), int(m_history.size()));
        QCOMPARE(inserted.count(), int(m_history.size()));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.isLoaded());
    }
};

QTEST_GUILESS_MAIN(TestMessagesModel)
#include "tst_console_messagesmodel.moc"
