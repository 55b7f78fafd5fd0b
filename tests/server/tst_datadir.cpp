// The data dir (issue 16): its lock keeps a second server out, and the secret is created whole
// (temporary file, flush, rename) and stays the same afterwards.
#include "DataDir.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <stdexcept>
#include <unistd.h>

using parley::server::DataDir;

namespace {

std::string errorOf(const std::string& path) {
    try {
        DataDir second(path);
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestDataDir : public QObject {
    Q_OBJECT

private slots:
    void aSecondHolderIsRefusedUntilTheFirstIsGone() {
        QTemporaryDir tmp;
        const auto path = QString(tmp.path() + QStringLiteral("/data")).toStdString();
        {
            DataDir first(path);
            QVERIFY(first.isNew());
            // flock belongs to the open file: a second open in the same process is refused too.
            const auto error = errorOf(path);
            QVERIFY2(error.find(path) != std::string::npos, error.c_str());
            QVERIFY2(error.find("in use") != std::string::npos, error.c_str());
            QVERIFY2(error.find("pid " + std::to_string(::getpid())) != std::string::npos, error.c_str());
        }
        QCOMPARE(errorOf(path), std::string());
    }

    void theSecretIsCreatedWholeAndKept() {
        QTemporaryDir tmp;
        const QString path = tmp.path() + QStringLiteral("/data");
        std::string secret;
        {
            DataDir dir(path.toStdString());
            // A temporary file left by a crash during an earlier first start.
            QFile stale(path + QStringLiteral("/server.secret.tmp"));
            QVERIFY(stale.open(QIODevice::WriteOnly));
            stale.write("half");
            stale.close();
            secret = dir.secret();
            QCOMPARE(secret.size(), std::size_t(32));
            QCOMPARE(dir.secret(), secret);
        }
        QVERIFY(!QFile::exists(path + QStringLiteral("/server.secret.tmp")));
        QFile file(path + QStringLiteral("/server.secret"));
        QCOMPARE(file.size(), qint64(32));
        QCOMPARE(file.permissions() &
                     (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteOther),
                 QFileDevice::Permissions());
        DataDir again(path.toStdString());
        QCOMPARE(again.secret(), secret);
    }

    void aDamagedSecretIsAnError() {
        QTemporaryDir tmp;
        DataDir dir(tmp.path().toStdString());
        QFile file(tmp.path() + QStringLiteral("/server.secret"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("short");
        file.close();
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, dir.secret());
    }
};

QTEST_GUILESS_MAIN(TestDataDir)
#include "tst_datadir.moc"
