// HTTP keep-alive as the server handles it (http/KeepAliveServer): idle connections hold no
// worker, so many open widgets and consoles never keep a new client waiting; pipelined requests
// are answered in order; idle connections close after --http-keep-alive-seconds and at SIGTERM;
// a response goes out in one piece, and a 100 Continue before the body is waited for.
#include "ApiTestBase.h"

#include <QHostAddress>
#include <QTcpSocket>

#include <memory>

using namespace parley::test;

namespace {

struct RawResponse {
    int status = 0;
    QByteArray headers;
    QByteArray body;
};

// Reads one response (status line, headers, Content-Length body) from a keep-alive connection.
RawResponse readResponse(QTcpSocket& socket, QByteArray& buffer) {
    RawResponse r;
    for (;;) {
        const auto end = buffer.indexOf("\r\n\r\n");
        if (end >= 0) {
            r.headers = buffer.left(end);
            qsizetype length = 0;
            for (const auto& line : r.headers.split('\n'))
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            if (buffer.size() >= end + 4 + length) {
                r.body = buffer.mid(end + 4, length);
                buffer.remove(0, end + 4 + length);
                const auto statusLine = r.headers.left(r.headers.indexOf("\r\n"));
                r.status = statusLine.split(' ').value(1).toInt();
                return r;
            }
        }
        if (!socket.waitForReadyRead(10000))
            return r; // status 0: no (complete) answer
        buffer += socket.readAll();
    }
}

QByteArray get(const char* path) {
    return QByteArray("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

struct Connection {
    QTcpSocket socket;
    QByteArray buffer;
    bool open(quint16 port) {
        socket.connectToHost(QHostAddress::LocalHost, port);
        return socket.waitForConnected(5000);
    }
    RawResponse request(const QByteArray& raw) {
        socket.write(raw);
        return readResponse(socket, buffer);
    }
};

} // namespace

class TestApiKeepAlive : public QObject {
    Q_OBJECT
    ApiFixture f;

private slots:
    void initTestCase() {
        // Fewer workers than the idle connections below.
        QVERIFY(f.start({QStringLiteral("--http-threads"), QStringLiteral("8"),
                         QStringLiteral("--http-keep-alive-seconds"), QStringLiteral("600")}));
    }

    void idleConnectionsHoldNoWorker() {
        constexpr int kIdle = 40; // five times the workers
        std::vector<std::unique_ptr<Connection>> idle;
        for (int i = 0; i < kIdle; ++i) {
            auto c = std::make_unique<Connection>();
            QVERIFY(c->open(f.server.httpPort()));
            QCOMPARE(c->request(get("/healthz")).status, 200);
            idle.push_back(std::move(c));
        }
        // All of them stay open; a new client is answered all the same.
        const auto faq = f.http->get("/api/v1/faq");
        QCOMPARE(faq.status, 200);
        QVERIFY(faq.body["faq"].size() >= 8);
        // And each idle connection still serves its next request.
        for (auto& c : idle) {
            QCOMPARE(c->socket.state(), QAbstractSocket::ConnectedState);
            const auto r = c->request(get("/api/v1/faq"));
            QCOMPARE(r.status, 200);
            QVERIFY(r.body.contains("\"faq\""));
        }
    }

    void pipelinedRequestsAreAnsweredInOrder() {
        Connection c;
        QVERIFY(c.open(f.server.httpPort()));
        c.socket.write(get("/healthz") + get("/no-such-endpoint") + get("/api/v1/faq"));
        QCOMPARE(readResponse(c.socket, c.buffer).status, 200);
        const auto missing = readResponse(c.socket, c.buffer);
        QCOMPARE(missing.status, 404);
        QVERIFY(missing.body.contains("not_found"));
        QCOMPARE(readResponse(c.socket, c.buffer).status, 200);
        QCOMPARE(c.request(get("/healthz")).status, 200); // and the connection goes on
    }

    void aRequestInPiecesIsServed() {
        Connection c;
        QVERIFY(c.open(f.server.httpPort()));
        // The first piece may make a worker start reading, the rest arrives in another segment.
        c.socket.write("GET /healthz HTTP/1.1\r\n");
        QVERIFY(c.socket.waitForBytesWritten(5000));
        c.socket.flush();
        const auto r = c.request("Host: 127.0.0.1\r\n\r\n");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("ok"));
    }

    // The server gathers a response's head and body and sends them together; the interim
    // "100 Continue" must still go out before the server waits for the body it invites.
    void expectContinueIsAnsweredBeforeTheBody() {
        Connection c;
        QVERIFY(c.open(f.server.httpPort()));
        const QByteArray body = "{\"username\":\"nobody\",\"password\":\"wrong-password\"}";
        c.socket.write("POST /api/v1/agent/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
                       QByteArray::number(body.size()) + "\r\n\r\n");
        while (!c.buffer.contains("\r\n\r\n")) {
            QVERIFY2(c.socket.waitForReadyRead(10000), "no 100 Continue before the body was sent");
            c.buffer += c.socket.readAll();
        }
        QVERIFY(c.buffer.startsWith("HTTP/1.1 100 Continue\r\n\r\n"));
        c.buffer.remove(0, c.buffer.indexOf("\r\n\r\n") + 4);
        const auto r = c.request(body);
        QCOMPARE(r.status, 401);
        QVERIFY(r.body.contains("\"unauthorized\""));
        QCOMPARE(c.request(get("/healthz")).status, 200);
    }

    void idleConnectionClosesAfterTheKeepAliveTime() {
        ApiFixture shortKeepAlive;
        QVERIFY(shortKeepAlive.start({QStringLiteral("--http-keep-alive-seconds"), QStringLiteral("1")}));
        Connection c;
        QVERIFY(c.open(shortKeepAlive.server.httpPort()));
        const auto r = c.request(get("/healthz"));
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.contains("Keep-Alive: timeout=1"));
        QVERIFY(c.socket.waitForDisconnected(15000)); // closed by the server, not by us
    }

    void sigtermClosesIdleConnections() {
        ApiFixture server;
        QVERIFY(server.start());
        std::vector<std::unique_ptr<Connection>> idle;
        for (int i = 0; i < 5; ++i) {
            auto c = std::make_unique<Connection>();
            QVERIFY(c->open(server.server.httpPort()));
            QCOMPARE(c->request(get("/healthz")).status, 200);
            idle.push_back(std::move(c));
        }
        QVERIFY(server.server.stop()); // exit code 0
        for (auto& c : idle)
            QVERIFY(c->socket.state() == QAbstractSocket::UnconnectedState ||
                    c->socket.waitForDisconnected(5000));
    }
};

QTEST_GUILESS_MAIN(TestApiKeepAlive)
#include "tst_api_keepalive.moc"
