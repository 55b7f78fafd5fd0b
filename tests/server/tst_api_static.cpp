// The widget and the demo storefront as the real server serves them: types, caching, the one-line
// embed snippet, safe paths, only web files, and the widget's size budget (16 KiB gzipped).
#include "ApiTestBase.h"

#include <QByteArray>
#include <QFile>

using namespace parley::test;

class TestApiStatic : public QObject {
    Q_OBJECT
    ApiFixture f;
    HttpClient& http() { return *f.http; }

private slots:
    void initTestCase() { QVERIFY(f.start()); }

    void widgetIsServedWithCachingHeaders() {
        const auto r = http().get("/widget.js");
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("Content-Type").starts_with("text/javascript"));
        QCOMPARE(r.header("Cache-Control"), std::string("public, max-age=300"));
        QCOMPARE(r.header("Access-Control-Allow-Origin"), std::string("*")); // embeddable from any shop
        const auto etag = r.header("ETag");
        QVERIFY(!etag.empty());

        QFile source(QStringLiteral(PARLEY_SOURCE_DIR "/widget-web/widget.js"));
        QVERIFY(source.open(QIODevice::ReadOnly));
        QCOMPARE(QByteArray::fromStdString(r.rawBody), source.readAll());

        const auto again = http().raw("GET", "/widget.js", {}, {}, {}, {{"If-None-Match", etag}});
        QCOMPARE(again.status, 304);
        QVERIFY(again.rawBody.empty());
        const auto changed = http().raw("GET", "/widget.js", {}, {}, {}, {{"If-None-Match", "\"other\""}});
        QCOMPARE(changed.status, 200);
    }

    void widgetFitsItsSizeBudget() {
        const auto r = http().get("/widget.js");
        QCOMPARE(r.status, 200);
        // zlib's deflate at level 9, as gzip -9 (gzip adds an 18-byte frame, zlib 6 + qCompress 4).
        const auto compressed = qCompress(QByteArray::fromStdString(r.rawBody), 9);
        const qsizetype gzipBytes = compressed.size() - 10 + 18;
        // 16 KiB: one small request on a slow phone link, with room for what keeps a shopper's
        // messages (across tabs, page loads, outages and overloads).
        QVERIFY2(gzipBytes <= 16 * 1024, qPrintable(QStringLiteral("%1 bytes gzipped").arg(gzipBytes)));
    }

    void storefrontEmbedsTheWidgetWithOneTag() {
        const auto r = http().get("/");
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("Content-Type").starts_with("text/html"));
        QCOMPARE(r.header("Cache-Control"), std::string("no-cache"));
        QVERIFY(r.rawBody.find("widget.js") != std::string::npos);
        QVERIFY(r.rawBody.find("<script") != std::string::npos);
    }

    void unsafeOrUnknownPathsAreNotFound_data() {
        QTest::addColumn<QString>("path");
        QTest::newRow("missing") << QStringLiteral("/no-such-file.js");
        QTest::newRow("dot-dot") << QStringLiteral("/assets/../../CMakeLists.txt");
        QTest::newRow("encoded dot-dot") << QStringLiteral("/%2e%2e/%2e%2e/CMakeLists.txt");
        QTest::newRow("directory") << QStringLiteral("/assets");
        QTest::newRow("unknown api") << QStringLiteral("/api/v1/nothing-here");
        // The default web root of a developer build is the source tree's widget-web: its README
        // and anything else the widget does not use are not served.
        QTest::newRow("readme") << QStringLiteral("/README.md");
        QTest::newRow("not a web file") << QStringLiteral("/widget.js.orig");
    }
    void unsafeOrUnknownPathsAreNotFound() {
        QFETCH(QString, path);
        const auto r = http().get(path.toStdString());
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorCode(), std::string("not_found"));
    }
};

QTEST_GUILESS_MAIN(TestApiStatic)
#include "tst_api_static.moc"
