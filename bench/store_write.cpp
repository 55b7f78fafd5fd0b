// parley-bench-store: the store's write path alone, without HTTP or WebSockets. N threads each
// write back to back (closed loop) for a while; every write is what sending a message does in the
// store (read the conversation, look up its client_msg_id, append the message, publish an
// event). Reports writes per second, the latency of one write (call -> return), the groups the
// writer formed, and the process's CPU time and context switches per write. --mode picks who runs
// the groups (GroupCommitWriter::Mode), so the designs can be compared on the same machine.
#include "store/SqliteStore.h"
#include "util/Text.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace parley::server;
using parley::protocol::Conversation;
using parley::protocol::ConversationStatus;
using parley::protocol::Message;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kAgentId = "00000000-0000-4000-8000-00000000a001"; // --agent-replies' sender

struct Options {
    int threads = 1;
    double seconds = 5;
    int conversations = 50;
    GroupCommitWriter::Mode mode = GroupCommitWriter::Mode::Hybrid;
    SqliteStore::Sync sync = SqliteStore::Sync::Normal;
    std::size_t queueLimit = 1'000'000; // admission off unless asked for
    bool releaseThread = false;         // the server's choice with 4 CPUs or more
    bool agentReplies = false;
    std::string dir;
};

const char* modeName(GroupCommitWriter::Mode m) {
    switch (m) {
    case GroupCommitWriter::Mode::Hybrid:
        return "hybrid";
    case GroupCommitWriter::Mode::WriterThread:
        return "thread";
    case GroupCommitWriter::Mode::CallerRuns:
        return "caller";
    }
    return "?";
}

void usage() {
    std::cout << R"(Usage: parley-bench-store [OPTIONS]

N threads write to a SqliteStore back to back for --seconds and the figures of the write path are
printed: writes/s, latency of one write, groups, CPU and context switches per write.

  --threads N        writing threads (default 1)
  --seconds S        measured seconds (default 5, after 1 s of warm-up)
  --conversations N  conversations the writes go to (default 50)
  --mode hybrid|thread|caller
                     who runs the groups: the idle caller inline, queued work on the writer thread
                     (hybrid, the server's); always the writer thread; callers only, the next
                     group handed to the next caller in line (default hybrid)
  --db-sync normal|full  (default normal)
  --queue-limit N    admission bound; refused writes are counted (default: none)
  --agent-replies    every other write is an agent's message, as in the sweep's conversations
                     (default: the customers' messages only)
  --release-thread   a thread wakes the callers of a group while later ones wait (the server's
                     choice with 4 CPUs or more)
  --dir DIR          where the database is made (default $TMPDIR or /tmp); removed at the end
)";
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            usage();
            std::exit(0);
        } else if (a == "--threads")
            o.threads = std::max(1, std::stoi(next()));
        else if (a == "--seconds")
            o.seconds = std::stod(next());
        else if (a == "--conversations")
            o.conversations = std::max(1, std::stoi(next()));
        else if (a == "--mode") {
            const auto v = next();
            if (v == "hybrid")
                o.mode = GroupCommitWriter::Mode::Hybrid;
            else if (v == "thread")
                o.mode = GroupCommitWriter::Mode::WriterThread;
            else if (v == "caller")
                o.mode = GroupCommitWriter::Mode::CallerRuns;
            else
                throw std::invalid_argument("--mode must be hybrid, thread or caller");
        } else if (a == "--db-sync") {
            const auto v = next();
            if (v != "normal" && v != "full")
                throw std::invalid_argument("--db-sync must be normal or full");
            o.sync = v == "full" ? SqliteStore::Sync::Full : SqliteStore::Sync::Normal;
        } else if (a == "--queue-limit")
            o.queueLimit = static_cast<std::size_t>(std::stoull(next()));
        else if (a == "--agent-replies")
            o.agentReplies = true;
        else if (a == "--release-thread")
            o.releaseThread = true;
        else if (a == "--dir")
            o.dir = next();
        else
            throw std::invalid_argument("unknown option " + a + " (see --help)");
    }
    if (o.dir.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        o.dir = tmp && *tmp ? tmp : "/tmp";
    }
    return o;
}

class CountingSink final : public EventSink {
public:
    std::atomic<std::uint64_t> events{0};
    void publish(std::vector<Event> batch) override { events += batch.size(); }
};

struct Usage {
    double cpuSeconds = 0;
    long voluntary = 0;
    long involuntary = 0;
};

Usage usageNow() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    Usage u;
    u.cpuSeconds = static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
                   static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
    u.voluntary = r.ru_nvcsw;
    u.involuntary = r.ru_nivcsw;
    return u;
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

} // namespace

int main(int argc, char** argv) try {
    const auto o = parse(argc, argv);
    const auto dir = std::filesystem::path(o.dir) / ("parley-bench-store-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    CountingSink sink;
    SqliteStore::Options so;
    so.sync = o.sync;
    so.writer.mode = o.mode;
    so.writer.queueLimit = o.queueLimit;
    so.writer.releaseThread = o.releaseThread;
    std::vector<std::string> conversations;
    {
        SqliteStore store((dir / "parley.db").string(), &sink, so);
        const auto now = formatRfc3339(std::chrono::system_clock::now());
        for (int i = 0; i < o.conversations; ++i) {
            Conversation c;
            c.id = newUuid();
            c.customerSessionId = newUuid();
            c.status = ConversationStatus::Agent;
            c.createdAt = c.updatedAt = now;
            store.write([&](WriteTx& tx) { tx.insertConversation(c); });
            conversations.push_back(c.id);
        }

        std::atomic<int> phase{0}; // 0 warm-up, 1 measuring, 2 stop
        std::atomic<std::uint64_t> refused{0};
        std::vector<std::vector<double>> latencies(static_cast<std::size_t>(o.threads));
        std::vector<std::uint64_t> counts(static_cast<std::size_t>(o.threads), 0);
        std::vector<std::thread> threads;
        for (int t = 0; t < o.threads; ++t)
            threads.emplace_back([&, t] {
                auto& lat = latencies[static_cast<std::size_t>(t)];
                lat.reserve(1 << 20);
                std::uint64_t k = 0;
                while (phase.load(std::memory_order_relaxed) < 2) {
                    const auto& id =
                        conversations[(static_cast<std::size_t>(t) * 7919 + k) % conversations.size()];
                    const auto clientMsgId = "t" + std::to_string(t) + "-" + std::to_string(k++);
                    Message m;
                    m.id = newTimeOrderedUuid();
                    m.conversationId = id;
                    m.content = "Hello, where is my parcel? It should have arrived yesterday.";
                    m.clientMsgId = clientMsgId;
                    if (o.agentReplies && k % 2 == 0) {
                        m.senderType = parley::protocol::SenderType::Agent;
                        m.senderAgentId = kAgentId;
                    }
                    m.createdAt = formatRfc3339(std::chrono::system_clock::now());
                    const auto start = Clock::now();
                    try {
                        // As ChatService::sendMessage: the unique index, not a lookup, finds a
                        // repeat (none here).
                        store.write([&](WriteTx& tx) {
                            if (!tx.conversation(id))
                                return;
                            tx.appendMessage(m);
                            tx.publishAfterCommit(Event{"message.created", {}, {}, id, m.seq});
                        });
                    } catch (const DuplicateClientMsgId&) {
                        continue;
                    } catch (const StoreOverloaded&) {
                        ++refused;
                        continue;
                    }
                    if (phase.load(std::memory_order_relaxed) == 1) {
                        lat.push_back(
                            std::chrono::duration<double, std::micro>(Clock::now() - start).count());
                        ++counts[static_cast<std::size_t>(t)];
                    }
                }
            });
        std::this_thread::sleep_for(std::chrono::seconds(1));
        const auto statsBefore = store.writerStats();
        const auto before = usageNow();
        const auto started = Clock::now();
        refused = 0;
        phase = 1;
        std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
        phase = 2;
        const auto elapsed = std::chrono::duration<double>(Clock::now() - started).count();
        const auto after = usageNow();
        const auto statsAfter = store.writerStats();
        for (auto& t : threads)
            t.join();

        std::vector<double> all;
        std::uint64_t writes = 0;
        for (std::size_t t = 0; t < latencies.size(); ++t) {
            all.insert(all.end(), latencies[t].begin(), latencies[t].end());
            writes += counts[t];
        }
        const double perWrite = writes ? 1.0 / static_cast<double>(writes) : 0;
        const auto groups = statsAfter.groups - statsBefore.groups;
        const auto jobs = statsAfter.jobs - statsBefore.jobs;
        std::printf("mode %s, db-sync %s, %d thread(s), %d conversations%s, %.1f s\n", modeName(o.mode),
                    o.sync == SqliteStore::Sync::Full ? "full" : "normal", o.threads, o.conversations,
                    o.agentReplies ? ", every other write an agent's" : "", elapsed);
        std::printf("writes/s %.0f   latency us p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
                    static_cast<double>(writes) / elapsed, percentile(all, 50), percentile(all, 90),
                    percentile(all, 99), percentile(all, 99.9),
                    all.empty() ? 0 : *std::max_element(all.begin(), all.end()));
        std::printf("groups %llu, %.1f jobs a group, largest %zu; refused %llu\n",
                    static_cast<unsigned long long>(groups),
                    groups ? static_cast<double>(jobs) / static_cast<double>(groups) : 0.0,
                    statsAfter.largestGroup, static_cast<unsigned long long>(refused.load()));
        std::printf(
            "per write: CPU %.1f us, context switches %.2f (voluntary %.2f, involuntary %.2f)\n",
            (after.cpuSeconds - before.cpuSeconds) * 1e6 * perWrite,
            static_cast<double>(after.voluntary - before.voluntary + after.involuntary - before.involuntary) *
                perWrite,
            static_cast<double>(after.voluntary - before.voluntary) * perWrite,
            static_cast<double>(after.involuntary - before.involuntary) * perWrite);
        const double groupCpu = statsAfter.groupCpuSeconds - statsBefore.groupCpuSeconds;
        std::printf(
            "the writer: busy %.0f%% of the time, %.1f us of CPU a write in its groups; alone on a core "
            "it would commit about %.0f writes/s\n",
            100 * groupCpu / elapsed, groupCpu * 1e6 * perWrite,
            groupCpu > 0 ? static_cast<double>(writes) / groupCpu : 0.0);
        double load[3] = {0, 0, 0};
        if (getloadavg(load, 3) == 3)
            std::printf("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    }
    std::filesystem::remove_all(dir);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "parley-bench-store: %s\n", e.what());
    return 1;
}
