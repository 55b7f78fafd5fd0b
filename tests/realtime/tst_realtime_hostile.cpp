// Hostile WebSocket peers over real sockets: no hello within the deadline, bad hello frames (not
// JSON, invalid UTF-8, duplicate keys, deep nesting, wrong types), hellos with bad tokens, frames
// over the limit (also only announced), binary frames, fragments with control frames between
// them and every framing violation, ping floods (read and unread), resumes of strangers'
// conversations and with odd after_seq values, and a resume flood. Each gets the contract's error
// frame and close (or the RFC 6455 close for a framing violation), and the server keeps serving:
// other connections and REST work throughout, and the process is alive at the end.
// A client that never reads while events are sent to it: tst_realtime_slow_reader (also labelled
// hostile).
#include "ServerProcess.h"
#include "TokenForge.h"
#include "WsTestClient.h"

#include <QElapsedTimer>
#include <QTest>

#include <poll.h>
#include <sys/socket.h>

using namespace parley::test;

namespace {

constexpr quint8 kFin = 0x80;
constexpr quint8 kText = 0x1, kBinary = 0x2, kContinuation = 0x0, kClose = 0x8, kPing = 0x9;

QByteArray helloFrame(const std::string& token) {
    return QByteArray::fromStdString(json({{"type", "hello"}, {"token", token}}).dump());
}

std::vector<json> parsed(const RawWsClient& c) {
    std::vector<json> out;
    for (const auto& t : c.texts())
        out.push_back(json::parse(t.toStdString(), nullptr, false));
    return out;
}

} // namespace

class TestRealtimeHostile : public QObject {
    Q_OBJECT

    // A raw client that has upgraded and reads everything the server sends.
    std::unique_ptr<RawWsClient> rawClient() {
        auto c = std::make_unique<RawWsClient>(m_server.wsPort());
        if (!c->upgrade())
            qWarning("upgrade failed");
        c->startDraining();
        return c;
    }
    std::unique_ptr<RawWsClient> rawHello(const std::string& token) {
        auto c = rawClient();
        c->sendText(helloFrame(token));
        if (!QTest::qWaitFor([&] { return !c->texts().isEmpty(); }, 10000))
            qWarning("no answer to hello");
        return c;
    }
    static bool waitForError(RawWsClient& c, const std::string& code) {
        return QTest::qWaitFor(
            [&] {
                for (const auto& f : parsed(c))
                    if (f.value("type", "") == "error" && f["data"].value("code", "") == code)
                        return true;
                return false;
            },
            10000);
    }

    // The server still serves: a new connection says hello and gets a live event, REST answers.
    void serverStillServes() {
        QVERIFY(m_server.running());
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        ws.resume(m_chat.conversationId,
                  m_rest->conversation(m_chat.customer.token, m_chat.conversationId)["messages"]
                      .back()["seq"]
                      .get<std::int64_t>());
        QVERIFY(ws.fence());
        QCOMPARE(m_rest->agentSend(m_agent, m_chat.conversationId, "still here").status, 201);
        QVERIFY(ws.waitForType("message.created"));
        QCOMPARE(m_rest->http().get("/healthz").status, 200);
    }

private slots:
    void initTestCase() {
        QVERIFY(m_server.start({QStringLiteral("--ws-hello-timeout-seconds"), QStringLiteral("2")}));
        m_rest = std::make_unique<Rest>(m_server.httpPort());
        m_agent = m_rest->createAgent("hostile-ws-agent", 5);
        QVERIFY(m_rest->setPresence(m_agent, true));
        m_chat = m_rest->customerWithConversation();
        QCOMPARE(m_rest->handoff(m_chat).value("assigned_agent_id", ""), m_agent.id);
        m_stranger = m_rest->customerWithConversation();
    }

    void cleanup() { serverStillServes(); }

    void noHelloWithinTheDeadline() {
        WsTestClient silent(m_server.wsUrl());
        QVERIFY(silent.open());
        auto raw = rawClient(); // upgraded, then nothing at all
        QVERIFY(silent.waitForType("error", 10000));
        QCOMPARE(silent.frames().front()["data"].value("code", ""), std::string("unauthorized"));
        QVERIFY(silent.waitDisconnected());
        QVERIFY(raw->waitDisconnected(10000));
        QVERIFY(waitForError(*raw, "unauthorized"));
    }

    void badHelloFrames_data() {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<int>("closeCode"); // 0: an invalid_request error frame, then a policy close
        const auto token = m_chat.customer.token;
        QTest::newRow("not JSON") << QByteArray("hello there") << 0;
        QTest::newRow("empty") << QByteArray() << 0;
        QTest::newRow("empty object") << QByteArray("{}") << 0;
        QTest::newRow("type in capitals") << QByteArray(R"({"type":"HELLO","token":"x"})") << 0;
        QTest::newRow("token null") << QByteArray(R"({"type":"hello","token":null})") << 0;
        QTest::newRow("token a number") << QByteArray(R"({"type":"hello","token":5})") << 0;
        QTest::newRow("token an array") << QByteArray(R"({"type":"hello","token":["x"]})") << 0;
        QTest::newRow("token an object") << QByteArray(R"({"type":"hello","token":{}})") << 0;
        QTest::newRow("token twice") << QByteArray::fromStdString("{\"type\":\"hello\",\"token\":\"" + token +
                                                                  "\",\"token\":\"x\"}")
                                     << 0;
        QTest::newRow("type twice") << QByteArray::fromStdString(
                                           "{\"type\":\"resume\",\"type\":\"hello\",\"token\":\"" + token +
                                           "\"}")
                                    << 0;
        QTest::newRow("deeply nested")
            << QByteArray::fromStdString("{\"type\":\"hello\",\"token\":\"" + token +
                                         "\",\"x\":" + std::string(40, '[') + std::string(40, ']') + "}")
            << 0;
        QTest::newRow("nested 20000 deep") << QByteArray::fromStdString(std::string(20000, '[')) << 0;
        QTest::newRow("hello in an array")
            << QByteArray::fromStdString("[" + helloFrame(token).toStdString() + "]") << 0;
        QTest::newRow("truncated") << helloFrame(token).chopped(2) << 0;
        QTest::newRow("NUL after it") << helloFrame(token) + QByteArray(1, '\0') << 0;
        QTest::newRow("escaped lone surrogate") << QByteArray(R"({"type":"hello","token":"\ud800"})") << 0;
        // Invalid UTF-8 in a text frame is a WebSocket error: RFC 6455 closes with 1007.
        QTest::newRow("overlong UTF-8") << QByteArray::fromStdString("{\"type\":\"hello\",\"token\":\"" +
                                                                     token + "\",\"x\":\"\xC0\xAF\"}")
                                        << 1007;
        QTest::newRow("UTF-16 surrogate in UTF-8")
            << QByteArray("{\"type\":\"hello\",\"token\":\"\xED\xA0\x80\"}") << 1007;
        QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << 1007;
        QTest::newRow("byte FF") << QByteArray("\xFF") << 1007;
        QTest::newRow("truncated sequence") << QByteArray("{\"type\":\"\xE2\x82") << 1007;
    }
    void badHelloFrames() {
        QFETCH(QByteArray, payload);
        QFETCH(int, closeCode);
        auto c = rawClient();
        c->sendText(payload);
        QVERIFY(c->waitDisconnected(10000));
        if (closeCode == 0) {
            QVERIFY(waitForError(*c, "invalid_request"));
            QCOMPARE(c->closeCode(), 1008);
        } else {
            QCOMPARE(c->closeCode(), closeCode);
        }
        for (const auto& f : parsed(*c))
            QVERIFY2(f.value("type", "") != "hello.ok", f.dump().c_str());
    }

    void helloWithBadTokens_data() {
        QTest::addColumn<QByteArray>("token");
        const auto forge = TokenForge::fromDataDir(m_server.dataDir());
        QVERIFY(forge.valid());
        auto agentPayload = *TokenForge::payloadOf(m_agent.token);
        auto expired = agentPayload;
        expired["exp"] = 1;
        auto noSession = agentPayload;
        noSession.erase("sid");
        // A token whose session ended: a second sign-in, then the password changes.
        const auto ended = m_rest->createAgent("hostile-ws-ended", 1);
        QCOMPARE(m_rest->http()
                     .put("/api/v1/admin/agents/" + ended.id, {{"password", "a-new-password"}},
                          m_rest->adminToken())
                     .status,
                 200);
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("garbage") << QByteArray("garbage");
        QTest::newRow("customer token, last character changed") << [&] {
            auto t = m_chat.customer.token;
            t.back() = t.back() == 'A' ? 'B' : 'A';
            return QByteArray::fromStdString(t);
        }();
        QTest::newRow("signed with another secret")
            << QByteArray::fromStdString(TokenForge("other-secret").sign({{"typ", "c"}, {"sid", "s"}}));
        QTest::newRow("expired agent token") << QByteArray::fromStdString(forge.sign(expired));
        QTest::newRow("agent token without a session") << QByteArray::fromStdString(forge.sign(noSession));
        QTest::newRow("agent token of an ended session") << QByteArray::fromStdString(ended.token);
        QTest::newRow("60000 characters") << QByteArray(60000, 'A');
    }
    void helloWithBadTokens() {
        QFETCH(QByteArray, token);
        WsTestClient ws(m_server.wsUrl());
        const auto reply = ws.hello(token.toStdString());
        QCOMPARE(reply.value("type", ""), std::string("error"));
        QCOMPARE(reply["data"].value("code", ""), std::string("unauthorized"));
        QVERIFY(ws.waitDisconnected());
        QCOMPARE(ws.count("hello.ok"), 0);
    }

    void framesOverTheLimit() {
        // Only announced: the server does not wait for 1 TiB to arrive.
        auto announced = rawHello(m_chat.customer.token);
        announced->sendHeaderOnly(kFin | kText, quint64(1) << 40);
        QVERIFY(announced->waitDisconnected(5000));
        QCOMPARE(announced->closeCode(), 1009);
        // A message in small fragments that add up to more than 64 KiB.
        auto fragments = rawHello(m_chat.customer.token);
        const QByteArray piece(4096, 'x');
        fragments->sendFrame(kText, "{\"type\":\"" + piece);
        for (int i = 0; i < 20 && fragments->socket().state() == QAbstractSocket::ConnectedState; ++i)
            fragments->sendFrame(kContinuation, piece);
        QVERIFY(fragments->waitDisconnected(5000));
        QCOMPARE(fragments->closeCode(), 1009);
        // Just under the limit is a frame like any other.
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        ws.sendText(QStringLiteral("{\"type\":\"x\",\"pad\":\"%1\"}").arg(QString(60000, QLatin1Char('p'))));
        QVERIFY(ws.waitForType("error"));
        QVERIFY(ws.isConnected());
    }

    // The server has sent its close frame (1009) and waits for the client to close; the client,
    // not reading yet, is still writing, a chunk every 50 ms (a slow writer, so that the server
    // waits between its reads). What it writes must be read and dropped, not left unread when the
    // socket closes: the kernel would answer with a reset (the client's next write fails), and
    // the client lose the close frame it has not read. Boost 1.74's own teardown stopped reading
    // after its first wait; WsTransport.h drains to the client's close.
    void closeFrameSurvivesAPeerStillWriting() {
        auto c = rawHello(m_chat.customer.token);
        c->sendHeaderOnly(kFin | kText, quint64(1) << 40);
        const int fd = static_cast<int>(c->socket().socketDescriptor());
        pollfd closeFrame{fd, POLLIN, 0};
        QVERIFY(::poll(&closeFrame, 1, 5000) == 1); // arrived, and left unread for now
        const QByteArray chunk(16 * 1024, 'x');
        for (int i = 0; i < 4; ++i) {
            const auto sent = ::send(fd, chunk.constData(), static_cast<size_t>(chunk.size()), MSG_NOSIGNAL);
            QVERIFY2(sent > 0, "the server reset the connection while the client was still writing");
            pollfd pace{fd, POLLPRI, 0}; // no urgent data comes: this only paces the writes
            ::poll(&pace, 1, 50);
        }
        QVERIFY(c->waitDisconnected(5000));
        QCOMPARE(c->closeCode(), 1009);
    }

    void binaryFrames() {
        auto before = rawClient();
        before->sendFrame(kFin | kBinary, QByteArray("\x00\xFF\xC0", 3));
        QVERIFY(waitForError(*before, "invalid_request"));
        QVERIFY(before->waitDisconnected(5000));
        auto after = rawHello(m_chat.customer.token);
        after->sendFrame(kFin | kBinary, helloFrame(m_chat.customer.token));
        after->sendFrame(kFin | kBinary, QByteArray("\xFF\xFE", 2));
        QVERIFY(QTest::qWaitFor([&] { return after->texts().size() >= 3; }, 5000)); // hello.ok + 2 errors
        QVERIFY(after->socket().state() == QAbstractSocket::ConnectedState);
    }

    void fragmentsWithAPingBetweenThemAreOneMessage() {
        auto c = rawClient();
        const auto hello = helloFrame(m_chat.customer.token);
        const auto third = hello.size() / 3;
        c->sendFrame(kText, hello.left(third));
        c->sendFrame(kFin | kPing, "in between");
        c->sendFrame(kContinuation, hello.mid(third, third));
        c->sendFrame(kContinuation, hello.mid(2 * third));
        c->sendFrame(kFin | kContinuation, QByteArray());
        QVERIFY(QTest::qWaitFor([&] { return !c->texts().isEmpty() && c->pongs() >= 1; }, 5000));
        QCOMPARE(parsed(*c).front().value("type", ""), std::string("hello.ok"));
    }

    void framingViolationsCloseTheConnection_data() {
        QTest::addColumn<int>("violation");
        QTest::newRow("fragmented ping") << 0;
        QTest::newRow("continuation without a start") << 1;
        QTest::newRow("new message inside a fragmented one") << 2;
        QTest::newRow("unmasked client frame") << 3;
        QTest::newRow("reserved bit RSV1 without an extension") << 4;
        QTest::newRow("reserved opcode 3") << 5;
        QTest::newRow("control frame over 125 bytes") << 6;
        QTest::newRow("close with a 1-byte payload") << 7;
        QTest::newRow("close with an invalid code") << 8;
    }
    void framingViolationsCloseTheConnection() {
        QFETCH(int, violation);
        auto c = rawHello(m_chat.customer.token);
        switch (violation) {
        case 0:
            c->sendFrame(kPing, "not final");
            break;
        case 1:
            c->sendFrame(kFin | kContinuation, "{}");
            break;
        case 2:
            c->sendFrame(kText, "{\"type\":");
            c->sendFrame(kFin | kText, "{}");
            break;
        case 3:
            c->sendFrame(kFin | kText, R"({"type":"x"})", false);
            break;
        case 4:
            c->sendFrame(kFin | 0x40 | kText, R"({"type":"x"})");
            break;
        case 5:
            c->sendFrame(kFin | 0x3, "x");
            break;
        case 6:
            c->sendFrame(kFin | kPing, QByteArray(126, 'p'));
            break;
        case 7:
            c->sendFrame(kFin | kClose, QByteArray(1, '\x03'));
            break;
        case 8:
            c->sendFrame(kFin | kClose, QByteArray("\x03\xE7", 2)); // 999
            break;
        }
        QVERIFY(c->waitDisconnected(5000));
        QCOMPARE(c->closeCode(), 1002);
    }

    void pingFlood() {
        auto flood = rawHello(m_chat.customer.token);
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 5000; ++i)
            flood->sendFrame(kFin | kPing, QByteArray(125, char('a' + i % 26)));
        flood->sendText(R"({"type":"after-the-flood"})");
        QVERIFY(waitForError(*flood, "invalid_request"));
        QVERIFY2(timer.elapsed() < 20000, std::to_string(timer.elapsed()).c_str());
        QVERIFY(QTest::qWaitFor([&] { return flood->pongs() == 5000; }, 10000));
        QVERIFY(flood->socket().state() == QAbstractSocket::ConnectedState);
    }

    void pingFloodFromAClientThatNeverReads() {
        auto flood = std::make_unique<RawWsClient>(m_server.wsPort());
        QVERIFY(flood->upgrade());
        flood->sendText(helloFrame(m_chat.customer.token));
        flood->stopReading(); // its pongs pile up in the kernel buffers, then the server stops reading it
        for (int i = 0; i < 20000; ++i)
            flood->sendFrame(kFin | kPing, QByteArray(125, 'p'));
        // Everybody else is served meanwhile (the cleanup checks it again).
        serverStillServes();
    }

    void resumeWithOddValues_data() {
        QTest::addColumn<QByteArray>("frame");
        QTest::addColumn<QString>("code");
        const auto own = m_chat.conversationId;
        auto resume = [&](const std::string& id, const std::string& afterSeq) {
            return QByteArray::fromStdString(R"({"type":"resume","conversation_id":)" + id +
                                             R"(,"after_seq":)" + afterSeq + "}");
        };
        const auto quoted = "\"" + own + "\"";
        QTest::newRow("a stranger's conversation")
            << resume("\"" + m_stranger.conversationId + "\"", "0") << "not_found";
        QTest::newRow("unknown id") << resume("\"00000000-0000-4000-8000-000000000000\"", "0") << "not_found";
        QTest::newRow("not a uuid") << resume("\"x\"", "0") << "not_found";
        QTest::newRow("id of 129 characters")
            << resume("\"" + std::string(129, 'a') + "\"", "0") << "invalid_request";
        QTest::newRow("empty id") << resume("\"\"", "0") << "invalid_request";
        QTest::newRow("id a number") << resume("5", "0") << "invalid_request";
        QTest::newRow("id null") << resume("null", "0") << "invalid_request";
        for (const char* bad : {"-1", "1.5", "\"1\"", "null", "true", "1e20", "18446744073709551615", "[]",
                                "{}", "-9223372036854775808"})
            QTest::addRow("after_seq %s", bad) << resume(quoted, bad) << "invalid_request";
        QTest::newRow("no after_seq")
            << QByteArray::fromStdString(R"({"type":"resume","conversation_id":)" + quoted + "}")
            << "invalid_request";
        QTest::newRow("after_seq twice")
            << QByteArray::fromStdString(R"({"type":"resume","conversation_id":)" + quoted +
                                         R"(,"after_seq":0,"after_seq":5})")
            << "invalid_request";
        QTest::newRow("after_seq past the end") << resume(quoted, "9223372036854775807") << "";
    }
    void resumeWithOddValues() {
        QFETCH(QByteArray, frame);
        QFETCH(QString, code);
        for (const auto* token : {&m_chat.customer.token, &m_agent.token}) {
            WsTestClient ws(m_server.wsUrl());
            QCOMPARE(ws.hello(*token).value("type", ""), std::string("hello.ok"));
            ws.sendText(QString::fromUtf8(frame));
            QVERIFY(ws.fence());
            // An agent may watch any conversation: for it no conversation is a stranger's.
            const bool agentWatches =
                token == &m_agent.token && frame.contains(m_stranger.conversationId.c_str());
            const auto errors = ws.framesOfType("error");
            if (code.isEmpty() || agentWatches) {
                QCOMPARE(errors.size(), std::size_t(0));
            } else {
                QCOMPARE(errors.size(), std::size_t(1));
                QCOMPARE(QString::fromStdString(errors.front()["data"].value("code", "")), code);
            }
            if (token == &m_chat.customer.token)
                QVERIFY(ws.framesFor("message.created", m_stranger.conversationId).empty());
            QVERIFY(ws.isConnected());
        }
    }

    void aResumeFloodSendsEachMessageOnce() {
        WsTestClient ws(m_server.wsUrl());
        QCOMPARE(ws.hello(m_chat.customer.token).value("type", ""), std::string("hello.ok"));
        for (int i = 0; i < 500; ++i)
            ws.resume(m_chat.conversationId, i % 3);
        QVERIFY(ws.fence(30000));
        auto seqs = ws.seqsOf(m_chat.conversationId);
        const auto last = m_rest->conversation(m_chat.customer.token, m_chat.conversationId)["messages"]
                              .back()["seq"]
                              .get<std::int64_t>();
        QCOMPARE(std::int64_t(seqs.size()), last);
        for (std::size_t i = 0; i < seqs.size(); ++i)
            QCOMPARE(seqs[i], std::int64_t(i + 1));
    }

    void cleanupTestCase() {
        QVERIFY(m_server.running());
        QVERIFY(m_server.stop());
    }

private:
    ServerProcess m_server;
    std::unique_ptr<Rest> m_rest;
    TestAgent m_agent;
    Rest::CustomerChat m_chat, m_stranger;
};

QTEST_GUILESS_MAIN(TestRealtimeHostile)
#include "tst_realtime_hostile.moc"
