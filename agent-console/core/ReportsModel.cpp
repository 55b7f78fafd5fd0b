#include "core/ReportsModel.h"

#include "core/ApiClient.h"
#include "core/Util.h"

#include <QLocale>

#include <cmath>
#include <stdexcept>

using nlohmann::json;

namespace parley::console {
namespace {

std::optional<double> optNumber(const json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end() || it->is_null())
        return std::nullopt;
    return it->get<double>();
}

QDate dateOf(const json& o, const char* key) {
    const QDate d = QDate::fromString(qs(o.at(key).get<std::string>()), Qt::ISODate);
    if (!d.isValid())
        throw std::runtime_error(std::string("not a date: ") + key);
    return d;
}

QVariant cell(std::optional<double> v) {
    return v ? QVariant(*v) : QVariant();
}

} // namespace

namespace {
// The sum of one count over the report's days.
int total(const std::vector<ReportDay>& days, int ReportDay::*count) {
    int n = 0;
    for (const auto& d : days)
        n += d.*count;
    return n;
}
} // namespace

int Report::conversations() const {
    return total(days, &ReportDay::conversations);
}

int Report::handoffs() const {
    return total(days, &ReportDay::handoffs);
}

int Report::botResolved() const {
    return total(days, &ReportDay::botResolved);
}

int Report::ratings() const {
    return total(days, &ReportDay::ratings);
}

std::optional<double> Report::botResolvedShare() const {
    const int all = conversations();
    return all > 0 ? std::optional<double>(double(botResolved()) / all) : std::nullopt;
}

std::optional<double> Report::ratingAvg() const {
    double sum = 0;
    int n = 0;
    for (const auto& d : days)
        if (d.ratingAvg && d.ratings > 0) {
            sum += *d.ratingAvg * d.ratings;
            n += d.ratings;
        }
    return n > 0 ? std::optional<double>(sum / n) : std::nullopt;
}

Report Report::fromJson(const json& body) {
    Report r;
    if (body.contains("from"))
        r.from = dateOf(body, "from");
    if (body.contains("to"))
        r.to = dateOf(body, "to");
    r.timeZone = qs(body.value("tz", std::string("UTC")));
    for (const auto& d : body.at("days")) {
        ReportDay day;
        day.date = dateOf(d, "date");
        day.conversations = d.value("conversations", 0);
        day.handoffs = d.value("handoffs", 0);
        day.botResolved = d.value("bot_resolved", 0);
        day.closed = d.value("closed", 0);
        day.firstResponseP50 = optNumber(d, "first_response_p50_s");
        day.firstResponseP90 = optNumber(d, "first_response_p90_s");
        day.resolutionP50 = optNumber(d, "resolution_p50_s");
        day.ratingAvg = optNumber(d, "rating_avg");
        day.ratings = d.value("ratings", 0);
        r.days.push_back(day);
    }
    for (const auto& a : body.at("agents")) {
        ReportAgent agent;
        agent.agentId = qs(a.value("agent_id", std::string()));
        agent.displayName = qs(a.value("display_name", std::string()));
        agent.closed = a.value("closed", 0);
        agent.firstResponseP50 = optNumber(a, "first_response_p50_s");
        agent.ratingAvg = optNumber(a, "rating_avg");
        r.agents.push_back(agent);
    }
    return r;
}

QString formatReportDuration(std::optional<double> seconds) {
    if (!seconds)
        return QStringLiteral("\u2014");
    const double s = *seconds;
    if (s < 10)
        return QLocale().toString(s, 'f', 1) + QStringLiteral(" s");
    const qint64 whole = std::llround(s);
    if (whole < 60)
        return QStringLiteral("%1 s").arg(whole);
    if (whole < 3600)
        return QStringLiteral("%1 min %2 s").arg(whole / 60).arg(whole % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(whole / 3600).arg((whole % 3600) / 60, 2, 10, QLatin1Char('0'));
}

ReportsModel::ReportsModel(ApiClient* api, QObject* parent)
    : QAbstractTableModel(parent)
    , m_api(api) {}

void ReportsModel::load(const QDate& from, const QDate& to, const QString& timeZone) {
    const int gen = ++m_generation;
    m_busy = true;
    m_api->reports(from, to, timeZone, [this, gen](const ApiResult<json>& r) {
        if (gen != m_generation)
            return; // a newer range was asked for meanwhile
        m_busy = false;
        if (!r.ok()) {
            emit loadFailed(*r.error);
            return;
        }
        Report report;
        try {
            report = Report::fromJson(r.value);
        } catch (const std::exception& e) {
            emit loadFailed(ApiError::invalidResponse(QString::fromUtf8(e.what())));
            return;
        }
        beginResetModel();
        m_report = std::move(report);
        endResetModel();
        emit loaded();
    });
}

int ReportsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_report.agents.size());
}

int ReportsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReportsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const ReportAgent& a = m_report.agents[std::size_t(index.row())];
    if (role == ValueRole) {
        switch (index.column()) {
        case AgentColumn:
            return a.displayName;
        case ClosedColumn:
            return a.closed;
        case FirstResponseColumn:
            return cell(a.firstResponseP50);
        case RatingColumn:
            return cell(a.ratingAvg);
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole)
        return index.column() == AgentColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                             : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case AgentColumn:
        return a.displayName;
    case ClosedColumn:
        return a.closed;
    case FirstResponseColumn:
        return formatReportDuration(a.firstResponseP50);
    case RatingColumn:
        return a.ratingAvg ? QLocale().toString(*a.ratingAvg, 'f', 2) : QStringLiteral("\u2014");
    }
    return {};
}

QVariant ReportsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case AgentColumn:
        return QStringLiteral("Agent");
    case ClosedColumn:
        return QStringLiteral("Closed");
    case FirstResponseColumn:
        return QStringLiteral("First response p50");
    case RatingColumn:
        return QStringLiteral("Rating");
    }
    return {};
}

} // namespace parley::console
