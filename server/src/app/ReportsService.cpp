#include "app/ReportsService.h"

#include "parley/protocol/Codec.h"
#include "util/Text.h"

#include <date/date.h>
#include <date/tz.h>

#include <cmath>
#include <cstdio>

namespace parley::server {

using nlohmann::json;

namespace {

// Exactly YYYY-MM-DD and a real calendar day.
std::optional<date::year_month_day> parseDay(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-')
        return std::nullopt;
    int parts[3] = {0, 0, 0};
    const std::size_t starts[3] = {0, 5, 8};
    const std::size_t lengths[3] = {4, 2, 2};
    for (int p = 0; p < 3; ++p)
        for (std::size_t i = starts[p]; i < starts[p] + lengths[p]; ++i) {
            if (s[i] < '0' || s[i] > '9')
                return std::nullopt;
            parts[p] = parts[p] * 10 + (s[i] - '0');
        }
    const date::year_month_day ymd{date::year{parts[0]}, date::month{static_cast<unsigned>(parts[1])},
                                   date::day{static_cast<unsigned>(parts[2])}};
    if (!ymd.ok())
        return std::nullopt;
    return ymd;
}

// A zone name as the tz database spells them ("Europe/Berlin", "America/Port-au-Prince",
// "Etc/GMT+5"): no dots, so never a path out of the zoneinfo directory.
bool plausibleZoneName(std::string_view s) {
    if (s.empty() || s.size() > 64 || s.front() == '/')
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '_' || c == '-' || c == '+'))
            return false;
    return true;
}

const date::time_zone* zoneNamed(const std::string& name) {
    if (!plausibleZoneName(name))
        return nullptr;
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) { // unknown zone: the caller answers 400
        return nullptr;
    }
}

std::string dayText(date::sys_days d) {
    return date::format("%F", d);
}

// The start of local day d in zone z as UTC; a midnight that does not exist (a DST gap) starts at
// the transition.
std::chrono::system_clock::time_point localMidnight(const date::time_zone& z, date::sys_days d) {
    const date::local_days local{d.time_since_epoch()};
    return z.to_sys(date::local_seconds(local), date::choose::earliest);
}

json orNull(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

std::string csvNumber(const std::optional<double>& v) {
    if (!v)
        return {};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", *v);
    std::string s(buf);
    while (s.back() == '0')
        s.pop_back();
    if (s.back() == '.')
        s.pop_back();
    return s;
}

void requireSessionId(const std::string& sessionId) {
    if (!isUuid(sessionId))
        throw ApiError::notFound("No such customer session.");
}

} // namespace

ReportsService::ReportsService(Store& store, const Clock& clock, ErasedCustomers& erased, ChatService* chat)
    : m_store(store)
    , m_clock(clock)
    , m_erased(erased)
    , m_chat(chat) {
    m_erased.load(m_store.readResult([](ReadTx& tx) { return tx.erasedCustomerSessions(); }));
}

ReportsService::Range ReportsService::parseRange(const std::optional<std::string>& from,
                                                 const std::optional<std::string>& to,
                                                 const std::optional<std::string>& tz) {
    if (!from)
        throw ApiError::invalid("Field 'from' is required (YYYY-MM-DD).");
    if (!to)
        throw ApiError::invalid("Field 'to' is required (YYYY-MM-DD).");
    const auto first = parseDay(*from);
    if (!first)
        throw ApiError::invalid("Field 'from' must be a date YYYY-MM-DD.");
    const auto last = parseDay(*to);
    if (!last)
        throw ApiError::invalid("Field 'to' must be a date YYYY-MM-DD.");
    const date::sys_days firstDay{*first};
    const date::sys_days lastDay{*last};
    if (lastDay < firstDay)
        throw ApiError::invalid("Field 'from' must not be after 'to'.");
    if ((lastDay - firstDay).count() + 1 > kMaxDays)
        throw ApiError::invalid("A report covers at most " + std::to_string(kMaxDays) + " days.");
    Range r{*from, *to, tz.value_or("UTC"), {}};
    const auto* zone = zoneNamed(r.timeZone);
    if (!zone)
        throw ApiError::invalid("Field 'tz' must be an IANA time zone name such as Europe/Berlin.");
    auto start = localMidnight(*zone, firstDay);
    for (auto d = firstDay; d <= lastDay; d += date::days{1}) {
        const auto end = localMidnight(*zone, d + date::days{1});
        r.days.push_back({dayText(d), formatRfc3339(start), formatRfc3339(end)});
        start = end;
    }
    return r;
}

std::vector<ReportDayRow> ReportsService::dayRows(const Range& range) const {
    return m_store.readResult([&](ReadTx& tx) { return tx.reportFigures(range.days, false); }).days;
}

json ReportsService::report(const Range& range) const {
    const auto figures = m_store.readResult([&](ReadTx& tx) { return tx.reportFigures(range.days, true); });
    const auto& days = figures.days;
    const auto& agents = figures.agents;
    json out = {{"from", range.from}, {"to", range.to}, {"tz", range.timeZone}};
    json& dayList = out["days"] = json::array();
    for (std::size_t i = 0; i < days.size(); ++i) {
        const auto& d = days[i];
        dayList.push_back({{"date", range.days[i].date},
                           {"conversations", d.conversations},
                           {"handoffs", d.handoffs},
                           {"bot_resolved", d.botResolved},
                           {"closed", d.closed},
                           {"first_response_p50_s", orNull(d.firstResponseP50)},
                           {"first_response_p90_s", orNull(d.firstResponseP90)},
                           {"resolution_p50_s", orNull(d.resolutionP50)},
                           {"rating_avg", orNull(d.ratingAvg)},
                           {"ratings", d.ratings}});
    }
    json& agentList = out["agents"] = json::array();
    for (const auto& a : agents)
        agentList.push_back({{"agent_id", a.agentId},
                             {"display_name", a.displayName},
                             {"closed", a.closed},
                             {"first_response_p50_s", orNull(a.firstResponseP50)},
                             {"rating_avg", orNull(a.ratingAvg)}});
    return out;
}

std::string ReportsService::reportCsv(const Range& range) const {
    const auto days = dayRows(range);
    std::string csv = "date,conversations,handoffs,bot_resolved,closed,first_response_p50_s,"
                      "first_response_p90_s,resolution_p50_s,rating_avg,ratings\r\n";
    for (std::size_t i = 0; i < days.size(); ++i) {
        const auto& d = days[i];
        csv += range.days[i].date + ',' + std::to_string(d.conversations) + ',' + std::to_string(d.handoffs) +
               ',' + std::to_string(d.botResolved) + ',' + std::to_string(d.closed) + ',' +
               csvNumber(d.firstResponseP50) + ',' + csvNumber(d.firstResponseP90) + ',' +
               csvNumber(d.resolutionP50) + ',' + csvNumber(d.ratingAvg) + ',' + std::to_string(d.ratings) +
               "\r\n";
    }
    return csv;
}

json ReportsService::exportCustomer(const AgentIdentity& by, const std::string& sessionId) {
    requireSessionId(sessionId);
    const auto now = formatRfc3339(m_clock.now());
    json conversations = json::array();
    m_store.read([&](ReadTx& tx) {
        for (const auto& c : tx.conversationsOfSession(sessionId))
            conversations.push_back({{"conversation", c}, {"messages", tx.messages(c.id, 0)}});
    });
    try {
        m_store.write([&](WriteTx& tx) {
            tx.insertAuditEntry({0, now, by.agentId, {}, "customer.export", sessionId});
        });
    } catch (const StoreOverloaded& e) {
        throw ApiError::overloaded(e.retryAfterSeconds());
    }
    return {{"customer_session_id", sessionId},
            {"exported_at", now},
            {"erased", m_erased.contains(sessionId)},
            {"conversations", std::move(conversations)}};
}

void ReportsService::eraseCustomer(const AgentIdentity& by, const std::string& sessionId) {
    requireSessionId(sessionId);
    // Refused from now on, before the erase commits, so no request of the shopper slips in
    // between; a failed erase lets the tokens work again (unless they were ended before).
    const bool added = m_erased.add(sessionId);
    try {
        const auto now = formatRfc3339(m_clock.now());
        m_store.write([&](WriteTx& tx) {
            tx.eraseCustomerSession(sessionId, now);
            // After the erase, so the closing system message (no shopper data in it) stays.
            if (m_chat)
                m_chat->endErasedCustomerSession(tx, sessionId);
            tx.insertAuditEntry({0, now, by.agentId, {}, "customer.erase", sessionId});
        });
    } catch (const StoreOverloaded& e) {
        if (added)
            m_erased.remove(sessionId);
        throw ApiError::overloaded(e.retryAfterSeconds());
    } catch (...) {
        if (added)
            m_erased.remove(sessionId);
        throw;
    }
}

json ReportsService::auditLog(int limit) const {
    const auto entries = m_store.readResult([&](ReadTx& tx) { return tx.auditLog(limit); });
    json list = json::array();
    for (const auto& e : entries)
        list.push_back({{"id", e.id},
                        {"at", e.at},
                        {"actor_agent_id", e.actorAgentId},
                        {"actor_username", e.actorUsername},
                        {"action", e.action},
                        {"subject", e.subject}});
    return {{"entries", std::move(list)}};
}

} // namespace parley::server
