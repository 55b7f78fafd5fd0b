// The Redis side of several nodes (issue 20) against the real Redis of the parley_redis fixture:
// the client (commands, scripts, a Redis that is not there answers in bounded time), the shared
// customer rate limit and login throttle, and the presence directory of two nodes: connections
// on a live node keep an agent, only one node claims a lost agent, a reconnect clears the claim,
// and a node whose heartbeat expires leaves its agents to a survivor.
#include "app/ApiError.h"
#include "bus/RedisClient.h"
#include "bus/RedisLimits.h"
#include "bus/RedisPresenceDirectory.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <initializer_list>
#include <string>
#include <thread>
#include <unistd.h>

using namespace parley::server;
using namespace std::chrono_literals;
using Verdict = PresenceDirectory::Verdict;

class TestRedisSharedState : public QObject {
    Q_OBJECT

    std::string m_url;
    std::unique_ptr<RedisClient> m_redis;
    std::string m_prefix; // one per test run, so runs never see each other's keys

    std::string fresh(const std::string& name) {
        static std::atomic<int> n{0};
        return name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
    }

    RedisPresenceDirectory::Options directoryOptions() {
        RedisPresenceDirectory::Options o;
        o.nodeTtl = 400ms;
        o.prefix = m_prefix;
        return o;
    }

    // Waits until the directory is past its settling time after its keys started empty (a claim
    // of an agent that was never connected then answers Lost), the nodes beating meanwhile as
    // parley-server's do (the wait is a node ttl: their heartbeat keys would expire).
    bool settled(std::initializer_list<RedisPresenceDirectory*> nodes) {
        const auto probe = fresh("probe");
        return QTest::qWaitFor(
            [&] {
                for (auto* n : nodes)
                    n->heartbeat();
                return (*nodes.begin())->claimLost(probe) != Verdict::Unknown;
            },
            5000);
    }

    // Both nodes beat until settled, then a new agent connects at node a: its id, or "" when the
    // nodes did not settle.
    std::string agentConnectedAt(RedisPresenceDirectory& a, RedisPresenceDirectory& b) {
        a.heartbeat();
        b.heartbeat();
        if (!settled({&b, &a}))
            return {};
        const auto agent = fresh("agent");
        a.connected(agent);
        return agent;
    }

private slots:
    void initTestCase() {
        const char* socket = std::getenv("PARLEY_TEST_REDIS_SOCKET");
        if (!socket || !*socket)
            QSKIP("PARLEY_TEST_REDIS_SOCKET is not set (run through ctest: the parley_redis fixture)");
        m_url = std::string("unix://") + socket;
        std::signal(SIGPIPE, SIG_IGN); // as parley-server does: a write to a dropped connection fails

        m_redis = std::make_unique<RedisClient>(m_url);
        m_prefix = fresh("t") + ":";
    }

    void urls() {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RedisClient("http://x"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RedisClient("redis://host:notaport"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RedisClient("unix://relative"));
        RedisClient tcp("redis://127.0.0.1:6390");
        QCOMPARE(tcp.url(), std::string("redis://127.0.0.1:6390"));
    }

    void commandsAndScripts() {
        const auto key = m_prefix + "k";
        QCOMPARE(m_redis->command({"SET", key, "v\0x"}).text, std::string("OK"));
        QCOMPARE(m_redis->command({"GET", key}).text, std::string("v\0x"));
        QVERIFY(m_redis->command({"GET", m_prefix + "missing"}).isNil());
        const std::string script = "return {redis.call('INCR', KEYS[1]), ARGV[1]}";
        auto r = m_redis->eval(script, {m_prefix + "n"}, {"a"});
        QCOMPARE(int(r.type), int(RedisReply::Type::Array));
        QCOMPARE(r.elements.at(0).integer, 1LL);
        QCOMPARE(r.elements.at(1).text, std::string("a"));
        // Redis forgets its scripts (a restart): EVALSHA's NOSCRIPT falls back to loading it again.
        QCOMPARE(m_redis->command({"SCRIPT", "FLUSH"}).text, std::string("OK"));
        QCOMPARE(m_redis->eval(script, {m_prefix + "n"}, {"b"}).elements.at(0).integer, 2LL);
        QCOMPARE(int(m_redis->command({"NOSUCHCOMMAND"}).type), int(RedisReply::Type::Error));
        QVERIFY(!m_redis->unavailableReason());
    }

    // Scripts flushed between the client's SCRIPT LOAD and its next call (another client, or a
    // Redis restart): the call still runs its script. Racy by nature, so many calls against a
    // flood of flushes; before the fix 318 to 417 of these 500 calls answered NOSCRIPT.
    void scriptsFlushedMeanwhileStillRun() {
        const std::string script = "return redis.call('INCR', KEYS[1])";
        std::atomic<bool> stop{false};
        std::thread flusher([&] {
            RedisClient other(m_url);
            while (!stop)
                other.command({"SCRIPT", "FLUSH"});
        });
        int errors = 0;
        std::string example;
        for (int i = 0; i < 500; ++i) {
            const auto r = m_redis->eval(script, {m_prefix + "flushed"}, {});
            if (r.type != RedisReply::Type::Integer && errors++ == 0)
                example = r.text;
        }
        stop = true;
        flusher.join();
        QVERIFY2(errors == 0, (std::to_string(errors) + " of 500 failed, e.g. " + example).c_str());
    }

    void aLostConnectionIsReplaced() {
        RedisClient victim(m_url), killer(m_url);
        // A pooled connection now, and its id. Only that one is killed: the Redis server is
        // shared with the cluster suites that run beside this one, and killing every client cut
        // their nodes' connections in the middle of a request (a 503 in tst_cluster_stress).
        const auto id = victim.command({"CLIENT", "ID"});
        QCOMPARE(int(id.type), int(RedisReply::Type::Integer));
        const auto killed = killer.command({"CLIENT", "KILL", "ID", std::to_string(id.integer)});
        QVERIFY2(killed.integer == 1, killed.text.c_str());
        // The pooled connection is dead; the call goes through on a new one, nothing reported.
        QCOMPARE(victim.command({"PING"}).text, std::string("PONG"));
        QVERIFY(!victim.unavailableReason());
        QVERIFY(victim.command({"CLIENT", "ID"}).integer != id.integer);
    }

    void anUnreachableRedisFailsInBoundedTime() {
        RedisClient::Options o;
        o.connectTimeout = 300ms;
        RedisClient gone("unix:///nonexistent/parley-redis.sock", o);
        QElapsedTimer t;
        t.start();
        QVERIFY_THROWS_EXCEPTION(RedisUnavailable, gone.command({"PING"}));
        QVERIFY(t.elapsed() < 2000);
        QVERIFY(gone.unavailableReason().has_value());
        // Right after a failure calls fail at once rather than each waiting for a timeout.
        t.restart();
        QVERIFY_THROWS_EXCEPTION(RedisUnavailable, gone.command({"PING"}));
        QVERIFY(t.elapsed() < 100);
        // A limit that needs Redis answers 503, never "allowed".
        RedisCustomerRateLimit rate(gone, {2, 60}, m_prefix);
        try {
            rate.tryConsume("s");
            QFAIL("no error");
        } catch (const ApiError& e) {
            QCOMPARE(e.status(), 503);
        }
    }

    void sharedRateLimit() {
        // Two "nodes" (two clients) share one bucket: burst 3 in all, not per node.
        RedisClient other(m_url);
        RedisCustomerRateLimit a(*m_redis, {3, 1}, m_prefix), b(other, {3, 1}, m_prefix);
        const auto session = fresh("session");
        QVERIFY(!a.tryConsume(session));
        QVERIFY(!b.tryConsume(session));
        QVERIFY(!a.tryConsume(session));
        const auto wait = b.tryConsume(session);
        QVERIFY(wait.has_value());
        QVERIFY2(*wait >= 1 && *wait <= 60, std::to_string(*wait).c_str());
        QVERIFY(a.tryConsume(session).has_value());
        QVERIFY(!a.tryConsume(fresh("session"))); // another session has its own bucket
    }

    void sharedLoginThrottle() {
        RedisClient other(m_url);
        LoginThrottle::Options o;
        o.failuresBeforeLock = 3;
        RedisLoginLimit a(*m_redis, o, m_prefix), b(other, o, m_prefix);
        const auto user = fresh("User");
        a.failed(user, true);
        b.failed(user, true);
        QVERIFY(!a.lockedFor(user));
        a.failed(user, true); // the third, on either node: locked for 1 s on both
        QVERIFY(b.lockedFor(user).has_value());
        QCOMPARE(*a.lockedFor(user), 1);
        QVERIFY(a.lockedFor(QString::fromStdString(user).toUpper().toStdString()).has_value());
        b.succeeded(user);
        QVERIFY(!a.lockedFor(user));
    }

    void presenceAcrossNodes() {
        RedisClient clientB(m_url);
        RedisPresenceDirectory a(*m_redis, fresh("node-a"), directoryOptions());
        RedisPresenceDirectory b(clientB, fresh("node-b"), directoryOptions());
        QVERIFY(a.heartbeat().empty());
        QVERIFY(b.heartbeat().empty());
        QVERIFY(settled({&b, &a}));
        const auto agent = fresh("agent");

        a.connected(agent);
        QCOMPARE(b.claimLost(agent), Verdict::ConnectedElsewhere);
        a.connected(agent); // two windows
        a.disconnected(agent);
        QCOMPARE(b.claimLost(agent), Verdict::ConnectedElsewhere);
        a.disconnected(agent);
        // Gone everywhere: exactly one node wins the claim.
        QCOMPARE(b.claimLost(agent), Verdict::Lost);
        QCOMPARE(a.claimLost(agent), Verdict::ConnectedElsewhere);
        // Back (anywhere): the claim is gone, a later loss can be claimed again.
        b.connected(agent);
        b.disconnected(agent);
        QCOMPARE(a.claimLost(agent), Verdict::Lost);
        a.releaseLost(agent); // marking it lost failed: another node may claim it
        QCOMPARE(b.claimLost(agent), Verdict::Lost);
    }

    // Node a cannot tell Redis that the agent's last connection closed (Redis is unreachable for a
    // moment). Until a's heartbeat writes its counts back, Redis still shows that connection: a
    // claim answered from it ("connected elsewhere") would make a forget an agent connected
    // nowhere. Node a answers "ask later" instead; after its heartbeat, the claim is won.
    void aClaimWaitsUntilThisNodesCountsAreWritten() {
        // Node a reaches Redis through a link that the test removes to cut it off.
        const std::string link = "/tmp/" + fresh("parley-redis-link") + ".sock";
        const std::string socket = m_url.substr(std::string("unix://").size());
        QCOMPARE(::symlink(socket.c_str(), link.c_str()), 0);
        auto unlinkAfter = qScopeGuard([&] { ::unlink(link.c_str()); });
        RedisClient::Options quick;
        quick.failFastFor = 50ms;
        RedisClient viaLink("unix://" + link, quick), clientB(m_url);
        RedisPresenceDirectory a(viaLink, fresh("node-a"), directoryOptions());
        RedisPresenceDirectory b(clientB, fresh("node-b"), directoryOptions());
        const auto agent = agentConnectedAt(a, b);
        QVERIFY(!agent.empty());
        QCOMPARE(b.claimLost(agent), Verdict::ConnectedElsewhere);

        // Cut: the link goes and a's one pooled connection is killed.
        const auto id = viaLink.command({"CLIENT", "ID"});
        QCOMPARE(::unlink(link.c_str()), 0);
        QCOMPARE(m_redis->command({"CLIENT", "KILL", "ID", std::to_string(id.integer)}).integer, 1LL);
        a.disconnected(agent); // not written to Redis
        QCOMPARE(::symlink(socket.c_str(), link.c_str()), 0);
        QVERIFY(QTest::qWaitFor(
            [&] {
                try {
                    return viaLink.command({"PING"}).text == "PONG";
                } catch (const RedisUnavailable&) {
                    return false;
                }
            },
            5000));
        QCOMPARE(a.claimLost(agent), Verdict::Unknown); // Redis still counts a's old connection
        a.heartbeat();                                  // writes a's counts back
        QCOMPARE(a.claimLost(agent), Verdict::Lost);
    }

    // Redis restarted empty (here: this cluster's keys deleted). Node a holds the agent's
    // connection but has not written it back yet (its next heartbeat does). A claim by b answered
    // from the empty directory would take a connected agent's chats away: claims wait a node ttl
    // (by then every live node has had its heartbeat), then see a's connection.
    void claimsWaitAfterRedisStartedEmpty() {
        auto options = directoryOptions();
        options.prefix = fresh("restart") + ":";
        options.nodeTtl = 2s; // the wait after the restart, long enough to look inside it
        RedisClient clientB(m_url);
        RedisPresenceDirectory a(*m_redis, fresh("node-a"), options);
        RedisPresenceDirectory b(clientB, fresh("node-b"), options);
        const auto agent = agentConnectedAt(a, b);
        QVERIFY(!agent.empty());
        QCOMPARE(b.claimLost(agent), Verdict::ConnectedElsewhere);

        const auto keys = m_redis->command({"KEYS", options.prefix + "*"});
        QVERIFY(!keys.elements.empty());
        for (const auto& k : keys.elements)
            m_redis->command({"DEL", k.text});
        QCOMPARE(b.claimLost(agent), Verdict::Unknown);
        b.heartbeat();
        QCOMPARE(b.claimLost(agent), Verdict::Unknown);
        a.heartbeat(); // finds its heartbeat key gone: writes its counts back
        QVERIFY(QTest::qWaitFor(
            [&] {
                a.heartbeat();
                b.heartbeat();
                return b.claimLost(agent) != Verdict::Unknown;
            },
            5000));
        QCOMPARE(b.claimLost(agent), Verdict::ConnectedElsewhere);
        a.disconnected(agent);
        QCOMPARE(b.claimLost(agent), Verdict::Lost);
    }

    void aDeadNodesAgentsGoToOneSurvivor() {
        RedisClient clientB(m_url), clientC(m_url);
        RedisPresenceDirectory dying(*m_redis, fresh("node-dying"), directoryOptions());
        RedisPresenceDirectory b(clientB, fresh("node-b"), directoryOptions());
        RedisPresenceDirectory c(clientC, fresh("node-c"), directoryOptions());
        dying.heartbeat();
        b.heartbeat();
        c.heartbeat();
        const auto onlyThere = fresh("agent-only"), inGraceThere = fresh("agent-grace"),
                   alsoOnB = fresh("agent-b");
        dying.connected(onlyThere);
        dying.connected(inGraceThere);
        dying.disconnected(inGraceThere); // its grace period runs on the dying node
        dying.connected(alsoOnB);
        b.connected(alsoOnB);
        // The dying node stops its heartbeat; its key expires after nodeTtl. Until then, nothing.
        QCOMPARE(c.claimLost(onlyThere), Verdict::ConnectedElsewhere);
        std::vector<std::string> orphans;
        bool both = false;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                auto fromB = b.heartbeat();
                auto fromC = c.heartbeat();
                both = both || (!fromB.empty() && !fromC.empty());
                orphans.insert(orphans.end(), fromB.begin(), fromB.end());
                orphans.insert(orphans.end(), fromC.begin(), fromC.end());
                return !orphans.empty();
            }(),
            5000);
        QVERIFY2(!both, "both survivors were handed the dead node's agents");
        std::sort(orphans.begin(), orphans.end());
        auto expected = std::vector<std::string>{onlyThere, inGraceThere};
        std::sort(expected.begin(), expected.end());
        QCOMPARE(orphans, expected); // alsoOnB is still connected on b
        QCOMPARE(c.claimLost(onlyThere), Verdict::Lost);
        QCOMPARE(c.claimLost(alsoOnB), Verdict::ConnectedElsewhere);
        // The dying node comes back (its heartbeat key was gone): it writes its counts anew.
        dying.heartbeat();
        QCOMPARE(c.claimLost(inGraceThere), Verdict::Lost);
        QCOMPARE(b.claimLost(onlyThere), Verdict::ConnectedElsewhere); // claimed by c
        c.releaseLost(onlyThere);
        QCOMPARE(b.claimLost(onlyThere), Verdict::ConnectedElsewhere); // counted on `dying` again
    }
};

QTEST_GUILESS_MAIN(TestRedisSharedState)
#include "tst_redis_shared_state.moc"
