// MyConversationsModel: rows stay where they are while the agent works. Fed by a live Session
// (shoppers' messages, the agent's own replies, closing) and directly (arrivals among finished
// chats, chats taken away, clearing finished ones).
#include "ConsoleTestUtil.h"

#include "core/MyConversationsModel.h"
#include "core/Shopper.h"

#include <QAbstractItemModelTester>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestMyConversationsModel : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir; // replies waiting to be sent are saved there
    static QString idAt(MyConversationsModel* m, int row) {
        return m->index(row).data(MyConversationsModel::ConversationIdRole).toString();
    }
    static QStringList order(MyConversationsModel* m) {
        QStringList ids;
        for (int row = 0; row < m->rowCount(); ++row)
            ids << idAt(m, row);
        return ids;
    }
    static proto::Conversation conv(const char* id, const char* agent,
                                    proto::ConversationStatus status = proto::ConversationStatus::Agent) {
        proto::Conversation c;
        c.id = id;
        c.customerSessionId = std::string("session-") + id;
        c.status = status;
        if (agent)
            c.assignedAgentId = agent;
        c.createdAt = c.updatedAt = "2026-11-26T10:00:00.000Z";
        return c;
    }
    static proto::Message msg(const char* conversationId, std::int64_t seq, proto::SenderType who,
                              const char* text, const char* agent = nullptr) {
        proto::Message m;
        m.conversationId = conversationId;
        m.seq = seq;
        m.senderType = who;
        if (agent)
            m.senderAgentId = agent;
        m.content = text;
        m.createdAt = "2026-11-26T10:00:0" + std::to_string(seq % 10) + ".000Z";
        return m;
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QVERIFY(startServerAsAdmin());
    }
    void init() {}
    void cleanup() {}

    void rowsStayPutWhileTheAgentWorks() {
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
        const QStringList arrival{qs(a.conversationId), qs(b.conversationId)};
        QCOMPARE(order(model), arrival);
        QTRY_VERIFY_WITH_TIMEOUT(session.messages(qs(b.conversationId))->isLoaded(), 10000);

        // b is in front; a message in a counts unread, shows as preview, and moves nothing.
        session.setCurrentConversation(qs(b.conversationId));
        QCOMPARE(customerSays(*m_http, a, "Hello? Anyone?"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(model->unread(qs(a.conversationId)), 1, 10000);
        QCOMPARE(order(model), arrival);
        QCOMPARE(model->index(0).data(MyConversationsModel::PreviewRole).toString(),
                 QStringLiteral("Hello? Anyone?"));
        QVERIFY(model->index(0).data().toString().contains(QLatin1String("(1)")));
        QCOMPARE(customerSays(*m_http, b, "I am b"), 201);
        QCOMPARE(customerSays(*m_http, a, "Still there?"), 201);
        QTRY_COMPARE_WITH_TIMEOUT(model->unread(qs(a.conversationId)), 2, 10000);
        QCOMPARE(model->unread(qs(b.conversationId)), 0); // in front: read at once
        QCOMPARE(order(model), arrival);

        // The agent's own reply in the lower chat moves nothing either.
        QSignalSpy sent(&session, &Session::messageSent);
        session.sendMessage(qs(b.conversationId), QStringLiteral("Yes, b?"));
        QTRY_COMPARE_WITH_TIMEOUT(sent.count(), 1, 10000);
        QCOMPARE(order(model), arrival);
        QCOMPARE(model->index(1).data(MyConversationsModel::PreviewRole).toString(),
                 QStringLiteral("You: Yes, b?"));

        // The shopper's label is the same wherever it is asked for.
        const auto ca = session.conversation(qs(a.conversationId));
        QVERIFY(ca);
        QCOMPARE(model->index(0).data(MyConversationsModel::TitleRole).toString(), shopperLabel(*ca));
        QCOMPARE(shopperLabel(*ca), QStringLiteral("Shopper ") + shopperCode(a.sessionId));

        session.setCurrentConversation(qs(a.conversationId));
        QCOMPARE(model->totalUnread(), 0);

        // Closing keeps it listed, in its place; a new chat comes after the last open one.
        session.closeConversation(qs(a.conversationId));
        QTRY_COMPARE_WITH_TIMEOUT(model->index(0).data(MyConversationsModel::StateRole).toString(),
                                  QStringLiteral("closed"), 10000);
        QCOMPARE(order(model), arrival);
        const Customer c = customerWantingAgent(*m_http);
        QTRY_VERIFY_WITH_TIMEOUT(model->contains(qs(c.conversationId)), 10000);
        QCOMPARE(order(model),
                 (QStringList{qs(a.conversationId), qs(b.conversationId), qs(c.conversationId)}));
        QVERIFY(model->isFresh(qs(c.conversationId)));
        session.setPresence(proto::Presence::Offline);
        QTRY_COMPARE_WITH_TIMEOUT(session.me().presence, proto::Presence::Offline, 10000);
        QVERIFY(closeOpenChats(*m_http, m_adminToken) >= 2);
    }

    // An arrival is never buried under finished chats; finished chats keep their places until the
    // agent clears them; a chat taken away stays as "elsewhere".
    void arrivalsGoAfterTheLastOpenChat() {
        MyConversationsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setMyAgentId("me");
        QVERIFY(model.upsert(conv("a", "me")));
        QVERIFY(model.upsert(conv("b", "me")));
        QVERIFY(model.upsert(conv("c", "me")));
        QVERIFY(!model.upsert(conv("c", "me"))); // known: not an arrival
        model.upsert(conv("a", "me", proto::ConversationStatus::Closed));
        model.upsert(conv("c", "me", proto::ConversationStatus::Closed));
        QCOMPARE(order(&model), (QStringList{"a", "b", "c"}));
        QVERIFY(model.upsert(conv("d", "me")));
        QCOMPARE(order(&model), (QStringList{"a", "b", "d", "c"}));

        // Messages, also the agent's own and older ones, move nothing.
        model.noteMessage(msg("c", 5, proto::SenderType::Customer, "late"));
        model.noteMessage(msg("d", 3, proto::SenderType::Agent, "mine", "me"));
        model.noteMessage(msg("d", 2, proto::SenderType::Customer, "older"));
        model.noteMessage(msg("d", 4, proto::SenderType::System, "Admin joined the conversation."));
        QCOMPARE(order(&model), (QStringList{"a", "b", "d", "c"}));
        QCOMPARE(model.index(2).data(MyConversationsModel::PreviewRole).toString(),
                 QStringLiteral("You: mine"));
        // A chat that arrives with its "joined" message live and its history after: the preview is
        // still the shopper's last words (issue 19: a reassigned chat came without one).
        QVERIFY(model.upsert(conv("e", "me")));
        model.noteMessage(msg("e", 7, proto::SenderType::System, "Admin joined the conversation."));
        model.noteMessage(msg("e", 5, proto::SenderType::Customer, "Where is my parcel?"));
        model.noteMessage(msg("e", 6, proto::SenderType::System, "Bob lost the connection."));
        QCOMPARE(model.index(model.rowOf("e")).data(MyConversationsModel::PreviewRole).toString(),
                 QStringLiteral("Where is my parcel?"));
        model.remove("e");

        // Given to someone else: it stays, greyed, until cleared; back to me: announced again.
        QVERIFY(!model.upsert(conv("b", "someone-else")));
        QCOMPARE(model.index(1).data(MyConversationsModel::StateRole).toString(),
                 QStringLiteral("elsewhere"));
        QVERIFY(model.upsert(conv("b", "me")));
        QCOMPARE(model.openIds(), (std::vector<QString>{"b", "d"}));
        model.upsert(conv("b", "someone-else"));
        QCOMPARE(model.removeFinished(), 3);
        QCOMPARE(order(&model), (QStringList{"d"}));

        // Attention: unread messages, and 1 for a fresh chat with none.
        model.setFresh("d", true);
        QCOMPARE(model.totalAttention(), 1);
        model.addUnread("d");
        model.addUnread("d");
        QCOMPARE(model.totalAttention(), 2);
        model.markRead("d");
        QCOMPARE(model.totalAttention(), 0);
        QVERIFY(!model.isFresh("d"));
        // Audit: the title counted unread messages of chats no longer open or no longer mine.
        model.addUnread("d");
        QCOMPARE(model.totalAttention(), 1);
        model.upsert(conv("d", "someone-else"));
        QCOMPARE(model.totalAttention(), 0);
        model.upsert(conv("d", "me"));
        model.addUnread("d");
        QVERIFY(model.totalAttention() > 0);
        model.upsert(conv("d", "me", proto::ConversationStatus::Closed));
        QCOMPARE(model.totalAttention(), 0);
    }

    // The first snapshot lists several unknown chats: the longest waiting comes first.
    void snapshotOrderIsStable() {
        MyConversationsModel model;
        model.setMyAgentId("me");
        auto x = conv("x", "me"), y = conv("y", "me");
        x.requestedAgentAt = "2026-11-26T10:05:00.000Z";
        y.requestedAgentAt = "2026-11-26T10:01:00.000Z";
        QVERIFY(model.setConversations({x, y}).empty());
        QCOMPARE(order(&model), (QStringList{"y", "x"}));
        // x no longer in a snapshot: reported, not removed (its fate is asked of the server).
        const auto gone = model.setConversations({y});
        QCOMPARE(gone, std::vector<QString>{"x"});
        QCOMPARE(order(&model), (QStringList{"y", "x"}));
    }
};

QTEST_GUILESS_MAIN(TestMyConversationsModel)
#include "tst_console_myconversationsmodel.moc"
