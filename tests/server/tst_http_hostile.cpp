// The HTTP listener against clients that misbehave on purpose, over raw TCP (tests/support/RawHttp):
// ambiguous framing, bodies and heads over the limits (chunked too, before authentication),
// slow clients that must hold no worker, encoded slashes and path traversal, a second server on
// the same port. After every case the server still serves a normal request.
#include "ApiTestBase.h"
#include "RawHttp.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <chrono>
#include <fstream>

using namespace parley::test;
using namespace std::chrono_literals;

namespace {

// A field of /proc/PID/status in kB (VmRSS, VmHWM), or -1.
long procStatusKb(qint64 pid, const char* field) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind(field, 0) == 0)
            return std::atol(line.c_str() + std::strlen(field) + 1);
    return -1;
}

std::string post(const std::string& path, const std::string& extraHeaders, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
           extraHeaders + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool writeFile(const QString& path, const QByteArray& content) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(content) == content.size();
}

} // namespace

class TestHttpHostile : public QObject {
    Q_OBJECT
    ApiFixture f;
    QTemporaryDir m_web; // web/ is the root; secret.js and notes beside and inside it
    std::uint16_t port() const { return f.server.httpPort(); }

    // The check every case ends with.
    bool stillServes() const {
        const auto r = rawGet(port(), "/healthz", 5s);
        if (r.status != 200)
            qWarning("the server no longer serves /healthz: %d", r.status);
        return r.status == 200;
    }

private slots:
    void initTestCase() {
        // A web root with something worth stealing next to it and inside it.
        const QString root = m_web.path() + QStringLiteral("/web");
        QVERIFY(QDir().mkpath(root + QStringLiteral("/assets")));
        QVERIFY(writeFile(root + QStringLiteral("/index.html"), "<!doctype html><title>store</title>"));
        QVERIFY(writeFile(root + QStringLiteral("/widget.js"), "/* widget */"));
        QVERIFY(writeFile(root + QStringLiteral("/assets/logo.svg"), "<svg/>"));
        QVERIFY(writeFile(root + QStringLiteral("/README.md"), "internal notes"));
        QVERIFY(writeFile(root + QStringLiteral("/.hidden.js"), "hidden"));
        QVERIFY(writeFile(root + QStringLiteral("/widget.js.bak"), "old"));
        QVERIFY(writeFile(m_web.path() + QStringLiteral("/secret.js"), "secret"));
        // Few workers and a short request deadline: a slow client holding a worker would show, and
        // the deadline can be watched in a few seconds.
        QVERIFY(
            f.start({QStringLiteral("--web-root"), root, QStringLiteral("--http-threads"),
                     QStringLiteral("8"), QStringLiteral("--http-request-timeout-seconds"),
                     QStringLiteral("2"), QStringLiteral("--customer-rate-burst"), QStringLiteral("1000")}));
    }

    // Each is answered with an error status and the connection closed: nothing after it on the
    // same connection is read as a request (no smuggling behind a proxy that reads it otherwise).
    void badFramingIsRefusedAndClosed_data() {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        // QByteArray(...) around each: with QStringBuilder a sum is not a QByteArray yet.
        const QByteArray session = "POST /api/v1/customer/session HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        auto row = [](const char* name, const QByteArray& request, int status) {
            QTest::newRow(name) << request << status;
        };
        row("content-length and chunked",
            QByteArray(session + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
        row("chunked and content-length",
            QByteArray(session + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"), 400);
        row("two content-lengths", QByteArray(session + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x"),
            400);
        row("content-length list", QByteArray(session + "Content-Length: 2, 3\r\n\r\n{}x"), 400);
        row("negative content-length", QByteArray(session + "Content-Length: -1\r\n\r\n"), 400);
        row("transfer-encoding not chunked", QByteArray(session + "Transfer-Encoding: gzip\r\n\r\n"), 400);
        row("chunked twice",
            QByteArray(session + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400);
        row("bad chunk size", QByteArray(session + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"),
            400);
        QByteArray nul("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a");
        nul.append('\0');
        nul.append("b\r\n\r\n");
        row("NUL in a header value", nul, 400);
        row("CR in a header value", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\rb\r\n\r\n", 400);
        row("LF alone in a header value", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\nb\r\n\r\n",
            400);
        row("space in a header name", "GET /healthz HTTP/1.1\r\nX Note: a\r\n\r\n", 400);
        row("not HTTP", "HELLO THERE\r\n\r\n", 400);
        row("header field too large",
            QByteArray("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + QByteArray(20000, 'a') +
                       "\r\n\r\n"),
            431);
        // Larger than a read: the parser has taken the request line before the limit is hit.
        row("header field far too large",
            QByteArray("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + QByteArray(40000, 'a') +
                       "\r\n\r\n"),
            431);
        QByteArray many = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        for (int i = 0; i < 150; ++i)
            many.append(QByteArray("X-" + QByteArray::number(i) + ": v\r\n"));
        many.append("\r\n");
        row("too many header fields", many, 431);
        row("URL too long",
            QByteArray("GET /" + QByteArray(20000, 'a') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), 414);
    }
    void badFramingIsRefusedAndClosed() {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        RawHttp c;
        QVERIFY(c.connect(port()));
        // A second request right behind it must not be answered.
        QVERIFY(c.send(request.toStdString() + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
        const auto r = c.read();
        QCOMPARE(r.status, status);
        QCOMPARE(r.header("Connection"), std::string("close"));
        QVERIFY2(r.body.find("\"error\"") != std::string::npos, r.body.c_str());
        QVERIFY(c.waitClosed(5s));
        QVERIFY(stillServes());
    }

    // A chunked body over --max-body-bytes is refused as soon as it passes the limit, before the
    // token is looked at, and the server reads no more of it into memory.
    void oversizedChunkedBodyIsRefusedEarlyWithBoundedMemory() {
        const qint64 pid = f.server.pid();
        const long rssBefore = procStatusKb(pid, "VmRSS");
        QVERIFY(rssBefore > 0);
        RawHttp c;
        QVERIFY(c.connect(port()));
        QVERIFY(
            c.send("POST /api/v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                   "Content-Type: application/json\r\n\r\n"));
        const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n"; // 64 KiB
        for (int i = 0; i < 4; ++i) // 256 KiB: past the 64 KiB limit
            QVERIFY(c.send(chunk));
        const auto r = c.read();
        QCOMPARE(r.status, 413); // not 401: the body is refused before authentication
        QVERIFY(r.body.find("\"payload_too_large\"") != std::string::npos);
        QCOMPARE(r.header("Access-Control-Allow-Origin"), std::string("*")); // readable by the widget

        // 200 MB more at full speed: the server drops it, it does not keep it.
        std::size_t sent = 0;
        while (sent < 200u * 1024 * 1024 && c.send(chunk))
            sent += chunk.size();
        const long peak = procStatusKb(pid, "VmHWM");
        QVERIFY2(peak - rssBefore < 40 * 1024,
                 qPrintable(QStringLiteral("peak RSS %1 kB, %2 kB before").arg(peak).arg(rssBefore)));
        QVERIFY(c.waitClosed(10s));
        QVERIFY(stillServes());
    }

    // The same for a signed-in customer's message: 413, and nothing stored.
    void chunkedMessageOverTheLimitIsNotStored() {
        auto [token, id] = f.customerWithConversation();
        QVERIFY(!id.empty());
        const auto before = f.conversation(id, token)["messages"].size();
        const std::string content = "{\"content\":\"" + std::string(10 * 1024 * 1024, 'a') + "\"}";
        RawHttp c;
        QVERIFY(c.connect(port()));
        std::string head = "POST /api/v1/conversations/" + id +
                           "/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
                           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        QVERIFY(c.send(head));
        for (std::size_t at = 0; at < content.size(); at += 0x8000) {
            const auto piece = content.substr(at, 0x8000);
            char size[16];
            std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
            if (!c.send(size + piece + "\r\n"))
                break; // refused and closed already
        }
        c.send("0\r\n\r\n");
        QCOMPARE(c.read().status, 413);
        QCOMPARE(f.conversation(id, token)["messages"].size(), before);
        QVERIFY(stillServes());
    }

    // Connections that send a request byte by byte hold no worker (there are 8 here, and 80 slow
    // clients): others are served at once, and each slow one is closed at the request deadline
    // (2 s here) however steadily its bytes come.
    void slowClientsHoldNoWorkerAndMeetTheDeadline() {
        constexpr int kSlow = 80;
        std::vector<std::unique_ptr<RawHttp>> slow;
        const std::string request = post("/api/v1/customer/session", {}, "{}");
        for (int i = 0; i < kSlow; ++i) {
            auto c = std::make_unique<RawHttp>();
            QVERIFY(c->connect(port()));
            QVERIFY(c->send(request.substr(0, 10)));
            slow.push_back(std::move(c));
        }
        const auto started = std::chrono::steady_clock::now();
        std::size_t at = 10;
        bool allClosed = false;
        while (!allClosed && std::chrono::steady_clock::now() - started < 8s) {
            // One more byte each, every 300 ms: far too slow, but never silent.
            allClosed = true;
            for (auto& c : slow)
                allClosed = !c->send(request.substr(at, 1)) && allClosed;
            ++at;
            // Meanwhile the server answers others at once: a plain request and one for a worker.
            const auto t0 = std::chrono::steady_clock::now();
            QCOMPARE(rawGet(port(), "/healthz", 2s).status, 200);
            QCOMPARE(rawGet(port(), "/api/v1/faq", 2s).status, 200);
            QVERIFY(std::chrono::steady_clock::now() - t0 < 1500ms);
            std::this_thread::sleep_for(300ms); // the slow clients' pace, not a wait for the server
        }
        for (auto& c : slow)
            QVERIFY(c->waitClosed(5s));
        const auto took = std::chrono::steady_clock::now() - started;
        QVERIFY2(took < 7s, "the slow connections were closed at the 2 s request deadline");
        QVERIFY(at < request.size()); // none of them ever finished its request
        QVERIFY(stillServes());
    }

    // A flood of header lines is cut off at the head limit (431 long before the flood ends), and
    // what the client goes on sending is dropped, not kept.
    void headerFloodIsCutOff() {
        const qint64 pid = f.server.pid();
        const long rssBefore = procStatusKb(pid, "VmRSS");
        RawHttp c;
        QVERIFY(c.connect(port()));
        QVERIFY(c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
        const std::string line = "X-Flood: " + std::string(4096, 'f') + "\r\n";
        for (int i = 0; i < 64; ++i) // 256 KiB of head: far past the limit
            QVERIFY(c.send(line));
        const auto r = c.read();
        QCOMPARE(r.status, 431);
        int sent = 64;
        while (sent < 20000 && c.send(line)) // the rest of 80 MB, as fast as it goes
            ++sent;
        const long peak = procStatusKb(pid, "VmHWM");
        QVERIFY2(peak - rssBefore < 40 * 1024,
                 qPrintable(QStringLiteral("peak RSS %1 kB, %2 kB before").arg(peak).arg(rssBefore)));
        QVERIFY(c.waitClosed(10s));
        QVERIFY(stillServes());
    }

    // The raw path is split at '/' before each segment is decoded: an encoded slash is part of
    // an id, never a route boundary.
    void encodedSlashStaysInsideItsSegment() {
        auto [token, id] = f.customerWithConversation();
        const auto asIs = f.http->get("/api/v1/conversations/" + id + "/messages", token);
        QCOMPARE(asIs.status, 200);
        for (const char* slash : {"%2f", "%2F"}) {
            const auto r = f.http->get("/api/v1/conversations/" + id + slash + "messages", token);
            QCOMPARE(r.status, 404);
            QCOMPARE(r.errorCode(), std::string("not_found"));
        }
        const auto badEscape = f.http->get("/api/v1/conversations/%zz", token);
        QCOMPARE(badEscape.status, 400);
        QVERIFY(stillServes());
    }

    void staticFilesNeverLeaveTheWebRoot_data() {
        QTest::addColumn<QString>("path");
        QTest::newRow("dot-dot") << QStringLiteral("/../secret.js");
        QTest::newRow("dot-dot in assets") << QStringLiteral("/assets/../../secret.js");
        QTest::newRow("encoded dots") << QStringLiteral("/%2e%2e/secret.js");
        QTest::newRow("encoded dots, upper case") << QStringLiteral("/%2E%2E/secret.js");
        QTest::newRow("encoded slash") << QStringLiteral("/..%2fsecret.js");
        QTest::newRow("all encoded") << QStringLiteral("/%2e%2e%2fsecret.js");
        QTest::newRow("double encoded") << QStringLiteral("/%252e%252e/secret.js");
        QTest::newRow("backslash") << QStringLiteral("/..\\secret.js");
        QTest::newRow("encoded backslash") << QStringLiteral("/..%5csecret.js");
        QTest::newRow("overlong dots") << QStringLiteral("/%c0%ae%c0%ae/secret.js");
        QTest::newRow("overlong slash") << QStringLiteral("/..%c0%afsecret.js");
        QTest::newRow("NUL") << QStringLiteral("/widget.js%00.png");
        QTest::newRow("absolute") << QStringLiteral("//etc/passwd");
        QTest::newRow("encoded absolute") << QStringLiteral("/%2fetc%2fpasswd");
        QTest::newRow("readme") << QStringLiteral("/README.md");
        QTest::newRow("dot-file") << QStringLiteral("/.hidden.js");
        QTest::newRow("backup") << QStringLiteral("/widget.js.bak");
        QTest::newRow("directory") << QStringLiteral("/assets");
        QTest::newRow("directory slash") << QStringLiteral("/assets/");
        QTest::newRow("trailing slash") << QStringLiteral("/widget.js/");
    }
    void staticFilesNeverLeaveTheWebRoot() {
        QFETCH(QString, path);
        const auto r = rawGet(port(), path.toStdString());
        QVERIFY2(r.status == 404 || r.status == 400,
                 qPrintable(QStringLiteral("%1: %2").arg(path).arg(r.status)));
        QVERIFY(r.body.find("secret") == std::string::npos);
        QVERIFY(stillServes());
    }

    void allowedFilesAreServed() {
        QCOMPARE(rawGet(port(), "/").status, 200);
        QCOMPARE(rawGet(port(), "/widget.js").status, 200);
        const auto svg = rawGet(port(), "/assets/logo.svg");
        QCOMPARE(svg.status, 200);
        QCOMPARE(svg.header("Content-Type"), std::string("image/svg+xml"));
    }

    void secondServerOnTheSamePortFailsClearly() {
        QTemporaryDir dir;
        ServerLauncher second(PARLEY_SERVER_BINARY, dir.path().toStdString());
        QVERIFY(!second.start({"--host", "127.0.0.1", "--http-port", std::to_string(port()), "--data-dir",
                               dir.path().toStdString() + "/data"}));
        QVERIFY2(second.error().find("exit code 1") != std::string::npos, second.error().c_str());
        QVERIFY2(second.error().find("Address already in use") != std::string::npos, second.error().c_str());
        QVERIFY(!QDir(dir.path() + QStringLiteral("/data")).exists()); // it touched no data dir
        QVERIFY(stillServes());
    }

    // At --http-max-connections accepting pauses: a new client waits in the backlog (it is not
    // refused, and nothing crashes) and is served as soon as a connection closes.
    void connectionCapPausesAccepting() {
        ServerProcess capped;
        QVERIFY(capped.start({QStringLiteral("--http-max-connections"), QStringLiteral("4")}));
        std::vector<std::unique_ptr<RawHttp>> open;
        for (int i = 0; i < 4; ++i) {
            auto c = std::make_unique<RawHttp>();
            QVERIFY(c->connect(capped.httpPort()));
            QVERIFY(c->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
            QCOMPARE(c->read().status, 200); // accepted and kept alive
            open.push_back(std::move(c));
        }
        RawHttp waiting;
        QVERIFY(waiting.connect(capped.httpPort())); // the kernel completes it in the backlog
        QVERIFY(waiting.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        QCOMPARE(waiting.read(1500ms).status, 0); // not served while four are open
        open.front()->close();
        QCOMPARE(waiting.read(5s).status, 200);
        QVERIFY(capped.stop());
    }

    void http10ClosesUnlessAskedToKeepAlive() {
        RawHttp c;
        QVERIFY(c.connect(port()));
        QVERIFY(c.send("GET /healthz HTTP/1.0\r\n\r\n"));
        auto r = c.read();
        QCOMPARE(r.status, 200);
        QVERIFY(r.head.rfind("HTTP/1.0 200", 0) == 0);
        QVERIFY(c.waitClosed(5s));

        QVERIFY(c.connect(port()));
        QVERIFY(c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        r = c.read();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Connection"), std::string("keep-alive"));
        QVERIFY(c.send("GET /api/v1/faq HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        QCOMPARE(c.read().status, 200);

        QVERIFY(c.connect(port()));
        QVERIFY(c.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
        QCOMPARE(c.read().status, 200);
        QVERIFY(c.waitClosed(5s));
        QVERIFY(stillServes());
    }

    // Answers in order, whether they come from the io thread or a worker, with bodies between.
    void pipelinedRequestsAreAnsweredInOrder() {
        RawHttp c;
        QVERIFY(c.connect(port()));
        const std::string get = "GET /api/v1/faq HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        QVERIFY(c.send(get + post("/api/v1/customer/session", {}, "{}") +
                       "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                       "HEAD /widget.js HTTP/1.1\r\nHost: x\r\n\r\n" + get));
        auto r = c.read();
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.find("\"faq\"") != std::string::npos);
        r = c.read();
        QCOMPARE(r.status, 201);
        QVERIFY(r.body.find("\"token\"") != std::string::npos);
        r = c.read();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, std::string("{\"status\":\"ok\"}"));
        r = c.read(10s, true); // HEAD: the GET's length, no body
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Content-Length"), std::string("12"));
        r = c.read();
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.find("\"faq\"") != std::string::npos);
    }

    void unknownMethodsAndPaths() {
        const auto r = f.http->raw("DELETE", "/api/v1/faq", {});
        QCOMPARE(r.status, 405);
        QCOMPARE(r.header("Allow"), std::string("GET"));
        QCOMPARE(f.http->get("/api/v1/nothing").status, 404);
        QCOMPARE(f.http->post("/widget.js").status, 404);
        QVERIFY(stillServes());
    }

    void unauthorizedSaysBearer() {
        const auto r = f.http->get("/api/v1/queue");
        QCOMPARE(r.status, 401);
        QCOMPARE(r.header("WWW-Authenticate"), std::string("Bearer"));
        QCOMPARE(r.header("Access-Control-Expose-Headers"), std::string("Retry-After"));
    }
};

QTEST_GUILESS_MAIN(TestHttpHostile)
#include "tst_http_hostile.moc"
