#include "realtime/RealtimeServer.h"

#include "app/ChatService.h"
#include "app/PresenceDirectory.h"
#include "realtime/AgentPresenceTracker.h"
#include "realtime/RealtimeHub.h"
#include "realtime/WsSession.h"
#include "util/Log.h"

#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <unistd.h>

namespace parley::server {

namespace net = boost::asio;

namespace {
// Store calls of the realtime side (hello, resume backlogs, lost agents) run here, never on an io
// thread. Two threads: enough for short snapshot reads, and a markAgentLost waiting for the store's
// writer does not hold up the others.
constexpr int kBlockingThreads = 2;
// How long stop() lets connections finish their close handshake before tearing them down.
constexpr std::chrono::milliseconds kCloseGrace{1000};
} // namespace

struct RealtimeServer::Impl {
    Impl(ChatService& chat, RealtimeOptions opts, net::io_context& io, InsightService* insights)
        : chat(chat)
        , options(std::move(opts))
        , io(io)
        , hubStrand(net::make_strand(io))
        , presence(hubStrand, options.agentGrace, [this](const std::string& agentId) { agentLost(agentId); })
        , hub(hubStrand, presence)
        , ctx{chat, hub, blocking, options, registry, insights} {}

    void agentLost(const std::string& agentId) {
        net::post(blocking, [this, agentId] {
            try {
                log::info("realtime: agent " + agentId + " gone past the grace period; marking it lost");
                chat.markAgentLost(agentId);
            } catch (const std::exception& e) {
                log::error("realtime: markAgentLost(" + agentId + ") failed: " + e.what());
                if (directory) // this node claimed it: let another node's grace try again
                    net::post(directoryThread, [this, agentId] { directory->releaseLost(agentId); });
            }
        });
    }

    // Several nodes: this node's heartbeat in the directory, and the grace period for the agents
    // that a dead node leaves with no connection anywhere. Runs on the directory thread.
    void heartbeat() {
        if (stopped)
            return;
        try {
            auto orphans = directory->heartbeat();
            if (!orphans.empty()) {
                log::info("realtime: " + std::to_string(orphans.size()) +
                          " agent(s) of a dead node get their grace period here");
                hub.post([this, orphans = std::move(orphans)] { presence.startGrace(orphans); });
            }
        } catch (const std::exception& e) {
            log::error(std::string("realtime: presence heartbeat failed: ") + e.what());
        }
        if (stopped)
            return;
        heartbeatTimer.expires_after(std::chrono::milliseconds(directory->heartbeatIntervalMs()));
        heartbeatTimer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec)
                heartbeat();
        });
    }

    // Every grace period, each agent the store has online or holding chats, and with no connection
    // here, gets the grace period (unless it runs already). Whatever else should have run it may be
    // gone: a node that took over a dead node's agent and died too, a claim answered from counts
    // that were out of date. So an agent connected nowhere is lost in the end, whatever died; one
    // connected on another node costs a claim that answers so. Runs on the blocking pool (a store
    // read), on a strand of its own so that stop() can cancel its timer.
    void rewatch() {
        if (stopped)
            return;
        try {
            auto watched = chat.agentsToWatchIds();
            hub.post([this, watched = std::move(watched)] { presence.startGrace(watched); });
        } catch (const std::exception& e) {
            log::warn(std::string("realtime: cannot read the agents to watch: ") + e.what());
        }
        armRewatch();
    }
    void armRewatch() {
        if (stopped)
            return;
        rewatchTimer.expires_after(
            std::max<std::chrono::steady_clock::duration>(options.agentGrace, std::chrono::seconds(1)));
        rewatchTimer.async_wait([this](const boost::system::error_code& ec) {
            if (!ec)
                rewatch();
        });
    }

    ChatService& chat;
    RealtimeOptions options;
    net::io_context& io; // outlives this: the composition root destroys it after us
    net::strand<net::io_context::executor_type> hubStrand;
    AgentPresenceTracker presence;
    RealtimeHub hub;
    SessionRegistry registry;
    net::thread_pool blocking{kBlockingThreads};
    SessionContext ctx;
    std::atomic<bool> accepting{false};
    bool started = false;
    std::atomic<bool> stopped{false};
    // Several nodes (issue 20): the presence directory's calls, in order, on one thread of their own.
    PresenceDirectory* directory = nullptr;
    net::thread_pool directoryThread{1};
    net::steady_timer heartbeatTimer{directoryThread.get_executor()};
    net::strand<net::thread_pool::executor_type> rewatchStrand{blocking.get_executor()};
    net::steady_timer rewatchTimer{rewatchStrand};
};

RealtimeServer::RealtimeServer(ChatService& chat, const Clock&, RealtimeOptions options, net::io_context& io,
                               InsightService* insights)
    : m_impl(std::make_unique<Impl>(chat, std::move(options), io, insights)) {}

RealtimeServer::~RealtimeServer() {
    stop();
}

void RealtimeServer::start() {
    auto& d = *m_impl;
    if (d.started)
        return;
    d.started = true;
    if (d.directory) { // the first heartbeat before any connection is counted
        d.presence.setDirectory(d.directory, d.directoryThread.get_executor());
        net::post(d.directoryThread, [&d] { d.heartbeat(); });
    }
    // After a restart nobody is connected: online agents, and agents offline by choice that
    // hold chats, get the grace period to come back.
    auto watched = d.chat.agentsToWatchIds();
    d.hub.post([&d, watched = std::move(watched)] { d.presence.startGrace(watched); });
    net::post(d.rewatchStrand, [&d] { d.armRewatch(); });
    d.accepting = true;
}

void RealtimeServer::acceptUpgrade(net::ip::tcp::socket&& socket,
                                   boost::beast::http::request<boost::beast::http::string_body>&& upgrade) {
    auto& d = *m_impl;
    if (!d.accepting) {
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }
    // The session moves to the hub's io_context: the hub routes a commit's events and writes
    // their frames on one thread, woken once, instead of waking each recipient's io thread.
    // With one io thread (--io-threads 1) it is there already.
    if (&net::query(socket.get_executor(), net::execution::context) == &d.io) {
        std::make_shared<WsSession>(std::move(socket), d.ctx)->start(std::move(upgrade));
        return;
    }
    boost::system::error_code ec;
    const auto protocol = socket.local_endpoint(ec).protocol();
    net::ip::tcp::socket::native_handle_type fd = -1;
    if (!ec)
        fd = socket.release(ec);
    if (ec) { // the peer is gone already
        log::info("realtime: an upgraded connection closed before its session began: " + ec.message());
        boost::system::error_code ignored;
        socket.close(ignored);
        return;
    }
    net::ip::tcp::socket onHub(d.io);
    onHub.assign(protocol, fd, ec);
    if (ec) {
        log::error("realtime: cannot move a connection to the hub's io thread: " + ec.message());
        ::close(fd);
        return;
    }
    std::make_shared<WsSession>(std::move(onHub), d.ctx)->start(std::move(upgrade));
}

void RealtimeServer::stop() {
    auto& d = *m_impl;
    if (!d.started || d.stopped)
        return;
    d.stopped = true;
    d.accepting = false;
    d.hub.post([&d] { d.presence.stop(); }); // stopping is not losing anybody
    for (auto& session : d.registry.snapshot())
        session->shutdown();
    if (!d.registry.waitEmpty(kCloseGrace))
        log::warn("realtime: " + std::to_string(d.registry.size()) + " connection(s) did not close in time");
    net::post(d.rewatchStrand, [&d] { d.rewatchTimer.cancel(); }); // else join() waits for it
    d.blocking.join();
    if (d.directory) {
        net::post(d.directoryThread, [&d] { d.heartbeatTimer.cancel(); });
        d.directoryThread.join();
    }
}

bool RealtimeServer::accepting() const {
    return m_impl->accepting.load();
}

void RealtimeServer::setPresenceDirectory(PresenceDirectory* directory) {
    m_impl->directory = directory;
}

void RealtimeServer::setCustomerConnections(CustomerConnections* customers) {
    m_impl->hub.setCustomerConnections(customers);
}

void RealtimeServer::setTypingRelay(EventSink* relay) {
    m_impl->ctx.typingRelay = relay;
}

EventSink& RealtimeServer::eventSink() {
    return m_impl->hub;
}

} // namespace parley::server
