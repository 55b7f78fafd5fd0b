// Reports and data rights in the console (issue 22), against a real parley-server: seeded over the
// API (bot-only chats, handoffs answered and closed by an agent, ratings), then some conversations
// moved two days back and handoffs moved earlier in the server's SQLite file while it is stopped.
// The reports view must chart the seeded days' numbers, list the agents, export the CSV; the shopper
// panel must export a shopper's data and erase it only after a confirmation naming the shopper.
// Screenshots (reports light and dark, the erase confirmation) go to $PARLEY_TEST_ARTIFACTS.
#include "GuiTestUtil.h"

#include "core/ReportsModel.h"
#include "gui/ConversationView.h"
#include "gui/FileChooser.h"
#include "gui/MainWindow.h"
#include "gui/ReportsView.h"
#include "gui/ShopperDataRights.h"
#include "gui/Style.h"

#include <sqlite3.h>

#include <QAction>
#include <QApplication>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QComboBox>
#include <QDateEdit>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QStyle>
#include <QTableView>
#include <QTextBrowser>
#include <QTimeZone>

using namespace parley::test;
using namespace parley::test::console;
using namespace parley::console;
using nlohmann::json;
using parley::console::gui::MainWindow;
using parley::console::gui::ReportsView;
using parley::console::gui::ShopperDataRights;
namespace theme = parley::console::gui::theme;

namespace {

bool execSql(const QString& dbPath, const std::string& sql) {
    sqlite3* db = nullptr;
    bool ok = sqlite3_open(dbPath.toStdString().c_str(), &db) == SQLITE_OK;
    char* err = nullptr;
    if (ok && sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        qWarning("seed failed: %s", err ? err : "?");
        sqlite3_free(err);
        ok = false;
    }
    sqlite3_close(db);
    return ok;
}

// A column moved by an SQLite date modifier, kept in the server's format (NULL stays NULL).
std::string moved(const char* column, const std::string& modifier) {
    return std::string(column) + " = strftime('%Y-%m-%dT%H:%M:%fZ', " + column + ", '" + modifier + "')";
}

QPalette darkPalette() {
    QPalette p;
    const QColor window(0x2d, 0x2f, 0x33), base(0x1f, 0x21, 0x24), text(0xe8, 0xea, 0xed);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x27, 0x29, 0x2d));
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x36, 0x39, 0x3e));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    p.setColor(QPalette::Midlight, QColor(0x3d, 0x40, 0x45));
    p.setColor(QPalette::Mid, QColor(0x25, 0x27, 0x2a));
    p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xe0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x7c, 0xb0, 0xff));
    return p;
}

QBarSet* barSet(QChart* chart, const char* name) {
    auto* series = qobject_cast<QBarSeries*>(chart->series().value(0));
    if (!series)
        return nullptr;
    for (QBarSet* set : series->barSets())
        if (set->objectName() == QLatin1String(name))
            return set;
    return nullptr;
}

QLineSeries* lineSeries(QChart* chart, const char* name) {
    for (QAbstractSeries* s : chart->series())
        if (s->objectName() == QLatin1String(name))
            return qobject_cast<QLineSeries*>(s);
    return nullptr;
}

// The y of the point at x, or NaN when the series has none there.
double pointAt(QLineSeries* series, int x) {
    for (const QPointF& p : series->points())
        if (qRound(p.x()) == x)
            return p.y();
    return std::nan("");
}

} // namespace

class TestConsoleReports : public QObject, private ServerFixture {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;
    QTemporaryDir m_files;
    QString m_artifacts;
    std::string m_bobId;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<MainWindow> m_window;
    QPointer<ReportsView> m_view;
    QDate m_today; // in UTC, the zone the tests pick
    std::vector<Customer> m_rated;

    // A conversation handed off, answered by Bob `answerAfterSeconds` after the handoff (the
    // handoff is moved back by that much later), closed by him and rated.
    Customer servedByBob(const std::string& bob, int score) {
        Customer c = customerWantingAgent(*m_http);
        customerSays(*m_http, c, "Where is my parcel?");
        m_http->post("/api/v1/conversations/" + c.conversationId + "/messages", {{"content", "Let me look."}},
                     bob);
        m_http->post("/api/v1/conversations/" + c.conversationId + "/close", json::object(), bob);
        const auto r = m_http->post("/api/v1/conversations/" + c.conversationId + "/rating",
                                    {{"score", score}}, c.token);
        if (r.status != 201)
            qWarning("rating: %s", r.describe().c_str());
        return c;
    }

    Customer botOnly() {
        Customer c;
        const auto s = m_http->newCustomer();
        c.token = s.token;
        c.sessionId = s.sessionId;
        c.conversationId = m_http->post("/api/v1/conversations", json::object(), c.token)
                               .body["conversation"]
                               .value("id", "");
        customerSays(*m_http, c, "What are your opening hours?");
        return c;
    }

    json serverReport() {
        const QDate from = m_today.addDays(-6);
        return m_http
            ->get("/api/v1/admin/reports?from=" + from.toString(Qt::ISODate).toStdString() +
                      "&to=" + m_today.toString(Qt::ISODate).toStdString() + "&tz=UTC",
                  m_adminToken)
            .body;
    }

    // Sets the view's range (last 7 UTC days) and zone, and waits for the report.
    bool showLastWeekInUtc() {
        QSignalSpy loaded(m_view->model(), &ReportsModel::loaded);
        find<QComboBox>(m_view, "reportsZone")->setCurrentText(QStringLiteral("UTC"));
        find<QDateEdit>(m_view, "reportsTo")->setDate(m_today);
        find<QDateEdit>(m_view, "reportsFrom")->setDate(m_today.addDays(-6));
        QTest::mouseClick(find<QPushButton>(m_view, "reportsRefresh"), Qt::LeftButton);
        return QTest::qWaitFor([&] { return loaded.count() > 0 && !m_view->isBusy(); }, 10000) &&
               m_view->model()->report().timeZone == QLatin1String("UTC") &&
               m_view->model()->report().to == m_today;
    }

    bool save(QWidget* w, const QString& name) {
        const QString file = m_artifacts + QLatin1Char('/') + name;
        if (!w->grab().save(file))
            return false;
        qInfo("screenshot: %s", qPrintable(file));
        return true;
    }

private slots:
    void initTestCase() {
        isolateSettings(m_settingsDir);
        QApplication::setStyle(QStringLiteral("Fusion"));
        m_artifacts = qEnvironmentVariable("PARLEY_TEST_ARTIFACTS", QDir::tempPath());
        QVERIFY(QDir().mkpath(m_artifacts));
        QVERIFY(startServerAsAdmin());
        m_bobId = createAgent(*m_http, m_adminToken, "bob", "Bob Baker", 5);
        QVERIFY(!m_bobId.empty());
        const std::string bob = m_http->login("bob", "agent-pass-1");
        QVERIFY(setPresence(*m_http, bob, "online"));

        // Today: three chats the bot handled, two Bob served (rated 5 and 3). Two days ago (moved
        // below): one the bot handled, one Bob served (rated 4).
        for (int i = 0; i < 3; ++i)
            botOnly();
        const Customer old1 = botOnly();
        const Customer h1 = servedByBob(bob, 5), h2 = servedByBob(bob, 3), old2 = servedByBob(bob, 4);
        m_rated = {h1, h2, old2};
        QVERIFY(setPresence(*m_http, bob, "offline"));

        QVERIFY(m_server.stop());
        const QString db = m_server.dataDir() + QStringLiteral("/parley.db");
        const std::string old = "('" + old1.conversationId + "','" + old2.conversationId + "')";
        std::string sql = "BEGIN;";
        sql += "UPDATE conversations SET " + moved("created_at", "-2 days") + ", " +
               moved("updated_at", "-2 days") + ", " + moved("requested_agent_at", "-2 days") + ", " +
               moved("closed_at", "-2 days") + ", " + moved("rated_at", "-2 days") + ", " +
               moved("first_agent_reply_at", "-2 days") + " WHERE id IN " + old + ";";
        sql += "UPDATE messages SET " + moved("created_at", "-2 days") + " WHERE conversation_id IN " + old +
               ";";
        // The handoffs come earlier, so that closes come 90, 40 and 150 s after them (plus the
        // milliseconds the seeding took).
        const std::pair<const Customer*, int> earlier[] = {{&h1, 90}, {&h2, 40}, {&old2, 150}};
        for (const auto& [c, seconds] : earlier)
            sql += "UPDATE conversations SET " +
                   moved("requested_agent_at", "-" + std::to_string(seconds) + " seconds") + ", " +
                   moved("created_at", "-" + std::to_string(seconds) + " seconds") + " WHERE id = '" +
                   c->conversationId + "';";
        // Bob's answers come 30 s earlier: first responses of 60, 10 and 120 s, resolutions of 90, 40, 150 s.
        sql += "UPDATE messages SET " + moved("created_at", "-30 seconds") + " WHERE sender_type = 'agent';";
        sql += "UPDATE conversations SET " + moved("first_agent_reply_at", "-30 seconds") + ";";
        sql += "COMMIT;";
        QVERIFY(execSql(db, sql));
        QVERIFY(m_server.restart());
        m_http = std::make_unique<HttpClient>(m_server.httpPort());
        m_adminToken = m_http->login("admin", ServerProcess::kAdminPassword);
        QVERIFY(!m_adminToken.empty());
        m_today = QDateTime::currentDateTimeUtc().date();

        m_session = std::make_unique<Session>();
        m_window = std::make_unique<MainWindow>(m_session.get());
        m_window->resize(1280, 800);
        QVERIFY(signInThroughDialog(*m_session, m_server, QStringLiteral("admin"),
                                    QString::fromLatin1(ServerProcess::kAdminPassword)));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    void reportsActionIsForAdminsOnly() {
        auto* action = m_window->findChild<QAction*>(QStringLiteral("reportsAction"));
        QVERIFY(action);
        QVERIFY(action->isVisible());

        Session bobSession;
        MainWindow bobWindow(&bobSession);
        QVERIFY(
            signInThroughDialog(bobSession, m_server, QStringLiteral("bob"), QStringLiteral("agent-pass-1")));
        auto* bobAction = bobWindow.findChild<QAction*>(QStringLiteral("reportsAction"));
        QVERIFY(bobAction);
        QVERIFY(!bobAction->isVisible());
        bobAction->trigger(); // a shortcut that slipped through opens nothing
        QVERIFY(!bobWindow.findChild<ReportsView*>());
    }

    void chartsShowTheSeededDays() {
        m_window->findChild<QAction*>(QStringLiteral("reportsAction"))->trigger();
        m_view = m_window->findChild<ReportsView*>(QStringLiteral("reportsView"));
        QVERIFY(m_view);
        QVERIFY(QTest::qWaitForWindowExposed(m_view));
        // Defaults: the last 7 days, the system's zone.
        QCOMPARE(find<QDateEdit>(m_view, "reportsTo")->date(), QDate::currentDate());
        QCOMPARE(find<QDateEdit>(m_view, "reportsFrom")->date(), QDate::currentDate().addDays(-6));
        QCOMPARE(find<QComboBox>(m_view, "reportsZone")->currentText(),
                 QString::fromLatin1(QTimeZone::systemTimeZoneId()));
        QVERIFY(find<QComboBox>(m_view, "reportsZone")->findText(QStringLiteral("Europe/Berlin")) >= 0);
        QVERIFY(showLastWeekInUtc());

        const int today = 6, twoDaysAgo = 4;
        QChart* volume = m_view->volumeChart();
        QBarSet* conversations = barSet(volume, "conversationsSet");
        QBarSet* handoffs = barSet(volume, "handoffsSet");
        QBarSet* bot = barSet(volume, "botResolvedSet");
        QVERIFY(conversations && handoffs && bot);
        QCOMPARE(conversations->count(), 7);
        QCOMPARE(conversations->at(today), 5.0);
        QCOMPARE(handoffs->at(today), 2.0);
        QCOMPARE(bot->at(today), 3.0);
        QCOMPARE(conversations->at(twoDaysAgo), 2.0);
        QCOMPARE(handoffs->at(twoDaysAgo), 1.0);
        QCOMPARE(bot->at(twoDaysAgo), 1.0);
        for (int day : {0, 1, 2, 3, 5})
            QCOMPARE(conversations->at(day), 0.0);

        // Times: the server's measured values, a point only on days with something to measure.
        const json report = serverReport();
        QCOMPARE(report["days"].size(), std::size_t(7));
        const json& t = report["days"][6];
        const json& o = report["days"][4];
        const auto within = [](const json& v, double from) {
            return v.is_number() && v.get<double>() >= from && v.get<double>() < from + 5;
        };
        QVERIFY(within(t["first_response_p50_s"], 10));
        QVERIFY(within(t["first_response_p90_s"], 60));
        QVERIFY(within(t["resolution_p50_s"], 40));
        QVERIFY(within(o["first_response_p50_s"], 120));
        QChart* times = m_view->timesChart();
        QLineSeries* p50 = lineSeries(times, "firstResponseP50Series");
        QLineSeries* p90 = lineSeries(times, "firstResponseP90Series");
        QLineSeries* resolution = lineSeries(times, "resolutionP50Series");
        QVERIFY(p50 && p90 && resolution);
        QCOMPARE(p50->count(), 2);
        QCOMPARE(pointAt(p50, today), t["first_response_p50_s"].get<double>());
        QCOMPARE(pointAt(p90, today), t["first_response_p90_s"].get<double>());
        QCOMPARE(pointAt(resolution, today), t["resolution_p50_s"].get<double>());
        QCOMPARE(pointAt(p50, twoDaysAgo), o["first_response_p50_s"].get<double>());
        QVERIFY(std::isnan(pointAt(p50, 5)));

        // Totals: 7 chats, 3 handoffs, 4 of 7 bot-resolved, ratings 5, 3, 4.
        QCOMPARE(find<QLabel>(m_view, "reportsConversations")->text(), QStringLiteral("7"));
        QCOMPARE(find<QLabel>(m_view, "reportsHandoffs")->text(), QStringLiteral("3"));
        QCOMPARE(find<QLabel>(m_view, "reportsBotShare")->text(), QStringLiteral("57 %"));
        QCOMPARE(find<QLabel>(m_view, "reportsRating")->text(), QStringLiteral("4.00 / 5"));

        // Agents: Bob closed all three (ratings 5, 3, 4); the admin none.
        auto* table = find<QTableView>(m_view, "reportsAgentsTable");
        QAbstractItemModel* model = table->model();
        QCOMPARE(model->rowCount(), 2);
        int bobRow = -1, adminRow = -1;
        for (int r = 0; r < model->rowCount(); ++r) {
            const QString name = model->index(r, ReportsModel::AgentColumn).data().toString();
            if (name == QLatin1String("Bob Baker"))
                bobRow = r;
            else
                adminRow = r;
        }
        QVERIFY(bobRow >= 0 && adminRow >= 0);
        QCOMPARE(model->index(bobRow, ReportsModel::ClosedColumn).data().toInt(), 3);
        QCOMPARE(model->index(bobRow, ReportsModel::RatingColumn).data(ReportsModel::ValueRole).toDouble(),
                 4.0);
        QCOMPARE(model->index(bobRow, ReportsModel::RatingColumn).data().toString(), QStringLiteral("4.00"));
        QVERIFY(model->index(bobRow, ReportsModel::FirstResponseColumn)
                    .data()
                    .toString()
                    .contains(QLatin1String("min")));
        QCOMPARE(model->index(adminRow, ReportsModel::ClosedColumn).data().toInt(), 0);
        QCOMPARE(model->index(adminRow, ReportsModel::RatingColumn).data().toString(),
                 QStringLiteral("\u2014"));

        // Another zone asks again: 14:00 in the far east is still the same UTC day for these seeds
        // only roughly, so just check the answer names the zone.
        QSignalSpy loaded(m_view->model(), &ReportsModel::loaded);
        find<QComboBox>(m_view, "reportsZone")->setCurrentText(QStringLiteral("America/New_York"));
        QTRY_VERIFY_WITH_TIMEOUT(loaded.count() > 0, 10000);
        QCOMPARE(m_view->model()->report().timeZone, QStringLiteral("America/New_York"));
        QVERIFY(showLastWeekInUtc());
    }

    void rangeErrorsAreShown() {
        QVERIFY(m_view);
        find<QDateEdit>(m_view, "reportsFrom")->setDate(m_today.addDays(1));
        QTRY_VERIFY(m_view->statusText().contains(QLatin1String("must not be after")));
        QVERIFY(showLastWeekInUtc());
    }

    void exportCsvWritesTheFile() {
        QVERIFY(m_view);
        const QString path = m_files.filePath(QStringLiteral("report.csv"));
        QString suggested;
        gui::setSaveFileChooser([&](QWidget*, const QString&, const QString& name, const QString&) {
            suggested = name;
            return path;
        });
        QSignalSpy exported(m_view, &ReportsView::csvExported);
        QTest::mouseClick(find<QPushButton>(m_view, "reportsExportCsv"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 10000);
        gui::setSaveFileChooser({});
        QCOMPARE(suggested,
                 QStringLiteral("parley-report-%1-to-%2.csv")
                     .arg(m_today.addDays(-6).toString(Qt::ISODate), m_today.toString(Qt::ISODate)));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.value(0).trimmed(), QByteArray("date,conversations,handoffs,bot_resolved,closed,"
                                                      "first_response_p50_s,first_response_p90_s,"
                                                      "resolution_p50_s,rating_avg,ratings"));
        QCOMPARE(lines.value(7).left(16),
                 (m_today.toString(Qt::ISODate) + QStringLiteral(",5,2,3")).toUtf8());
        QVERIFY(m_view->statusText().contains(path));

        // Cancelling the dialog writes nothing.
        gui::setSaveFileChooser(
            [](QWidget*, const QString&, const QString&, const QString&) { return QString(); });
        QTest::mouseClick(find<QPushButton>(m_view, "reportsExportCsv"), Qt::LeftButton);
        gui::setSaveFileChooser({});
        QCOMPARE(exported.count(), 1);
    }

    void screenshotsLightAndDark() {
        QVERIFY(m_view);
        m_view->resize(1100, 820);
        QApplication::setPalette(QApplication::style()->standardPalette());
        QTRY_VERIFY(!theme::isDark(m_view->palette()));
        QVERIFY(m_view->volumeChart()->backgroundBrush().color().lightness() > 200);
        QVERIFY(save(m_view, QStringLiteral("console-reports-light.png")));
        QApplication::setPalette(darkPalette());
        QTRY_VERIFY(theme::isDark(m_view->palette()));
        // The charts follow the palette: a dark page, light labels.
        QTRY_VERIFY(m_view->volumeChart()->backgroundBrush().color().lightness() < 90);
        QVERIFY(m_view->volumeChart()->titleBrush().color().lightness() > 180);
        QVERIFY(m_view->timesChart()->legend()->labelColor().lightness() > 180);
        QVERIFY(save(m_view, QStringLiteral("console-reports-dark.png")));
        QApplication::setPalette(QApplication::style()->standardPalette());
        m_view->close();
    }

    void shopperDataExportAndErase() {
        // A shopper with a name, waiting in the queue; the admin watches its chat.
        Customer jane = customerWantingAgent(*m_http);
        QCOMPARE(m_http
                     ->post("/api/v1/conversations/" + jane.conversationId + "/contact",
                            {{"email", "jane@example.com"}, {"name", "Jane Shopper"}}, jane.token)
                     .status,
                 200);
        QCOMPARE(customerSays(*m_http, jane, "My card number ends in 4242, please call me."), 201);
        m_window->showConversation(qs(jane.conversationId));
        auto* transcript = find<QTextBrowser>(m_window.get(), "transcript");
        QTRY_VERIFY_WITH_TIMEOUT(transcript->toPlainText().contains(QLatin1String("4242")), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(find<QLabel>(m_window.get(), "shopperName")->text(),
                                  QStringLiteral("Jane Shopper"), 10000);
        auto* rights = find<ShopperDataRights>(m_window.get(), "shopperDataRights");
        QTRY_VERIFY(rights->isVisible());
        QVERIFY(!find<QLabel>(rights, "shopperErasedNote")->isVisible());

        // Export: the server's JSON of that session, saved where the chooser said.
        const QString path = m_files.filePath(QStringLiteral("jane.json"));
        gui::setSaveFileChooser(
            [&](QWidget*, const QString&, const QString&, const QString&) { return path; });
        QSignalSpy exported(rights, &ShopperDataRights::exported);
        QTest::mouseClick(find<QPushButton>(rights, "exportDataButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, 10000);
        gui::setSaveFileChooser({});
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const json saved = json::parse(file.readAll().toStdString());
        QCOMPARE(qs(saved.value("customer_session_id", "")), qs(jane.sessionId));
        QVERIFY(saved.dump().find("4242") != std::string::npos);

        // Erase asks first, naming the shopper; Cancel erases nothing.
        QTest::mouseClick(find<QPushButton>(rights, "eraseDataButton"), Qt::LeftButton);
        QPointer<QMessageBox> box = rights->confirmation();
        QVERIFY(box);
        QCOMPARE(box->objectName(), QStringLiteral("confirmEraseBox"));
        QVERIFY(box->text().contains(QLatin1String("Jane Shopper")));
        QVERIFY(QTest::qWaitForWindowExposed(box));
        QVERIFY(save(box, QStringLiteral("console-erase-confirm.png")));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(!box);
        const std::string exportPath = "/api/v1/admin/customers/" + jane.sessionId + "/export";
        QVERIFY(m_http->get(exportPath, m_adminToken).body.dump().find("4242") != std::string::npos);

        // Yes erases: the server keeps no content, the transcript and the panel show the erased state.
        QTest::mouseClick(find<QPushButton>(rights, "eraseDataButton"), Qt::LeftButton);
        box = rights->confirmation();
        QVERIFY(box);
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        QSignalSpy erased(rights, &ShopperDataRights::erased);
        QTRY_COMPARE_WITH_TIMEOUT(erased.count(), 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(find<QLabel>(rights, "shopperErasedNote")->isVisible(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(transcript->toPlainText().contains(QLatin1String("(erased)")), 10000);
        QVERIFY(!transcript->toPlainText().contains(QLatin1String("4242")));
        QTRY_VERIFY_WITH_TIMEOUT(
            find<QLabel>(m_window.get(), "shopperName")->text() != QLatin1String("Jane Shopper"), 10000);
        QVERIFY(!find<QPushButton>(rights, "eraseDataButton")->isEnabled());
        QVERIFY(save(m_window.get(), QStringLiteral("console-erased-chat.png")));

        const auto after = m_http->get(exportPath, m_adminToken);
        QCOMPARE(after.status, 200);
        QCOMPARE(after.body.value("erased", false), true);
        QVERIFY(after.body.dump().find("4242") == std::string::npos);
        QVERIFY(after.body.dump().find("Jane") == std::string::npos);
        // Every message is empty but the one the erase itself wrote when it closed the open chat.
        for (const auto& c : after.body["conversations"])
            for (const auto& m : c["messages"]) {
                if (m["metadata"].value("reason", "") == "erased")
                    continue;
                QCOMPARE(qs(m.value("content", "?")), QString());
            }
        QCOMPARE(m_http->get("/api/v1/conversations/" + jane.conversationId, jane.token).status, 401);
    }

    void cleanupTestCase() {
        m_window.reset();
        m_session.reset();
    }
};

QTEST_MAIN(TestConsoleReports)
#include "tst_console_reports.moc"
