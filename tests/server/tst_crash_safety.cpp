// Crash safety: the real server under concurrent load (customers sending with client_msg_id,
// quick replies, handoffs and new conversations; agents online, answering and closing) is killed
// with SIGKILL at a random moment and restarted on the same data dir, alternately with
// --db-sync normal and full. After every restart, from the SQLite file and from the API:
// - every acknowledged message (201) is stored exactly once, with its seq and content;
// - seq is gap-free in every conversation; the lifecycle columns agree with the status;
// - assignment: no agent above its maximum, never a second agent for a conversation (a replay of
//   the system events), the queue unassigned and the same in the API, each agent's list its own;
// - re-sending every acknowledged client_msg_id answers 200 with the original message;
// - a send that got no answer before the kill is stored once or not at all, and re-sending it
//   converges (201 when it was not stored, 200 with the stored message when it was).
// A few kills by default; PARLEY_CRASH_KILLS=N for many (e.g. 300 for a long soak).
#include "ApiTestBase.h"
#include "SqliteReadOnly.h"
#include "StoreInvariants.h"
#include "ThreadFailures.h"

#include <QElapsedTimer>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <random>

using namespace parley::test;

namespace {

constexpr int kCustomerThreads = 6;
constexpr int kResendThreads = 8;
constexpr std::size_t kOlderResendSample = 150; // acknowledged sends of earlier rounds re-sent each round
const int kAgentMax[] = {2, 3, 1};

int killsToRun() {
    const char* env = std::getenv("PARLEY_CRASH_KILLS");
    const int n = env ? std::atoi(env) : 0;
    return n > 0 ? n : 6;
}

const char* syncAfterKill(int kill) {
    return kill % 2 == 0 ? "full" : "normal"; // the first server runs with normal
}

using Failures = parley::test::ThreadFailures;

// One message send whose fate is checked after every restart.
struct Send {
    std::string token;     // who sent it
    std::string senderKey; // the agent's id, "" for the customer
    std::string conversationId;
    json body; // exactly what was sent, client_msg_id included
    // Once acknowledged: the message as the server answered it.
    std::string messageId;
    std::int64_t seq = 0;
    std::string content;
    int round = 0;

    std::string clientMsgId() const { return body["client_msg_id"].get<std::string>(); }
    std::string key() const { return conversationId + "|" + senderKey + "|" + clientMsgId(); }
    std::string path() const { return "/api/v1/conversations/" + conversationId + "/messages"; }
    void acknowledge(const json& message) {
        messageId = message.value("id", "");
        seq = message.value("seq", std::int64_t(0));
        content = message.value("content", "");
    }
};

class Ledger {
public:
    void acked(Send s) {
        std::lock_guard lock(m_mutex);
        m_acked.push_back(std::move(s));
        ++m_ackCount;
    }
    void unanswered(Send s) {
        std::lock_guard lock(m_mutex);
        m_unanswered.push_back(std::move(s));
    }
    int ackCount() const { return m_ackCount.load(); }
    // Test thread only, while no worker runs.
    std::vector<Send>& allAcked() { return m_acked; }
    std::vector<Send> takeUnanswered() { return std::exchange(m_unanswered, {}); }

private:
    std::mutex m_mutex;
    std::vector<Send> m_acked;
    std::vector<Send> m_unanswered;
    std::atomic<int> m_ackCount{0};
};

// Runs fn(i) for every i in [0, n) on `threads` threads.
void parallelFor(std::size_t n, int threads, const std::function<void(std::size_t)>& fn) {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::size_t i = next++; i < n; i = next++)
                fn(i);
        });
    for (auto& t : pool)
        t.join();
}

using Row = SqliteReadOnly::Row;

} // namespace

class TestCrashSafety : public QObject {
    Q_OBJECT
    ApiFixture f;
    Failures m_failures;
    Ledger m_ledger;
    std::vector<AgentLogin> m_agents;
    struct Customer {
        std::string token;
        std::string conversationId;
    };
    std::vector<Customer> m_customers{kCustomerThreads};
    std::vector<std::string> m_faqSlugs;
    std::atomic<int> m_sendNo{0};
    int m_round = 0;
    int m_unansweredTotal = 0;
    bool m_broken = false;
    std::mt19937 m_rng{std::random_device{}()};

    static QStringList argsFor(const char* sync) {
        return {QStringLiteral("--db-sync"), QString::fromLatin1(sync),
                QStringLiteral("--customer-rate-burst"), QStringLiteral("1000000"),
                QStringLiteral("--customer-rate-per-minute"), QStringLiteral("1000000"),
                // Agents without a WebSocket are lost this long after each restart: their chats go
                // back to the queue, and the workers bring them online again.
                QStringLiteral("--agent-grace-seconds"), QStringLiteral("1")};
    }

    // Sends a message and records it: acknowledged, or unanswered when the server has gone.
    HttpResponse send(const HttpClient& http, const std::string& token, const std::string& senderKey,
                      const std::string& conversationId, json body) {
        Send s{token, senderKey, conversationId, std::move(body), {}, 0, {}, m_round};
        const auto r = http.post(s.path(), s.body, token);
        if (r.status == 201) {
            s.acknowledge(r.body["message"]);
            m_failures.expect(!s.messageId.empty() && s.seq > 0, "201 without a message: " + r.describe());
            m_ledger.acked(std::move(s));
        } else if (r.status == 0) {
            m_ledger.unanswered(std::move(s));
        } else {
            m_failures.expect(r.status != 200, "a new client_msg_id answered 200: " + s.body.dump());
        }
        return r;
    }

    std::string nextClientMsgId(const char* who) {
        return std::string(who) + "-" + std::to_string(++m_sendNo);
    }

    void customerWorker(std::size_t t, const HttpClient& http, const BackgroundThreads& load, unsigned seed) {
        std::mt19937 rng(seed);
        auto& me = m_customers[t];
        const auto who = "customer thread " + std::to_string(t) + ": ";
        while (!load.stopRequested()) {
            if (me.token.empty()) {
                const auto c = http.newCustomer();
                if (c.token.empty())
                    return; // the server has gone
                me = {c.token, {}};
            }
            if (me.conversationId.empty()) {
                const auto r = http.post("/api/v1/conversations", json::object(), me.token);
                if (r.status == 0)
                    return;
                m_failures.expect(r.status == 200 || r.status == 201, who + "open " + r.describe());
                if (r.status != 200 && r.status != 201)
                    return;
                me.conversationId = r.body["conversation"].value("id", "");
                continue;
            }
            const auto roll = rng() % 100;
            if (roll < 6) {
                const auto r = http.post("/api/v1/conversations/" + me.conversationId + "/handoff",
                                         json::object(), me.token);
                if (r.status == 0)
                    return;
                if (r.status == 409 && r.errorCode() == "conversation_closed")
                    me.conversationId.clear();
                else
                    m_failures.expect(r.status == 200, who + "handoff " + r.describe());
                continue;
            }
            if (roll < 8) {
                me.token.clear(); // another shopper on this thread from now on
                continue;
            }
            const auto id = nextClientMsgId("c");
            json body{{"client_msg_id", id}};
            if (roll < 16 && !m_faqSlugs.empty()) {
                body["kind"] = "quick_reply";
                body["faq_slug"] = m_faqSlugs[rng() % m_faqSlugs.size()];
                body["content"] = "";
            } else {
                body["content"] = roll % 2 ? "Wo ist mein Paket? " + id : "Order " + id + " 🚚 was late";
            }
            const auto r = send(http, me.token, "", me.conversationId, std::move(body));
            if (r.status == 0)
                return;
            if (r.status == 409 && r.errorCode() == "conversation_closed")
                me.conversationId.clear();
            else
                m_failures.expect(r.status == 201, who + "send " + r.describe());
        }
    }

    void agentWorker(std::size_t a, const HttpClient& http, const BackgroundThreads& load, unsigned seed) {
        std::mt19937 rng(seed);
        const auto& agent = m_agents[a];
        const auto who = "agent " + std::to_string(a) + ": ";
        for (int i = 0; !load.stopRequested(); ++i) {
            if (i % 8 == 0) {
                const auto r = http.put("/api/v1/agent/presence", {{"presence", "online"}}, agent.token);
                if (r.status == 0)
                    return;
                m_failures.expect(r.status == 200, who + "presence " + r.describe());
            }
            const auto mine = http.get("/api/v1/agent/conversations", agent.token);
            if (mine.status == 0)
                return;
            m_failures.expect(mine.status == 200, who + "my conversations " + mine.describe());
            const auto list = mine.body.value("conversations", json::array());
            if (list.empty()) {
                // Load pacing, not a wait for an event: an agent with nothing to do looks again soon.
                std::this_thread::sleep_for(std::chrono::milliseconds(3));
                continue;
            }
            for (std::size_t k = 0; k < std::min<std::size_t>(list.size(), 2); ++k) {
                const auto conversationId = list[k].value("id", "");
                const auto id = nextClientMsgId("a");
                const auto r = send(http, agent.token, agent.id, conversationId,
                                    {{"content", "Agent answer " + id}, {"client_msg_id", id}});
                if (r.status == 0)
                    return;
                // Unassigned meanwhile (lost after a restart, or closed): refused, nothing stored.
                m_failures.expect(r.status == 201 || r.status == 403 ||
                                      (r.status == 409 && r.errorCode() == "conversation_closed"),
                                  who + "send " + r.describe());
                if (rng() % 4 != 0)
                    continue;
                const auto closed = http.post("/api/v1/conversations/" + conversationId + "/close",
                                              json::object(), agent.token);
                if (closed.status == 0)
                    return;
                m_failures.expect(closed.status == 200 || closed.status == 403 || closed.status == 409,
                                  who + "close " + closed.describe());
            }
        }
    }

    // Until the online agents the restart found have been reported lost: the state is still
    // while it is checked. Polling the team view is the only way to see it from here.
    bool waitForAgentsSettled() {
        HttpClient http(f.server.httpPort());
        return QTest::qWaitFor(
            [&] {
                const auto r = http.get("/api/v1/agents", f.adminToken);
                if (r.status != 200)
                    return false;
                for (const auto& a : r.body["agents"])
                    if (a.value("presence", "") == "online")
                        return false;
                return true;
            },
            20000);
    }

    void checkDatabase(const std::vector<Send>& unanswered, std::map<std::string, Row>& storedByKey) {
        SqliteReadOnly db(QString(f.server.dataDir() + QStringLiteral("/parley.db")).toStdString());
        QVERIFY2(db.ok(), db.error().c_str());
        // The invariants every store keeps (shared with the cluster suites).
        const auto broken = invariants::violations(db, invariants::always(kBusyMessage));
        QVERIFY2(broken.empty(), broken.c_str());

        // Replay of the assignment events of every conversation, in seq order: never a second agent.
        std::map<std::string, std::string> assignee;
        for (const auto& r :
             db.rows("SELECT id, assigned_agent_id FROM conversations WHERE status = 'agent'"))
            assignee[*r[0]] = r[1].value_or("");
        const auto messages = db.rows(
            "SELECT id, conversation_id, seq, sender_type, IFNULL(sender_agent_id, ''), client_msg_id, "
            "content, metadata FROM messages ORDER BY conversation_id, seq");
        QVERIFY2(db.lastError().empty(), db.lastError().c_str());
        std::map<std::string, Row> storedById;
        std::map<std::string, std::string> current;
        for (const auto& m : messages) {
            storedById[*m[0]] = m;
            if (m[5])
                storedByKey[*m[1] + "|" + *m[4] + "|" + *m[5]] = m;
            if (*m[3] != "system")
                continue;
            const auto meta = json::parse(m[7].value_or("{}"), nullptr, false);
            const auto event = meta.is_object() ? meta.value("event", "") : std::string();
            const auto agent = meta.is_object() ? meta.value("agent_id", "") : std::string();
            const auto where = " (conversation " + *m[1] + ", seq " + *m[2] + ")";
            auto& now = current[*m[1]];
            if (event == "assigned") {
                QVERIFY2(now.empty(), ("a second agent for one conversation" + where).c_str());
                now = agent;
            } else if (event == "unassigned") {
                QVERIFY2(now == agent, ("unassigned from an agent it did not have" + where).c_str());
                now.clear();
            }
        }
        for (const auto& [id, agent] : assignee)
            QVERIFY2(current[id] == agent, ("the stored agent is not the replayed one: " + id).c_str());

        // Every acknowledged message once, as it was answered.
        for (const auto& s : m_ledger.allAcked()) {
            const auto it = storedById.find(s.messageId);
            QVERIFY2(it != storedById.end(), ("an acknowledged message is gone: " + s.body.dump()).c_str());
            const auto& row = it->second;
            QVERIFY2(*row[1] == s.conversationId && *row[2] == std::to_string(s.seq) &&
                         *row[6] == s.content && row[5] == std::optional(s.clientMsgId()) &&
                         *row[4] == s.senderKey,
                     ("an acknowledged message changed: " + s.body.dump() + describeRows({row})).c_str());
        }
        // Unanswered sends: stored once or not at all (duplicates are caught by the query above).
        for (const auto& s : unanswered)
            if (const auto it = storedByKey.find(s.key()); it != storedByKey.end())
                QVERIFY2(it->second[1] == std::optional(s.conversationId), s.body.dump().c_str());
    }

    void checkApi() {
        HttpClient http(f.server.httpPort());
        SqliteReadOnly db(QString(f.server.dataDir() + QStringLiteral("/parley.db")).toStdString());
        std::vector<std::string> storedQueue;
        for (const auto& r :
             db.rows("SELECT id FROM conversations WHERE status = 'agent' AND assigned_agent_id "
                     "IS NULL ORDER BY requested_agent_at, queue_ticket"))
            storedQueue.push_back(*r[0]);
        const auto queue = http.get("/api/v1/queue", f.adminToken);
        QCOMPARE(queue.status, 200);
        std::vector<std::string> apiQueue;
        for (const auto& c : queue.body["conversations"]) {
            QVERIFY2(c["status"] == "agent" && c["assigned_agent_id"].is_null(), c.dump().c_str());
            apiQueue.push_back(c["id"].get<std::string>());
        }
        QVERIFY(apiQueue == storedQueue);

        std::set<std::string> assignedInApi;
        const auto team = http.get("/api/v1/agents", f.adminToken);
        QCOMPARE(team.status, 200);
        for (const auto& a : team.body["agents"])
            QVERIFY2(a["active_chats"].get<int>() <= a["max_active_chats"].get<int>(), a.dump().c_str());
        for (const auto& agent : m_agents) {
            const auto mine = http.get("/api/v1/agent/conversations", agent.token);
            QCOMPARE(mine.status, 200);
            for (const auto& c : mine.body["conversations"]) {
                QVERIFY2(c["assigned_agent_id"] == json(agent.id) && c["status"] == "agent",
                         c.dump().c_str());
                QVERIFY2(assignedInApi.insert(c["id"].get<std::string>()).second, "listed for two agents");
            }
        }
        std::set<std::string> assignedInDb;
        for (const auto& r :
             db.rows("SELECT id FROM conversations WHERE status = 'agent' AND assigned_agent_id IS NOT NULL"))
            assignedInDb.insert(*r[0]);
        QVERIFY(assignedInApi == assignedInDb);
    }

    // Re-sends what was acknowledged (this round's and a sample of older ones): 200, the original.
    void resendAcknowledged() {
        auto& acked = m_ledger.allAcked();
        std::vector<const Send*> picked;
        std::vector<const Send*> older;
        for (const auto& s : acked)
            (s.round == m_round ? picked : older).push_back(&s);
        std::shuffle(older.begin(), older.end(), m_rng);
        older.resize(std::min(older.size(), kOlderResendSample));
        picked.insert(picked.end(), older.begin(), older.end());
        HttpClient http(f.server.httpPort());
        parallelFor(picked.size(), kResendThreads, [&](std::size_t i) {
            const auto& s = *picked[i];
            const auto r = http.post(s.path(), s.body, s.token);
            m_failures.expect(r.status == 200 && r.body["message"].value("id", "") == s.messageId &&
                                  r.body["message"].value("seq", std::int64_t(0)) == s.seq &&
                                  r.body["message"].value("content", "") == s.content,
                              "re-sent " + s.body.dump() + ": " + r.describe());
        });
        QVERIFY2(m_failures.empty(), m_failures.report().constData());
    }

    // Re-sends what got no answer: it converges to exactly once (or to nothing, when refused).
    void resendUnanswered(std::vector<Send> unanswered, const std::map<std::string, Row>& storedByKey) {
        HttpClient http(f.server.httpPort());
        std::mutex mutex;
        std::vector<Send> nowAcked;
        parallelFor(unanswered.size(), kResendThreads, [&](std::size_t i) {
            auto& s = unanswered[i];
            const auto stored = storedByKey.find(s.key());
            const bool wasStored = stored != storedByKey.end();
            const auto r = http.post(s.path(), s.body, s.token);
            const auto what =
                "unanswered " + s.body.dump() + (wasStored ? " (stored)" : " (not stored)") + ": ";
            if (r.status == 200 || r.status == 201) {
                m_failures.expect(r.status == (wasStored ? 200 : 201), what + r.describe());
                if (wasStored)
                    m_failures.expect(r.body["message"].value("id", "") == *stored->second[0],
                                      what + r.describe());
                s.acknowledge(r.body["message"]);
                s.round = m_round;
                std::lock_guard lock(mutex);
                nowAcked.push_back(std::move(s));
            } else {
                // Refused (closed, or no longer the agent's): a stored one would have answered 200.
                m_failures.expect(!wasStored && (r.status == 403 || r.errorCode() == "conversation_closed"),
                                  what + r.describe());
            }
        });
        QVERIFY2(m_failures.empty(), m_failures.report().constData());
        for (auto& s : nowAcked)
            m_ledger.acked(std::move(s));
    }

    void checkAfterRestart() {
        QVERIFY(waitForAgentsSettled());
        auto unanswered = m_ledger.takeUnanswered();
        m_unansweredTotal += int(unanswered.size());
        std::map<std::string, Row> storedByKey;
        checkDatabase(unanswered, storedByKey);
        if (QTest::currentTestFailed())
            return;
        checkApi();
        if (QTest::currentTestFailed())
            return;
        resendAcknowledged();
        if (QTest::currentTestFailed())
            return;
        resendUnanswered(std::move(unanswered), storedByKey);
    }

private slots:
    void initTestCase() {
        QVERIFY(f.start(argsFor("normal")));
        m_agents.resize(std::size(kAgentMax));
        race(int(m_agents.size()), [&](int i) {
            m_agents[std::size_t(i)] = f.createAgent("crash" + std::to_string(i), kAgentMax[i], false);
        });
        for (const auto& a : m_agents)
            QVERIFY(!a.token.empty());
        const auto faq = f.http->get("/api/v1/faq");
        for (const auto& e : faq.body["faq"])
            m_faqSlugs.push_back(e["slug"].get<std::string>());
    }

    // Batches of ten kills, one data row each: a row has QtTest's whole time limit (5 min) for itself,
    // so PARLEY_CRASH_KILLS can be in the hundreds. Later rows go on from the state of earlier ones.
    void killedAndRestartedUnderLoad_data() {
        QTest::addColumn<int>("first");
        QTest::addColumn<int>("last");
        constexpr int kBatch = 10;
        for (int first = 0; first < killsToRun(); first += kBatch) {
            const int last = std::min(first + kBatch, killsToRun()) - 1;
            QTest::addRow("kills %d-%d", first + 1, last + 1) << first << last;
        }
    }
    void killedAndRestartedUnderLoad() {
        QFETCH(int, first);
        QFETCH(int, last);
        if (m_broken)
            QSKIP("an earlier batch failed");
        m_broken = true; // until this batch has passed
        QElapsedTimer elapsed;
        elapsed.start();
        qint64 lastKillEnd = 0;
        for (int kill = first; kill <= last; ++kill) {
            m_round = kill;
            const HttpClient http(f.server.httpPort());
            const int before = m_ledger.ackCount();
            const int wanted = 15 + int(m_rng() % 120); // the kill lands at a different moment each time
            {
                BackgroundThreads load;
                for (std::size_t t = 0; t < m_customers.size(); ++t)
                    load.start([&, t, seed = unsigned(m_rng())] { customerWorker(t, http, load, seed); });
                for (std::size_t a = 0; a < m_agents.size(); ++a)
                    load.start([&, a, seed = unsigned(m_rng())] { agentWorker(a, http, load, seed); });
                QVERIFY2(
                    QTest::qWaitFor(
                        [&] { return m_ledger.ackCount() >= before + wanted || !m_failures.empty(); }, 60000),
                    "the load made no progress");
                f.server.kill();
                load.stopAndJoin();
            }
            QVERIFY2(m_failures.empty(), m_failures.report().constData());
            const auto loaded = elapsed.elapsed();
            QVERIFY2(f.server.start(argsFor(syncAfterKill(kill))), qPrintable(f.server.output().right(2000)));
            const auto restarted = elapsed.elapsed();
            checkAfterRestart();
            if (QTest::currentTestFailed())
                return;
            // Where the time goes when a kill takes long (a busy machine, or a server that stalls).
            const auto checked = elapsed.elapsed();
            if (checked - lastKillEnd > 10000)
                qInfo("kill %d took %lld ms: load %lld, restart %lld, checks %lld", kill + 1,
                      checked - lastKillEnd, loaded - lastKillEnd, restarted - loaded, checked - restarted);
            lastKillEnd = checked;
        }
        m_broken = false;
        qInfo("%d kills, %zu messages acknowledged, %d sends unanswered at a kill so far; %.1f s", last + 1,
              m_ledger.allAcked().size(), m_unansweredTotal, double(elapsed.elapsed()) / 1000);
    }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crash_safety.moc"
