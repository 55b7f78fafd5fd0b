// parley-server's flags: defaults, the tuning and durability flags, and clear errors for bad
// values (ServerConfig::parse, which main() turns into exit code 2 and the message).
#include "ServerConfig.h"

#include <QTest>

#include <stdexcept>
#include <string>
#include <vector>

using parley::server::CpuScheduling;
using parley::server::ServerConfig;

namespace {

ServerConfig parse(std::vector<std::string> args) {
    return ServerConfig::parse(args, nullptr);
}

// The message of the error that parse throws, or "" when it accepts the flags.
std::string errorOf(std::vector<std::string> args) {
    try {
        parse(std::move(args));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestServerConfig : public QObject {
    Q_OBJECT

private slots:
    void defaults() {
        const auto c = parse({});
        QCOMPARE(c.httpPort, std::uint16_t(8080));
        QVERIFY(!c.wsPort); // one port: the HTTP port serves /ws
        QVERIFY(c.portsFile.empty());
        QCOMPARE(c.ioThreads, 0); // the CPUs the server may run on
        QCOMPARE(c.httpThreads, 64);
        QCOMPARE(c.httpQueue, 1024);
        QCOMPARE(c.httpRequestTimeoutSeconds, 10);
        QCOMPARE(c.httpKeepAliveSeconds, 10);
        QVERIFY(!c.dbSyncFull); // normal: survives crashes and restarts, see the README
        QVERIFY(c.cpuScheduling == CpuScheduling::Batch);
        QCOMPARE(c.action, ServerConfig::Action::Run);
    }

    void dbSync() {
        QVERIFY(parse({"--db-sync", "full"}).dbSyncFull);
        QVERIFY(!parse({"--db-sync=normal"}).dbSyncFull);
        QCOMPARE(errorOf({"--db-sync", "off"}), std::string("--db-sync must be normal or full"));
        QVERIFY(errorOf({"--db-sync"}).find("needs a value") != std::string::npos);
    }

    void dbWriteQueue() {
        QCOMPARE(parse({}).dbWriteQueue, 256);
        QCOMPARE(parse({"--db-write-queue", "32"}).dbWriteQueue, 32);
        QVERIFY(!errorOf({"--db-write-queue", "0"}).empty());
    }

    void cpuScheduling() {
        QVERIFY(parse({"--cpu-scheduling", "normal"}).cpuScheduling == CpuScheduling::Normal);
        QVERIFY(parse({"--cpu-scheduling=batch"}).cpuScheduling == CpuScheduling::Batch);
        QCOMPARE(errorOf({"--cpu-scheduling", "fifo"}),
                 std::string("--cpu-scheduling must be batch or normal"));
    }

    void httpTuning() {
        const auto c = parse({"--http-threads", "8", "--http-keep-alive-seconds=1"});
        QCOMPARE(c.httpThreads, 8);
        QCOMPARE(c.httpKeepAliveSeconds, 1);
        QVERIFY(!errorOf({"--http-keep-alive-seconds", "0"}).empty());
        QVERIFY(!errorOf({"--http-keep-alive-seconds", "ten"}).empty());
        QVERIFY(!errorOf({"--http-threads", "0"}).empty());
    }

    void listenerFlags() {
        const auto c = parse({"--http-port", "0", "--ws-port=0", "--ports-file", "/tmp/p", "--io-threads",
                              "3", "--http-queue", "5", "--http-request-timeout-seconds", "2",
                              "--http-max-connections", "100"});
        QCOMPARE(c.httpPort, std::uint16_t(0));
        QVERIFY(c.wsPort && *c.wsPort == 0);
        QCOMPARE(c.portsFile, std::string("/tmp/p"));
        QCOMPARE(c.ioThreads, 3);
        QCOMPARE(c.httpQueue, 5);
        QCOMPARE(c.httpRequestTimeoutSeconds, 2);
        QCOMPARE(c.httpMaxConnections, 100);
        QCOMPARE(parse({"--http-threads", "1"}).httpThreads, 1);
        QVERIFY(!errorOf({"--http-queue", "0"}).empty());
        QVERIFY(!errorOf({"--io-threads", "0"}).empty());
        QCOMPARE(errorOf({"--web-root", "/nonexistent/web"}),
                 std::string("--web-root /nonexistent/web has no widget.js"));
        QCOMPARE(errorOf({"--web-root", ServerConfig::defaultWebRoot()}), std::string());
        QVERIFY(!errorOf({"--ws-port", "65536"}).empty());
    }

    void replyMailFlags() {
        const auto d = parse({});
        QVERIFY(d.smtpUrl.empty()); // no mail unless asked for
        QCOMPARE(d.smtpFrom, std::string("parley@localhost"));
        QCOMPARE(d.replyMailDelaySeconds, 120);
        QCOMPARE(d.replyMailIntervalSeconds, 600);
        QCOMPARE(d.mailRetrySeconds, 30);
        const auto c = parse({"--smtp", "smtp://user:pw@mail.example.com:587", "--smtp-from",
                              "shop@example.com", "--shop-name", "Teapot Shop", "--reply-mail-delay-seconds",
                              "1", "--reply-mail-interval-seconds", "0", "--mail-retry-seconds", "2"});
        QCOMPARE(c.smtpUrl, std::string("smtp://user:pw@mail.example.com:587"));
        QCOMPARE(c.smtpFrom, std::string("shop@example.com"));
        QCOMPARE(c.shopName, std::string("Teapot Shop"));
        QCOMPARE(c.replyMailDelaySeconds, 1);
        QCOMPARE(c.replyMailIntervalSeconds, 0);
        QCOMPARE(c.mailRetrySeconds, 2);
        QCOMPARE(parse({"--smtp", "smtps://mail.example.com:465"}).smtpUrl,
                 std::string("smtps://mail.example.com:465"));
        QVERIFY(errorOf({"--smtp", "http://mail.example.com"}).find("--smtp") != std::string::npos);
        QVERIFY(errorOf({"--smtp-from", "not an address"}).find("--smtp-from") != std::string::npos);
        QVERIFY(errorOf({"--smtp-from", "a@b.c\r\nBcc: x@y.z"}).find("--smtp-from") != std::string::npos);
        QVERIFY(errorOf({"--shop-name", "two\nlines"}).find("--shop-name") != std::string::npos);
        QVERIFY(!errorOf({"--mail-retry-seconds", "0"}).empty());
        QVERIFY(ServerConfig::help().find("--smtp URL") != std::string::npos);
    }

    void clusterFlags() {
        const auto d = parse({});
        QVERIFY(d.bus.empty());    // alone unless told
        QVERIFY(d.nodeId.empty()); // the server fills in "<host name>:<http port>"
        const auto pg = "postgresql:///parley?host=/run/postgresql";
        const auto c =
            parse({"--database", pg, "--bus", "unix:///run/redis/redis.sock", "--node-id", "node-1"});
        QCOMPARE(c.bus, std::string("unix:///run/redis/redis.sock"));
        QCOMPARE(c.nodeId, std::string("node-1"));
        QCOMPARE(parse({"--database", pg, "--bus", "redis://10.0.0.5:6379"}).bus,
                 std::string("redis://10.0.0.5:6379"));
        QVERIFY(errorOf({"--database", pg, "--bus", "http://x"}).find("--bus must be") != std::string::npos);
        // SQLite is one process: a bus has nothing to connect.
        QVERIFY(errorOf({"--bus", "redis://127.0.0.1:6379"}).find("--bus needs --database") !=
                std::string::npos);
        QVERIFY(errorOf({"--node-id", ""}).find("--node-id") != std::string::npos);
        QVERIFY(errorOf({"--node-id", "a b"}).find("--node-id") != std::string::npos);
        QVERIFY(errorOf({"--node-id", std::string(65, 'n')}).find("--node-id") != std::string::npos);
        QVERIFY(ServerConfig::help().find("--bus URL") != std::string::npos);
        QVERIFY(ServerConfig::help().find("--node-id NAME") != std::string::npos);
    }

    void unknownFlagIsNamed() {
        QVERIFY(errorOf({"--no-such-flag"}).find("--no-such-flag") != std::string::npos);
    }

    void helpListsTheNewFlags() {
        const auto help = ServerConfig::help();
        QVERIFY(help.find("--db-sync normal|full") != std::string::npos);
        QVERIFY(help.find("--http-keep-alive-seconds N") != std::string::npos);
        QVERIFY(help.find("--cpu-scheduling batch|normal") != std::string::npos);
        QVERIFY(help.find("--ports-file FILE") != std::string::npos);
        QVERIFY(help.find("--io-threads N") != std::string::npos);
        QVERIFY(help.find("--http-queue N") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(TestServerConfig)
#include "tst_server_config.moc"
