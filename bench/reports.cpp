// parley-bench-reports: the admin report over a busy quarter. Generates 90 days x 1,000
// conversations a day (30% handed off to an agent, answered and closed; every one with a
// shopper's message and the bot's answer) into a SQLite data dir through the store, then times
// ReportsService::report for the whole range in a time zone with a DST change (target: under
// 200 ms), the CSV form, and a one-day report.
//
// Usage: parley-bench-reports [--dir DIR] [--days N] [--per-day N] [--runs N]
// With --dir, an existing database there is reused (generation is skipped when it has data).
#include "app/ErasedCustomers.h"
#include "app/ReportsService.h"
#include "store/SqliteStore.h"
#include "util/Text.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

using namespace parley::server;
using namespace parley;
using Clk = std::chrono::steady_clock;

namespace {

double msSince(Clk::time_point t) {
    return std::chrono::duration<double, std::milli>(Clk::now() - t).count();
}

std::string at(std::chrono::system_clock::time_point t) {
    return formatRfc3339(t);
}

void generate(SqliteStore& store, int days, int perDay) {
    using namespace std::chrono;
    const auto first = sys_days(year_month_day(year(2026), month(1), day(1))); // GCC 12 has these
    const auto agentIds = std::vector<std::string>{newUuid(), newUuid(), newUuid(), newUuid()};
    store.write([&](WriteTx& tx) {
        for (std::size_t i = 0; i < agentIds.size(); ++i) {
            AgentRecord a;
            a.agent.id = agentIds[i];
            a.agent.username = "agent" + std::to_string(i);
            a.agent.displayName = "Agent " + std::to_string(i);
            a.agent.maxActiveChats = 10;
            a.passwordHash = "x";
            a.createdAt = a.updatedAt = at(system_clock::now());
            tx.insertAgent(a);
        }
    });
    for (int d = 0; d < days; ++d) {
        const auto dayStart = system_clock::time_point(first + std::chrono::days(d));
        store.write(
            [&](WriteTx& tx) {
                for (int j = 0; j < perDay; ++j) {
                    const auto created = dayStart + milliseconds(std::int64_t(j) * 86'400'000 / perDay);
                    protocol::Conversation c;
                    c.id = newTimeOrderedUuid(created);
                    c.customerSessionId = newUuid();
                    c.status = protocol::ConversationStatus::Automated;
                    c.createdAt = c.updatedAt = at(created);
                    tx.insertConversation(c);
                    const auto message = [&](protocol::SenderType who, const std::string& agent,
                                             system_clock::time_point when, const std::string& text) {
                        protocol::Message m;
                        m.id = newTimeOrderedUuid(when);
                        m.conversationId = c.id;
                        m.senderType = who;
                        if (!agent.empty())
                            m.senderAgentId = agent;
                        m.kind = protocol::MessageKind::Text;
                        m.content = text;
                        m.metadata = nlohmann::json::object();
                        m.createdAt = at(when);
                        tx.appendMessage(m);
                    };
                    message(protocol::SenderType::Customer, {}, created + seconds(5),
                            "Where is my order 12345?");
                    message(protocol::SenderType::Bot, {}, created + seconds(6), "You can track it here.");
                    if (j % 10 >= 3)
                        continue; // 70% end with the bot
                    const auto& agent = agentIds[static_cast<std::size_t>(j) % agentIds.size()];
                    const auto requested = created + seconds(60);
                    c.status = protocol::ConversationStatus::Agent;
                    c.requestedAgentAt = at(requested);
                    c.assignedAgentId = agent;
                    c.updatedAt = at(requested);
                    tx.updateConversation(c);
                    message(protocol::SenderType::Agent, agent, requested + seconds(5 + j % 120),
                            "Hi, let me look.");
                    message(protocol::SenderType::Customer, {}, requested + seconds(200), "Thanks!");
                    message(protocol::SenderType::Agent, agent, requested + seconds(250), "It ships today.");
                    const auto closed = requested + seconds(300 + j % 600);
                    c.status = protocol::ConversationStatus::Closed;
                    c.closedAt = c.updatedAt = at(closed);
                    tx.updateConversation(c);
                }
            },
            Admission::Always);
    }
}

} // namespace

int main(int argc, char** argv) {
    std::string dir;
    int days = 90, perDay = 1000, runs = 7;
    const auto usage = [] {
        std::cerr << "usage: parley-bench-reports [--dir DIR] [--days N] [--per-day N] [--runs N]\n";
    };
    for (int i = 1; i < argc; i += 2) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) { // a lone flag, --help among them
            usage();
            return flag == "--help" ? 0 : 2;
        }
        if (flag == "--dir")
            dir = argv[i + 1];
        else if (flag == "--days")
            days = std::atoi(argv[i + 1]);
        else if (flag == "--per-day")
            perDay = std::atoi(argv[i + 1]);
        else if (flag == "--runs")
            runs = std::atoi(argv[i + 1]);
        else {
            usage();
            return 2;
        }
    }
    const bool temporary = dir.empty();
    if (temporary)
        dir = (std::filesystem::temp_directory_path() / ("parley-bench-reports-" + newUuid())).string();
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/parley.db";
    {
        SqliteStore::Options options;
        options.sync = SqliteStore::Sync::Normal;
        SqliteStore store(path, nullptr, options);
        const bool empty = store.readResult([](ReadTx& tx) { return tx.agents().empty(); });
        if (empty) {
            const auto t = Clk::now();
            generate(store, days, perDay);
            std::printf("generated %d days x %d conversations in %.1f s\n", days, perDay, msSince(t) / 1000);
        }
    }
    std::printf("database: %s, %.1f MB\n", path.c_str(),
                static_cast<double>(std::filesystem::file_size(path)) / 1e6);

    SqliteStore store(path);
    SystemClock clock;
    ErasedCustomers erased;
    ReportsService reports(store, clock, erased);
    const std::string last = days == 90 ? "2026-03-31" : "2026-12-31";

    auto t = Clk::now();
    const auto range = ReportsService::parseRange("2026-01-01", last, "Europe/Berlin");
    std::printf("range of %zu days in Europe/Berlin (first call loads the tz database): %.2f ms\n",
                range.days.size(), msSince(t));
    t = Clk::now();
    const auto cold = reports.report(range);
    std::printf("report, first call: %.1f ms\n", msSince(t));

    const auto timeIt = [&](const char* what, auto&& fn) {
        std::vector<double> ms;
        for (int i = 0; i < runs; ++i) {
            const auto s = Clk::now();
            fn();
            ms.push_back(msSince(s));
        }
        std::sort(ms.begin(), ms.end());
        std::printf("%-44s min %.1f / median %.1f / max %.1f ms (%d runs)\n", what, ms.front(),
                    ms[ms.size() / 2], ms.back(), runs);
    };
    timeIt("report, whole range (days + agents)",
           [&] { reports.report(ReportsService::parseRange("2026-01-01", last, "Europe/Berlin")); });
    timeIt("report.csv, whole range",
           [&] { reports.reportCsv(ReportsService::parseRange("2026-01-01", last, "Europe/Berlin")); });
    timeIt("report, one day",
           [&] { reports.report(ReportsService::parseRange("2026-02-10", "2026-02-10", "Europe/Berlin")); });
    long long conversations = 0, handoffs = 0;
    for (const auto& d : cold["days"]) {
        conversations += d["conversations"].get<long long>();
        handoffs += d["handoffs"].get<long long>();
    }
    std::printf("check: %lld conversations, %lld handoffs in the report; day 2: %s\n", conversations,
                handoffs, cold["days"][1].dump().c_str());
    store.close();
    if (temporary)
        std::filesystem::remove_all(dir);
    return 0;
}
