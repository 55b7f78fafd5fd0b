#include "realtime/WsSession.h"

#include "realtime/ClientFrame.h"

#include "app/ApiError.h"
#include "app/ChatService.h"
#include "app/InsightService.h"
#include "parley/protocol/Codec.h"
#include "parley/protocol/Errors.h"
#include "parley/protocol/Events.h"
#include "util/Json.h"
#include "util/Log.h"

#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>

namespace parley::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace events = protocol::events;
namespace errors = protocol::errors;
using json = nlohmann::json;

namespace {

constexpr std::size_t kKeepReadBufferBytes = 16 * 1024; // larger read buffers are given back

// Pings go out after half the idle time without traffic; a peer silent for the whole idle time (no
// pong either) is dropped. This is the contract's "no ping answered for 30 s". `delay` arms the
// first ping that much later (see spreadFirstPing).
websocket::stream_base::timeout idleTimeouts(const RealtimeOptions& options,
                                             std::chrono::milliseconds delay = {}) {
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = options.handshakeTimeout;
    timeouts.idle_timeout = options.idleTimeout + 2 * delay; // Beast arms its timer at half of it
    timeouts.keep_alive_pings = true;
    return timeouts;
}

// A fraction in [0, 1) per connection id; consecutive ids spread evenly (golden-ratio sequence).
double spreadFraction(std::uint64_t id) {
    constexpr double kGoldenFraction = 0.6180339887498949;
    const double x = static_cast<double>(id) * kGoldenFraction;
    return x - static_cast<double>(static_cast<std::uint64_t>(x));
}

std::shared_ptr<const std::string> errorFrame(const std::string& code, const std::string& message) {
    return RealtimeHub::serialize(
        {{"type", events::kError}, {"data", {{"code", code}, {"message", message}}}});
}

} // namespace

// --- registry ---------------------------------------------------------------------------------

std::uint64_t SessionRegistry::add(const std::shared_ptr<WsSession>& s) {
    std::lock_guard lock(m_mutex);
    const auto id = m_nextId++;
    m_sessions.emplace(id, s);
    return id;
}

void SessionRegistry::remove(std::uint64_t id) {
    std::lock_guard lock(m_mutex);
    if (m_sessions.erase(id) > 0 && m_sessions.empty())
        m_emptied.notify_all();
}

std::vector<std::shared_ptr<WsSession>> SessionRegistry::snapshot() const {
    std::lock_guard lock(m_mutex);
    std::vector<std::shared_ptr<WsSession>> out;
    out.reserve(m_sessions.size());
    for (const auto& [id, weak] : m_sessions)
        if (auto s = weak.lock())
            out.push_back(std::move(s));
    return out;
}

std::size_t SessionRegistry::size() const {
    std::lock_guard lock(m_mutex);
    return m_sessions.size();
}

bool SessionRegistry::waitEmpty(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_mutex);
    return m_emptied.wait_for(lock, timeout, [this] { return m_sessions.empty(); });
}

// --- session ----------------------------------------------------------------------------------

WsSession::WsSession(net::ip::tcp::socket&& socket, SessionContext& ctx)
    : m_ctx(ctx)
    , m_ws(std::move(socket))
    , m_helloTimer(m_ws.get_executor())
    , m_resumeWindowTimer(m_ws.get_executor()) {}

WsSession::~WsSession() = default;

template <typename F>
void WsSession::postToSelf(F&& f) {
    net::post(m_ws.get_executor(), std::forward<F>(f));
}

void WsSession::start(UpgradeRequest upgrade) {
    m_id = m_ctx.registry.add(shared_from_this());
    postToSelf([self = shared_from_this(), upgrade = std::move(upgrade)]() mutable {
        if (self->m_state != State::Upgrading) // shut down meanwhile
            return;
        auto& stream = beast::get_lowest_layer(self->m_ws);
        beast::error_code ec;
        // Small interactive frames: never wait for Nagle.
        stream.socket().set_option(net::ip::tcp::no_delay(true), ec);
        stream.expires_never(); // the websocket stream's own timeouts take over
        self->m_ws.set_option(idleTimeouts(self->m_ctx.options));
        self->m_ws.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "parley-server"); }));
        self->m_ws.read_message_max(self->m_ctx.options.maxMessageBytes);
        self->m_ws.auto_fragment(false);
        self->m_upgrade.emplace(std::move(upgrade));
        self->m_ws.async_accept(*self->m_upgrade,
                                beast::bind_front_handler(&WsSession::onAccepted, self->shared_from_this()));
    });
}

void WsSession::onAccepted(beast::error_code ec) {
    m_upgrade.reset();
    m_buffer = beast::flat_buffer{};
    if (ec || m_state != State::Upgrading) {
        finish();
        return;
    }
    m_state = State::AwaitHello;
    m_helloTimer.expires_after(m_ctx.options.helloTimeout);
    m_helloTimer.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || self->m_state != State::AwaitHello)
            return;
        self->fail(errors::kUnauthorized, "No hello frame within the deadline. Send "
                                          "{\"type\":\"hello\",\"token\":TOKEN} first.");
    });
    doRead();
}

// --- reading ----------------------------------------------------------------------------------

void WsSession::doRead() {
    if (m_reading || m_busy || (m_state != State::AwaitHello && m_state != State::Ready))
        return;
    m_reading = true;
    m_ws.async_read(m_buffer, beast::bind_front_handler(&WsSession::onRead, shared_from_this()));
}

void WsSession::onRead(beast::error_code ec, std::size_t) {
    m_reading = false;
    if (ec) {
        // Peer closed, timed out (no pong), sent something oversized, or we closed the socket.
        finish();
        return;
    }
    const bool isText = m_ws.got_text();
    std::string text = beast::buffers_to_string(m_buffer.data());
    m_buffer.consume(m_buffer.size());
    if (m_buffer.capacity() > kKeepReadBufferBytes)
        m_buffer.shrink_to_fit(); // one large frame must not pin its buffer for the connection's life
    if (m_state == State::AwaitHello)
        handleHello(text, isText);
    else if (m_state == State::Ready)
        handleFrame(text, isText);
    doRead();
}

void WsSession::handleHello(std::string_view text, bool isText) {
    auto token = decodeHelloFrame(text, isText);
    if (!token) {
        fail(errors::kInvalidRequest, "The first frame must be {\"type\":\"hello\",\"token\":TOKEN}.");
        return;
    }
    m_helloTimer.cancel();
    m_state = State::Authenticating;
    m_busy = true;
    net::post(m_ctx.blocking, [self = shared_from_this(), token = std::move(*token)] {
        // authenticate() re-reads agents from the store: off the io thread.
        try {
            Caller caller = self->m_ctx.chat.authenticate(token);
            self->postToSelf(
                [self, caller = std::move(caller)]() mutable { self->onAuthenticated(std::move(caller)); });
        } catch (const ApiError& e) {
            self->postToSelf([self, code = e.code(), msg = std::string(e.what())] { self->fail(code, msg); });
        } catch (const std::exception& e) {
            log::error(std::string("realtime: hello failed: ") + e.what());
            self->postToSelf([self] { self->fail(errors::kInternal, "Internal error."); });
        }
    });
}

void WsSession::onAuthenticated(Caller caller) {
    if (m_state != State::Authenticating)
        return; // closed meanwhile
    m_caller = caller;
    m_attached = true;
    // Attach first, read the snapshot second: an event committed after the snapshot is then
    // certain to reach this connection (it is held until hello.ok has gone out).
    auto load = [self = shared_from_this(), caller] {
        net::post(self->m_ctx.blocking, [self, caller] { self->loadHello(caller); });
    };
    if (const auto* customer = std::get_if<CustomerIdentity>(&caller))
        m_ctx.hub.attachCustomer(shared_from_this(), customer->sessionId, std::move(load));
    else
        m_ctx.hub.attachAgent(shared_from_this(), std::get<AgentIdentity>(caller).agentId, std::move(load));
}

void WsSession::loadHello(Caller caller) {
    try {
        json data;
        if (const auto* customer = std::get_if<CustomerIdentity>(&caller)) {
            auto conversation = m_ctx.chat.openConversationOf(customer->sessionId);
            data = {{"role", "customer"},
                    {"customer_session_id", customer->sessionId},
                    {"conversation", conversation ? json(*conversation) : json(nullptr)}};
        } else {
            auto agent = m_ctx.chat.agentOfSession(std::get<AgentIdentity>(caller));
            data = {{"role", std::string(protocol::toString(agent.role))}, {"agent", agent}};
        }
        auto text = RealtimeHub::serialize({{"type", events::kHelloOk}, {"data", std::move(data)}});
        postToSelf([self = shared_from_this(), text = std::move(text)] { self->onHelloReady(text); });
    } catch (const ApiError& e) {
        postToSelf([self = shared_from_this(), code = e.code(), msg = std::string(e.what())] {
            self->fail(code, msg);
        });
    } catch (const std::exception& e) {
        log::error(std::string("realtime: hello failed: ") + e.what());
        postToSelf([self = shared_from_this()] { self->fail(errors::kInternal, "Internal error."); });
    }
}

void WsSession::onHelloReady(std::shared_ptr<const std::string> helloOk) {
    if (m_state != State::Authenticating)
        return;
    m_state = State::Ready;
    enqueue(std::move(helloOk), false);
    m_busy = false;
    openResumeWindow();
    flushHeld(); // events committed since attaching, in order, after hello.ok
    spreadFirstPing();
}

// Beast arms a connection's idle timer when a read starts and re-arms it every half idle time,
// so connections that say hello together (every open widget of a store after a server restart,
// or a load test) would be pinged together for as long as they stay: the benchmark's 10,000 in
// under two seconds, every 15 s, on the one io thread, which delayed the messages delivered
// meanwhile (bench/README.md). The read that starts after hello.ok arms the first ping later by
// up to half the idle time instead, a fraction spread evenly over consecutive connections; Beast
// re-arms from the current option, restored at once. A silent peer is still dropped no sooner
// than the idle time, as the contract says, and at most half of it later.
void WsSession::spreadFirstPing() {
    const auto halfIdle =
        std::chrono::duration_cast<std::chrono::milliseconds>(m_ctx.options.idleTimeout) / 2;
    const auto delay = std::chrono::milliseconds(
        static_cast<std::int64_t>(spreadFraction(m_id) * static_cast<double>(halfIdle.count())));
    m_ws.set_option(idleTimeouts(m_ctx.options, delay));
    doRead(); // arms the timer from the option above
    m_ws.set_option(idleTimeouts(m_ctx.options));
}

void WsSession::handleFrame(std::string_view text, bool isText) {
    auto frame = decodeClientFrame(text, isText);
    if (auto* error = std::get_if<FrameError>(&frame)) {
        sendError(error->code, error->message);
        return;
    }
    if (auto* typing = std::get_if<TypingFrame>(&frame)) {
        handleTyping(std::move(typing->conversationId));
        return;
    }
    auto& resume = std::get<ResumeFrame>(frame);
    startResume(std::move(resume.conversationId), resume.afterSeq);
}

// A typing signal: checked (and dropped past one a second) off the io thread, never stored, and
// handed straight to the hub. Reads pause meanwhile, so a connection has one check in flight.
void WsSession::handleTyping(std::string conversationId) {
    if (!m_ctx.insights) {
        sendError(errors::kInvalidRequest, "Unknown frame type \"typing\".");
        return;
    }
    m_busy = true;
    net::post(m_ctx.blocking,
              [self = shared_from_this(), caller = *m_caller, conversationId = std::move(conversationId)] {
                  std::optional<std::pair<std::string, std::string>> failure;
                  try {
                      if (auto event = self->m_ctx.insights->typing(caller, conversationId)) {
                          if (self->m_ctx.typingRelay) // never stored, so not in the event outbox
                              self->m_ctx.typingRelay->publish({*event});
                          self->m_ctx.hub.publish({std::move(*event)});
                      }
                  } catch (const ApiError& e) {
                      failure.emplace(e.code(), e.what());
                  } catch (const std::exception& e) {
                      log::error(std::string("realtime: typing failed: ") + e.what());
                      failure.emplace(errors::kInternal, "Internal error.");
                  }
                  self->postToSelf([self, failure = std::move(failure)] {
                      if (self->m_state != State::Ready)
                          return;
                      if (failure)
                          self->sendError(failure->first, failure->second);
                      self->m_busy = false;
                      self->doRead();
                  });
              });
}

void WsSession::startResume(std::string conversationId, std::int64_t afterSeq) {
    const bool existed = m_seqs.contains(conversationId);
    // Messages this connection already sent right after afterSeq need not be read again.
    const std::int64_t from = existed ? m_seqs[conversationId].sentThrough(afterSeq) : afterSeq;
    // Hold live events from now until the backlog is out; reads pause so resumes never overlap.
    m_resuming = true;
    m_busy = true;
    auto caller = *m_caller;
    auto load = [self = shared_from_this(), caller, conversationId, from, existed] {
        net::post(self->m_ctx.blocking, [self, caller, conversationId, from, existed] {
            self->loadBacklog(caller, conversationId, from, existed);
        });
    };
    if (std::holds_alternative<AgentIdentity>(caller)) {
        // Any agent may watch any conversation: subscribe before reading, so that every message
        // committed after the backlog's snapshot is routed here (no gap).
        m_ctx.hub.watch(shared_from_this(), conversationId, std::move(load));
    } else {
        load(); // a customer already receives every event of its own conversations
    }
}

void WsSession::loadBacklog(Caller caller, std::string conversationId, std::int64_t fromSeq, bool existed) {
    // Permission exactly as REST: a customer's foreign or unknown conversation is not_found.
    try {
        auto messages = m_ctx.chat.messagesAfter(caller, conversationId, fromSeq);
        postToSelf([self = shared_from_this(), conversationId = std::move(conversationId), fromSeq,
                    messages = std::move(messages)]() mutable {
            self->onBacklog(std::move(conversationId), fromSeq, std::move(messages));
        });
    } catch (const ApiError& e) {
        postToSelf([self = shared_from_this(), conversationId = std::move(conversationId), existed,
                    code = e.code(), msg = std::string(e.what())]() mutable {
            self->onResumeFailed(std::move(conversationId), existed, code, msg);
        });
    } catch (const std::exception& e) {
        log::error(std::string("realtime: resume failed: ") + e.what());
        postToSelf([self = shared_from_this(), conversationId = std::move(conversationId),
                    existed]() mutable {
            self->onResumeFailed(std::move(conversationId), existed, errors::kInternal, "Internal error.");
        });
    }
}

void WsSession::onBacklog(std::string conversationId, std::int64_t fromSeq,
                          std::vector<protocol::Message> messages) {
    if (m_state != State::Ready)
        return;
    auto& seqs = m_seqs[conversationId];
    // The client has everything through fromSeq (its after_seq, or what this connection sent right
    // after it): a live copy of one of those, late from this node's feed, is dropped.
    seqs.knownThrough(fromSeq);
    for (const auto& m : messages) {
        // Whatever this connection already sent (live before the resume was read, or through an
        // earlier resume) is not sent again; the rest goes out in seq order.
        if (seqs.contains(m.seq))
            continue;
        // The backlog is bounded by the conversation, not by the reader's speed: it does not count
        // against the send-queue limit (else a long history could never be resumed).
        if (!enqueue(RealtimeHub::serialize({{"type", events::kMessageCreated}, {"data", {{"message", m}}}}),
                     false))
            return;
        seqs.add(m.seq);
    }
    markResumed(conversationId);
    resumeReading();
}

void WsSession::markResumed(const std::string& conversationId) {
    if (!m_inResumeWindow)
        return;
    m_resumedInWindow.insert(conversationId);
    releaseWaiting(&conversationId); // after the backlog, ahead of what was held meanwhile
}

void WsSession::onResumeFailed(std::string conversationId, bool existed, std::string code,
                               std::string message) {
    if (m_state != State::Ready)
        return;
    if (m_caller && std::holds_alternative<AgentIdentity>(*m_caller))
        m_ctx.hub.unwatch(m_id, conversationId);
    if (!existed)
        m_seqs.erase(conversationId);
    markResumed(conversationId);
    sendError(code, message);
    resumeReading();
}

void WsSession::resumeReading() {
    m_resuming = false;
    m_busy = false;
    flushHeld();
    doRead();
}

// --- events -----------------------------------------------------------------------------------

void WsSession::deliver(std::vector<OutFrame> frames) {
    postToSelf([self = shared_from_this(), frames = std::move(frames)]() mutable {
        self->onFrames(std::move(frames));
    });
}

void WsSession::onFrames(std::vector<OutFrame> frames) {
    for (auto& f : frames) {
        if (m_state == State::Closing || m_state == State::Closed)
            return;
        if ((f.endsAgentSessions || f.endsCustomerSession) && m_inResumeWindow)
            closeResumeWindow(); // what waits goes out before the connection is closed
        if (f.endsAgentSessions) {
            const auto* agent = m_caller ? std::get_if<AgentIdentity>(&*m_caller) : nullptr;
            if (agent && agent->sessionId != f.keepSessionId)
                fail(errors::kUnauthorized, "This sign-in has ended (the password or the role changed, or "
                                            "the agent was disabled). Sign in again.");
            continue;
        }
        if (f.missedEvents) {
            // What is held or queued is incomplete: the client's resume after its reconnect
            // reads it all from the database.
            m_state = State::Closing;
            m_helloTimer.cancel();
            m_closeCode = websocket::close_code::going_away; // as at shutdown: clients reconnect
            m_closeReason = "events missed: reconnect and resume";
            m_closeAfterFlush = true;
            if (!m_writing)
                startClose();
            return;
        }
        if (f.endsCustomerSession) {
            if (m_caller && std::holds_alternative<CustomerIdentity>(*m_caller))
                fail(errors::kUnauthorized, "This chat has ended: the shop erased its data.",
                     "customer data erased");
            continue;
        }
        if (m_state != State::Ready || m_resuming) {
            m_heldBytes += f.text->size();
            if (m_heldBytes + m_queuedBytes > m_ctx.options.maxSendQueueBytes) {
                abort("held events over the send-queue limit");
                return;
            }
            m_held.push_back(std::move(f));
        } else {
            deliverLive(std::move(f));
        }
    }
}

void WsSession::sendLive(const OutFrame& f) {
    if (f.seq > 0) {
        auto& seqs = m_seqs[f.conversationId];
        // Already sent (by a resume backlog or another route), or older than what the client has
        // (a lagging feed catching up after a resume): never twice, never out of order.
        if (f.seq <= seqs.highest())
            return;
        seqs.add(f.seq);
    }
    if (!enqueue(f.text, true))
        return;
    if (f.closesConversation)
        rememberClosed(f.conversationId);
}

// A closed conversation gets no new message, but a resume of it on this connection must still
// send nothing twice, so its record stays. Only the last kMaxClosedRemembered closed conversations
// are kept, so a connection that lives for a whole shift does not grow without bound; a resume of
// an older one sends its history again.
void WsSession::rememberClosed(const std::string& conversationId) {
    if (std::find(m_closedOrder.begin(), m_closedOrder.end(), conversationId) != m_closedOrder.end())
        return;
    m_closedOrder.push_back(conversationId);
    if (m_closedOrder.size() > kMaxClosedRemembered) {
        m_seqs.erase(m_closedOrder.front());
        m_closedOrder.pop_front();
    }
}

void WsSession::flushHeld() {
    auto held = std::move(m_held);
    m_held.clear();
    m_heldBytes = 0;
    for (auto& f : held) {
        if (m_state != State::Ready)
            return;
        deliverLive(std::move(f));
    }
}

// A client that reconnects says hello, waits for hello.ok, then resumes its conversations. A
// message committed in between would go out live before the resume's backlog, out of seq order
// (and not again in the backlog: never twice). So for a short while after hello.ok, the new
// messages of a conversation this connection has not resumed yet wait (and its chat.closed, behind
// them); its resume sends the backlog, then them (each once); when the window closes, or before
// the connection is closed for an ended session, whatever still waits goes out. Other events are
// not held, and a client that resumes nothing gets its first messages at most one window late.
void WsSession::openResumeWindow() {
    if (m_ctx.options.resumeWindow.count() <= 0)
        return;
    m_inResumeWindow = true;
    m_resumeWindowTimer.expires_after(m_ctx.options.resumeWindow);
    m_resumeWindowTimer.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec || self->m_state != State::Ready || !self->m_inResumeWindow)
            return;
        self->closeResumeWindow();
    });
}

void WsSession::deliverLive(OutFrame frame) {
    // message.created and chat.closed name their conversation; chat.closed waits behind the
    // messages it closes.
    if (m_inResumeWindow && !frame.conversationId.empty() &&
        !m_resumedInWindow.contains(frame.conversationId)) {
        // A burst bigger than a quarter of the send queue closes the window early: order is worth
        // a short wait, not dropping a healthy client (a slow one is dropped by the queue itself).
        if (m_waitingBytes + frame.text->size() <= m_ctx.options.maxSendQueueBytes / 4) {
            m_waitingBytes += frame.text->size();
            m_waiting.push_back(std::move(frame));
            return;
        }
        closeResumeWindow();
    }
    sendLive(frame);
}

void WsSession::closeResumeWindow() {
    m_inResumeWindow = false;
    m_resumedInWindow.clear();
    m_resumeWindowTimer.cancel();
    releaseWaiting(nullptr);
}

// The waiting messages of one conversation (or all) go out, in order; during a resume they go
// ahead of the events held meanwhile, which are newer.
void WsSession::releaseWaiting(const std::string* conversationId) {
    std::vector<OutFrame> release;
    std::vector<OutFrame> keep;
    m_waitingBytes = 0;
    for (auto& f : m_waiting) {
        if (!conversationId || f.conversationId == *conversationId) {
            release.push_back(std::move(f));
        } else {
            m_waitingBytes += f.text->size();
            keep.push_back(std::move(f));
        }
    }
    m_waiting = std::move(keep);
    if (m_resuming) {
        for (const auto& f : release)
            m_heldBytes += f.text->size();
        m_held.insert(m_held.begin(), std::make_move_iterator(release.begin()),
                      std::make_move_iterator(release.end()));
        return;
    }
    for (auto& f : release) {
        if (m_state != State::Ready)
            return;
        deliverLive(std::move(f));
    }
}

// --- writing ----------------------------------------------------------------------------------

void WsSession::sendError(const std::string& code, const std::string& message) {
    enqueue(errorFrame(code, message), true);
}

void WsSession::fail(const std::string& code, const std::string& message, std::string closeReason) {
    if (m_state == State::Closing || m_state == State::Closed)
        return;
    m_helloTimer.cancel();
    enqueue(errorFrame(code, message), false);
    m_state = State::Closing;
    m_closeCode = websocket::close_code::policy_error;
    m_closeReason = std::move(closeReason);
    m_closeAfterFlush = true;
    if (!m_writing)
        startClose();
}

bool WsSession::enqueue(std::shared_ptr<const std::string> text, bool counted) {
    if (m_state == State::Closed)
        return false;
    if (counted) {
        m_queuedBytes += text->size();
        if (m_queuedBytes + m_heldBytes > m_ctx.options.maxSendQueueBytes) {
            // A reader this slow would make us buffer without bound: drop it; it recovers by resume.
            abort("send queue over the limit");
            return false;
        }
    }
    m_out.push_back({std::move(text), counted});
    doWrite();
    return true;
}

void WsSession::doWrite() {
    if (m_writing || m_out.empty() || m_state == State::Closed || m_closeStarted)
        return;
    m_writing = true;
    m_ws.text(true);
    m_ws.async_write(net::buffer(*m_out.front().text),
                     beast::bind_front_handler(&WsSession::onWrite, shared_from_this()));
}

void WsSession::onWrite(beast::error_code ec, std::size_t) {
    m_writing = false;
    if (ec) {
        finish();
        return;
    }
    if (m_out.front().counted)
        m_queuedBytes -= m_out.front().text->size();
    m_out.pop_front();
    if (m_state == State::Closed)
        return;
    if (!m_out.empty())
        doWrite();
    else if (m_closeAfterFlush)
        startClose();
}

void WsSession::startClose() {
    if (m_closeStarted || m_state == State::Closed)
        return;
    m_closeStarted = true;
    m_ws.async_close(websocket::close_reason(m_closeCode, m_closeReason),
                     [self = shared_from_this()](beast::error_code) { self->finish(); });
}

void WsSession::shutdown() {
    postToSelf([self = shared_from_this()] {
        if (self->m_state == State::Closed)
            return;
        if (self->m_state == State::Upgrading || self->m_state == State::Closing) {
            self->abort(nullptr);
            return;
        }
        self->m_state = State::Closing;
        self->m_closeCode = websocket::close_code::going_away;
        self->m_closeAfterFlush = true;
        if (!self->m_writing)
            self->startClose();
    });
}

void WsSession::abort(const char* why) {
    if (m_state == State::Closed)
        return;
    if (why)
        log::warn("realtime: dropping connection " + std::to_string(m_id) + ": " + why);
    beast::error_code ignored;
    beast::get_lowest_layer(m_ws).socket().shutdown(net::socket_base::shutdown_both, ignored);
    beast::get_lowest_layer(m_ws).socket().close(ignored);
    finish();
}

void WsSession::finish() {
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    m_helloTimer.cancel();
    m_resumeWindowTimer.cancel();
    if (m_attached)
        m_ctx.hub.detach(m_id);
    m_ctx.registry.remove(m_id);
    beast::error_code ignored;
    beast::get_lowest_layer(m_ws).socket().close(ignored);
    m_held.clear();
    m_heldBytes = 0;
    m_waiting.clear();
    m_waitingBytes = 0;
    m_seqs.clear();
    m_closedOrder.clear();
    // m_out stays until a pending write completes: it references the front buffer.
    if (!m_writing)
        m_out.clear();
}

} // namespace parley::server
