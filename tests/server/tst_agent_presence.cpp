// AgentPresenceTracker with its grace timers driven by a manual clock: an agent whose last
// connection closes is reported lost once the grace period has run out, not before; a reconnect
// within it cancels it; several connections count as one; start-up grace; an agent watched with no
// connection at all (online over REST alone); stop(); a stale expiry
// (one already on its way when a reconnect cancelled its timer) reports nobody. One case runs the
// default Asio timers for real.
#include "realtime/AgentPresenceTracker.h"
#include "util/Clock.h"

#include <QTest>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace parley::server;
using namespace std::chrono_literals;

namespace {

// Grace timers on a ManualClock: advance() fires what has come due, in deadline order. With
// deliverCancelled, a cancelled timer still fires, as an Asio expiry that was already queued
// when the timer was cancelled does.
class ManualTimers {
public:
    explicit ManualTimers(ManualClock& clock)
        : m_clock(clock) {}
    bool deliverCancelled = false;

    AgentPresenceTracker::TimerFactory factory() {
        return [this](std::chrono::steady_clock::duration after, std::function<void()> onExpiry) {
            auto entry =
                std::make_shared<Entry>(Entry{m_clock.steadyNow() + after, std::move(onExpiry), true});
            m_entries.push_back(entry);
            return std::make_unique<Timer>(entry);
        };
    }

    void advance(std::chrono::milliseconds d) {
        m_clock.advance(d);
        std::vector<std::shared_ptr<Entry>> due;
        for (auto& e : m_entries)
            if (e->deadline <= m_clock.steadyNow() && (e->alive || deliverCancelled))
                due.push_back(e);
        std::erase_if(m_entries, [&](auto& e) { return std::find(due.begin(), due.end(), e) != due.end(); });
        std::sort(due.begin(), due.end(), [](auto& a, auto& b) { return a->deadline < b->deadline; });
        for (auto& e : due)
            e->onExpiry();
    }

    std::size_t running() const {
        return static_cast<std::size_t>(
            std::count_if(m_entries.begin(), m_entries.end(), [](auto& e) { return e->alive; }));
    }

private:
    struct Entry {
        std::chrono::steady_clock::time_point deadline;
        std::function<void()> onExpiry;
        bool alive;
    };
    class Timer final : public AgentPresenceTracker::GraceTimer {
    public:
        explicit Timer(std::shared_ptr<Entry> e)
            : m_entry(std::move(e)) {}
        ~Timer() override { m_entry->alive = false; }

    private:
        std::shared_ptr<Entry> m_entry;
    };

    ManualClock& m_clock;
    std::vector<std::shared_ptr<Entry>> m_entries;
};

} // namespace

class TestAgentPresence : public QObject {
    Q_OBJECT
private:
    boost::asio::io_context m_io;
    ManualClock m_clock;
    std::unique_ptr<ManualTimers> m_timersOwner;
    std::vector<std::string> m_lost;
    std::unique_ptr<AgentPresenceTracker> m_tracker;

    ManualTimers& timers() { return *m_timersOwner; }

private slots:
    void init() {
        m_lost.clear();
        m_timersOwner = std::make_unique<ManualTimers>(m_clock);
        m_tracker = std::make_unique<AgentPresenceTracker>(
            boost::asio::make_strand(m_io), 60s, [this](const std::string& id) { m_lost.push_back(id); },
            timers().factory());
    }
    void cleanup() {
        m_tracker.reset();
        m_timersOwner.reset();
    }

    void lostOnlyOnceTheGracePeriodHasRunOut() {
        m_tracker->connected("a1");
        QCOMPARE(m_tracker->connectionCount("a1"), 1);
        m_tracker->disconnected("a1");
        QVERIFY(m_tracker->graceRunning("a1"));
        timers().advance(59'999ms);
        QVERIFY(m_lost.empty());
        timers().advance(1ms);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
        QVERIFY(!m_tracker->graceRunning("a1"));
        timers().advance(120s);
        QCOMPARE(m_lost.size(), std::size_t(1)); // reported once
    }

    void reconnectWithinTheGracePeriodCancelsIt() {
        m_tracker->connected("a1");
        m_tracker->disconnected("a1");
        timers().advance(30s);
        m_tracker->connected("a1");
        QVERIFY(!m_tracker->graceRunning("a1"));
        QCOMPARE(timers().running(), std::size_t(0));
        timers().advance(120s);
        QVERIFY(m_lost.empty());
        // Gone again: a new, full grace period from now.
        m_tracker->disconnected("a1");
        timers().advance(59s);
        QVERIFY(m_lost.empty());
        timers().advance(1s);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
    }

    void severalConnectionsCountAsOnePresence() {
        m_tracker->connected("a1");
        m_tracker->connected("a1");
        m_tracker->disconnected("a1");
        QCOMPARE(m_tracker->connectionCount("a1"), 1);
        QVERIFY(!m_tracker->graceRunning("a1"));
        timers().advance(120s);
        QVERIFY(m_lost.empty());
        m_tracker->disconnected("a1");
        QVERIFY(m_tracker->graceRunning("a1"));
        m_tracker->disconnected("a1"); // a stray extra disconnect changes nothing
        QCOMPARE(m_tracker->connectionCount("a1"), 0);
        timers().advance(60s);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
    }

    void agentsAreIndependent() {
        m_tracker->connected("a1");
        m_tracker->connected("a2");
        m_tracker->disconnected("a1");
        timers().advance(30s);
        m_tracker->disconnected("a2");
        timers().advance(30s);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
        timers().advance(30s);
        QCOMPARE(m_lost, (std::vector<std::string>{"a1", "a2"}));
    }

    void startUpGraceForAgentsStillOnline() {
        m_tracker->startGrace({"a1", "a2"});
        timers().advance(10s);
        m_tracker->connected("a2"); // came back after the restart
        timers().advance(50s);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
        m_tracker->startGrace({"a2"}); // connected: no grace
        QVERIFY(!m_tracker->graceRunning("a2"));
    }

    // An agent online (or given a chat) with no connection here, say over REST alone: the grace
    // period runs as for one whose last connection closed, and a running one is not restarted.
    void watchArmsTheGraceForAnAgentWithNoConnection() {
        m_tracker->watch("a1");
        QVERIFY(m_tracker->graceRunning("a1"));
        timers().advance(40s);
        m_tracker->watch("a1"); // already running: still due at 60 s
        timers().advance(20s);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
        m_tracker->connected("a2");
        m_tracker->watch("a2"); // connected: nothing to wait for
        QVERIFY(!m_tracker->graceRunning("a2"));
        m_tracker->watch("a3");
        m_tracker->connected("a3"); // it connects in time
        timers().advance(120s);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
    }

    void stopCancelsEveryGracePeriod() {
        m_tracker->connected("a1");
        m_tracker->disconnected("a1");
        m_tracker->startGrace({"a2"});
        m_tracker->stop();
        timers().advance(120s);
        QVERIFY(m_lost.empty());
        m_tracker->connected("a3");
        m_tracker->disconnected("a3"); // after stop nothing is armed
        timers().advance(120s);
        QVERIFY(m_lost.empty());
    }

    void staleExpiryReportsNobody() {
        timers().deliverCancelled = true;
        m_tracker->connected("a1");
        m_tracker->disconnected("a1"); // first grace period: due at 60 s
        timers().advance(30s);
        m_tracker->connected("a1");
        m_tracker->disconnected("a1"); // second: due at 90 s
        timers().advance(30s);         // the first one's expiry arrives anyway
        QVERIFY(m_lost.empty());
        QVERIFY(m_tracker->graceRunning("a1"));
        timers().advance(30s);
        QCOMPARE(m_lost, std::vector<std::string>{"a1"});
    }

    // The default timers: Asio's, on the tracker's executor.
    void asioTimersByDefault() {
        boost::asio::io_context io;
        std::vector<std::string> lost;
        AgentPresenceTracker tracker(boost::asio::make_strand(io), 20ms,
                                     [&](const std::string& id) { lost.push_back(id); });
        boost::asio::post(io, [&] {
            tracker.connected("a1");
            tracker.disconnected("a1");
            tracker.connected("a2");
            tracker.disconnected("a2");
            tracker.connected("a2"); // back at once: never lost
            tracker.connected("a3");
            tracker.disconnected("a3"); // its grace ends last: once it is reported, a2's would have been
        });
        QTRY_VERIFY_WITH_TIMEOUT((io.run_for(5ms), lost.size() >= 2), 5000);
        QCOMPARE(lost, (std::vector<std::string>{"a1", "a3"}));
    }
};

QTEST_GUILESS_MAIN(TestAgentPresence)
#include "tst_agent_presence.moc"
