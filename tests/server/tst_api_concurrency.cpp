// Races against the real server: idempotent sends, concurrent handoffs, gap-free seq, and a
// thread pool that idle keep-alive connections cannot starve.
#include "ApiTestBase.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <set>

using namespace parley::test;

class TestApiConcurrency : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }

private slots:
    void initTestCase() {
        // Rate limits are tested elsewhere; here one session sends hundreds of messages.
        QVERIFY(f.start({QStringLiteral("--customer-rate-burst"), QStringLiteral("100000")}));
    }

    void fiftyRacingIdempotentSendsCreateOneMessage() {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto customer = f.customerWithConversation();
        const std::string& token = customer.first;
        const std::string& id = customer.second;
        std::mutex mutex;
        std::vector<int> statuses;
        std::set<std::string> messageIds;
        race(50, [&](int) {
            auto r = http().post("/api/v1/conversations/" + id + "/messages",
                                 {{"content", "Where is my order?"}, {"client_msg_id", "race-1"}}, token);
            std::lock_guard lock(mutex);
            statuses.push_back(r.status);
            if (r.body.is_object() && r.body.contains("message"))
                messageIds.insert(r.body["message"]["id"].get<std::string>());
        });
        QCOMPARE(std::count(statuses.begin(), statuses.end(), 201), 1);
        QCOMPARE(std::count(statuses.begin(), statuses.end(), 200), 49);
        QCOMPARE(messageIds.size(), std::size_t(1));
        const auto messages = f.conversation(id, token)["messages"];
        QCOMPARE(messages.size(), std::size_t(3)); // greeting, the message once, the bot's answer once
        QCOMPARE(countContent(messages, "Where is my order?"), 1);
    }

    void hundredConcurrentHandoffsMakeOneTransition() {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto customer = f.customerWithConversation();
        const std::string& token = customer.first;
        const std::string& id = customer.second;
        std::mutex mutex;
        std::set<std::string> requestedAt;
        std::atomic<int> ok{0};
        race(100, [&](int) {
            auto r = http().post("/api/v1/conversations/" + id + "/handoff", json::object(), token);
            if (r.status != 200)
                return;
            if (r.body["conversation"]["status"] == "agent")
                ++ok;
            std::lock_guard lock(mutex);
            requestedAt.insert(r.body["conversation"]["requested_agent_at"].get<std::string>());
        });
        QCOMPARE(ok.load(), 100);
        QCOMPARE(requestedAt.size(), std::size_t(1)); // every answer saw the one transition
        const auto messages = f.conversation(id, token)["messages"];
        QCOMPARE(countContent(messages, kBusyMessage), 1);
        QCOMPARE(messages.size(), std::size_t(2)); // greeting + the busy message, nothing else
    }

    void seqIsGapFreeUnderTwentyParallelSenders() {
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
        const auto customer = f.customerWithConversation();
        const std::string& token = customer.first;
        const std::string& id = customer.second;
        std::atomic<int> created{0};
        race(20, [&](int t) {
            for (int i = 0; i < 10; ++i) {
                auto r = http().post(
                    "/api/v1/conversations/" + id + "/messages",
                    {{"content", "sender " + std::to_string(t) + " message " + std::to_string(i)}}, token);
                if (r.status == 201)
                    ++created;
            }
        });
        QCOMPARE(created.load(), 200);
        const auto messages = f.conversation(id, token)["messages"];
        QCOMPARE(messages.size(), std::size_t(1 + 200 * 2)); // greeting, and each message with its bot reply
        for (std::size_t i = 0; i < messages.size(); ++i)
            QCOMPARE(messages[i]["seq"].get<long long>(), static_cast<long long>(i + 1));
        // Each bot reply directly follows its question: a send and its reply are one transaction.
        for (std::size_t i = 1; i < messages.size(); i += 2) {
            QCOMPARE(QString::fromStdString(messages[i]["sender_type"].get<std::string>()),
                     QStringLiteral("customer"));
            QCOMPARE(QString::fromStdString(messages[i + 1]["sender_type"].get<std::string>()),
                     QStringLiteral("bot"));
        }
    }

    void idleKeepAliveConnectionsDoNotStarveNewClients() {
        std::vector<int> sockets;
        const std::string request =
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
        for (int i = 0; i < 300; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            QVERIFY(fd >= 0);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(f.server.httpPort());
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            QVERIFY(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
            QVERIFY(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
            char buf[512];
            QVERIFY(::recv(fd, buf, sizeof buf, 0) > 0); // answered; the connection now idles
            sockets.push_back(fd);
        }
        // A new client is still served while all 300 sit idle (generous bound; not a timing claim).
        httplib::Client cli("127.0.0.1", f.server.httpPort());
        cli.set_connection_timeout(5);
        cli.set_read_timeout(5);
        const auto r = cli.Post("/api/v1/customer/session", "", "application/json");
        QVERIFY(r);
        QCOMPARE(r->status, 201);
        for (int fd : sockets)
            ::close(fd);
    }
};

QTEST_GUILESS_MAIN(TestApiConcurrency)
#include "tst_api_concurrency.moc"
