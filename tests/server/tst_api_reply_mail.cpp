// Reply mail (issue 21) against the real server and a real SMTP server (aiosmtpd, started by the
// test on a free port; tests/server/smtp_sink.py writes each mail it takes into a temp dir): an
// agent's reply that an away shopper has not read arrives as exactly one mail to its address; a
// shopper who read the reply, or has the widget open, gets none; a mail the SMTP server could not
// take at first is sent once it is up, also across a restart of parley-server.
#include "ApiTestBase.h"
#include "WsTestClient.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace parley::test;

namespace {

struct Mail {
    std::string envelopeTo;
    std::map<std::string, std::string> headers;
    std::string body; // decoded text
};

Mail parseMail(const QByteArray& raw) {
    Mail m;
    const auto split = raw.indexOf("\r\n\r\n");
    const auto head = raw.left(split);
    for (const auto& line : head.split('\n')) {
        const auto text = line.trimmed();
        const auto colon = text.indexOf(':');
        if (colon > 0)
            m.headers[text.left(colon).toLower().toStdString()] = text.mid(colon + 1).trimmed().toStdString();
    }
    m.envelopeTo = m.headers["x-envelope-to"];
    auto body = raw.mid(split + 4);
    body.replace("\r\n", "");
    m.body = QByteArray::fromBase64(body).toStdString();
    return m;
}

quint16 freePort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

QString python() {
    // Debian's python3 carries python3-aiosmtpd; a python3 earlier in PATH (pyenv) may not.
    return QFile::exists("/usr/bin/python3") ? QStringLiteral("/usr/bin/python3") : QStringLiteral("python3");
}

} // namespace

class TestApiReplyMail : public QObject {
    Q_OBJECT
    ApiFixture f;
    QTemporaryDir m_mailDir;
    quint16 m_smtpPort = 0;
    QProcess m_sink;
    QStringList m_args;

    HttpClient& http() { return *f.http; }

    bool startSink() {
        m_sink.setProgram(python());
        m_sink.setArguments({QStringLiteral(PARLEY_SOURCE_DIR "/tests/server/smtp_sink.py"), m_mailDir.path(),
                             QString::number(m_smtpPort)});
        m_sink.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_sink.start();
        if (!m_sink.waitForStarted(10000))
            return false;
        QByteArray out;
        while (!out.contains("ready") && m_sink.state() == QProcess::Running)
            if (m_sink.waitForReadyRead(10000))
                out += m_sink.readAllStandardOutput();
        return out.contains("ready");
    }

    std::vector<Mail> mailsTo(const std::string& address) {
        std::vector<Mail> out;
        QDir dir(m_mailDir.path());
        for (const auto& name : dir.entryList({QStringLiteral("mail-*.eml")}, QDir::Files, QDir::Name)) {
            QFile file(dir.filePath(name));
            if (!file.open(QIODevice::ReadOnly))
                continue;
            auto mail = parseMail(file.readAll());
            if (mail.envelopeTo == address)
                out.push_back(std::move(mail));
        }
        return out;
    }

    // A chat handed off to `agent`, whose shopper left `email` (and no WebSocket open).
    Rest::CustomerChat chatWithContact(const AgentLogin& agent, const std::string& email) {
        const auto c = http().newCustomer();
        const auto id = http()
                            .post("/api/v1/conversations", json::object(), c.token)
                            .body["conversation"]
                            .value("id", "");
        const auto h = http().post("/api/v1/conversations/" + id + "/handoff", json::object(), c.token);
        if (h.body["conversation"].value("assigned_agent_id", "") != agent.id)
            qWarning("not assigned: %s", h.describe().c_str());
        const auto r = http().post("/api/v1/conversations/" + id + "/contact",
                                   {{"email", email}, {"name", "Robin"}}, c.token);
        if (r.status != 200)
            qWarning("contact: %s", r.describe().c_str());
        return {c, id};
    }
    int reply(const AgentLogin& agent, const std::string& id, const std::string& text) {
        return http()
            .post("/api/v1/conversations/" + id + "/messages", {{"content", text}}, agent.token)
            .status;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_mailDir.isValid());
        QProcess check;
        check.start(python(), {"-c", "import aiosmtpd"});
        QVERIFY2(check.waitForFinished(20000) && check.exitCode() == 0,
                 "python3-aiosmtpd is missing (scripts/install-deps.sh test)");
        m_smtpPort = freePort();
        QVERIFY(m_smtpPort != 0);
        // The SMTP server is down at first (started by the first test).
        m_args = {"--smtp", QStringLiteral("smtp://127.0.0.1:%1").arg(m_smtpPort), "--smtp-from",
                  "shop@example.com", "--shop-name", "Teapot Shop",
                  // Long enough for a read mark to follow its reply on a loaded machine.
                  "--reply-mail-delay-seconds", "3", "--reply-mail-interval-seconds", "0",
                  "--mail-retry-seconds", "1"};
        QVERIFY(f.start(m_args));
    }

    void cleanupTestCase() {
        if (m_sink.state() != QProcess::NotRunning) {
            m_sink.terminate();
            if (!m_sink.waitForFinished(5000))
                m_sink.kill();
        }
    }

    void mailWaitsForTheSmtpServerAcrossARestartAndGoesOnce() {
        const auto agent = f.createAgent("mailer", 10, true);
        const auto chat = chatWithContact(agent, "robin@example.com");
        QCOMPARE(reply(agent, chat.conversationId, "Your parcel left our warehouse today."), 201);
        // The SMTP server is down: the server says so and will try again.
        QTRY_VERIFY_WITH_TIMEOUT(f.server.output().contains("not sent (attempt 1)"), 15000);
        // A restart while the mail waits: the outbox is in the database.
        QVERIFY(f.server.stop());
        QVERIFY(f.server.start(m_args));
        f.http = std::make_unique<HttpClient>(f.server.httpPort());
        QVERIFY(startSink());
        QTRY_COMPARE_WITH_TIMEOUT(mailsTo("robin@example.com").size(), std::size_t(1), 20000);
        auto mail = mailsTo("robin@example.com").front();
        QCOMPARE(mail.headers["to"], std::string("<robin@example.com>"));
        QCOMPARE(mail.headers["from"], std::string("Teapot Shop <shop@example.com>"));
        QCOMPARE(mail.headers["subject"], std::string("Teapot Shop: a reply to your chat"));
        QVERIFY2(mail.body.find("Hello Robin,") != std::string::npos, mail.body.c_str());
        QVERIFY2(mail.body.find("Your parcel left our warehouse today.") != std::string::npos,
                 mail.body.c_str());
        QVERIFY2(mail.body.find("Agent mailer") != std::string::npos, mail.body.c_str());
        QVERIFY2(mail.body.find("answer in the chat") != std::string::npos, mail.body.c_str());
        QCOMPARE(http().put("/api/v1/agent/presence", {{"presence", "offline"}}, agent.token).status, 200);
    }

    void oneMailForUnreadRepliesNoneForAReaderOrAShopperWhoIsThere() {
        const auto agent = f.createAgent("mailer2", 10, true);
        // Read: the shopper marked the reply read before the delay passed.
        const auto reader = chatWithContact(agent, "reader@example.com");
        QCOMPARE(reply(agent, reader.conversationId, "Reader, here is your answer."), 201);

        auto read = http().post("/api/v1/conversations/" + reader.conversationId + "/read", {{"seq", 100}},
                                reader.customer.token);
        QVERIFY2(read.status == 200, read.describe().c_str());
        // There: the shopper has the widget open.
        const auto present = chatWithContact(agent, "present@example.com");
        WsTestClient ws(f.server.wsUrl());
        QCOMPARE(ws.hello(present.customer.token).value("type", ""), std::string("hello.ok"));
        QCOMPARE(reply(agent, present.conversationId, "You are here, so no mail."), 201);
        // Away: two replies, one mail.
        const auto away = chatWithContact(agent, "away@example.com");
        QCOMPARE(reply(agent, away.conversationId, "First answer."), 201);
        QCOMPARE(reply(agent, away.conversationId, "Second answer."), 201);

        QTRY_COMPARE_WITH_TIMEOUT(mailsTo("away@example.com").size(), std::size_t(1), 20000);
        auto mail = mailsTo("away@example.com").front();
        QVERIFY2(mail.body.find("First answer.") != std::string::npos, mail.body.c_str());
        QVERIFY2(mail.body.find("Second answer.") != std::string::npos, mail.body.c_str());
        QCOMPARE(mail.headers["subject"], std::string("Teapot Shop: replies to your chat"));
        // The other two were due earlier and have been decided in the same or an earlier pass.
        QCOMPARE(mailsTo("reader@example.com").size(), std::size_t(0));
        QCOMPARE(mailsTo("present@example.com").size(), std::size_t(0));
        QCOMPARE(mailsTo("robin@example.com").size(), std::size_t(1)); // still once

        // A later reply to the away shopper is a new mail with only that reply.
        QCOMPARE(reply(agent, away.conversationId, "Third answer."), 201);
        QTRY_COMPARE_WITH_TIMEOUT(mailsTo("away@example.com").size(), std::size_t(2), 20000);
        auto second = mailsTo("away@example.com").back();
        QVERIFY2(second.body.find("Third answer.") != std::string::npos, second.body.c_str());
        QVERIFY2(second.body.find("First answer.") == std::string::npos, second.body.c_str());
    }
};

QTEST_MAIN(TestApiReplyMail)
#include "tst_api_reply_mail.moc"
