#pragma once
// One WebSocket connection: the upgrade (whose request the HTTP listener has read), the hello
// handshake, resume, and a bounded send queue. Everything of a session runs on its own strand; store calls
// (authenticate, the hello snapshot, the resume backlog) run on the blocking pool so that a slow store read
// never stalls the io thread that serves every other connection.

#include "auth/Identity.h"
#include "realtime/RealtimeHub.h"
#include "realtime/RealtimeServer.h"
#include "realtime/SentSeqs.h"
#include "realtime/WsTransport.h"
#include "store/Event.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::server {

class ChatService;
class InsightService;
class WsSession;

// Every live session, so that stop() can close them and wait for them to go.
class SessionRegistry {
public:
    std::uint64_t add(const std::shared_ptr<WsSession>& s);
    void remove(std::uint64_t id);
    std::vector<std::shared_ptr<WsSession>> snapshot() const;
    std::size_t size() const;
    // Waits until no session is left or the timeout passes; true when empty.
    bool waitEmpty(std::chrono::milliseconds timeout) const;

private:
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_emptied;
    std::unordered_map<std::uint64_t, std::weak_ptr<WsSession>> m_sessions;
    std::uint64_t m_nextId = 1;
};

struct SessionContext {
    ChatService& chat;
    RealtimeHub& hub;
    boost::asio::thread_pool& blocking;
    const RealtimeOptions& options;
    SessionRegistry& registry;
    InsightService* insights = nullptr; // typing frames (v1.1)
    EventSink* typingRelay = nullptr;   // several nodes (issue 20): typing to the other nodes too
};

class WsSession final : public Subscriber, public std::enable_shared_from_this<WsSession> {
public:
    WsSession(boost::asio::ip::tcp::socket&& socket, SessionContext& ctx);
    ~WsSession() override;

    using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;

    // Registers itself and answers the upgrade (already read, path /ws) with 101.
    void start(UpgradeRequest upgrade);
    // Thread-safe: a going-away close (server shutdown).
    void shutdown();

    std::uint64_t subscriberId() const override { return m_id; }
    void deliver(std::vector<OutFrame> frames) override;

private:
    enum class State { Upgrading, AwaitHello, Authenticating, Ready, Closing, Closed };

    // Upgrade.
    void onAccepted(boost::beast::error_code ec);

    // Reading and client frames.
    void doRead();
    void spreadFirstPing(); // the first read after hello.ok, its ping timer armed later
    void onRead(boost::beast::error_code ec, std::size_t bytes);
    void handleHello(std::string_view text, bool isText);
    void handleFrame(std::string_view text, bool isText);
    void onAuthenticated(Caller caller);
    void loadHello(Caller caller);
    void onHelloReady(std::shared_ptr<const std::string> helloOk);
    void startResume(std::string conversationId, std::int64_t afterSeq);
    void loadBacklog(Caller caller, std::string conversationId, std::int64_t fromSeq, bool existed);
    void onBacklog(std::string conversationId, std::int64_t fromSeq, std::vector<protocol::Message> messages);
    void onResumeFailed(std::string conversationId, bool existed, std::string code, std::string message);
    void resumeReading();
    void handleTyping(std::string conversationId);

    // Events and writing.
    void onFrames(std::vector<OutFrame> frames);
    void sendLive(const OutFrame& frame);
    void flushHeld();
    void openResumeWindow();
    void closeResumeWindow();
    void deliverLive(OutFrame frame);
    void markResumed(const std::string& conversationId);
    void releaseWaiting(const std::string* conversationId); // nullptr: every conversation
    void rememberClosed(const std::string& conversationId);
    void sendError(const std::string& code, const std::string& message);
    // An error frame, then a close (1008, with closeReason as its reason text when given).
    void fail(const std::string& code, const std::string& message, std::string closeReason = {});
    bool enqueue(std::shared_ptr<const std::string> text, bool counted);
    void doWrite();
    void onWrite(boost::beast::error_code ec, std::size_t);
    void startClose();
    void abort(const char* why); // hard close: the peer gets no close frame
    void finish();               // idempotent clean-up once the connection is gone

    template <typename F>
    void postToSelf(F&& f);

    struct Outgoing {
        std::shared_ptr<const std::string> text;
        bool counted; // live traffic counts against maxSendQueueBytes; a resume backlog does not
    };

    SessionContext& m_ctx;
    std::uint64_t m_id = 0;
    boost::beast::websocket::stream<WsTcpStream> m_ws;
    boost::beast::flat_buffer m_buffer;
    std::optional<UpgradeRequest> m_upgrade; // kept until the 101 has gone out
    boost::asio::steady_timer m_helloTimer;
    boost::asio::steady_timer m_resumeWindowTimer;

    State m_state = State::Upgrading;
    std::optional<Caller> m_caller;
    bool m_attached = false;
    bool m_reading = false;
    bool m_busy = false;     // a client frame is being handled off-strand: reads pause meanwhile
    bool m_resuming = false; // events are held while a resume backlog is read
    bool m_writing = false;
    bool m_closeAfterFlush = false;
    bool m_closeStarted = false;
    boost::beast::websocket::close_code m_closeCode = boost::beast::websocket::close_code::normal;
    std::string m_closeReason;

    std::deque<Outgoing> m_out;
    std::size_t m_queuedBytes = 0;
    std::vector<OutFrame> m_held;
    std::size_t m_heldBytes = 0;
    // The resume window after hello.ok: messages of conversations not resumed yet wait here.
    bool m_inResumeWindow = false;
    std::vector<OutFrame> m_waiting;
    std::size_t m_waitingBytes = 0;
    std::unordered_set<std::string> m_resumedInWindow;
    std::unordered_map<std::string, SentSeqs> m_seqs; // per conversation: never send a seq twice
    static constexpr std::size_t kMaxClosedRemembered = 256;
    std::deque<std::string> m_closedOrder; // closed conversations in m_seqs, oldest first
};

} // namespace parley::server
