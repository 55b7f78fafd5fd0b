// What parley-server sets up for its own process before it starts any thread: the scheduling
// policy every thread runs under (--cpu-scheduling), and the open-file limit raised to the hard
// limit, read from /proc of the real server process. And the data dir's lock: two servers never
// share one data dir, not even when they start at the same moment.
#include "HttpClient.h"
#include "ServerProcess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

#include <sched.h>
#include <sys/resource.h>

using namespace parley::test;

namespace {

struct ThreadScheduling {
    QByteArray name;
    int policy = -1;
    int priority = -1; // real-time priority, 0 for the others
};

// Name, real-time priority and scheduling policy of each of the process's threads (fields 2, 40
// and 41 of /proc/PID/task/TID/stat).
QList<ThreadScheduling> threadScheduling(qint64 pid) {
    QList<ThreadScheduling> threads;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid));
    for (const auto& tid : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile stat(tasks.filePath(tid + QStringLiteral("/stat")));
        if (!stat.open(QIODevice::ReadOnly))
            continue; // the thread ended meanwhile
        const QByteArray line = stat.readAll();
        // The name (field 2) is in parentheses and may hold spaces: count from after it.
        const auto nameEnd = line.lastIndexOf(')');
        const auto fields = line.mid(nameEnd + 2).split(' ');
        threads.append({line.mid(line.indexOf('(') + 1, nameEnd - line.indexOf('(') - 1),
                        fields.value(41 - 3).toInt(), fields.value(40 - 3).toInt()});
    }
    return threads;
}

QList<int> threadPolicies(qint64 pid) {
    QList<int> policies;
    for (const auto& t : threadScheduling(pid))
        policies.append(t.policy);
    return policies;
}

// The "Max open files" soft and hard limits from /proc/PID/limits.
QPair<QByteArray, QByteArray> openFileLimits(qint64 pid) {
    QFile limits(QStringLiteral("/proc/%1/limits").arg(pid));
    if (!limits.open(QIODevice::ReadOnly))
        return {};
    for (const auto& line : limits.readAll().split('\n')) {
        if (!line.startsWith("Max open files"))
            continue;
        const auto parts = line.mid(sizeof("Max open files") - 1).simplified().split(' ');
        return {parts.value(0), parts.value(1)};
    }
    return {};
}

// parley-server started directly on any free ports, for the tests that need two on one data dir.
class DirectServer {
public:
    explicit DirectServer(const QString& dataDir) {
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(QStringLiteral(PARLEY_SERVER_BINARY),
                        {QStringLiteral("--host"), QStringLiteral("127.0.0.1"), QStringLiteral("--http-port"),
                         QStringLiteral("0"), QStringLiteral("--ws-port"), QStringLiteral("0"),
                         QStringLiteral("--data-dir"), dataDir, QStringLiteral("--admin-password"),
                         QStringLiteral("admin-secret-1")});
    }
    ~DirectServer() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(10000))
                m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    enum class Outcome { Running, Exited, Undecided };
    // Waits until the server says it is running or exits.
    Outcome waitOutcome(int timeoutMs = 20000) {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            m_output += m_process.readAll();
            if (m_output.contains("Parley is running"))
                return Outcome::Running;
            if (m_process.state() == QProcess::NotRunning) {
                m_output += m_process.readAll();
                return Outcome::Exited;
            }
            if (deadline.hasExpired())
                return Outcome::Undecided;
            if (!m_process.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
                m_process.waitForFinished(0);
        }
    }
    int exitCode() const { return m_process.exitCode(); }
    QString output() const { return QString::fromUtf8(m_output); }
    bool stop() {
        m_process.terminate();
        return m_process.waitForFinished(20000) && m_process.exitCode() == 0;
    }

private:
    QProcess m_process;
    QByteArray m_output;
};

} // namespace

class TestServerProcess : public QObject {
    Q_OBJECT

private slots:
    void everyThreadRunsBatchByDefault() {
        ServerProcess server;
        QVERIFY(server.start());
        const auto policies = threadPolicies(server.pid());
        QVERIFY2(policies.size() > 10, "the HTTP workers and the WebSocket thread are running");
        for (int policy : policies)
            QCOMPARE(policy, SCHED_BATCH);
        QVERIFY(server.stop());
    }

    void normalSchedulingOnRequest() {
        ServerProcess server;
        QVERIFY(server.start({QStringLiteral("--cpu-scheduling"), QStringLiteral("normal")}));
        const auto policies = threadPolicies(server.pid());
        QVERIFY(policies.size() > 10);
        for (int policy : policies)
            QCOMPARE(policy, SCHED_OTHER);
        QVERIFY(server.stop());
    }

    void openFileLimitRaisedToTheHardLimit() {
        ServerProcess server;
        QVERIFY(server.start());
        const auto [soft, hard] = openFileLimits(server.pid());
        QVERIFY(!soft.isEmpty());
        if (hard == "unlimited") // the kernel's fs.nr_open is used instead, a number
            QVERIFY(soft.toLongLong() > 1024);
        else
            QCOMPARE(soft, hard);
        QVERIFY(server.stop());
    }

    // Issue 16: nothing stopped a second server from using a data dir in use.
    void aSecondServerOnTheSameDataDirExitsWithAClearMessage() {
        ServerProcess first;
        QVERIFY(first.start());
        DirectServer second(first.dataDir());
        QCOMPARE(second.waitOutcome(), DirectServer::Outcome::Exited);
        QCOMPARE(second.exitCode(), 1);
        QVERIFY2(second.output().contains(first.dataDir()), qPrintable(second.output()));
        QVERIFY2(second.output().contains(QStringLiteral("in use")), qPrintable(second.output()));
        QCOMPARE(HttpClient(first.httpPort()).get("/healthz").status, 200);
        QVERIFY(first.stop());
        // Once the first has stopped, the data dir is free again.
        DirectServer third(first.dataDir());
        QCOMPARE(third.waitOutcome(), DirectServer::Outcome::Running);
        QVERIFY(third.stop());
    }

    // Issue 16: two servers started at the same moment on a new data dir could both run, one of
    // them with a half-written secret. Exactly one must run; the secret is whole.
    void serversStartedTogetherOnANewDataDir() {
        for (int round = 0; round < 4; ++round) {
            QTemporaryDir dir;
            const QString dataDir = dir.path() + QStringLiteral("/data");
            auto a = std::make_unique<DirectServer>(dataDir);
            auto b = std::make_unique<DirectServer>(dataDir);
            const auto outcomeA = a->waitOutcome();
            const auto outcomeB = b->waitOutcome();
            QVERIFY(outcomeA != DirectServer::Outcome::Undecided &&
                    outcomeB != DirectServer::Outcome::Undecided);
            QVERIFY2(outcomeA != outcomeB, qPrintable(a->output() + b->output()));
            auto& loser = outcomeA == DirectServer::Outcome::Exited ? *a : *b;
            auto& winner = outcomeA == DirectServer::Outcome::Exited ? *b : *a;
            QCOMPARE(loser.exitCode(), 1);
            QVERIFY2(loser.output().contains(dataDir), qPrintable(loser.output()));
            QVERIFY(winner.stop());
            QFile secret(dataDir + QStringLiteral("/server.secret"));
            QCOMPARE(secret.size(), qint64(32));
            QCOMPARE(secret.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther),
                     QFileDevice::Permissions());
            const auto files = QDir(dataDir).entryList(QDir::Files);
            for (const auto& f : files)
                QVERIFY2(!f.contains(QStringLiteral(".tmp")), qPrintable(files.join(QLatin1Char(' '))));
        }
    }
};

QTEST_GUILESS_MAIN(TestServerProcess)
#include "tst_server_process.moc"
