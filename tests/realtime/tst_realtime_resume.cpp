// resume: every message after after_seq, in order, then live ones; no gap and no duplicate, even
// while messages are being committed concurrently.
#include "BackgroundThreads.h"
#include "ServerProcess.h"
#include "WsTestClient.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace parley::test;

namespace {

// Exactly first..last, once each, ascending.
bool isRun(const std::vector<std::int64_t>& seqs, std::int64_t first, std::int64_t last) {
    if (seqs.size() != std::size_t(last - first + 1))
        return false;
    for (std::size_t i = 0; i < seqs.size(); ++i)
        if (seqs[i] != first + std::int64_t(i))
            return false;
    return true;
}

// Exactly first..last, once each, in any order.
bool isExactlyOnce(std::vector<std::int64_t> seqs, std::int64_t first, std::int64_t last) {
    std::sort(seqs.begin(), seqs.end());
    return isRun(seqs, first, last);
}

std::string dump(const std::vector<std::int64_t>& seqs) {
    std::string s;
    for (auto v : seqs)
        s += std::to_string(v) + " ";
    return s;
}

} // namespace

class TestRealtimeResume : public QObject {
    Q_OBJECT

    std::int64_t lastSeq() {
        auto c = m_rest->conversation(m_agent.token, m_chat.conversationId);
        return c["messages"].back()["seq"].get<std::int64_t>();
    }
    std::int64_t lastSeqOf(const std::string& conversationId) {
        auto c = m_rest->conversation(m_agent.token, conversationId);
        return c["messages"].back()["seq"].get<std::int64_t>();
    }

private slots:
    void initTestCase() {
        QVERIFY(m_server.start());
        m_rest = std::make_unique<Rest>(m_server.httpPort());
        m_agent = m_rest->createAgent("resume-agent", 10);
        m_watcher = m_rest->createAgent("resume-watcher");
        QVERIFY(m_rest->setPresence(m_agent, true));
        m_chat = m_rest->customerWithConversation();
        QCOMPARE(m_rest->handoff(m_chat).value("assigned_agent_id", ""), m_agent.id);
    }

    void resumeDuringABurstYieldsEverySeqOnceInOrder() {
        const auto base = lastSeq();
        // The burst lasts until the resumes are sent and kAfterResume more messages are in, so
        // the resumes overlap it however fast the server is.
        constexpr int kMinMessages = 500;
        constexpr int kAfterResume = 100;
        constexpr int kMaxMessages = 20000;
        constexpr int kThreads = 20;

        WsTestClient assignee(m_server.wsUrl());
        QCOMPARE(assignee.hello(m_agent.token).value("type", ""), std::string("hello.ok"));
        // Connected before the burst: sees it live, then resumes in the middle of it.
        WsTestClient early(m_server.wsUrl());
        QCOMPARE(early.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));

        std::atomic<int> next{0}, sent{0}, failed{0}, sentAfterResume{0}, finished{0};
        std::atomic<bool> resumed{false};
        BackgroundThreads senders; // joined on every exit
        for (int t = 0; t < kThreads; ++t)
            senders.start([&] {
                HttpClient http(m_server.httpPort());
                for (;;) {
                    if (senders.stopRequested() ||
                        (resumed && sentAfterResume >= kAfterResume && next >= kMinMessages))
                        break;
                    const int i = next++;
                    if (i >= kMaxMessages)
                        break;
                    const bool afterResume = resumed;
                    auto r = http.post("/api/v1/conversations/" + m_chat.conversationId + "/messages",
                                       {{"content", "burst " + std::to_string(i)}}, m_agent.token);
                    if (r.status != 201) {
                        ++failed;
                        continue;
                    }
                    ++sent;
                    if (afterResume)
                        ++sentAfterResume;
                }
                ++finished;
            });

        // Mid-burst: a watcher resumes from 0, a customer window that joined late resumes from
        // base, and the early window resumes from where it was when the burst began.
        QVERIFY(QTest::qWaitFor([&] { return assignee.seqsOf(m_chat.conversationId).size() >= 100; }, 60000));
        WsTestClient watcher(m_server.wsUrl());
        QCOMPARE(watcher.hello(m_watcher.token).value("type", ""), std::string("hello.ok"));
        watcher.resume(m_chat.conversationId, 0);
        WsTestClient late(m_server.wsUrl());
        QCOMPARE(late.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        late.resume(m_chat.conversationId, base);
        early.resume(m_chat.conversationId, base);
        resumed = true;

        QVERIFY(QTest::qWaitFor([&] { return finished.load() == kThreads; }, 120000));
        QCOMPARE(failed.load(), 0);
        QVERIFY2(sentAfterResume.load() >= kAfterResume, "the burst ended before the resumes");
        const auto last = base + sent.load();
        QCOMPARE(lastSeq(), last);

        for (auto* c : {&assignee, &early, &watcher, &late})
            QVERIFY(QTest::qWaitFor(
                [&] {
                    auto s = c->seqsOf(m_chat.conversationId);
                    return !s.empty() && s.back() == last;
                },
                30000));
        for (auto* c : {&assignee, &early, &watcher, &late})
            QVERIFY(c->fence());

        // The assignee saw the burst live; the early window live and then through its resume
        // without repeats; the watcher everything from 1.
        auto seqs = assignee.seqsOf(m_chat.conversationId);
        QVERIFY2(isRun(seqs, base + 1, last), dump(seqs).c_str());
        seqs = early.seqsOf(m_chat.conversationId);
        QVERIFY2(isRun(seqs, base + 1, last), dump(seqs).c_str());
        seqs = watcher.seqsOf(m_chat.conversationId);
        QVERIFY2(isRun(seqs, 1, last), dump(seqs).c_str());
        // The late window joined mid-burst: live messages first, then its resume fills in the
        // history before them and continues after them; every seq once.
        seqs = late.seqsOf(m_chat.conversationId);
        QVERIFY2(isExactlyOnce(seqs, base + 1, last), dump(seqs).c_str());

        // Live ones continue after the resume, still once.
        QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "after the burst").status, 201);
        for (auto* c : {&assignee, &early, &watcher, &late}) {
            QVERIFY(
                QTest::qWaitFor([&] { return c->seqsOf(m_chat.conversationId).back() == last + 1; }, 15000));
            QVERIFY(c->fence());
            auto s = c->seqsOf(m_chat.conversationId);
            QCOMPARE(std::count(s.begin(), s.end(), last + 1), std::ptrdiff_t(1));
        }
    }

    void reconnectAndResumeRecoversTheGap() {
        WsTestClient first(m_server.wsUrl());
        QCOMPARE(first.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "before the drop").status, 201);
        QVERIFY(first.waitForType("message.created"));
        const auto seen = first.seqsOf(m_chat.conversationId).back();
        first.abort();

        for (int i = 0; i < 5; ++i)
            QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "missed " + std::to_string(i)).status,
                     201);

        WsTestClient second(m_server.wsUrl());
        auto hello = second.hello(m_chat.customer.token);
        QCOMPARE(hello["data"]["conversation"].value("id", ""), m_chat.conversationId);
        second.resume(m_chat.conversationId, seen);
        QVERIFY(QTest::qWaitFor([&] { return second.seqsOf(m_chat.conversationId).size() >= 5; }, 15000));
        QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "live again").status, 201);
        QVERIFY(QTest::qWaitFor([&] { return second.seqsOf(m_chat.conversationId).size() >= 6; }, 15000));
        QVERIFY(second.fence());
        auto seqs = second.seqsOf(m_chat.conversationId);
        QVERIFY2(isRun(seqs, seen + 1, seen + 6), dump(seqs).c_str());
        QCOMPARE(second.framesFor("message.created", m_chat.conversationId)
                     .front()["data"]["message"]
                     .value("content", ""),
                 std::string("missed 0"));
    }

    // The contract's reconnect: hello, wait for hello.ok, resume. A message committed in between
    // waits for the resume's backlog, so the connection gets every seq after after_seq once and in
    // order (it used to go out live, ahead of the backlog, and not again in it).
    void aMessageBetweenHelloAndResumeFollowsTheBacklog() {
        const auto seen = lastSeq();
        for (int i = 0; i < 3; ++i)
            QCOMPARE(
                m_rest->agentSend(m_agent, m_chat.conversationId, "while away " + std::to_string(i)).status,
                201);
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "between hello and resume").status, 201);
        QVERIFY(ws.fence()); // the server has read past hello and routed the new message
        QVERIFY2(ws.seqsOf(m_chat.conversationId).empty(), dump(ws.seqsOf(m_chat.conversationId)).c_str());
        ws.resume(m_chat.conversationId, seen);
        QVERIFY(QTest::qWaitFor([&] { return ws.seqsOf(m_chat.conversationId).size() >= 4; }, 15000));
        QVERIFY(ws.fence());
        const auto seqs = ws.seqsOf(m_chat.conversationId);
        QVERIFY2(isRun(seqs, seen + 1, seen + 4), dump(seqs).c_str());

        // A connection that resumes nothing gets its messages when the window closes, once each.
        WsTestClient quiet(m_server.wsUrl());
        QCOMPARE(quiet.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "to a quiet connection").status, 201);
        QVERIFY(QTest::qWaitFor([&] { return quiet.seqsOf(m_chat.conversationId).size() == 1; }, 15000));
        QCOMPARE(quiet.seqsOf(m_chat.conversationId).front(), seen + 5);
    }

    // In the window, chat.closed waits behind the messages it closes (the close's system message).
    void chatClosedInTheWindowFollowsItsMessages() {
        auto chat = m_rest->customerWithConversation();
        QCOMPARE(m_rest->handoff(chat).value("assigned_agent_id", ""), m_agent.id);
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(chat.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(m_rest->http()
                     .post("/api/v1/conversations/" + chat.conversationId + "/close", json::object(),
                           m_agent.token)
                     .status,
                 200);
        QVERIFY(ws.waitForType("chat.closed"));
        const auto closedSeq = lastSeqOf(chat.conversationId);
        std::int64_t lastMessageSeq = 0;
        for (const auto& f : ws.frames()) {
            if (f.value("type", "") == "message.created")
                lastMessageSeq = f["data"]["message"].value("seq", std::int64_t{0});
            if (f.value("type", "") == "chat.closed")
                break;
        }
        QCOMPARE(lastMessageSeq, closedSeq); // the closing system message came first
    }

    void resumeIsRepeatableAndNeverRepeatsWhatWasSent() {
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(m_watcher.token).value("type", ""), std::string("hello.ok"));
        const auto last = lastSeq();
        ws.resume(m_chat.conversationId, last - 3);
        QVERIFY(QTest::qWaitFor([&] { return ws.seqsOf(m_chat.conversationId).size() >= 3; }, 15000));
        // Asking again from a point inside what this connection already got sends nothing twice.
        ws.resume(m_chat.conversationId, last - 2);
        QVERIFY(ws.fence());
        auto seqs = ws.seqsOf(m_chat.conversationId);
        QVERIFY2(isRun(seqs, last - 2, last), dump(seqs).c_str());
        // Asking for an earlier point sends the part of that history this connection has not had
        // yet, in order; nothing is ever sent twice on one connection.
        ws.clear();
        ws.resume(m_chat.conversationId, last - 5);
        QVERIFY(QTest::qWaitFor([&] { return ws.seqsOf(m_chat.conversationId).size() >= 2; }, 15000));
        QVERIFY(ws.fence());
        seqs = ws.seqsOf(m_chat.conversationId);
        QVERIFY2(isRun(seqs, last - 4, last - 3), dump(seqs).c_str());
    }

    // Issue 16: chat.closed made the connection forget what it had sent, so a resume on the same
    // connection sent the whole history again.
    void resumeAfterChatClosedRepeatsNothing() {
        auto chat = m_rest->customerWithConversation();
        QCOMPARE(m_rest->handoff(chat).value("assigned_agent_id", ""), m_agent.id);
        WsTestClient customer(m_server.wsUrl());
        WsTestClient agent(m_server.wsUrl());
        QCOMPARE(customer.hello(chat.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(agent.hello(m_agent.token).value("type", ""), std::string("hello.ok"));
        customer.resume(chat.conversationId, 0);
        QVERIFY(QTest::qWaitFor([&] { return !customer.seqsOf(chat.conversationId).empty(); }, 15000));
        agent.resume(chat.conversationId, 0); // the assigned agent also watches, as a console does
        // Its backlog first: a reply sent before the server reads that resume frame would reach
        // the agent live ahead of seq 1, which is allowed ("a live message may have overtaken
        // the resume frame") but not what this test is about.
        QVERIFY(agent.fence());
        QCOMPARE(m_rest->agentSend(m_agent, chat.conversationId, "anything else?").status, 201);
        auto closed = m_rest->http().post("/api/v1/conversations/" + chat.conversationId + "/close",
                                          json::object(), m_agent.token);
        QCOMPARE(closed.status, 200);
        for (auto* ws : {&customer, &agent}) {
            QVERIFY(ws->waitForType("chat.closed"));
            QVERIFY(ws->fence());
        }
        const auto last = lastSeqOf(chat.conversationId);
        for (auto* ws : {&customer, &agent}) {
            auto seqs = ws->seqsOf(chat.conversationId);
            QVERIFY2(isRun(seqs, 1, last), dump(seqs).c_str());
            // A resume of the closed conversation on the same connection: everything is there.
            ws->resume(chat.conversationId, 0);
            QVERIFY(ws->fence());
            seqs = ws->seqsOf(chat.conversationId);
            QVERIFY2(isRun(seqs, 1, last), dump(seqs).c_str());
        }
        // A new connection is a new reader: it gets the history of the closed conversation.
        WsTestClient fresh(m_server.wsUrl());
        QCOMPARE(fresh.hello(chat.customer.token).value("type", ""), std::string("hello.ok"));
        fresh.resume(chat.conversationId, 0);
        QVERIFY(QTest::qWaitFor(
            [&] { return std::int64_t(fresh.seqsOf(chat.conversationId).size()) >= last; }, 15000));
    }

    void agentResumeOfAnUnknownConversationIsNotFound() {
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(m_watcher.token).value("type", ""), std::string("hello.ok"));
        ws.resume("00000000-0000-4000-8000-000000000000", 0);
        QVERIFY(ws.waitForType("error"));
        QCOMPARE(ws.framesOfType("error").front()["data"].value("code", ""), std::string("not_found"));
        QVERIFY(ws.isConnected());
        ws.resume(m_chat.conversationId, lastSeq());
        QVERIFY(ws.fence());
        QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "to the watcher").status, 201);
        QVERIFY(ws.waitForType("message.created"));
    }

private:
    ServerProcess m_server;
    std::unique_ptr<Rest> m_rest;
    TestAgent m_agent, m_watcher;
    Rest::CustomerChat m_chat;
};

QTEST_GUILESS_MAIN(TestRealtimeResume)
#include "tst_realtime_resume.moc"
