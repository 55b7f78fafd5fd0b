#pragma once
// The contract's WebSocket on QWebSocket: hello with the agent token, events as typed signals,
// reconnect with exponential backoff, and `resume` with after_seq for every followed conversation
// so that after a reconnect nothing is missed; messages are deduplicated by seq so nothing doubles.

#include <parley/protocol/Types.h>

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <set>

namespace parley::console {

class RealtimeClient : public QObject {
    Q_OBJECT
public:
    enum class State {
        Disconnected, // not wanted (before open(), after close() or a rejected token)
        Connecting,   // first connection attempt, until hello.ok
        Connected,    // hello.ok received: events flow
        Reconnecting, // the connection was lost; retrying with backoff
    };
    Q_ENUM(State)

    explicit RealtimeClient(QObject* parent = nullptr);
    ~RealtimeClient() override;

    void open(const QUrl& wsUrl, const QString& token);
    void close();
    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    QUrl url() const { return m_url; }

    // Follow a conversation from after `afterSeq` on: sends `resume` now when connected and
    // again after every reconnect with the highest seq seen without a gap. For a conversation
    // not assigned to us, this is how an agent watches it read-only.
    void follow(const QString& conversationId, qint64 afterSeq);
    void unfollow(const QString& conversationId);
    bool isFollowing(const QString& conversationId) const {
        auto it = m_follows.constFind(conversationId);
        return it != m_follows.cend() && it->followed;
    }
    // Highest seq of the conversation up to which every message has been seen.
    qint64 contiguousSeq(const QString& conversationId) const;

    // Issue 19: tells the other side that we are typing in a conversation. Sent at most once a
    // second per conversation (the server drops more anyway); false when nothing went out.
    bool sendTyping(const QString& conversationId);

    // Tuning, mostly for tests: backoff start and cap, heartbeat interval and dead-connection limit.
    void setBackoff(int initialMs, int maxMs);
    void setHeartbeat(int intervalMs, int deadAfterMs);
    int reconnectCount() const { return m_reconnects; }
    // Drop the connection as a network failure would (tests, and the heartbeat).
    void dropConnection();

signals:
    void stateChanged(parley::console::RealtimeClient::State state);
    // hello.ok: role is "agent" or "admin"; reconnected is false for the first connection.
    void ready(const parley::protocol::Agent& me, const QString& role, bool reconnected);
    void messageCreated(const parley::protocol::Message& message); // new ones only, never twice
    void conversationUpdated(const parley::protocol::Conversation& conversation);
    void agentAssigned(const parley::protocol::Conversation& conversation,
                       const parley::protocol::Agent& agent);
    void chatClosed(const parley::protocol::Conversation& conversation);
    void presenceChanged(const parley::protocol::Agent& agent);
    // Issue 19 "Agents at work" events.
    void noteCreated(const parley::protocol::Note& note);
    // senderType "customer" or "agent"; agentId set when an agent types.
    void typing(const QString& conversationId, const QString& senderType, const QString& agentId);
    // reader "customer" or "agent": that side has read the conversation up to seq.
    void conversationRead(const QString& conversationId, const QString& reader, qint64 seq);
    void serverError(const QString& code, const QString& message);
    // The server refused the token: reconnecting would not help; sign in again.
    void authenticationFailed(const QString& message);

private:
    struct Follow {
        qint64 watermark = 0;   // every seq <= watermark has been delivered
        std::set<qint64> above; // delivered seqs above the watermark (out of order arrivals)
        // follow() was called: resumed after reconnects. A conversation whose live events came
        // before it was followed is only deduplicated: resuming it from 0 would replay its whole
        // history as if it were new.
        bool followed = false;
    };

    void setState(State s);
    void connectNow();
    void scheduleReconnect();
    void onSocketStateChanged(QAbstractSocket::SocketState s);
    void onText(const QString& text);
    void sendJson(const nlohmann::json& frame);
    void sendResume(const QString& conversationId);
    bool markSeen(const QString& conversationId, qint64 seq);
    void heartbeat();

    QWebSocket m_socket;
    QUrl m_url;
    QString m_token;
    State m_state = State::Disconnected;
    bool m_wanted = false;
    bool m_everReady = false;
    bool m_helloDone = false;
    int m_attempt = 0;
    int m_reconnects = 0;
    int m_backoffInitialMs = 500;
    int m_backoffMaxMs = 15000;
    int m_deadAfterMs = 45000;
    QTimer m_reconnectTimer;
    QTimer m_heartbeatTimer;
    QTimer m_helloTimer;
    QElapsedTimer m_lastAlive;
    QHash<QString, Follow> m_follows;
    QHash<QString, QElapsedTimer> m_typingSent; // issue 19: last typing frame per conversation
};

} // namespace parley::console
