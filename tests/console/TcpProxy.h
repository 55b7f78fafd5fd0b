#pragma once
// A loopback TCP proxy in front of one port of the real server, so that a test decides the order
// in which the console hears things: bytes of either direction can be held back and released, and
// the proxy can refuse connections for a while (an outage only this console sees). It knows
// nothing of HTTP or WebSocket; it forwards bytes.

#include <QHostAddress>
#include <QList>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

#include <memory>

namespace parley::test::console {

class TcpProxy {
public:
    explicit TcpProxy(quint16 targetPort)
        : m_targetPort(targetPort) {
        QObject::connect(&m_server, &QTcpServer::newConnection, [this] { accept(); });
    }
    ~TcpProxy() { dropAll(); }
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    [[nodiscard]] bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }

    // Client -> server bytes wait in the proxy while held (requests the console sends).
    void holdUpstream(bool hold) {
        m_holdUp = hold;
        if (!hold)
            flush();
    }
    // Server -> client bytes wait in the proxy while held (answers and events the console gets).
    void holdDownstream(bool hold) {
        m_holdDown = hold;
        if (!hold)
            flush();
    }
    // Refusing: every connection is cut now and new ones are closed as soon as they arrive.
    void setRefusing(bool refuse) {
        m_refusing = refuse;
        if (refuse)
            dropAll();
    }
    void dropAll() {
        const auto pipes = m_pipes;
        for (const auto& p : pipes)
            close(p);
        m_pipes.clear();
    }
    // Bytes the console sent that the server has not been given yet.
    qint64 heldUpstreamBytes() const {
        qint64 n = 0;
        for (const auto& p : m_pipes)
            n += p->toServer.size();
        return n;
    }
    qint64 heldDownstreamBytes() const {
        qint64 n = 0;
        for (const auto& p : m_pipes)
            n += p->toClient.size();
        return n;
    }
    int connectionCount() const { return int(m_pipes.size()); }

private:
    struct Pipe {
        QPointer<QTcpSocket> client;
        QPointer<QTcpSocket> server;
        QByteArray toServer;
        QByteArray toClient;
        bool serverUp = false;
    };
    using PipePtr = std::shared_ptr<Pipe>;

    void accept() {
        while (QTcpSocket* client = m_server.nextPendingConnection()) {
            if (m_refusing) {
                client->abort();
                client->deleteLater();
                continue;
            }
            auto pipe = std::make_shared<Pipe>();
            pipe->client = client;
            pipe->server = new QTcpSocket;
            m_pipes.push_back(pipe);
            std::weak_ptr<Pipe> weak = pipe;
            QObject::connect(client, &QTcpSocket::readyRead, [this, weak] {
                if (auto p = weak.lock()) {
                    p->toServer += p->client->readAll();
                    pump(p);
                }
            });
            QObject::connect(pipe->server, &QTcpSocket::connected, [this, weak] {
                if (auto p = weak.lock()) {
                    p->serverUp = true;
                    pump(p);
                }
            });
            QObject::connect(pipe->server, &QTcpSocket::readyRead, [this, weak] {
                if (auto p = weak.lock()) {
                    p->toClient += p->server->readAll();
                    pump(p);
                }
            });
            // One side gone: the other goes too, once what it still holds for it is out (unless
            // held: a held answer to a closed connection could never arrive anyway).
            QObject::connect(client, &QTcpSocket::disconnected, [this, weak] {
                if (auto p = weak.lock())
                    close(p);
            });
            QObject::connect(pipe->server, &QTcpSocket::disconnected, [this, weak] {
                if (auto p = weak.lock()) {
                    p->toClient += p->server->readAll();
                    if (!m_holdDown && p->client) {
                        p->client->write(p->toClient);
                        p->toClient.clear();
                        close(p, true);
                    }
                }
            });
            QObject::connect(pipe->server, &QTcpSocket::errorOccurred,
                             [this, weak](QAbstractSocket::SocketError) {
                                 if (auto p = weak.lock(); p && !p->serverUp)
                                     close(p);
                             });
            pipe->server->connectToHost(QHostAddress::LocalHost, m_targetPort);
        }
    }

    void pump(const PipePtr& p) {
        if (!m_holdUp && p->serverUp && p->server && !p->toServer.isEmpty()) {
            p->server->write(p->toServer);
            p->toServer.clear();
        }
        if (!m_holdDown && p->client && !p->toClient.isEmpty()) {
            p->client->write(p->toClient);
            p->toClient.clear();
        }
        if (!m_holdDown && p->serverUp &&
            (!p->server || p->server->state() == QAbstractSocket::UnconnectedState))
            close(p, true);
    }

    void flush() {
        const auto pipes = m_pipes;
        for (const auto& p : pipes)
            pump(p);
    }

    // graceful: what was written still goes out before the close (the server ended the
    // connection); otherwise it is cut at once (an outage).
    void close(const PipePtr& p, bool graceful = false) {
        m_pipes.removeAll(p);
        for (QTcpSocket* s : {p->client.data(), p->server.data()}) {
            if (!s)
                continue;
            s->disconnect();
            if (graceful && s->state() == QAbstractSocket::ConnectedState) {
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
                s->disconnectFromHost();
                continue;
            }
            s->abort();
            s->deleteLater();
        }
        p->client = nullptr;
        p->server = nullptr;
    }

    quint16 m_targetPort;
    QTcpServer m_server;
    QList<PipePtr> m_pipes;
    bool m_holdUp = false;
    bool m_holdDown = false;
    bool m_refusing = false;
};

} // namespace parley::test::console
