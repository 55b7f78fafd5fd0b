#include "WsTestClient.h"

#include <QDeadlineTimer>
#include <QRandomGenerator>
#include <QTest>

namespace parley::test {

// --- WsTestClient -----------------------------------------------------------------------------

WsTestClient::WsTestClient(QUrl url, QObject* parent)
    : QObject(parent)
    , m_url(std::move(url)) {
    connect(&m_ws, &QWebSocket::textMessageReceived, this, [this](const QString& text) {
        auto frame = json::parse(text.toStdString(), nullptr, false);
        if (frame.is_discarded()) {
            qWarning("unparseable server frame: %s", qPrintable(text));
            return;
        }
        m_frames.push_back(std::move(frame));
    });
    connect(&m_ws, &QWebSocket::disconnected, this, [this] { m_disconnected = true; });
}

WsTestClient::~WsTestClient() {
    m_ws.abort();
}

bool WsTestClient::open(int timeoutMs) {
    if (m_ws.state() == QAbstractSocket::ConnectedState)
        return true;
    m_disconnected = false;
    m_ws.open(m_url);
    return QTest::qWaitFor(
               [this] { return m_ws.state() == QAbstractSocket::ConnectedState || m_disconnected; },
               timeoutMs) &&
           m_ws.state() == QAbstractSocket::ConnectedState;
}

json WsTestClient::hello(const std::string& token, int timeoutMs) {
    if (!open(timeoutMs))
        return {};
    const auto before = m_frames.size();
    send({{"type", "hello"}, {"token", token}});
    json reply;
    (void)QTest::qWaitFor(
        [&] {
            for (auto i = before; i < m_frames.size(); ++i) {
                const auto type = m_frames[i].value("type", "");
                if (type == "hello.ok" || type == "error") {
                    reply = m_frames[i];
                    return true;
                }
            }
            return false;
        },
        timeoutMs);
    return reply;
}

void WsTestClient::send(const json& frame) {
    m_ws.sendTextMessage(QString::fromStdString(frame.dump()));
    // Out now, not at the next event-loop turn: tests often make a blocking REST call right after.
    m_ws.flush();
}
void WsTestClient::sendText(const QString& text) {
    m_ws.sendTextMessage(text);
}
void WsTestClient::sendBinary(const QByteArray& bytes) {
    m_ws.sendBinaryMessage(bytes);
}

void WsTestClient::resume(const std::string& conversationId, std::int64_t afterSeq) {
    send({{"type", "resume"}, {"conversation_id", conversationId}, {"after_seq", afterSeq}});
}

std::vector<json> WsTestClient::framesOfType(const std::string& type) const {
    std::vector<json> out;
    for (const auto& f : m_frames)
        if (f.value("type", "") == type)
            out.push_back(f);
    return out;
}

int WsTestClient::count(const std::string& type) const {
    return static_cast<int>(framesOfType(type).size());
}

std::string WsTestClient::conversationOf(const json& frame) {
    const auto& data = frame.contains("data") ? frame["data"] : json();
    if (data.contains("conversation") && data["conversation"].is_object())
        return data["conversation"].value("id", "");
    if (data.contains("message") && data["message"].is_object())
        return data["message"].value("conversation_id", "");
    return {};
}

std::vector<json> WsTestClient::framesFor(const std::string& type, const std::string& conversationId) const {
    std::vector<json> out;
    for (const auto& f : m_frames)
        if (f.value("type", "") == type && conversationOf(f) == conversationId)
            out.push_back(f);
    return out;
}

std::vector<std::int64_t> WsTestClient::seqsOf(const std::string& conversationId) const {
    std::vector<std::int64_t> out;
    for (const auto& f : framesFor("message.created", conversationId))
        out.push_back(f["data"]["message"]["seq"].get<std::int64_t>());
    return out;
}

bool WsTestClient::waitFor(const std::function<bool(const json&)>& pred, int timeoutMs) {
    std::size_t checked = 0;
    return QTest::qWaitFor(
        [&] {
            for (; checked < m_frames.size(); ++checked)
                if (pred(m_frames[checked]))
                    return true;
            return false;
        },
        timeoutMs);
}

bool WsTestClient::waitForType(const std::string& type, int timeoutMs) {
    return waitFor([&](const json& f) { return f.value("type", "") == type; }, timeoutMs);
}

bool WsTestClient::waitForCount(const std::string& type, int n, int timeoutMs) {
    return QTest::qWaitFor([&] { return count(type) >= n; }, timeoutMs);
}

bool WsTestClient::fence(int timeoutMs) {
    const auto marker = "fence-" + std::to_string(++m_fences);
    send({{"type", marker}});
    const auto ok = waitFor(
        [&](const json& f) {
            return f.value("type", "") == "error" &&
                   f["data"].value("message", "").find(marker) != std::string::npos;
        },
        timeoutMs);
    // The fence's own reply is not part of what the test looks at.
    std::erase_if(m_frames, [&](const json& f) {
        return f.value("type", "") == "error" &&
               f["data"].value("message", "").find(marker) != std::string::npos;
    });
    return ok;
}

bool WsTestClient::waitDisconnected(int timeoutMs) {
    return QTest::qWaitFor([this] { return m_disconnected; }, timeoutMs);
}

bool WsTestClient::isConnected() const {
    return m_ws.state() == QAbstractSocket::ConnectedState && !m_disconnected;
}

void WsTestClient::close() {
    m_ws.close();
}
void WsTestClient::abort() {
    m_ws.abort();
}

// --- RawWsClient ------------------------------------------------------------------------------

RawWsClient::RawWsClient(quint16 port, QObject* parent)
    : QObject(parent)
    , m_port(port) {
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        m_disconnected = true;
        m_disconnectedAt = std::chrono::steady_clock::now();
    });
}

bool RawWsClient::upgrade(int timeoutMs) {
    m_socket.connectToHost(QStringLiteral("127.0.0.1"), m_port);
    if (!m_socket.waitForConnected(timeoutMs))
        return false;
    const QByteArray request =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    m_socket.write(request);
    QDeadlineTimer deadline(timeoutMs);
    while (!m_received.contains("\r\n\r\n") && !deadline.hasExpired()) {
        if (!m_socket.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
            break;
        m_received += m_socket.readAll();
    }
    const bool ok = m_received.startsWith("HTTP/1.1 101");
    m_received.remove(0, m_received.indexOf("\r\n\r\n") + 4);
    return ok;
}

namespace {
void appendLength(QByteArray& frame, bool masked, quint64 n) {
    const char maskBit = masked ? char(0x80) : char(0);
    if (n < 126) {
        frame.append(char(maskBit | char(n)));
    } else if (n < 65536) {
        frame.append(char(maskBit | 126));
        frame.append(char((n >> 8) & 0xff));
        frame.append(char(n & 0xff));
    } else {
        frame.append(char(maskBit | 127));
        for (int i = 7; i >= 0; --i)
            frame.append(char((n >> (8 * i)) & 0xff));
    }
}
} // namespace

void RawWsClient::sendText(const QByteArray& payload) {
    sendFrame(0x81, payload); // FIN + text
}

void RawWsClient::sendFrame(quint8 firstByte, const QByteArray& payload, bool masked) {
    QByteArray frame;
    frame.append(char(firstByte));
    const auto n = payload.size();
    appendLength(frame, masked, quint64(n));
    if (masked) {
        const quint32 key = QRandomGenerator::global()->generate();
        const char mask[4] = {char(key >> 24), char(key >> 16), char(key >> 8), char(key)};
        frame.append(mask, 4);
        for (qsizetype i = 0; i < n; ++i)
            frame.append(char(payload[i] ^ mask[i % 4]));
    } else {
        frame.append(payload);
    }
    m_socket.write(frame);
    m_socket.flush();
}

void RawWsClient::sendHeaderOnly(quint8 firstByte, quint64 length) {
    QByteArray frame;
    frame.append(char(firstByte));
    appendLength(frame, true, length);
    frame.append("\x01\x02\x03\x04", 4); // the mask key
    m_socket.write(frame);
    m_socket.flush();
}

void RawWsClient::stopReading() {
    // Qt would otherwise keep pulling data into its own buffer; with a tiny limit it stops reading
    // from the kernel and the TCP window closes, like a stalled browser tab.
    m_socket.setReadBufferSize(1);
}

void RawWsClient::startDraining() {
    connect(&m_socket, &QTcpSocket::readyRead, this, [this] { drain(); });
    drain();
}

// Reads the server's frames (unmasked) only far enough to notice pings.
void RawWsClient::drain() {
    m_received += m_socket.readAll();
    for (;;) {
        if (m_received.size() < 2)
            return;
        const auto b0 = static_cast<unsigned char>(m_received[0]);
        const auto b1 = static_cast<unsigned char>(m_received[1]);
        qsizetype header = 2 + ((b1 & 0x80) ? 4 : 0);
        quint64 length = b1 & 0x7f;
        const int extended = length == 126 ? 2 : length == 127 ? 8 : 0;
        if (m_received.size() < header + extended)
            return;
        if (extended) {
            length = 0;
            for (int i = 0; i < extended; ++i)
                length = (length << 8) | static_cast<unsigned char>(m_received[2 + i]);
            header += extended;
        }
        if (static_cast<quint64>(m_received.size() - header) < length)
            return;
        const auto payload = m_received.mid(header, static_cast<qsizetype>(length));
        switch (b0 & 0x0f) {
        case 0x1: // text (the server sends whole messages)
            m_texts.append(payload);
            break;
        case 0x8: // close: answered as RFC 6455 asks, so the server need not wait for its timeout
            if (payload.size() >= 2)
                m_closeCode =
                    (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
            if (!m_closeAnswered) {
                m_closeAnswered = true;
                sendFrame(0x88, payload.left(2));
            }
            break;
        case 0x9: // ping
            if (m_pings++ == 0)
                m_firstPingAt = std::chrono::steady_clock::now();
            break;
        case 0xA:
            ++m_pongs;
            break;
        default:
            break;
        }
        m_received.remove(0, header + static_cast<qsizetype>(length));
    }
}

bool RawWsClient::waitDisconnected(int timeoutMs) {
    return QTest::qWaitFor([this] { return m_disconnected; }, timeoutMs);
}

// --- Rest -------------------------------------------------------------------------------------

Rest::Rest(int httpPort)
    : m_http(httpPort) {}

std::string Rest::adminToken() {
    if (m_adminToken.empty())
        m_adminToken = m_http.login("admin", "admin-secret-1");
    return m_adminToken;
}

TestAgent Rest::createAgent(const std::string& username, int maxActiveChats) {
    const std::string password = "password-" + username;
    auto r = m_http.post("/api/v1/admin/agents",
                         {{"username", username},
                          {"display_name", "Agent " + username},
                          {"password", password},
                          {"max_active_chats", maxActiveChats},
                          {"role", "agent"}},
                         adminToken());
    if (r.status != 201) {
        qWarning("create agent %s: %d %s", username.c_str(), r.status, r.rawBody.c_str());
        return {};
    }
    return {r.body["agent"]["id"].get<std::string>(), m_http.login(username, password), username};
}

bool Rest::setPresence(const TestAgent& a, bool online) {
    return m_http.put("/api/v1/agent/presence", {{"presence", online ? "online" : "offline"}}, a.token)
               .status == 200;
}

bool Rest::setMaxChats(const TestAgent& a, int maxActiveChats) {
    return m_http.put("/api/v1/admin/agents/" + a.id, {{"max_active_chats", maxActiveChats}}, adminToken())
               .status == 200;
}

Rest::CustomerChat Rest::customerWithConversation() {
    CustomerChat c;
    c.customer = m_http.newCustomer();
    auto r = m_http.post("/api/v1/conversations", json::object(), c.customer.token);
    if (r.status == 200 || r.status == 201)
        c.conversationId = r.body["conversation"]["id"].get<std::string>();
    return c;
}

json Rest::handoff(const CustomerChat& c) {
    auto r = m_http.post("/api/v1/conversations/" + c.conversationId + "/handoff", json::object(),
                         c.customer.token);
    return r.status == 200 ? r.body["conversation"] : json();
}

HttpResponse Rest::agentSend(const TestAgent& a, const std::string& conversationId,
                             const std::string& content) {
    return m_http.post("/api/v1/conversations/" + conversationId + "/messages", {{"content", content}},
                       a.token);
}

HttpResponse Rest::customerSend(const CustomerChat& c, const std::string& content) {
    return m_http.post("/api/v1/conversations/" + c.conversationId + "/messages", {{"content", content}},
                       c.customer.token);
}

json Rest::conversation(const std::string& token, const std::string& conversationId) {
    auto r = m_http.get("/api/v1/conversations/" + conversationId, token);
    return r.status == 200 ? r.body : json();
}

json Rest::agentInfo(const std::string& agentId) {
    auto r = m_http.get("/api/v1/agents", adminToken());
    if (r.status == 200)
        for (const auto& a : r.body["agents"])
            if (a.value("id", "") == agentId)
                return a;
    return {};
}

} // namespace parley::test
