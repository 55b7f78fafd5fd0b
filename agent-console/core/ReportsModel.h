#pragma once
// The admin's report (issue 22) for a range of local days in an IANA time zone: the days' figures
// for the charts and the range's totals, and the agents as a table model. Loads
// GET /api/v1/admin/reports; nothing is computed that the server did not measure, except the
// range's totals of counts and the rating average weighted by each day's number of ratings.

#include "core/ApiError.h"

#include <nlohmann/json.hpp>

#include <QAbstractTableModel>
#include <QDate>

#include <optional>
#include <vector>

namespace parley::console {

class ApiClient;

struct ReportDay {
    QDate date;
    int conversations = 0;
    int handoffs = 0;
    int botResolved = 0;
    int closed = 0;
    std::optional<double> firstResponseP50; // seconds; nullopt: nothing to measure that day
    std::optional<double> firstResponseP90;
    std::optional<double> resolutionP50;
    std::optional<double> ratingAvg;
    int ratings = 0;
};

struct ReportAgent {
    QString agentId;
    QString displayName;
    int closed = 0;
    std::optional<double> firstResponseP50;
    std::optional<double> ratingAvg;
};

struct Report {
    QDate from;
    QDate to;
    QString timeZone;
    std::vector<ReportDay> days;
    std::vector<ReportAgent> agents;

    int conversations() const;
    int handoffs() const;
    int botResolved() const;
    int ratings() const;
    // bot-resolved / conversations (nullopt without conversations).
    std::optional<double> botResolvedShare() const;
    // Each day's average weighted by its number of ratings: the average over all ratings.
    std::optional<double> ratingAvg() const;

    // Throws (nlohmann or std::runtime_error) when the body is not a report.
    static Report fromJson(const nlohmann::json& body);
};

// A measured duration for a report: "4.2 s", "42 s", "3 min 05 s", "2 h 10 min"; an em dash when
// there was nothing to measure.
QString formatReportDuration(std::optional<double> seconds);

class ReportsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { AgentColumn, ClosedColumn, FirstResponseColumn, RatingColumn, ColumnCount };
    // The raw figure of a cell (an int, a double of seconds or score, or an invalid QVariant for null).
    static constexpr int ValueRole = Qt::UserRole + 1;

    explicit ReportsModel(ApiClient* api, QObject* parent = nullptr);

    // Asks the server; a newer load overrides an older one still on its way.
    void load(const QDate& from, const QDate& to, const QString& timeZone);
    bool isBusy() const { return m_busy; }
    const Report& report() const { return m_report; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void loaded();
    void loadFailed(const parley::console::ApiError& error);

private:
    ApiClient* m_api;
    Report m_report;
    int m_generation = 0;
    bool m_busy = false;
};

} // namespace parley::console
