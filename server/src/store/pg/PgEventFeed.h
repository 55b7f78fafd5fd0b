#pragma once
// Events across nodes (issue 20): the reading half of the transactional outbox. PgStore, with
// Options::eventOutbox, writes each group's committed events as one row of event_outbox in the
// group's own transaction and NOTIFYs parley_events (a doorbell, no payload: NOTIFY carries at
// most 8,000 bytes). This feed, one per node on a thread and a connection of its own, LISTENs;
// on a notification, or every pollInterval in case one was missed, it reads the rows past the
// last id it saw, in id order, and publishes them to the node's EventSink: the other nodes'
// events and this node's own, so that every node sees every event once, in commit order (ids are
// in commit order because groups hold the writer's advisory lock until COMMIT; a rolled-back
// group only leaves a gap). A lost connection is made again and reading goes on from the last id:
// nothing committed is lost, even when the node that committed it was killed right after.

#include "store/Event.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace parley::server {

namespace pg {
class Connection;
}

// The outbox row's payload: a JSON array of events (type, data, audience, conversation id, seq).
std::string encodeEvents(const std::vector<Event>& events);
// Throws std::exception on a payload that is not what encodeEvents writes.
std::vector<Event> decodeEvents(const std::string& payload);

inline constexpr const char* kEventChannel = "parley_events";
// Typing signals (never stored): NOTIFY parley_typing with {"node", "events"} as the payload; each
// other node's feed publishes them, the sending node already has.
inline constexpr const char* kEphemeralChannel = "parley_typing";

class PgEventFeed {
public:
    struct Options {
        std::chrono::milliseconds pollInterval{1000}; // reads even without a notification
        std::chrono::milliseconds retryInterval{500}; // between attempts to reconnect
        std::chrono::seconds keep{600};               // outbox rows older than this are pruned
        std::chrono::seconds pruneInterval{60};
        int batch = 500; // rows per read
    };
    using Publish = std::function<void(std::vector<Event>)>;

    // Connects and starts at the outbox's current end (a starting node has no clients yet): throws
    // pg::PgError when the database cannot be reached.
    PgEventFeed(std::string url, std::string nodeId, Publish publish, Options options);
    ~PgEventFeed(); // stop()
    void stop();

    // Set while the feed cannot read the outbox (GET /healthz answers 503 meanwhile).
    std::optional<std::string> unavailableReason() const;
    std::int64_t lastId() const;

private:
    void run();
    void readNew(); // publishes every row past m_last
    bool missedPruned(std::int64_t last);

    void listen();
    void takeNotifications();

    std::string m_url;
    std::string m_nodeId;
    std::unique_ptr<pg::Connection> m_connection; // the feed thread's
    Publish m_publish;
    Options m_options;
    int m_wakeFd = -1; // an eventfd: stop() wakes the thread out of poll()

    mutable std::mutex m_mutex;
    std::int64_t m_last = 0;
    bool m_checkGap = false;     // the feed thread's: look for missed pruned rows on the next read
    std::int64_t m_gapFloor = 0; // the last id handed out when the feed started
    std::optional<std::string> m_unavailable;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace parley::server
