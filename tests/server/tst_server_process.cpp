// What parley-server sets up for its own process before it starts any thread: the scheduling
// policy every thread runs under (--cpu-scheduling), and the open-file limit raised to the hard
// limit. Read from /proc of the real server process.
#include "HttpClient.h"
#include "ServerProcess.h"

#include <QDir>
#include <QFile>
#include <QTest>

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
};

QTEST_GUILESS_MAIN(TestServerProcess)
#include "tst_server_process.moc"
