#include "store/StoredRows.h"

#include <algorithm>

namespace parley::server::stored {

protocol::PageContext pageContextFromJson(const std::string& text) {
    if (text.empty() || text == "{}")
        return {};
    const auto j = nlohmann::json::parse(text, nullptr, false);
    protocol::PageContext ctx;
    if (!j.is_object())
        return ctx;
    auto field = [&j](const char* key) -> std::optional<std::string> {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? std::optional(it->get<std::string>()) : std::nullopt;
    };
    return protocol::PageContext{field("page_url"), field("page_title"), field("referrer"), field("locale"),
                                 field("user_agent")};
}

std::string pageContextJson(const protocol::PageContext& ctx) {
    if (ctx.empty())
        return "{}";
    nlohmann::json j = nlohmann::json::object();
    const std::pair<const char*, const std::optional<std::string>*> fields[] = {
        {"page_url", &ctx.pageUrl},
        {"page_title", &ctx.pageTitle},
        {"referrer", &ctx.referrer},
        {"locale", &ctx.locale},
        {"user_agent", &ctx.userAgent}};
    for (const auto& [key, value] : fields)
        if (*value)
            j[key] = **value;
    return j.dump();
}

namespace {

// Percentiles by nearest rank: the p-th of n sorted values is the ceil(p * n / 100)-th (what
// PostgreSQL's percentile_disc gives). SQL sorts the durations per day; the rank is read off the
// sorted rows (SQLite's window functions over the same rows cost three times as much).
std::optional<double> nearestRankSeconds(const std::vector<std::int64_t>& sortedMs, int p) {
    if (sortedMs.empty())
        return std::nullopt;
    const auto n = static_cast<std::int64_t>(sortedMs.size());
    return static_cast<double>(sortedMs[static_cast<std::size_t>((p * n + 99) / 100 - 1)]) / 1000.0;
}

} // namespace

ReportBuilder::ReportBuilder(const std::vector<ReportDayWindow>& days, bool withAgents)
    : m_withAgents(withAgents) {
    m_out.days.resize(days.size());
    nlohmann::json windows = nlohmann::json::array();
    for (const auto& d : days)
        windows.push_back({d.startUtc, d.endUtc});
    m_windows = windows.dump();
}

ReportDayRow* ReportBuilder::at(std::int64_t day) {
    return day >= 0 && static_cast<std::size_t>(day) < m_out.days.size()
               ? &m_out.days[static_cast<std::size_t>(day)]
               : nullptr;
}

void ReportBuilder::flushFirstResponses(std::int64_t next) {
    if (auto* row = at(m_firstResponses.day); row && !m_firstResponses.values.empty()) {
        row->firstResponseP50 = nearestRankSeconds(m_firstResponses.values, 50);
        row->firstResponseP90 = nearestRankSeconds(m_firstResponses.values, 90);
    }
    m_firstResponses = {next, {}};
}

void ReportBuilder::flushResolutions(std::int64_t next) {
    if (auto* row = at(m_resolutions.day); row && !m_resolutions.values.empty())
        row->resolutionP50 = nearestRankSeconds(m_resolutions.values, 50);
    m_resolutions = {next, {}};
}

void ReportBuilder::addAgent(std::string id, std::string name, std::int64_t closed,
                             std::optional<double> rating) {
    ReportAgentRow row{std::move(id), std::move(name), closed, std::nullopt, rating};
    if (auto it = m_agentFirstResponses.find(row.agentId); it != m_agentFirstResponses.end()) {
        std::sort(it->second.begin(), it->second.end());
        row.firstResponseP50 = nearestRankSeconds(it->second, 50);
    }
    m_out.agents.push_back(std::move(row));
}

ReportFigures ReportBuilder::finish() {
    flushFirstResponses();
    flushResolutions();
    return std::move(m_out);
}

} // namespace parley::server::stored
