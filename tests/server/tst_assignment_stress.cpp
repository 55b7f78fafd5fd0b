// Issue 4: 20 agents with mixed maximums go online and offline while 400 customers hand off and
// agents close chats, all concurrently. Afterwards the assignment invariants are checked from the
// API and from the database, including a replay of every system event in commit order: nobody
// above maximum at any point, no conversation with two agents, the queue served oldest first and
// listed in order, exactly one "busy" message per queued conversation and none for the rest.
#include "ApiTestBase.h"
#include "StoreInvariants.h"
#include "ThreadFailures.h"

#include <sqlite3.h>

#include <QDeadlineTimer>
#include <QElapsedTimer>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <optional>
#include <random>

using namespace parley::test;

// Compares std::strings so that a failure prints both.
#define QCOMPARE_STR(actual, expected)                                                                       \
    QCOMPARE(QString::fromStdString(actual), QString::fromStdString(expected))

namespace {
constexpr int kAgents = 20;
constexpr int kCustomers = 400;
constexpr int kCustomerThreads = 24;
constexpr int kCheckThreads = 16;
// Mixed maximums fixed at creation: 0..4, four agents of each, 40 seats in all. They are never
// lowered during the run (lowering unassigns nothing, so "load <= max" would not be an invariant).
int maxChatsOf(int agent) {
    return agent % 5;
}
constexpr int kSeats = 4 * (0 + 1 + 2 + 3 + 4);
// Agents close at most one chat per two handoffs, so at least 400 - 200 - 40 conversations are
// still waiting when the customers are done: the final queue is never trivially empty.
constexpr int kMinWaitingAtEnd = kCustomers - kCustomers / 2 - kSeats;

using Failures = parley::test::ThreadFailures;

std::string str(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// The server's SQLite file, opened read-only; all queries see one snapshot.
class Db {
public:
    using Row = std::vector<std::optional<std::string>>;

    explicit Db(const QString& path) {
        m_ok =
            sqlite3_open_v2(path.toUtf8().constData(), &m_db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK &&
            sqlite3_exec(m_db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    ~Db() {
        if (m_db) {
            sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr);
            sqlite3_close(m_db);
        }
    }
    bool ok() const { return m_ok; }
    std::string error() const { return m_db ? sqlite3_errmsg(m_db) : "cannot open the database"; }

    // Every row, each column as text (NULL as nullopt); a failed query is a failure of the test.
    std::vector<Row> rows(const std::string& sql, const std::vector<std::string>& params = {}) {
        std::vector<Row> out;
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
            m_lastError = sql + ": " + error();
            return out;
        }
        for (std::size_t i = 0; i < params.size(); ++i)
            sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            Row row;
            for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                row.push_back(text ? std::optional<std::string>(text) : std::nullopt);
            }
            out.push_back(std::move(row));
        }
        if (rc != SQLITE_DONE)
            m_lastError = sql + ": " + error();
        sqlite3_finalize(stmt);
        return out;
    }
    const std::string& lastError() const { return m_lastError; }

private:
    sqlite3* m_db = nullptr;
    bool m_ok = false;
    std::string m_lastError;
};

QString joined(const std::vector<std::string>& ids) {
    QStringList out;
    for (const auto& id : ids)
        out << QString::fromStdString(id);
    return out.join(QLatin1Char(' '));
}

} // namespace

class TestAssignmentStress : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }

    struct AgentState {
        std::string username;
        std::string id;
        std::string token;
        int max = 0;
        bool online = false;
    };
    struct CustomerState {
        std::string token;
        std::string conversationId;
        bool handoffSawQueued = false; // some handoff answer had no agent
        std::string handoffSawAgent;   // the agent some handoff answer named, if any
    };

    std::vector<AgentState> m_agents;
    std::vector<CustomerState> m_customers;
    std::set<std::string> m_closedByAgents;
    std::map<std::string, int> m_maxById;

    json agentsById() {
        json out = json::object();
        const auto r = http().get("/api/v1/agents", f.adminToken);
        for (const auto& a : r.body["agents"])
            out[a["id"].get<std::string>()] = a;
        return out;
    }

    // Replays every system event in commit order (the messages' rowid) and checks each step:
    // the queue is served oldest first, a conversation assigned at once found the queue empty, no
    // agent ever holds more than its maximum, one agent per conversation, one busy message per
    // queued conversation. Then the replayed state must equal the stored state.
    void checkDatabase(bool allClosed, const std::vector<std::string>& apiQueue = {}) {
        Db db(f.server.dataDir() + QStringLiteral("/parley.db"));
        QVERIFY2(db.ok(), db.error().c_str());

        // The invariants every store keeps (shared with the cluster suites, tests/support): nobody
        // above maximum now, seq 1..n without gaps, the busy message at most once and exactly once
        // in every waiting conversation, and more.
        auto checks = invariants::always(kBusyMessage);
        checks.push_back(invariants::waitingWithoutOneBusyMessage(kBusyMessage));
        const auto broken = invariants::violations(db, checks);
        QVERIFY2(broken.empty(), broken.c_str());

        // Every conversation handed off; a closed one was closed by the agent it was assigned to.
        auto counts = db.rows("SELECT status, assigned_agent_id IS NULL, COUNT(*) FROM conversations "
                              "GROUP BY 1, 2 ORDER BY 1, 2");
        int total = 0;
        for (const auto& r : counts) {
            total += std::stoi(*r[2]);
            QVERIFY2(*r[0] != "automated", ("not handed off:" + describeRows(counts)).c_str());
            QVERIFY2(!(*r[0] == "closed" && *r[1] == "1"),
                     ("closed without an agent:" + describeRows(counts)).c_str());
        }
        QCOMPARE(total, kCustomers);

        const auto storedQueue =
            db.rows("SELECT id, requested_agent_at FROM conversations WHERE status = 'agent' "
                    "AND assigned_agent_id IS NULL ORDER BY requested_agent_at, queue_ticket");
        std::map<std::string, std::optional<std::string>> storedAssignee;
        std::map<std::string, std::string> storedStatus;
        for (const auto& r : db.rows("SELECT id, status, assigned_agent_id FROM conversations")) {
            storedStatus[*r[0]] = *r[1];
            storedAssignee[*r[0]] = r[2];
        }
        std::map<std::string, int> maxOf;
        for (const auto& r : db.rows("SELECT id, max_active_chats FROM agents"))
            maxOf[*r[0]] = std::stoi(*r[1]);

        // The replay.
        struct Replayed {
            bool queued = false;
            std::string agent;
            bool closed = false;
        };
        std::map<std::string, Replayed> conv;
        std::deque<std::string> queue;
        std::map<std::string, int> load;
        int events = 0;
        const auto messages =
            db.rows("SELECT rowid, conversation_id, sender_type, sender_agent_id, kind, content, metadata "
                    "FROM messages ORDER BY rowid");
        QVERIFY2(db.lastError().empty(), db.lastError().c_str());
        for (const auto& m : messages) {
            const auto& id = *m[1];
            auto& c = conv[id];
            const std::string where = " (message rowid " + *m[0] + ", conversation " + id + ")";
            if (*m[2] == "agent") {
                QVERIFY2(m[3] && *m[3] == c.agent && !c.closed,
                         ("an agent wrote into a conversation not assigned to it" + where).c_str());
                continue;
            }
            if (*m[4] != "event")
                continue;
            QCOMPARE_STR(*m[2], std::string("system"));
            const auto meta = json::parse(*m[6], nullptr, false);
            const auto event = meta.is_object() ? meta.value("event", "") : std::string();
            ++events;
            if (event == "queued") {
                QVERIFY2(*m[5] == kBusyMessage, ("queued event with other text" + where).c_str());
                QVERIFY2(!c.queued && c.agent.empty() && !c.closed,
                         ("queued twice or after assignment" + where).c_str());
                c.queued = true;
                queue.push_back(id);
            } else if (event == "assigned") {
                const auto agent = meta.value("agent_id", "");
                QVERIFY2(maxOf.count(agent), ("assigned to an unknown agent" + where).c_str());
                QVERIFY2(c.agent.empty() && !c.closed,
                         ("a second agent for one conversation" + where).c_str());
                if (c.queued) {
                    QVERIFY2(
                        !queue.empty() && queue.front() == id,
                        ("served out of order: " + (queue.empty() ? std::string("empty") : queue.front()) +
                         " waited longer" + where)
                            .c_str());
                    queue.pop_front();
                } else {
                    QVERIFY2(queue.empty(), ("assigned at once while " + std::to_string(queue.size()) +
                                             " conversations waited" + where)
                                                .c_str());
                }
                c.agent = agent;
                ++load[agent];
                QVERIFY2(load[agent] <= maxOf[agent],
                         ("agent " + agent + " above its maximum of " + std::to_string(maxOf[agent]) + where)
                             .c_str());
            } else if (event == "closed") {
                QVERIFY2(!c.agent.empty() && !c.closed, ("closed twice or while unassigned" + where).c_str());
                QVERIFY2(meta.value("agent_id", "") == c.agent, ("closed by another agent" + where).c_str());
                c.closed = true;
                --load[c.agent];
            } else {
                QFAIL(("unexpected event '" + event + "'" + where).c_str());
            }
        }
        QVERIFY(events > 0);

        // The replayed state is the stored state.
        QCOMPARE(conv.size(), std::size_t(kCustomers));
        std::vector<std::string> storedIds;
        for (const auto& r : storedQueue)
            storedIds.push_back(*r[0]);
        QCOMPARE(joined(std::vector<std::string>(queue.begin(), queue.end())), joined(storedIds));
        if (!allClosed)
            QCOMPARE(joined(apiQueue), joined(storedIds));
        for (const auto& [id, c] : conv) {
            const auto& assignee = storedAssignee[id];
            QCOMPARE_STR(assignee.value_or(""), c.agent);
            QCOMPARE_STR(storedStatus[id], std::string(c.closed ? "closed" : "agent"));
            QVERIFY2(c.queued || !c.agent.empty(), ("neither queued nor assigned: " + id).c_str());
            if (allClosed)
                QVERIFY2(c.closed, ("still open: " + id).c_str());
        }
        for (const auto& [agent, n] : load)
            QVERIFY(n >= 0);
        if (allClosed)
            QVERIFY(queue.empty());

        // The checks above also hold for the API's view of the same conversations.
        for (const auto& c : m_customers) {
            const auto& r = conv[c.conversationId];
            if (c.handoffSawQueued)
                QVERIFY2(r.queued,
                         ("a handoff answered 'queued' but no busy message: " + c.conversationId).c_str());
            if (!c.handoffSawAgent.empty()) {
                QCOMPARE_STR(r.agent, c.handoffSawAgent);
            }
        }
    }

    // The queue from the API: listed oldest first with places 1..n, only unassigned 'agent' ones.
    // nullopt (with a warning saying why) when the answer breaks any of that.
    std::optional<std::vector<std::string>> checkedQueue() {
        const auto r = http().get("/api/v1/queue", f.adminToken);
        if (r.status != 200) {
            qWarning("GET /api/v1/queue: %d", r.status);
            return std::nullopt;
        }
        std::vector<std::string> ids;
        std::string previous;
        for (const auto& c : r.body["conversations"]) {
            ids.push_back(c["id"].get<std::string>());
            const auto at = str(c["requested_agent_at"]);
            if (c["status"] != "agent" || !c["assigned_agent_id"].is_null() ||
                c["queue_position"] != json(static_cast<int>(ids.size())) || at < previous) {
                qWarning("queue entry %zu is wrong: %s", ids.size(), c.dump().c_str());
                return std::nullopt;
            }
            previous = at;
        }
        return ids;
    }

private slots:
    void initTestCase() {
        QVERIFY(f.start());
        m_agents.resize(kAgents);
        Failures failures;
        // Creating and signing in hashes passwords (slow on purpose): do it in parallel.
        race(kAgents, [&](int i) {
            auto& a = m_agents[static_cast<std::size_t>(i)];
            a.username = "stress" + std::to_string(i);
            a.max = maxChatsOf(i);
            a.online = i % 2 == 0;
            const auto login = f.createAgent(a.username, a.max, a.online);
            a.id = login.id;
            a.token = login.token;
            failures.expect(!a.id.empty() && !a.token.empty(), "cannot create " + a.username);
        });
        QVERIFY2(failures.empty(), failures.report().constData());
        for (const auto& a : m_agents)
            m_maxById[a.id] = a.max;
        const auto team = agentsById();
        for (const auto& a : m_agents)
            QCOMPARE_STR(str(team[a.id]["presence"]), std::string(a.online ? "online" : "offline"));
    }

    void concurrentHandoffsPresenceFlipsAndCloses() {
        m_customers.resize(kCustomers);
        Failures failures;
        std::atomic<int> nextCustomer{0};
        std::atomic<int> handedOff{0};
        std::atomic<int> customersDone{0};
        std::atomic<int> closeTickets{0};
        std::mutex progressMutex;
        std::condition_variable progress;
        std::mutex closedMutex;
        std::atomic<int> flips{0};

        auto customerWork = [&](int i) {
            auto& cs = m_customers[static_cast<std::size_t>(i)];
            const auto who = "customer " + std::to_string(i);
            const auto c = http().newCustomer();
            failures.expect(!c.token.empty(), who + ": no session");
            cs.token = c.token;
            const auto open = http().post("/api/v1/conversations", json::object(), c.token);
            failures.expect(open.status == 201 && open.body["conversation"]["status"] == "automated",
                            who + ": POST /conversations " + open.describe());
            if (open.status != 201)
                return; // counted above; the rest needs the conversation
            cs.conversationId = open.body["conversation"].value("id", "");
            const auto base = "/api/v1/conversations/" + cs.conversationId;
            if (i % 3 == 0) {
                const auto m =
                    http().post(base + "/messages", {{"content", "Can I talk to a person?"}}, c.token);
                failures.expect(m.status == 201 && m.body["replies"].size() == 1,
                                who + ": message before handoff");
            }
            // Some customers press the button twice at once: still one transition, one busy message.
            const int presses = i % 5 == 0 ? 2 : 1;
            std::vector<HttpResponse> answers(static_cast<std::size_t>(presses));
            if (presses == 1) {
                answers[0] = http().post(base + "/handoff", json::object(), c.token);
            } else {
                std::thread second(
                    [&] { answers[1] = http().post(base + "/handoff", json::object(), c.token); });
                answers[0] = http().post(base + "/handoff", json::object(), c.token);
                second.join();
            }
            std::set<std::string> requestedAt;
            for (const auto& r : answers) {
                // With two presses, an agent may take the chat on the first and close it before
                // the second is handled: that press is refused as the contract says, 409.
                const bool closedMeanwhile = presses == 2 && r.status == 409 &&
                                             r.errorCode() == "conversation_closed" &&
                                             (answers[0].status == 200 || answers[1].status == 200);
                failures.expect(r.status == 200 || closedMeanwhile, who + ": handoff " + r.describe());
                if (r.status != 200)
                    continue;
                const auto& conv = r.body["conversation"];
                failures.expect(conv["status"] == "agent", who + ": handoff " + r.rawBody);
                requestedAt.insert(str(conv["requested_agent_at"]));
                if (conv["assigned_agent_id"].is_null()) {
                    cs.handoffSawQueued = true;
                    failures.expect(conv["queue_position"].is_number_integer() &&
                                        conv["queue_position"].get<int>() >= 1,
                                    who + ": queued without a place: " + conv.dump());
                } else {
                    const auto agent = conv["assigned_agent_id"].get<std::string>();
                    failures.expect(cs.handoffSawAgent.empty() || cs.handoffSawAgent == agent,
                                    who + ": two handoff answers name different agents");
                    cs.handoffSawAgent = agent;
                    failures.expect(m_maxById.count(agent) && m_maxById.at(agent) > 0,
                                    who + ": assigned to an agent who takes no chats");
                    failures.expect(conv["queue_position"].is_null(),
                                    who + ": assigned but has a queue place");
                }
            }
            failures.expect(requestedAt.size() == 1, who + ": racing handoffs saw different transitions");
            {
                std::lock_guard lock(progressMutex);
                ++handedOff;
            }
            progress.notify_all();
            if (i % 4 == 1) {
                const auto m = http().post(base + "/messages", {{"content", "Still there?"}}, c.token);
                // The agent may have closed it already; otherwise no bot answers any more.
                failures.expect((m.status == 201 && m.body["replies"].empty()) ||
                                    (m.status == 409 && m.errorCode() == "conversation_closed"),
                                who + ": message after handoff " + std::to_string(m.status) + " " +
                                    m.rawBody);
            }
        };

        // Closes are paced by the handoffs: at most one per two handed-off conversations.
        auto takeCloseTicket = [&] {
            int taken = closeTickets.load();
            while (taken < handedOff.load() / 2)
                if (closeTickets.compare_exchange_weak(taken, taken + 1))
                    return true;
            return false;
        };

        auto agentWork = [&](int k) {
            auto& a = m_agents[static_cast<std::size_t>(k)];
            std::mt19937 rng(static_cast<unsigned>(k) * 7919u + 17u);
            for (int step = 1;; ++step) {
                // One action per three handoffs (waiting for the customers, not for time).
                {
                    std::unique_lock lock(progressMutex);
                    progress.wait(
                        lock, [&] { return customersDone.load() || handedOff.load() >= step * 3 + k % 3; });
                    if (customersDone.load())
                        return;
                }
                const auto action = rng() % 4;
                if (action == 0) {
                    const bool online = !a.online;
                    const auto r = http().put("/api/v1/agent/presence",
                                              {{"presence", online ? "online" : "offline"}}, a.token);
                    failures.expect(r.status == 200 &&
                                        r.body["agent"]["presence"] == (online ? "online" : "offline"),
                                    a.username + ": presence " + r.describe());
                    if (r.status != 200)
                        continue;
                    failures.expect(r.body["agent"].value("active_chats", -1) <= a.max,
                                    a.username + ": above maximum after a presence change");
                    a.online = online;
                    ++flips;
                    continue;
                }
                const auto mine = http().get("/api/v1/agent/conversations", a.token);
                failures.expect(mine.status == 200, a.username + ": my conversations " + mine.describe());
                if (mine.status != 200)
                    continue;
                const auto& list = mine.body["conversations"];
                failures.expect(list.is_array() && static_cast<int>(list.size()) <= a.max,
                                a.username + ": " + std::to_string(list.size()) + " chats, maximum " +
                                    std::to_string(a.max));
                for (const auto& c : list)
                    failures.expect(c["status"] == "agent" && c["assigned_agent_id"] == a.id,
                                    a.username + ": listed a conversation not assigned to it");
                if (!list.is_array() || list.empty())
                    continue;
                const auto id = list[rng() % list.size()]["id"].get<std::string>();
                const auto base = "/api/v1/conversations/" + id;
                if (action == 1) {
                    // Nobody else can take it away in this test, so writing must succeed.
                    const auto r =
                        http().post(base + "/messages", {{"content", "Hello from " + a.username}}, a.token);
                    failures.expect(r.status == 201,
                                    a.username + ": write into my chat " + std::to_string(r.status));
                } else if (takeCloseTicket()) {
                    const auto r = http().post(base + "/close", json::object(), a.token);
                    failures.expect(r.status == 200 && r.body["conversation"]["status"] == "closed",
                                    a.username + ": close " + std::to_string(r.status) + " " + r.rawBody);
                    std::lock_guard lock(closedMutex);
                    failures.expect(m_closedByAgents.insert(id).second, a.username + ": closed twice: " + id);
                }
            }
        };

        QElapsedTimer timer;
        timer.start();
        std::vector<std::thread> agentThreads;
        for (int k = 0; k < kAgents; ++k)
            agentThreads.emplace_back(agentWork, k);
        race(kCustomerThreads, [&](int) {
            for (int i = nextCustomer++; i < kCustomers; i = nextCustomer++)
                customerWork(i);
        });
        {
            std::lock_guard lock(progressMutex);
            customersDone = 1;
        }
        progress.notify_all();
        for (auto& t : agentThreads)
            t.join();
        qInfo("run: %lld ms, %d handoffs, %d presence changes, %zu closes",
              static_cast<long long>(timer.elapsed()), handedOff.load(), flips.load(),
              m_closedByAgents.size());
        QVERIFY2(failures.empty(), failures.report().constData());
        QCOMPARE(handedOff.load(), kCustomers);
        QVERIFY(flips.load() > kAgents); // presence really changed during the run
        QVERIFY(!m_closedByAgents.empty());
    }

    void invariantsHoldAfterTheRun() {
        // The API: nobody above maximum; every online agent is full while anyone waits.
        const auto team = agentsById();
        const auto checked = checkedQueue();
        QVERIFY(checked);
        const auto& queue = *checked;
        QVERIFY2(static_cast<int>(queue.size()) >= kMinWaitingAtEnd, std::to_string(queue.size()).c_str());
        int assigned = 0;
        std::map<std::string, std::string> owner; // conversation -> agent, from each agent's own list
        for (const auto& a : m_agents) {
            const auto& t = team[a.id];
            const int active = t["active_chats"].get<int>();
            QCOMPARE(t["max_active_chats"].get<int>(), a.max);
            QVERIFY2(active <= a.max, (a.username + " above maximum").c_str());
            QCOMPARE_STR(str(t["presence"]), std::string(a.online ? "online" : "offline"));
            if (a.online)
                QVERIFY2(active == a.max, (a.username + " is online with a free seat while " +
                                           std::to_string(queue.size()) + " conversations wait")
                                              .c_str());
            const auto mine = http().get("/api/v1/agent/conversations", a.token).body["conversations"];
            QCOMPARE(static_cast<int>(mine.size()), active);
            for (const auto& c : mine) {
                QVERIFY2(owner.emplace(c["id"].get<std::string>(), a.id).second,
                         "a conversation with two agents");
                QCOMPARE_STR(str(c["assigned_agent_id"]), a.id);
            }
            assigned += active;
        }
        // Every conversation is exactly one of: waiting, with an agent, closed.
        std::set<std::string> all;
        for (const auto& c : m_customers)
            all.insert(c.conversationId);
        QCOMPARE(all.size(), std::size_t(kCustomers));
        std::multiset<std::string> seen(queue.begin(), queue.end());
        for (const auto& [id, agent] : owner)
            seen.insert(id);
        seen.insert(m_closedByAgents.begin(), m_closedByAgents.end());
        const std::set<std::string> seenOnce(seen.begin(), seen.end());
        QCOMPARE(joined({seenOnce.begin(), seenOnce.end()}), joined({all.begin(), all.end()}));
        QCOMPARE(seen.size(), std::size_t(kCustomers));

        // Each conversation through the API, as its customer sees it.
        const std::set<std::string> waiting(queue.begin(), queue.end());
        Failures failures;
        std::atomic<int> next{0};
        race(kCheckThreads, [&](int) {
            for (int i = next++; i < kCustomers; i = next++) {
                const auto& cs = m_customers[static_cast<std::size_t>(i)];
                const auto who = "conversation " + cs.conversationId;
                const auto r = http().get("/api/v1/conversations/" + cs.conversationId, cs.token);
                failures.expect(r.status == 200, who + ": GET " + std::to_string(r.status));
                const auto& messages = r.body["messages"];
                const auto& conv = r.body["conversation"];
                std::vector<std::string> events;
                std::string eventAgent;
                for (std::size_t s = 0; s < messages.size(); ++s) {
                    failures.expect(messages[s]["seq"] == json(static_cast<int>(s + 1)), who + ": seq gap");
                    if (messages[s]["kind"] == "event") {
                        events.push_back(messages[s]["metadata"].value("event", ""));
                        if (events.back() != "queued")
                            failures.expect(eventAgent.empty() ||
                                                eventAgent == str(messages[s]["metadata"]["agent_id"]),
                                            who + ": events name two agents");
                        if (events.back() == "assigned")
                            eventAgent = str(messages[s]["metadata"]["agent_id"]);
                    }
                }
                const int busy = countContent(messages, kBusyMessage);
                const bool queuedFirst = !events.empty() && events.front() == "queued";
                failures.expect(busy == (queuedFirst ? 1 : 0),
                                who + ": " + std::to_string(busy) + " busy messages");
                failures.expect(!cs.handoffSawQueued || queuedFirst,
                                who + ": queued answer but no busy message");
                using V = std::vector<std::string>;
                if (waiting.count(cs.conversationId)) {
                    failures.expect(events == V{"queued"}, who + ": waiting, but events are wrong");
                    failures.expect(conv["status"] == "agent" && conv["assigned_agent_id"].is_null(),
                                    who + ": waiting");
                } else if (m_closedByAgents.count(cs.conversationId)) {
                    failures.expect(events == V{"queued", "assigned", "closed"} ||
                                        events == V{"assigned", "closed"},
                                    who + ": closed, but events are wrong");
                    failures.expect(conv["status"] == "closed", who + ": not closed");
                } else {
                    failures.expect(events == V{"queued", "assigned"} || events == V{"assigned"},
                                    who + ": assigned, but events are wrong");
                    failures.expect(owner.count(cs.conversationId) &&
                                        str(conv["assigned_agent_id"]) == eventAgent &&
                                        owner.at(cs.conversationId) == eventAgent,
                                    who + ": assigned agent differs from its event");
                }
                if (!cs.handoffSawAgent.empty())
                    failures.expect(eventAgent == cs.handoffSawAgent,
                                    who + ": assigned to another agent than answered");
            }
        });
        QVERIFY2(failures.empty(), failures.report().constData());

        // The database, read while the server runs.
        checkDatabase(false, queue);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(assigned + static_cast<int>(queue.size() + m_closedByAgents.size()), kCustomers);

        // Both paths were taken: the first handoffs met 20 free seats, the last ones a full team.
        const auto queuedAtHandoff = std::count_if(m_customers.begin(), m_customers.end(),
                                                   [](const CustomerState& c) { return c.handoffSawQueued; });
        qInfo("after the run: %lld queued at handoff, %lld assigned at once, %zu waiting, %d with an agent",
              static_cast<long long>(queuedAtHandoff), static_cast<long long>(kCustomers - queuedAtHandoff),
              queue.size(), assigned);
        QVERIFY(queuedAtHandoff >= kMinWaitingAtEnd);
        QVERIFY(queuedAtHandoff < kCustomers);
    }

    void everyoneOnlineDrainsTheQueueOldestFirst() {
        const auto checkedBefore = checkedQueue();
        QVERIFY(checkedBefore && !checkedBefore->empty());
        const auto& before = *checkedBefore;
        int freeSeats = 0;
        const auto teamBefore = agentsById();
        for (const auto& a : m_agents)
            freeSeats += a.max - teamBefore[a.id]["active_chats"].get<int>();

        Failures failures;
        race(kAgents, [&](int k) {
            auto& a = m_agents[static_cast<std::size_t>(k)];
            const auto r = http().put("/api/v1/agent/presence", {{"presence", "online"}}, a.token);
            failures.expect(r.status == 200, a.username + ": online " + std::to_string(r.status));
            a.online = true;
        });
        QVERIFY2(failures.empty(), failures.report().constData());

        // Capacity appeared: the oldest waiting conversations took exactly the free seats.
        const auto checkedAfter = checkedQueue();
        QVERIFY(checkedAfter);
        const auto& after = *checkedAfter;
        const auto served = std::min<std::size_t>(static_cast<std::size_t>(freeSeats), before.size());
        QCOMPARE(joined(after),
                 joined(std::vector<std::string>(before.begin() + static_cast<long>(served), before.end())));
        const auto team = agentsById();
        for (const auto& a : m_agents)
            QVERIFY2(after.empty() || team[a.id]["active_chats"].get<int>() == a.max,
                     (a.username + " has a free seat while conversations wait").c_str());

        // Agents close everything; each close serves the queue. An agent with nothing assigned
        // while online with free seats proves the queue empty at that moment, and the queue only
        // shrinks now, so it must read empty afterwards.
        QDeadlineTimer deadline(120000);
        race(kAgents, [&](int k) {
            const auto& a = m_agents[static_cast<std::size_t>(k)];
            while (!deadline.hasExpired()) {
                const auto mine = http().get("/api/v1/agent/conversations", a.token);
                failures.expect(mine.status == 200, a.username + ": my conversations");
                const auto& list = mine.body["conversations"];
                failures.expect(static_cast<int>(list.size()) <= a.max,
                                a.username + ": above maximum while draining");
                if (list.empty() || mine.status != 200) {
                    if (a.max > 0) {
                        const auto q = http().get("/api/v1/queue", a.token).body["conversations"];
                        failures.expect(q.empty(), a.username + ": idle and online while " +
                                                       std::to_string(q.size()) + " conversations wait");
                    }
                    return;
                }
                for (const auto& c : list) {
                    const auto r =
                        http().post("/api/v1/conversations/" + c["id"].get<std::string>() + "/close",
                                    json::object(), a.token);
                    failures.expect(r.status == 200, a.username + ": close " + std::to_string(r.status));
                }
            }
            failures.expect(false, a.username + ": draining did not finish in time");
        });
        QVERIFY2(failures.empty(), failures.report().constData());
        const auto drainedQueue = checkedQueue();
        QVERIFY(drainedQueue);
        QCOMPARE(joined(*drainedQueue), QString());
        const auto drained = agentsById();
        for (const auto& [id, a] : drained.items())
            QCOMPARE(a["active_chats"].get<int>(), 0);

        // Stopped cleanly, the database holds the whole history: replay it once more.
        QVERIFY(f.server.stop());
        checkDatabase(true);
    }
};

QTEST_GUILESS_MAIN(TestAssignmentStress)
#include "tst_assignment_stress.moc"
