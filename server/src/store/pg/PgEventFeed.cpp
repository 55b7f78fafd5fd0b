#include "store/pg/PgEventFeed.h"

#include "store/pg/PgConnection.h"
#include "util/Log.h"
#include "util/Threads.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace parley::server {

using json = nlohmann::json;

std::string encodeEvents(const std::vector<Event>& events) {
    json out = json::array();
    for (const auto& e : events) {
        json audience = json::object();
        if (e.audience.customerSessionId)
            audience["customer_session_id"] = *e.audience.customerSessionId;
        if (!e.audience.agentIds.empty())
            audience["agent_ids"] = e.audience.agentIds;
        if (e.audience.allAgents)
            audience["all_agents"] = true;
        if (e.audience.watchersOf)
            audience["watchers_of"] = *e.audience.watchersOf;
        json one{{"type", e.type}, {"data", e.frameData()}, {"audience", std::move(audience)}};
        if (!e.conversationId.empty())
            one["conversation_id"] = e.conversationId;
        if (e.seq != 0)
            one["seq"] = e.seq;
        out.push_back(std::move(one));
    }
    // Stored text is valid UTF-8 already; replace rather than fail a committed group just in case.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<Event> decodeEvents(const std::string& payload) {
    const auto in = json::parse(payload);
    if (!in.is_array())
        throw std::invalid_argument("an outbox payload is not a JSON array");
    std::vector<Event> events;
    events.reserve(in.size());
    for (const auto& one : in) {
        Event e;
        e.type = one.at("type").get<std::string>();
        e.data = one.value("data", json::object());
        const auto& a = one.at("audience");
        if (auto it = a.find("customer_session_id"); it != a.end())
            e.audience.customerSessionId = it->get<std::string>();
        if (auto it = a.find("agent_ids"); it != a.end())
            e.audience.agentIds = it->get<std::vector<std::string>>();
        e.audience.allAgents = a.value("all_agents", false);
        if (auto it = a.find("watchers_of"); it != a.end())
            e.audience.watchersOf = it->get<std::string>();
        e.conversationId = one.value("conversation_id", "");
        e.seq = one.value("seq", std::int64_t(0));
        events.push_back(std::move(e));
    }
    return events;
}

PgEventFeed::PgEventFeed(std::string url, std::string nodeId, Publish publish, Options options)
    : m_url(std::move(url))
    , m_nodeId(std::move(nodeId))
    , m_publish(std::move(publish))
    , m_options(options) {
    m_connection = std::make_unique<pg::Connection>(m_url);
    // LISTEN before reading where to start: a row committed in between rings the bell.
    listen();
    // From the last committed row; the ids handed out before this start (up to the sequence's
    // value) are never taken for pruned ones: one may still commit, and an empty, pruned outbox
    // must not read as a gap.
    const auto start = m_connection->query(
        "SELECT COALESCE(MAX(id), 0), (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
        "FROM event_outbox_id_seq) FROM event_outbox");
    m_last = start.int64(0, 0);
    m_gapFloor = start.int64(0, 1);
    m_wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_wakeFd < 0)
        throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    m_thread = std::thread([this] {
        threads::nameThisThread("event-feed");
        run();
    });
}

PgEventFeed::~PgEventFeed() {
    stop();
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

void PgEventFeed::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    const std::uint64_t one = 1;
    if (m_wakeFd >= 0) [[maybe_unused]]
        auto n = ::write(m_wakeFd, &one, sizeof one);
    if (m_thread.joinable())
        m_thread.join();
}

std::optional<std::string> PgEventFeed::unavailableReason() const {
    std::lock_guard lock(m_mutex);
    return m_unavailable;
}

std::int64_t PgEventFeed::lastId() const {
    std::lock_guard lock(m_mutex);
    return m_last;
}

// Whether rows past `last` were pruned before this feed read them: the oldest id left (or, with
// none left, the next id to be handed out) is beyond last + 1. Rows are pruned oldest first and
// this feed's own last row stays for minutes, so while it keeps up the answer is no; a rolled-back
// group's id right after ours, once everything older is pruned, reads as a gap too (a reload for
// nothing, rare).
bool PgEventFeed::missedPruned(std::int64_t last) {
    const auto next = m_connection->query(
        "SELECT COALESCE((SELECT min(id) FROM event_outbox), (SELECT CASE WHEN is_called THEN last_value + 1 "
        "ELSE last_value END FROM event_outbox_id_seq))");
    return next.int64(0, 0) > std::max(last, m_gapFloor) + 1;
}

void PgEventFeed::readNew() {
    for (;;) {
        std::int64_t last;
        {
            std::lock_guard lock(m_mutex);
            last = m_last;
        }
        auto rows =
            m_connection->query("SELECT id, payload FROM event_outbox WHERE id > $1 ORDER BY id LIMIT $2",
                                {last, m_options.batch});
        // Checked after a reconnect, now and then (a node paused with its connection kept), and
        // when the first new row leaves a hole after ours.
        if (m_checkGap || (rows.rows() > 0 && rows.int64(0, 0) > last + 1)) {
            if (missedPruned(last)) {
                log::warn("event feed: outbox rows after id " + std::to_string(last) +
                          " were pruned before this node read them; reloading what it caches");
                m_publish({Event{kOutboxGap, json::object(), Audience{}, {}, 0}});
            }
            m_checkGap = false; // only once the caches heard of it: a throw above checks again
        }
        if (rows.rows() == 0)
            return;
        std::vector<Event> events;
        for (int i = 0; i < rows.rows(); ++i) {
            try {
                auto decoded = decodeEvents(rows.text(i, 1));
                std::move(decoded.begin(), decoded.end(), std::back_inserter(events));
            } catch (const std::exception& e) { // one bad row must not stop the feed for good
                log::error("event feed: outbox row " + rows.text(i, 0) + " cannot be read: " + e.what());
            }
        }
        {
            std::lock_guard lock(m_mutex);
            m_last = rows.int64(rows.rows() - 1, 0);
        }
        if (!events.empty())
            m_publish(std::move(events));
        if (rows.rows() < m_options.batch)
            return;
    }
}

void PgEventFeed::listen() {
    m_connection->exec(std::string("LISTEN ") + kEventChannel + "; LISTEN " + kEphemeralChannel);
}

void PgEventFeed::takeNotifications() {
    std::vector<Event> typing;
    for (auto& n : m_connection->takeNotifications()) {
        if (n.channel != kEphemeralChannel)
            continue; // the doorbell: the next read finds the rows
        try {
            const auto in = json::parse(n.payload);
            if (in.value("node", "") == m_nodeId)
                continue; // this node delivered it already
            auto events = decodeEvents(in.at("events").dump());
            std::move(events.begin(), events.end(), std::back_inserter(typing));
        } catch (const std::exception& e) {
            log::warn(std::string("event feed: a typing notification cannot be read: ") + e.what());
        }
    }
    if (!typing.empty())
        m_publish(std::move(typing));
}

void PgEventFeed::run() {
    bool listening = true; // the constructor's connection listens already
    auto nextPrune = std::chrono::steady_clock::now() + m_options.pruneInterval;
    for (;;) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping)
                return;
        }
        auto wait = m_options.pollInterval;
        try {
            if (!listening) {
                m_connection->reconnect();
                listen();
                listening = true;
                m_checkGap = true; // cut off for longer than the outbox keeps rows?
                log::info("event feed: reading the outbox again from id " + std::to_string(lastId()));
            }
            readNew();
            {
                std::lock_guard lock(m_mutex);
                m_unavailable.reset();
            }
            if (std::chrono::steady_clock::now() >= nextPrune) {
                // Any node may prune; each does it rarely, on an index, so it stays cheap.
                m_connection->query(
                    "DELETE FROM event_outbox WHERE created_at < now() - make_interval(secs => $1)",
                    {static_cast<long long>(m_options.keep.count())});
                nextPrune = std::chrono::steady_clock::now() + m_options.pruneInterval;
                m_checkGap = true; // the next read looks for rows pruned before it read them
            }
        } catch (const std::exception& e) {
            {
                std::lock_guard lock(m_mutex);
                if (!m_unavailable)
                    log::error(std::string("event feed: the outbox cannot be read: ") + e.what());
                m_unavailable = std::string("the event outbox cannot be read: ") + e.what();
            }
            listening = false; // a new connection and LISTEN, then on from the last id
            wait = m_options.retryInterval;
        }

        pollfd fds[2] = {{m_wakeFd, POLLIN, 0}, {listening ? m_connection->socket() : -1, POLLIN, 0}};
        const int ready = ::poll(fds, 2, static_cast<int>(wait.count()));
        if (ready > 0 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP))) {
            try {
                takeNotifications(); // whatever rang, the next read finds it
            } catch (const std::exception& e) {
                std::lock_guard lock(m_mutex);
                m_unavailable = std::string("the event outbox cannot be read: ") + e.what();
                log::error(*m_unavailable);
                listening = false;
            }
        }
    }
}

} // namespace parley::server
