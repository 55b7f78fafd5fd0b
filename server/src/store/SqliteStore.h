#pragma once
// The embedded store: one SQLite database in WAL mode. All writes go through one writer thread
// that takes queued jobs in batches and commits each batch as one transaction (group commit),
// each job inside its own savepoint so one failing job rolls back only itself. Readers use a
// small pool of read-only connections and never block the writer.

#include "store/Store.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::server {

namespace sqlite {
class Connection;
}

class SqliteStore final : public Store {
public:
    static constexpr int kSchemaVersion = 1;

    // Opens (creating if needed) the database and migrates it forward. Throws on failure.
    explicit SqliteStore(const std::string& path, EventSink* sink = nullptr, std::size_t readers = 8);
    ~SqliteStore() override;

    // Where committed events go; may be set once the realtime side exists.
    void setEventSink(EventSink* sink);

    void write(const std::function<void(WriteTx&)>& job) override;
    void read(const std::function<void(ReadTx&)>& job) override;

    // Finishes queued writes, stops the writer and checkpoints the WAL. Called by the destructor.
    void close();

    int schemaVersion() const;

private:
    struct Job {
        const std::function<void(WriteTx&)>* fn;
        std::promise<void> done;
    };
    void writerLoop();
    void runBatch(std::vector<Job*>& batch);
    void migrate();
    std::unique_ptr<sqlite::Connection> acquireReader();
    void releaseReader(std::unique_ptr<sqlite::Connection> c);

    std::string m_path;
    std::unique_ptr<sqlite::Connection> m_writer;
    std::mutex m_sinkMutex;
    EventSink* m_sink;

    std::mutex m_queueMutex;
    std::condition_variable m_queueCv;
    std::deque<Job*> m_queue;
    bool m_stopping = false;
    std::thread m_writerThread;

    std::mutex m_readersMutex;
    std::vector<std::unique_ptr<sqlite::Connection>> m_readers;
    std::size_t m_maxIdleReaders;
};

} // namespace parley::server
