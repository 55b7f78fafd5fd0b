// The VFS that writes each WAL frame in one call (store/SqliteWalVfs.h): the file always reads back
// as SQLite wrote it, a commit is whole on disk when it returns (a copy of the files, and a process
// killed right after its commits, recover every row), and the frames take about half the write
// calls of SQLite's default VFS.
#include "store/SqliteWalVfs.h"

#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace parley::server::sqlite;

namespace {

void exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "?";
        sqlite3_free(error);
        QFAIL(("exec " + sql + ": " + message).c_str());
    }
}

sqlite3* open(const std::string& path, const char* vfs) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
        sqlite3_close(db);
        return nullptr;
    }
    return db;
}

// The server's settings: WAL, NORMAL, and no automatic checkpoint (its own thread does them), so
// the commits stay in the WAL for the test to find there.
void setUp(sqlite3* db) {
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, "PRAGMA synchronous = NORMAL");
    exec(db, "PRAGMA wal_autocheckpoint = 0");
    exec(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    exec(db, "CREATE INDEX IF NOT EXISTS t_body ON t (body)");
}

// `commits` transactions of a few rows each; some roll a savepoint back, as a failed job in a
// group does. After each commit nothing may be held back.
void writeCommits(sqlite3* db, int commits, bool checkNothingHeld) {
    for (int i = 0; i < commits; ++i) {
        exec(db, "BEGIN IMMEDIATE");
        for (int r = 0; r < 4; ++r)
            exec(db, "INSERT INTO t (body) VALUES (printf('commit %d row %d %s', " + std::to_string(i) +
                         ", " + std::to_string(r) + ", hex(randomblob(100))))");
        if (i % 5 == 0) {
            exec(db, "SAVEPOINT job");
            exec(db, "INSERT INTO t (body) VALUES (hex(randomblob(3000)))");
            exec(db, "ROLLBACK TO job");
            exec(db, "RELEASE job");
        }
        exec(db, "COMMIT");
        if (checkNothingHeld)
            QCOMPARE(heldWalBytes(db), std::size_t{0});
    }
}

std::optional<long long> scalar(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
        return std::nullopt;
    std::optional<long long> value;
    if (sqlite3_step(s) == SQLITE_ROW)
        value = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return value;
}

std::string integrity(sqlite3* db) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, nullptr);
    std::string result =
        sqlite3_step(s) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) : "";
    sqlite3_finalize(s);
    return result;
}

// Write system calls of this process so far (Linux task I/O accounting).
std::optional<long long> writeCalls() {
    std::ifstream io("/proc/self/io");
    std::string key;
    long long value = 0;
    while (io >> key >> value)
        if (key == "syscw:")
            return value;
    return std::nullopt;
}

std::vector<char> readAll(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

} // namespace

class TestSqliteWalVfs : public QObject {
    Q_OBJECT

private slots:
    // The VFS's file object directly: a held write reaches the file before any other call sees it.
    void heldBytesAreWrittenBeforeAnythingReadsTheFile() {
        QTemporaryDir dir;
        const std::string dbPath = dir.filePath("x.db").toStdString();
        const std::string path = dbPath + "-wal";
        std::ofstream(dbPath).flush(); // the default VFS gives the WAL its database's permissions
        // A WAL's name as SQLite passes it, beside its database's.
        sqlite3_filename names =
            sqlite3_create_filename(dbPath.c_str(), (dbPath + "-journal").c_str(), path.c_str(), 0, nullptr);
        QVERIFY(names);
        sqlite3_vfs* vfs = sqlite3_vfs_find(walFrameVfsName());
        QVERIFY(vfs);
        std::vector<char> storage(static_cast<std::size_t>(vfs->szOsFile));
        auto* file = reinterpret_cast<sqlite3_file*>(storage.data());
        int outFlags = 0;
        const int opened =
            vfs->xOpen(vfs, sqlite3_filename_wal(names), file,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL, &outFlags);
        QCOMPARE(opened, SQLITE_OK);
        const auto* io = file->pMethods;
        const std::string header(32, 'H'), frameHeader(24, 'f'), page(4096, 'p');
        sqlite3_int64 size = 0;

        // The WAL's header, held: a read sees it.
        QCOMPARE(io->xWrite(file, header.data(), 32, 0), SQLITE_OK);
        char back[32] = {};
        QCOMPARE(io->xRead(file, back, 32, 0), SQLITE_OK);
        QCOMPARE(std::string(back, 32), header);
        // A frame: its header held, then written with its page.
        QCOMPARE(io->xWrite(file, frameHeader.data(), 24, 32), SQLITE_OK);
        QCOMPARE(io->xWrite(file, page.data(), 4096, 56), SQLITE_OK);
        QCOMPARE(io->xFileSize(file, &size), SQLITE_OK);
        QCOMPARE(size, sqlite3_int64{56 + 4096});
        // A held header, then a write elsewhere: the held one first, the other as it is.
        QCOMPARE(io->xWrite(file, frameHeader.data(), 24, 4152), SQLITE_OK);
        QCOMPARE(io->xWrite(file, frameHeader.data(), 24, 10000), SQLITE_OK);
        QCOMPARE(io->xFileSize(file, &size), SQLITE_OK);
        QCOMPARE(size, sqlite3_int64{10024});
        char frame[24] = {};
        QCOMPARE(io->xRead(file, frame, 24, 4152), SQLITE_OK);
        QCOMPARE(std::string(frame, 24), frameHeader);
        // Held at close: written by the close.
        QCOMPARE(io->xWrite(file, frameHeader.data(), 24, 10024), SQLITE_OK);
        QCOMPARE(io->xClose(file), SQLITE_OK);
        sqlite3_free_filename(names);
        const auto bytes = readAll(path);
        QCOMPARE(bytes.size(), std::size_t{10048});
        QCOMPARE(std::string(bytes.data() + 10024, 24), frameHeader);
        QCOMPARE(std::string(bytes.data(), 32), header);
        QCOMPARE(std::string(bytes.data() + 56, 4096), page);
    }

    // A copy of the database and its WAL taken while the connection is still open (as a crash
    // would leave them) recovers every committed row, with SQLite's own VFS.
    void aCopyTakenAfterTheCommitsRecoversThemAll() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("a.db").toStdString();
        sqlite3* db = open(path, walFrameVfsName());
        QVERIFY(db);
        setUp(db);
        writeCommits(db, 60, true);
        const auto rows = scalar(db, "SELECT count(*) FROM t");
        QCOMPARE(rows, std::optional<long long>(240));
        const std::string copy = dir.filePath("copy.db").toStdString();
        std::filesystem::copy_file(path, copy);
        std::filesystem::copy_file(path + "-wal", copy + "-wal");
        sqlite3_close(db);

        sqlite3* recovered = open(copy, nullptr);
        QVERIFY(recovered);
        QCOMPARE(scalar(recovered, "SELECT count(*) FROM t"), rows);
        QCOMPARE(integrity(recovered), std::string("ok"));
        sqlite3_close(recovered);
    }

    // A process killed (SIGKILL) right after its last commit loses none of them.
    void aProcessKilledAfterItsCommitsLosesNone() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("k.db").toStdString();
        const pid_t child = fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            sqlite3* db = open(path, walFrameVfsName());
            if (!db)
                _exit(2);
            sqlite3_exec(
                db,
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;"
                "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
                nullptr, nullptr, nullptr);
            for (int i = 0; i < 300; ++i)
                if (sqlite3_exec(db, "INSERT INTO t (body) VALUES (hex(randomblob(200)))", nullptr, nullptr,
                                 nullptr) != SQLITE_OK)
                    _exit(3);
            raise(SIGKILL);
            _exit(4);
        }
        int status = 0;
        QCOMPARE(waitpid(child, &status, 0), child);
        QVERIFY2(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the writer did not get to its kill");

        sqlite3* db = open(path, nullptr);
        QVERIFY(db);
        QCOMPARE(scalar(db, "SELECT count(*) FROM t"), std::optional<long long>(300));
        QCOMPARE(integrity(db), std::string("ok"));
        sqlite3_close(db);
    }

    // The point of it: the same commits take far fewer write calls than with SQLite's default VFS
    // (which writes each frame as two).
    void framesTakeOneWriteCallEach() {
        if (!writeCalls())
            QSKIP("no /proc/self/io here");
        QTemporaryDir dir;
        long long calls[2] = {};
        for (int v = 0; v < 2; ++v) {
            const std::string path = dir.filePath(v ? "frames.db" : "default.db").toStdString();
            sqlite3* db = open(path, v ? walFrameVfsName() : nullptr);
            QVERIFY(db);
            setUp(db);
            writeCommits(db, 1, false); // the WAL's header
            const auto before = writeCalls();
            writeCommits(db, 100, false);
            calls[v] = *writeCalls() - *before;
            sqlite3_close(db);
        }
        qInfo("write calls for 100 commits: %lld with SQLite's default VFS, %lld with this one", calls[0],
              calls[1]);
        QVERIFY(calls[0] > 0);
        QVERIFY2(calls[1] * 10 <= calls[0] * 6, "not fewer write calls");
    }

    // Only the WAL is wrapped: the database file is SQLite's own object, with its own methods.
    void theDatabaseFileIsSqlitesOwn() {
        QTemporaryDir dir;
        sqlite3* db = open(dir.filePath("o.db").toStdString(), walFrameVfsName());
        sqlite3* plain = open(dir.filePath("p.db").toStdString(), nullptr);
        QVERIFY(db && plain);
        setUp(db);
        setUp(plain);
        sqlite3_file* file = nullptr;
        sqlite3_file* plainFile = nullptr;
        QCOMPARE(sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file), SQLITE_OK);
        QCOMPARE(sqlite3_file_control(plain, "main", SQLITE_FCNTL_FILE_POINTER, &plainFile), SQLITE_OK);
        QVERIFY(file && plainFile);
        QCOMPARE(file->pMethods, plainFile->pMethods);
        sqlite3_file* wal = nullptr;
        sqlite3_file* plainWal = nullptr;
        QCOMPARE(sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal), SQLITE_OK);
        QCOMPARE(sqlite3_file_control(plain, "main", SQLITE_FCNTL_JOURNAL_POINTER, &plainWal), SQLITE_OK);
        QVERIFY(wal && plainWal);
        QVERIFY(wal->pMethods != plainWal->pMethods);
        QCOMPARE(flushWalFrames(plain), SQLITE_OK); // a no-op on another VFS
        QCOMPARE(heldWalBytes(plain), std::size_t{0});
        sqlite3_close(db);
        sqlite3_close(plain);
    }
};

QTEST_GUILESS_MAIN(TestSqliteWalVfs)
#include "tst_sqlite_wal_vfs.moc"
