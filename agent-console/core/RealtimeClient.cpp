#include "core/RealtimeClient.h"

#include "core/Util.h"

#include <parley/protocol/Codec.h>
#include <parley/protocol/Events.h>

#include <QRandomGenerator>

#include <algorithm>

using nlohmann::json;
namespace proto = parley::protocol;
namespace ev = parley::protocol::events;

namespace parley::console {

RealtimeClient::RealtimeClient(QObject* parent)
    : QObject(parent) {
    m_reconnectTimer.setSingleShot(true);
    m_helloTimer.setSingleShot(true);
    m_helloTimer.setInterval(10000);
    m_heartbeatTimer.setInterval(15000);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RealtimeClient::connectNow);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &RealtimeClient::heartbeat);
    // A server that accepts TCP but never says hello.ok is as good as gone.
    connect(&m_helloTimer, &QTimer::timeout, this, &RealtimeClient::dropConnection);
    connect(&m_socket, &QWebSocket::stateChanged, this, &RealtimeClient::onSocketStateChanged);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &RealtimeClient::onText);
    connect(&m_socket, &QWebSocket::connected, this, [this] {
        m_lastAlive.start();
        m_helloTimer.start();
        sendJson(json{{"type", ev::kHello}, {"token", ss(m_token)}});
    });
    // Qt answers the server's pings itself; our own pings' pongs prove the link is alive.
    connect(&m_socket, &QWebSocket::pong, this, [this](quint64, const QByteArray&) { m_lastAlive.start(); });
}

RealtimeClient::~RealtimeClient() {
    m_wanted = false;
    m_socket.disconnect(this);
    m_socket.abort();
}

void RealtimeClient::open(const QUrl& wsUrl, const QString& token) {
    m_url = wsUrl;
    m_token = token;
    m_wanted = true;
    m_everReady = false;
    m_attempt = 0;
    setState(State::Connecting);
    connectNow();
}

void RealtimeClient::close() {
    m_wanted = false;
    m_reconnectTimer.stop();
    m_heartbeatTimer.stop();
    m_helloTimer.stop();
    m_socket.close();
    setState(State::Disconnected);
}

void RealtimeClient::setBackoff(int initialMs, int maxMs) {
    m_backoffInitialMs = std::max(1, initialMs);
    m_backoffMaxMs = std::max(m_backoffInitialMs, maxMs);
}

void RealtimeClient::setHeartbeat(int intervalMs, int deadAfterMs) {
    m_heartbeatTimer.setInterval(intervalMs);
    m_deadAfterMs = deadAfterMs;
}

void RealtimeClient::dropConnection() {
    m_socket.abort();
}

void RealtimeClient::setState(State s) {
    if (m_state == s)
        return;
    m_state = s;
    emit stateChanged(s);
}

void RealtimeClient::connectNow() {
    if (!m_wanted)
        return;
    m_helloDone = false;
    if (m_socket.state() != QAbstractSocket::UnconnectedState)
        m_socket.abort();
    m_socket.open(m_url);
}

void RealtimeClient::scheduleReconnect() {
    if (!m_wanted || m_reconnectTimer.isActive())
        return;
    // Exponential backoff with up to 25 % jitter so a restarted server is not hit by every
    // console in the same millisecond.
    const qint64 base =
        std::min<qint64>(qint64(m_backoffInitialMs) << std::min(m_attempt, 16), m_backoffMaxMs);
    const qint64 jitter = base / 4 > 0 ? QRandomGenerator::global()->bounded(base / 4 + 1) : 0;
    ++m_attempt;
    m_reconnectTimer.start(int(base + jitter));
}

void RealtimeClient::onSocketStateChanged(QAbstractSocket::SocketState s) {
    if (s != QAbstractSocket::UnconnectedState)
        return;
    m_heartbeatTimer.stop();
    m_helloTimer.stop();
    if (!m_wanted)
        return;
    setState(m_everReady ? State::Reconnecting : State::Connecting);
    scheduleReconnect();
}

void RealtimeClient::sendJson(const json& frame) {
    m_socket.sendTextMessage(QString::fromStdString(frame.dump()));
}

// Issue 19: at most one typing frame a second per conversation.
bool RealtimeClient::sendTyping(const QString& conversationId) {
    if (m_state != State::Connected || conversationId.isEmpty())
        return false;
    QElapsedTimer& last = m_typingSent[conversationId];
    if (last.isValid() && last.elapsed() < 1000)
        return false;
    last.start();
    sendJson(json{{"type", ev::kTyping}, {"conversation_id", ss(conversationId)}});
    return true;
}

void RealtimeClient::sendResume(const QString& conversationId) {
    const Follow& f = m_follows[conversationId];
    sendJson(
        json{{"type", ev::kResume}, {"conversation_id", ss(conversationId)}, {"after_seq", f.watermark}});
}

void RealtimeClient::follow(const QString& conversationId, qint64 afterSeq) {
    Follow& f = m_follows[conversationId];
    f.followed = true;
    if (afterSeq > f.watermark) {
        f.watermark = afterSeq;
        f.above.erase(f.above.begin(), f.above.upper_bound(afterSeq));
        while (!f.above.empty() && *f.above.begin() == f.watermark + 1) {
            ++f.watermark;
            f.above.erase(f.above.begin());
        }
    }
    if (m_state == State::Connected)
        sendResume(conversationId);
}

void RealtimeClient::unfollow(const QString& conversationId) {
    m_follows.remove(conversationId);
}

qint64 RealtimeClient::contiguousSeq(const QString& conversationId) const {
    auto it = m_follows.constFind(conversationId);
    return it == m_follows.cend() ? 0 : it->watermark;
}

bool RealtimeClient::markSeen(const QString& conversationId, qint64 seq) {
    Follow& f = m_follows[conversationId];
    if (seq <= f.watermark || f.above.count(seq))
        return false;
    if (seq == f.watermark + 1) {
        f.watermark = seq;
        while (!f.above.empty() && *f.above.begin() == f.watermark + 1) {
            ++f.watermark;
            f.above.erase(f.above.begin());
        }
    } else {
        f.above.insert(seq);
    }
    return true;
}

void RealtimeClient::heartbeat() {
    if (m_socket.state() != QAbstractSocket::ConnectedState)
        return;
    if (m_lastAlive.isValid() && m_lastAlive.elapsed() > m_deadAfterMs) {
        // Half-open TCP (laptop sleep, NAT timeout): nothing will tell us but silence.
        dropConnection();
        return;
    }
    m_socket.ping();
}

void RealtimeClient::onText(const QString& text) {
    m_lastAlive.start();
    const json frame = json::parse(text.toStdString(), nullptr, false);
    if (!frame.is_object() || !frame.contains("type") || !frame["type"].is_string())
        return;
    const std::string type = frame["type"].get<std::string>();
    const json data = frame.value("data", json::object());
    try {
        if (type == ev::kHelloOk) {
            m_helloTimer.stop();
            m_helloDone = true;
            const bool reconnected = m_everReady;
            if (reconnected)
                ++m_reconnects;
            m_everReady = true;
            m_attempt = 0;
            m_heartbeatTimer.start();
            proto::Agent me;
            if (data.contains("agent") && data["agent"].is_object())
                me = data["agent"].get<proto::Agent>();
            setState(State::Connected);
            // Ask for everything missed while away before anyone else talks on the socket.
            for (auto it = m_follows.cbegin(); it != m_follows.cend(); ++it)
                if (it->followed)
                    sendResume(it.key());
            emit ready(me, qs(data.value("role", std::string("agent"))), reconnected);
        } else if (type == ev::kMessageCreated) {
            auto msg = data.at("message").get<proto::Message>();
            if (markSeen(qs(msg.conversationId), msg.seq))
                emit messageCreated(msg);
        } else if (type == ev::kConversationUpdated) {
            emit conversationUpdated(data.at("conversation").get<proto::Conversation>());
        } else if (type == ev::kAgentAssigned) {
            emit agentAssigned(data.at("conversation").get<proto::Conversation>(),
                               data.at("agent").get<proto::Agent>());
        } else if (type == ev::kChatClosed) {
            emit chatClosed(data.at("conversation").get<proto::Conversation>());
        } else if (type == ev::kAgentPresenceChanged) {
            emit presenceChanged(data.at("agent").get<proto::Agent>());
        } else if (type == ev::kNoteCreated) { // issue 19
            emit noteCreated(data.at("note").get<proto::Note>());
        } else if (type == ev::kTyping) {
            emit typing(qs(data.at("conversation_id").get<std::string>()),
                        qs(data.value("sender_type", std::string())),
                        data.contains("agent_id") && data["agent_id"].is_string()
                            ? qs(data["agent_id"].get<std::string>())
                            : QString());
        } else if (type == ev::kConversationRead) {
            emit conversationRead(qs(data.at("conversation_id").get<std::string>()),
                                  qs(data.value("reader", std::string())), data.at("seq").get<qint64>());
        } else if (type == "ping") {
            // Some servers ping at the application level too; answer in kind.
            sendJson(json{{"type", "pong"}});
        } else if (type == ev::kError) {
            const QString code = qs(data.value("code", std::string()));
            const QString message = qs(data.value("message", std::string()));
            // Only a refused token ends it: any other error during hello (the server sends
            // "internal" when it cannot read the agent) is passing, so reconnect with backoff.
            if (code == QLatin1String("unauthorized")) {
                m_wanted = false;
                m_reconnectTimer.stop();
                m_socket.close();
                setState(State::Disconnected);
                emit authenticationFailed(message);
            } else if (!m_helloDone) {
                qWarning("parley-console: hello refused (%s): reconnecting", qPrintable(code));
                dropConnection(); // the socket's close schedules the next try
            } else {
                emit serverError(code, message);
            }
        }
    } catch (const std::exception& e) {
        qWarning("parley-console: ignoring a malformed %s frame: %s", type.c_str(), e.what());
    }
}

} // namespace parley::console
