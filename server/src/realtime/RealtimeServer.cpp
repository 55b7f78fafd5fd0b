#include "realtime/RealtimeServer.h"

#include "app/ChatService.h"
#include "realtime/AgentPresenceTracker.h"
#include "realtime/RealtimeHub.h"
#include "realtime/WsListener.h"
#include "realtime/WsSession.h"
#include "util/Log.h"
#include "util/Threads.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace parley::server {

namespace net = boost::asio;

namespace {
// Store calls of the realtime side (hello, resume backlogs, lost agents) run here, never on the io
// thread. Two threads: enough for short snapshot reads, and a markAgentLost waiting for the store's
// writer does not hold up the others.
constexpr int kBlockingThreads = 2;
// How long stop() lets connections finish their close handshake before tearing them down.
constexpr std::chrono::milliseconds kCloseGrace{1000};
} // namespace

struct RealtimeServer::Impl {
    Impl(ChatService& chat, RealtimeOptions opts)
        : chat(chat)
        , options(std::move(opts))
        , io(options.ioThreads > 0 ? options.ioThreads : 1)
        , hubStrand(net::make_strand(io))
        , presence(hubStrand, options.agentGrace, [this](const std::string& agentId) { agentLost(agentId); })
        , hub(hubStrand, presence)
        , ctx{chat, hub, blocking, options, registry} {}

    void agentLost(const std::string& agentId) {
        net::post(blocking, [this, agentId] {
            try {
                log::info("realtime: agent " + agentId + " gone past the grace period; marking it lost");
                chat.markAgentLost(agentId);
            } catch (const std::exception& e) {
                log::error("realtime: markAgentLost(" + agentId + ") failed: " + e.what());
            }
        });
    }

    ChatService& chat;
    RealtimeOptions options;
    // Declaration order is destruction order in reverse: the io_context outlives everything that
    // holds sockets or timers, and the pool dies first so its pending jobs release sessions while
    // their io_context still exists.
    net::io_context io;
    net::strand<net::io_context::executor_type> hubStrand;
    AgentPresenceTracker presence;
    RealtimeHub hub;
    SessionRegistry registry;
    net::thread_pool blocking{kBlockingThreads};
    SessionContext ctx;
    std::shared_ptr<WsListener> listener;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    std::atomic<bool> accepting{false};
    bool started = false;
    bool stopped = false;
};

RealtimeServer::RealtimeServer(ChatService& chat, const Clock&, RealtimeOptions options)
    : m_impl(std::make_unique<Impl>(chat, std::move(options))) {}

RealtimeServer::~RealtimeServer() {
    stop();
}

void RealtimeServer::start() {
    auto& d = *m_impl;
    if (d.started)
        return;
    d.listener = std::make_shared<WsListener>(d.io, d.ctx);
    d.listener->listen(d.options.host, d.options.port, d.options.listenBacklog); // throws
    d.started = true;

    // After a restart nobody is connected: online agents get the grace period to come back.
    auto online = d.chat.onlineAgentIds();
    d.hub.post([&d, online = std::move(online)] { d.presence.startGrace(online); });

    d.listener->run();
    d.work.emplace(d.io.get_executor());
    const int n = d.options.ioThreads > 0 ? d.options.ioThreads : 1;
    for (int i = 0; i < n; ++i)
        d.threads.emplace_back([&d] {
            threads::nameThisThread("ws-io");
            for (;;) {
                try {
                    d.io.run();
                    return;
                } catch (const std::exception& e) {
                    // A handler must not take the whole listener down with it.
                    log::error(std::string("realtime: unexpected exception on the io thread: ") + e.what());
                }
            }
        });
    d.accepting = true; // bound and listening: connections queue in the backlog from now on
    log::info("realtime: WebSocket listener on ws://" + d.options.host + ":" + std::to_string(port()) +
              "/ws");
}

void RealtimeServer::stop() {
    auto& d = *m_impl;
    if (!d.started || d.stopped)
        return;
    d.stopped = true;
    d.accepting = false;
    d.listener->stop();
    d.hub.post([&d] { d.presence.stop(); }); // stopping is not losing anybody
    for (auto& session : d.registry.snapshot())
        session->shutdown();
    if (!d.registry.waitEmpty(kCloseGrace))
        log::warn("realtime: " + std::to_string(d.registry.size()) + " connection(s) did not close in time");
    d.work.reset();
    d.io.stop();
    for (auto& t : d.threads)
        t.join();
    d.threads.clear();
    d.blocking.join();
}

bool RealtimeServer::accepting() const {
    return m_impl->accepting.load();
}

std::uint16_t RealtimeServer::port() const {
    return m_impl->listener ? m_impl->listener->port() : 0;
}

EventSink& RealtimeServer::eventSink() {
    return m_impl->hub;
}

} // namespace parley::server
