#pragma once
// Test helpers for the realtime suites: a QWebSocket client that records every server frame, a
// raw WebSocket client over QTcpSocket (for peers that misbehave on purpose), and REST shortcuts
// for setting up agents and conversations on a real parley-server.

#include "HttpClient.h"

#include <QByteArray>
#include <QObject>
#include <QTcpSocket>
#include <QUrl>
#include <QWebSocket>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace parley::test {

using json = nlohmann::json;

class WsTestClient : public QObject {
    Q_OBJECT
public:
    explicit WsTestClient(QUrl url, QObject* parent = nullptr);
    ~WsTestClient() override;

    bool open(int timeoutMs = 10000);
    // Opens (if needed), sends hello and waits for hello.ok or an error frame; returns that frame
    // (null json when nothing came).
    json hello(const std::string& token, int timeoutMs = 10000);
    void send(const json& frame);
    void sendText(const QString& text);
    void sendBinary(const QByteArray& bytes);
    void resume(const std::string& conversationId, std::int64_t afterSeq);

    const std::vector<json>& frames() const { return m_frames; }
    std::vector<json> framesOfType(const std::string& type) const;
    int count(const std::string& type) const;
    // Frames of a type that concern one conversation (data.conversation.id or data.message.conversation_id).
    std::vector<json> framesFor(const std::string& type, const std::string& conversationId) const;
    std::vector<std::int64_t> seqsOf(const std::string& conversationId) const;
    static std::string conversationOf(const json& frame);

    // Waits (processing events) until a received frame matches; true when one did.
    bool waitFor(const std::function<bool(const json&)>& pred, int timeoutMs = 15000);
    bool waitForType(const std::string& type, int timeoutMs = 15000);
    bool waitForCount(const std::string& type, int n, int timeoutMs = 15000);
    // Sends a frame the server does not know and waits for its error reply. Events the server routed
    // to this connection before it read the fence are written before that reply, so afterwards
    // frames() is complete up to now: used to assert that somebody did NOT receive something.
    bool fence(int timeoutMs = 15000);
    bool waitDisconnected(int timeoutMs = 15000);

    bool isConnected() const;
    void close();
    void abort();
    void clear() { m_frames.clear(); }
    QWebSocketProtocol::CloseCode closeCode() const { return m_ws.closeCode(); }
    QWebSocket& socket() { return m_ws; }

private:
    QUrl m_url;
    QWebSocket m_ws;
    std::vector<json> m_frames;
    bool m_disconnected = false;
    int m_fences = 0;
};

// A WebSocket client over a bare QTcpSocket: upgrades, sends masked text frames, and otherwise does
// whatever the test says (in particular: never reads, or reads but never answers a ping).
class RawWsClient : public QObject {
    Q_OBJECT
public:
    explicit RawWsClient(quint16 port, QObject* parent = nullptr);
    bool upgrade(int timeoutMs = 10000); // true once "101 Switching Protocols" came back
    void sendText(const QByteArray& payload);
    // One frame exactly as given: firstByte is FIN, RSV1-3 and the opcode; masked unless told not
    // to (a client must mask). For fragments, control frames and protocol violations.
    void sendFrame(quint8 firstByte, const QByteArray& payload, bool masked = true);
    // A frame header that announces `length` payload bytes, and no payload.
    void sendHeaderOnly(quint8 firstByte, quint64 length);
    // Stops reading from the socket (data stays in the kernel buffers, the window closes).
    void stopReading();
    void startDraining(); // reads and discards everything, answering no ping
    bool waitDisconnected(int timeoutMs);
    QTcpSocket& socket() { return m_socket; }
    // While draining: the pings received, and when the first one came.
    int pings() const { return m_pings; }
    int pongs() const { return m_pongs; }
    const QList<QByteArray>& texts() const { return m_texts; } // text frames received while draining
    int closeCode() const { return m_closeCode; }              // from the server's close frame, 0: none
    std::optional<std::chrono::steady_clock::time_point> firstPingAt() const { return m_firstPingAt; }
    std::optional<std::chrono::steady_clock::time_point> disconnectedAt() const { return m_disconnectedAt; }

private:
    void drain();

    quint16 m_port;
    QTcpSocket m_socket;
    QByteArray m_received;
    bool m_disconnected = false;
    int m_pings = 0;
    int m_pongs = 0;
    QList<QByteArray> m_texts;
    int m_closeCode = 0;
    bool m_closeAnswered = false;
    std::optional<std::chrono::steady_clock::time_point> m_firstPingAt;
    std::optional<std::chrono::steady_clock::time_point> m_disconnectedAt;
};

// REST shortcuts.
struct TestAgent {
    std::string id;
    std::string token;
    std::string username;
};

class Rest {
public:
    explicit Rest(int httpPort);
    HttpClient& http() { return m_http; }
    std::string adminToken();
    TestAgent createAgent(const std::string& username, int maxActiveChats = 5);
    bool setPresence(const TestAgent& a, bool online);
    bool setMaxChats(const TestAgent& a, int maxActiveChats);
    // A new customer session with an open conversation: {token, sessionId}, conversation id.
    struct CustomerChat {
        HttpClient::Customer customer;
        std::string conversationId;
    };
    CustomerChat customerWithConversation();
    json handoff(const CustomerChat& c);
    HttpResponse agentSend(const TestAgent& a, const std::string& conversationId, const std::string& content);
    HttpResponse customerSend(const CustomerChat& c, const std::string& content);
    json conversation(const std::string& token, const std::string& conversationId);
    json agentInfo(const std::string& agentId); // from GET /api/v1/agents, as admin

private:
    HttpClient m_http;
    std::string m_adminToken;
};

} // namespace parley::test
