// Issue 19 in the console's core, without widgets: the ApiClient calls of "Agents at work"
// (notes, transfer and its 409, canned replies, read marks, past chats, search) against a real
// parley-server, and the NotesModel kept live by note.created.
#include "ConsoleTestUtil.h"

#include "core/NotesModel.h"

#include <QSignalSpy>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
namespace proto = parley::protocol;

class TestAgentsAtWork : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    std::string m_adminId;
    std::string m_carolId;

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QVERIFY(startServerAsAdmin());
        m_adminId = agentIdOf(*m_http, m_adminToken, "admin");
        m_carolId = createAgent(*m_http, m_adminToken, "carol", "Carol Chen", 2);
        QVERIFY(!m_carolId.empty());
        QCOMPARE(
            m_http
                ->post("/api/v1/admin/canned",
                       {{"shortcut", "hello"}, {"title", "Greeting"}, {"content", "Hello! How can I help?"}},
                       m_adminToken)
                .status,
            201);
    }

    void callsOfAgentsAtWork() {
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        const Customer c = customerWantingAgent(*m_http);
        QCOMPARE(customerSays(*m_http, c, "My kettle whistles too loudly."), 201);
        auto api = apiClientFor(m_server, m_adminToken);
        const QString id = qs(c.conversationId);

        auto note = await<proto::Note>([&](auto done) { api->addNote(id, QStringLiteral("VIP"), done); });
        QVERIFY(note && note->ok());
        QCOMPARE(note->value.content, std::string("VIP"));
        auto notes = await<std::vector<proto::Note>>([&](auto done) { api->notes(id, done); });
        QVERIFY(notes && notes->ok());
        QCOMPARE(notes->value.size(), std::size_t(1));

        auto canned = await<std::vector<proto::CannedReply>>(
            [&](auto done) { api->canned(QStringLiteral("hel"), done); });
        QVERIFY(canned && canned->ok());
        QCOMPARE(canned->value.size(), std::size_t(1));
        QCOMPARE(canned->value[0].shortcut, std::string("hello"));

        const qint64 last = messagesOf(*m_http, c.token, c.conversationId).back()["seq"].get<qint64>();
        auto read = await<proto::Conversation>([&](auto done) { api->markRead(id, last, done); });
        QVERIFY(read && read->ok());
        QCOMPARE(read->value.agentLastReadSeq, last);

        auto past = await<std::vector<proto::Conversation>>(
            [&](auto done) { api->customerConversations(qs(c.sessionId), done); });
        QVERIFY(past && past->ok());
        QCOMPARE(past->value.size(), std::size_t(1));
        QCOMPARE(past->value[0].id, c.conversationId);

        auto hits = await<std::vector<SearchHit>>(
            [&](auto done) { api->search(QStringLiteral("kettles whistle"), 10, done); });
        QVERIFY(hits && hits->ok());
        QCOMPARE(hits->value.size(), std::size_t(1));
        QCOMPARE(hits->value[0].conversation.id, c.conversationId);
        QCOMPARE(hits->value[0].message.content, std::string("My kettle whistles too loudly."));

        // Carol is offline: 409 agent_unavailable, the chat stays mine.
        auto refused = await<proto::Conversation>(
            [&](auto done) { api->transfer(id, qs(m_carolId), QStringLiteral("for Carol"), done); });
        QVERIFY(refused && !refused->ok());
        QCOMPARE(refused->error->status, 409);
        QVERIFY(refused->error->is("agent_unavailable"));
        // Back to the queue (admin goes offline first so the queue keeps it).
        QVERIFY(setPresence(*m_http, m_adminToken, "offline"));
        auto queued =
            await<proto::Conversation>([&](auto done) { api->transfer(id, QString(), QString(), done); });
        QVERIFY(queued && queued->ok());
        QVERIFY(!queued->value.assignedAgentId);
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId));
    }

    // The model loads the notes, takes note.created live, and the author's own note only once.
    void notesModelFollowsTheConversation() {
        QVERIFY(setPresence(*m_http, m_adminToken, "online"));
        const Customer c = customerWantingAgent(*m_http);
        Session session;
        QVERIFY(signIn(session, m_server, QStringLiteral("admin"),
                       QString::fromLatin1(ServerProcess::kAdminPassword)));
        const QString id = qs(c.conversationId);
        QTRY_VERIFY_WITH_TIMEOUT(session.isMine(id), 10000);
        session.openConversation(id);
        QTRY_VERIFY_WITH_TIMEOUT(session.messages(id)->isLoaded(), 10000);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + c.conversationId + "/notes", {{"content", "first"}},
                            m_adminToken)
                     .status,
                 201);
        NotesModel model(&session);
        model.setConversation(id);
        QTRY_VERIFY_WITH_TIMEOUT(model.isLoaded(), 10000);
        QCOMPARE(model.rowCount(), 1);
        QSignalSpy created(session.realtime(), &RealtimeClient::noteCreated);
        const std::string carol = m_http->login("carol", "agent-pass-1");
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + c.conversationId + "/notes",
                            {{"content", "from Carol"}}, carol)
                     .status,
                 201);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, 10000);
        QCOMPARE(model.at(1).agentDisplayName, std::string("Carol Chen"));
        bool added = false;
        model.add(QStringLiteral("mine"), [&](const std::optional<ApiError>& e) { added = !e; });
        QTRY_VERIFY_WITH_TIMEOUT(added, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(created.count(), 2, 10000); // my own note.created came too: no double
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.data(model.index(2), Qt::DisplayRole).toString(), QStringLiteral("mine"));
        session.signOut();
        QVERIFY(resetAdminAndQueue(*m_http, m_adminToken, m_adminId));
    }
};

QTEST_GUILESS_MAIN(TestAgentsAtWork)
#include "tst_console_agentsatwork.moc"
