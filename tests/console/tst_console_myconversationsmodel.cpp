// MyConversationsModel fed by a live Session: unread counts and newest activity first.
#include "ConsoleTestUtil.h"

#include "core/MyConversationsModel.h"

#include <QAbstractItemModelTester>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestMyConversationsModel : public QObject, private ServerFixture {
    Q_OBJECT
private:
    static QString idAt(MyConversationsModel* m, int row) {
        return m->index(row).data(MyConversationsModel::ConversationIdRole).toString();
    }

private slots:
    void initTestCase() { QVERIFY(startServerAsAdmin()); }
    void init() {}
    void cleanup() {}

    void unreadCountsAndNewestFirst() {
        Session session;
        MyConversationsModel* model = session.myConversations();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(signIn(session, m_server, QStringLiteral("admin"),
                       QString::fromLatin1(ServerProcess::kAdminPassword)));
        session.setPresence(proto::Presence::Online);
        QTRY_COMPARE_WITH_TIMEOUT(session.me().presence, proto::Presence::Online, 10000);

        const Customer a = customerWantingAgent(*m_http);
        QTRY_VERIFY_WITH_TIMEOUT(model->contains(qs(a.conversationId)), 10000);
        const Customer b = customerWantingAgent(*m_http);
        QTRY_VERIFY_WITH_TIMEOUT(model->contains(qs(b.conversationId)), 10000);
        QCOMPARE(model->rowCount(), 2);

        // b is in front; a customer message in a counts unread and moves a to the top.
        session.setCurrentConversation(qs(b.conversationId));
        QCOMPARE(customerSays(*m_http, a, "Hello? Anyone?"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(model->unread(qs(a.conversationId)), 1, 10000);
        QCOMPARE(idAt(model, 0), qs(a.conversationId));
        QCOMPARE(model->index(0).data(MyConversationsModel::PreviewRole).toString(),
                 QStringLiteral("Hello? Anyone?"));
        QVERIFY(model->index(0).data().toString().contains(QLatin1String("(1)")));
        QCOMPARE(customerSays(*m_http, a, "Still there?"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(model->unread(qs(a.conversationId)), 2, 10000);
        QCOMPARE(model->totalUnread(), 2);

        // Messages in the chat in front are read at once; it moves to the top.
        QCOMPARE(customerSays(*m_http, b, "I am b"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(idAt(model, 0), qs(b.conversationId), 10000);
        QCOMPARE(model->unread(qs(b.conversationId)), 0);

        // Bringing a to the front clears its mark.
        session.setCurrentConversation(qs(a.conversationId));
        QCOMPARE(model->unread(qs(a.conversationId)), 0);
        QCOMPARE(model->totalUnread(), 0);

        // Closing keeps it listed as closed.
        session.closeConversation(qs(a.conversationId));
        QTRY_COMPARE_WITH_TIMEOUT(model->index(model->rowOf(qs(a.conversationId)))
                                      .data(MyConversationsModel::StatusRole)
                                      .toString(),
                                  QStringLiteral("closed"), 10000);
        QCOMPARE(model->rowCount(), 2);
        session.setPresence(proto::Presence::Offline);
        QTRY_COMPARE_WITH_TIMEOUT(session.me().presence, proto::Presence::Offline, 10000);
    }

    // Times carry milliseconds only: two chats active in the same millisecond still put the one
    // whose message came last in front (it failed that way once the server answered in 0.3 ms).
    void sameMillisecondLastSeenGoesFirst() {
        MyConversationsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const std::string t = "2026-11-26T10:00:00.000Z";
        for (const char* id : {"a", "b"}) {
            proto::Conversation c;
            c.id = id;
            c.status = proto::ConversationStatus::Agent;
            c.createdAt = c.updatedAt = t;
            model.upsert(c);
        }
        auto say = [&](const char* conversationId, std::int64_t seq, const std::string& at) {
            proto::Message m;
            m.conversationId = conversationId;
            m.seq = seq;
            m.content = "hi";
            m.createdAt = at;
            model.noteMessage(m, false);
        };
        const std::string later = "2026-11-26T10:00:01.234Z";
        std::int64_t seq = 1;
        for (const char* first : {"a", "b"}) {
            const char* second = std::string(first) == "a" ? "b" : "a";
            say(first, ++seq, later);
            QCOMPARE(idAt(&model, 0), QString::fromLatin1(first));
            say(second, seq, later);
            QCOMPARE(idAt(&model, 0), QString::fromLatin1(second));
        }
    }
};

QTEST_GUILESS_MAIN(TestMyConversationsModel)
#include "tst_console_myconversationsmodel.moc"
