#pragma once
// The admin's reports (issue 22): for a range of local days (default: the last 7) in a time zone
// (default: the system's), conversations, handoffs and bot-resolved chats per day as bars, first
// response p50/p90 and resolution p50 per day as lines, the range's totals (bot-resolved share,
// rating average) and a table per agent. "Export CSV" saves the server's CSV of the same query.
// Charts take their colours from the palette in use, light or dark, and follow a theme change.

#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QDateEdit;
class QLabel;
class QPushButton;
class QTableView;

namespace parley::console {
class Session;
class ReportsModel;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class ReportsView : public QWidget {
    Q_OBJECT
public:
    explicit ReportsView(Session* session, QWidget* parent = nullptr);

    ReportsModel* model() const { return m_model; }
    bool isBusy() const;
    QString statusText() const;
    // The charts (tests read their series): volumes per day, and times per day.
    QChart* volumeChart() const;
    QChart* timesChart() const;

    void reload();
    void exportCsv();

signals:
    void csvExported(const QString& path);

private:
    void showReport();
    void applyPalette();
    void setStatus(const QString& text, bool error);
    void applyStatusTone();

    Session* m_session;
    ReportsModel* m_model;
    QDateEdit* m_from;
    QDateEdit* m_to;
    QComboBox* m_zone;
    QPushButton* m_refresh;
    QPushButton* m_export;
    QLabel* m_conversations;
    QLabel* m_handoffs;
    QLabel* m_botShare;
    QLabel* m_rating;
    QLabel* m_status;
    QChartView* m_volumeView;
    QChartView* m_timesView;
    QTableView* m_agents;
    bool m_statusError = false;
};

} // namespace parley::console::gui
