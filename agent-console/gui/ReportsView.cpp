#include "gui/ReportsView.h"

#include "core/ApiClient.h"
#include "core/ReportsModel.h"
#include "core/Session.h"
#include "gui/FileChooser.h"
#include "gui/Style.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateEdit>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QLocale>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimeZone>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace parley::console::gui {
namespace {

constexpr int kMaxDays = 366; // what the server accepts in one report

QLabel* figure(const char* objectName) {
    auto* l = new QLabel(QStringLiteral("\u2014"));
    l->setObjectName(QString::fromLatin1(objectName));
    QFont f = l->font();
    f.setBold(true);
    f.setPointSizeF(f.pointSizeF() * 1.6);
    l->setFont(f);
    return l;
}

QChartView* chartView(const char* objectName, const QString& title) {
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto* view = new QChartView(chart);
    view->setObjectName(QString::fromLatin1(objectName));
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(220);
    return view;
}

// A y axis from 0 to a round number above `max` (at least `floor`), with integer ticks if asked.
void fitAxis(QValueAxis* axis, double max, double floor, bool integers) {
    const double top = std::max(max, floor);
    axis->setRange(0, top);
    axis->applyNiceNumbers();
    axis->setLabelFormat(integers ? QStringLiteral("%d") : QStringLiteral("%.0f"));
    if (integers && axis->max() <= 10)
        axis->setTickCount(int(axis->max()) + 1);
}

} // namespace

ReportsView::ReportsView(Session* session, QWidget* parent)
    : QWidget(parent, Qt::Window)
    , m_session(session)
    , m_model(new ReportsModel(session->api(), this)) {
    setObjectName(QStringLiteral("reportsView"));
    setWindowTitle(QStringLiteral("Reports \u2014 Parley Console"));
    resize(1040, 780);

    // The range and the zone.
    const QDate today = QDate::currentDate();
    m_from = new QDateEdit(today.addDays(-6));
    m_from->setObjectName(QStringLiteral("reportsFrom"));
    m_to = new QDateEdit(today);
    m_to->setObjectName(QStringLiteral("reportsTo"));
    for (QDateEdit* e : {m_from, m_to}) {
        e->setCalendarPopup(true);
        e->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    }
    m_zone = new QComboBox;
    m_zone->setObjectName(QStringLiteral("reportsZone"));
    m_zone->setToolTip(QStringLiteral("Days run from midnight to midnight in this time zone."));
    m_zone->setMaxVisibleItems(20);
    QStringList zones;
    for (const QByteArray& id : QTimeZone::availableTimeZoneIds())
        zones << QString::fromLatin1(id);
    const QString system = QString::fromLatin1(QTimeZone::systemTimeZoneId());
    if (!system.isEmpty() && !zones.contains(system))
        zones << system;
    if (!zones.contains(QStringLiteral("UTC")))
        zones << QStringLiteral("UTC");
    zones.sort();
    m_zone->addItems(zones);
    m_zone->setCurrentText(system.isEmpty() ? QStringLiteral("UTC") : system);
    m_refresh = new QPushButton(QStringLiteral("&Refresh"));
    m_refresh->setObjectName(QStringLiteral("reportsRefresh"));
    m_export = new QPushButton(QStringLiteral("&Export CSV\u2026"));
    m_export->setObjectName(QStringLiteral("reportsExportCsv"));
    m_export->setToolTip(QStringLiteral("Save the days of this report as a CSV file"));

    auto* range = new QHBoxLayout;
    range->addWidget(new QLabel(QStringLiteral("From:")));
    range->addWidget(m_from);
    range->addWidget(new QLabel(QStringLiteral("to:")));
    range->addWidget(m_to);
    range->addSpacing(12);
    range->addWidget(new QLabel(QStringLiteral("Time zone:")));
    range->addWidget(m_zone, 1);
    range->addSpacing(12);
    range->addWidget(m_refresh);
    range->addWidget(m_export);

    // The range's totals.
    m_conversations = figure("reportsConversations");
    m_handoffs = figure("reportsHandoffs");
    m_botShare = figure("reportsBotShare");
    m_rating = figure("reportsRating");
    auto* totals = new QGridLayout;
    const std::pair<QLabel*, const char*> tiles[] = {{m_conversations, "conversations"},
                                                     {m_handoffs, "handoffs to an agent"},
                                                     {m_botShare, "resolved by the bot"},
                                                     {m_rating, "average rating"}};
    int col = 0;
    for (const auto& [value, caption] : tiles) {
        auto* c = new QLabel(QString::fromLatin1(caption));
        followPalette(c, [c] {
            QPalette p = c->palette();
            p.setColor(QPalette::WindowText, theme::mutedText(p));
            c->setPalette(p);
        });
        totals->addWidget(value, 0, col, Qt::AlignHCenter);
        totals->addWidget(c, 1, col, Qt::AlignHCenter);
        ++col;
    }

    m_volumeView = chartView("reportsVolumeChart", QStringLiteral("Conversations per day"));
    {
        QChart* chart = m_volumeView->chart();
        auto* series = new QBarSeries(chart);
        series->setObjectName(QStringLiteral("volumeSeries"));
        const std::pair<const char*, const char*> sets[] = {{"conversationsSet", "Conversations"},
                                                            {"handoffsSet", "Handoffs"},
                                                            {"botResolvedSet", "Resolved by the bot"}};
        for (const auto& [name, label] : sets) {
            auto* set = new QBarSet(QString::fromLatin1(label), series);
            set->setObjectName(QString::fromLatin1(name));
            series->append(set);
        }
        chart->addSeries(series);
        auto* x = new QBarCategoryAxis(chart);
        auto* y = new QValueAxis(chart);
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        series->attachAxis(x);
        series->attachAxis(y);
    }
    m_timesView = chartView("reportsTimesChart", QStringLiteral("Response times per day (seconds)"));
    {
        QChart* chart = m_timesView->chart();
        auto* x = new QBarCategoryAxis(chart);
        auto* y = new QValueAxis(chart);
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        const std::pair<const char*, const char*> lines[] = {{"firstResponseP50Series", "First response p50"},
                                                             {"firstResponseP90Series", "First response p90"},
                                                             {"resolutionP50Series", "Resolution p50"}};
        for (const auto& [name, label] : lines) {
            auto* series = new QLineSeries(chart);
            series->setObjectName(QString::fromLatin1(name));
            series->setName(QString::fromLatin1(label));
            series->setPointsVisible(true);
            chart->addSeries(series);
            series->attachAxis(x);
            series->attachAxis(y);
        }
    }

    m_agents = new QTableView;
    m_agents->setObjectName(QStringLiteral("reportsAgentsTable"));
    m_agents->setModel(m_model);
    m_agents->verticalHeader()->hide();
    m_agents->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_agents->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_agents->horizontalHeader()->setSectionResizeMode(ReportsModel::AgentColumn, QHeaderView::Stretch);
    m_agents->setAlternatingRowColors(true);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("reportsStatus"));
    m_status->setWordWrap(true);
    m_status->setMinimumHeight(m_status->fontMetrics().lineSpacing() * 2);
    followPalette(m_status, [this] { applyStatusTone(); });

    auto* charts = new QSplitter(Qt::Vertical);
    charts->addWidget(m_volumeView);
    charts->addWidget(m_timesView);
    auto* agentsBox = new QWidget;
    auto* agentsLayout = new QVBoxLayout(agentsBox);
    agentsLayout->setContentsMargins(0, 0, 0, 0);
    agentsLayout->addWidget(new QLabel(QStringLiteral("<b>Agents</b> (closed chats in the range)")));
    agentsLayout->addWidget(m_agents);
    charts->addWidget(agentsBox);
    charts->setStretchFactor(0, 3);
    charts->setStretchFactor(1, 3);
    charts->setStretchFactor(2, 2);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(range);
    layout->addLayout(totals);
    layout->addWidget(charts, 1);
    layout->addWidget(m_status);

    // Any change of the range or the zone asks again, once per burst of changes.
    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(0);
    connect(debounce, &QTimer::timeout, this, &ReportsView::reload);
    connect(m_from, &QDateEdit::dateChanged, debounce, qOverload<>(&QTimer::start));
    connect(m_to, &QDateEdit::dateChanged, debounce, qOverload<>(&QTimer::start));
    connect(m_zone, &QComboBox::currentTextChanged, debounce, qOverload<>(&QTimer::start));
    connect(m_refresh, &QPushButton::clicked, this, &ReportsView::reload);
    connect(m_export, &QPushButton::clicked, this, &ReportsView::exportCsv);
    connect(m_model, &ReportsModel::loaded, this, &ReportsView::showReport);
    connect(m_model, &ReportsModel::loadFailed, this, [this](const ApiError& e) {
        setStatus(QStringLiteral("The report could not be loaded: %1").arg(e.describe()), true);
    });
    followPalette(this, [this] { applyPalette(); });
    reload();
}

bool ReportsView::isBusy() const {
    return m_model->isBusy();
}

QString ReportsView::statusText() const {
    return m_status->text();
}

QChart* ReportsView::volumeChart() const {
    return m_volumeView->chart();
}

QChart* ReportsView::timesChart() const {
    return m_timesView->chart();
}

void ReportsView::setStatus(const QString& text, bool error) {
    m_status->setText(text);
    m_statusError = error;
    applyStatusTone();
}

void ReportsView::applyStatusTone() {
    QPalette p = m_status->palette();
    p.setColor(QPalette::WindowText,
               m_statusError ? theme::toneText(p, theme::Tone::Error) : theme::mutedText(p));
    m_status->setPalette(p);
}

void ReportsView::reload() {
    const QDate from = m_from->date(), to = m_to->date();
    if (from > to) {
        setStatus(QStringLiteral("The first day must not be after the last."), true);
        return;
    }
    if (from.daysTo(to) + 1 > kMaxDays) {
        setStatus(QStringLiteral("A report covers at most %1 days.").arg(kMaxDays), true);
        return;
    }
    setStatus(QStringLiteral("Loading\u2026"), false);
    m_model->load(from, to, m_zone->currentText());
}

void ReportsView::showReport() {
    const Report& r = m_model->report();
    const QLocale locale;
    m_conversations->setText(locale.toString(r.conversations()));
    m_handoffs->setText(locale.toString(r.handoffs()));
    const auto share = r.botResolvedShare();
    m_botShare->setText(share ? locale.toString(std::lround(*share * 100)) + QStringLiteral(" %")
                              : QStringLiteral("\u2014"));
    const auto rating = r.ratingAvg();
    m_rating->setText(rating ? locale.toString(*rating, 'f', 2) + QStringLiteral(" / 5")
                             : QStringLiteral("\u2014"));
    m_rating->setToolTip(r.ratings() == 1 ? QStringLiteral("1 rating")
                                          : QStringLiteral("%1 ratings").arg(r.ratings()));

    QStringList categories;
    const bool longRange = r.days.size() > 14;
    for (const auto& d : r.days)
        categories << locale.toString(d.date, longRange ? QStringLiteral("d.M") : QStringLiteral("ddd d.M"));

    // Volumes.
    QChart* volume = m_volumeView->chart();
    auto* bars = static_cast<QBarSeries*>(volume->series().value(0));
    int maxCount = 0;
    const QList<QBarSet*> sets = bars->barSets();
    for (QBarSet* set : sets)
        set->remove(0, set->count());
    for (const auto& d : r.days) {
        sets[0]->append(d.conversations);
        sets[1]->append(d.handoffs);
        sets[2]->append(d.botResolved);
        maxCount = std::max({maxCount, d.conversations, d.handoffs, d.botResolved});
    }
    auto* vx = static_cast<QBarCategoryAxis*>(volume->axes(Qt::Horizontal).value(0));
    vx->clear();
    vx->append(categories);
    fitAxis(static_cast<QValueAxis*>(volume->axes(Qt::Vertical).value(0)), maxCount, 4, true);

    // Times: a point for each day that had something to measure.
    QChart* times = m_timesView->chart();
    QList<QPointF> p50, p90, res;
    double maxSeconds = 0;
    for (std::size_t i = 0; i < r.days.size(); ++i) {
        const auto& d = r.days[i];
        const auto add = [&](QList<QPointF>& points, std::optional<double> v) {
            if (v) {
                points << QPointF(double(i), *v);
                maxSeconds = std::max(maxSeconds, *v);
            }
        };
        add(p50, d.firstResponseP50);
        add(p90, d.firstResponseP90);
        add(res, d.resolutionP50);
    }
    const QList<QAbstractSeries*> lines = times->series();
    static_cast<QLineSeries*>(lines.value(0))->replace(p50);
    static_cast<QLineSeries*>(lines.value(1))->replace(p90);
    static_cast<QLineSeries*>(lines.value(2))->replace(res);
    auto* tx = static_cast<QBarCategoryAxis*>(times->axes(Qt::Horizontal).value(0));
    tx->clear();
    tx->append(categories);
    fitAxis(static_cast<QValueAxis*>(times->axes(Qt::Vertical).value(0)), maxSeconds, 60, false);

    m_agents->resizeColumnsToContents();
    m_agents->horizontalHeader()->setSectionResizeMode(ReportsModel::AgentColumn, QHeaderView::Stretch);
    setStatus(QStringLiteral("%1 to %2, days in %3. First response: from the handoff to the first "
                             "agent message; resolution: from the handoff to the close.")
                  .arg(locale.toString(r.from, QLocale::ShortFormat),
                       locale.toString(r.to, QLocale::ShortFormat), r.timeZone),
              false);
}

void ReportsView::applyPalette() {
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    const QColor muted = theme::mutedText(pal);
    const QColor grid = theme::mix(pal.color(QPalette::Base), text, 0.15);
    for (QChartView* view : {m_volumeView, m_timesView}) {
        QChart* chart = view->chart();
        // The theme picks series colours that read on its background; the rest follows the palette.
        chart->setTheme(theme::isDark(pal) ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        chart->setBackgroundBrush(pal.color(QPalette::Base));
        chart->setBackgroundPen(QPen(grid));
        chart->setTitleBrush(text);
        chart->legend()->setLabelColor(text);
        for (QAbstractAxis* axis : chart->axes()) {
            axis->setLabelsColor(muted);
            axis->setLinePenColor(grid);
            axis->setGridLineColor(grid);
            axis->setTitleBrush(text);
        }
        view->setBackgroundBrush(pal.color(QPalette::Window));
    }
}

void ReportsView::exportCsv() {
    const QDate from = m_from->date(), to = m_to->date();
    const QString zone = m_zone->currentText();
    const QString suggested = QStringLiteral("parley-report-%1-to-%2.csv")
                                  .arg(from.toString(Qt::ISODate), to.toString(Qt::ISODate));
    const QString path = chooseSaveFile(this, QStringLiteral("Export report as CSV"), suggested,
                                        QStringLiteral("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    setStatus(QStringLiteral("Exporting\u2026"), false);
    QPointer<ReportsView> self(this);
    m_session->api()->reportsCsv(from, to, zone, [self, path](const ApiResult<QByteArray>& r) {
        if (!self)
            return;
        if (!r.ok()) {
            self->setStatus(QStringLiteral("The CSV could not be exported: %1").arg(r.error->describe()),
                            true);
            return;
        }
        QString error;
        if (!writeFileAtomically(path, r.value, &error)) {
            self->setStatus(QStringLiteral("%1 could not be written: %2").arg(path, error), true);
            return;
        }
        self->setStatus(QStringLiteral("Saved the report to %1.").arg(path), false);
        emit self->csvExported(path);
    });
}

} // namespace parley::console::gui
