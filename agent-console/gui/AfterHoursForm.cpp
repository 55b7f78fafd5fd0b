#include "gui/AfterHoursForm.h"

#include "core/Util.h"
#include "gui/EditorForm.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QFormLayout>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStringList>
#include <QTimeZone>

#include <map>
#include <optional>
#include <vector>

using nlohmann::json;

namespace parley::console::gui {
namespace {

constexpr const char* kDayNames[] = {
    "&Monday:", "&Tuesday:", "&Wednesday:", "T&hursday:", "&Friday:", "Sat&urday:", "Su&nday:"};
constexpr const char* kDefaultSlot = "09:00\u201317:00"; // Monday to Friday when hours are first set

// The error label of a day: not a server field name, so no server message is taken for it.
QString dayField(int day) {
    return QStringLiteral("hours.") + QString::fromLatin1(AfterHoursForm::kDays[std::size_t(day)]);
}

struct Slot {
    QString from, to; // "HH:MM", to may be "24:00"
};

// "9:00-17:00, 18:00–20:30" -> ranges; nullopt and `error` set when a part is not a time range
// the server takes (from before to, within 00:00..24:00).
std::optional<std::vector<Slot>> parseDay(const QString& text, QString& error) {
    static const QRegularExpression range(
        QStringLiteral("^(\\d{1,2}):(\\d{2})\\s*[-\u2013\u2014]\\s*(\\d{1,2}):(\\d{2})$"));
    std::vector<Slot> ranges;
    for (const QString& raw : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString part = raw.trimmed();
        if (part.isEmpty())
            continue;
        const auto m = range.match(part);
        if (!m.hasMatch()) {
            error = QStringLiteral("\"%1\" is not a time range like 09:00\u201317:00.").arg(part);
            return std::nullopt;
        }
        const int fh = m.captured(1).toInt(), fm = m.captured(2).toInt();
        const int th = m.captured(3).toInt(), tm = m.captured(4).toInt();
        const int from = fh * 60 + fm, to = th * 60 + tm;
        if (fh > 23 || fm > 59 || th > 24 || tm > 59 || to > 24 * 60) {
            error = QStringLiteral("\"%1\": times go from 00:00 to 24:00.").arg(part);
            return std::nullopt;
        }
        if (from >= to) {
            error = QStringLiteral("\"%1\": the end must be later than the start (past midnight: "
                                   "give the next day its own range from 00:00).")
                        .arg(part);
            return std::nullopt;
        }
        const auto hhmm = [](int h, int mins) {
            return QStringLiteral("%1:%2").arg(h, 2, 10, QLatin1Char('0')).arg(mins, 2, 10, QLatin1Char('0'));
        };
        ranges.push_back({hhmm(fh, fm), hhmm(th, tm)});
    }
    return ranges;
}

} // namespace

AfterHoursForm::AfterHoursForm(FieldErrors& errors, QWidget* parent)
    : QWidget(parent)
    , m_errors(errors) {
    setObjectName(QStringLiteral("afterHoursForm"));
    auto* form = new QFormLayout(this);

    m_hoursOn = new QCheckBox(QStringLiteral("S&et business hours"));
    m_hoursOn->setObjectName(QStringLiteral("businessHoursCheck"));
    m_hoursOn->setToolTip(QStringLiteral(
        "Without business hours the shop counts as always open. Outside them the chat window "
        "says when the team is back (in the shopper's own time) and offers to leave an e-mail address."));
    form->addRow(m_hoursOn);

    m_timeZone = new QComboBox;
    m_timeZone->setObjectName(QStringLiteral("timeZoneCombo"));
    m_timeZone->setEditable(true);
    m_timeZone->setInsertPolicy(QComboBox::NoInsert);
    QStringList zones;
    for (const QByteArray& id : QTimeZone::availableTimeZoneIds())
        zones << QString::fromLatin1(id);
    m_timeZone->addItems(zones);
    m_timeZone->completer()->setCompletionMode(QCompleter::PopupCompletion);
    m_timeZone->completer()->setFilterMode(Qt::MatchContains);
    m_timeZone->completer()->setCaseSensitivity(Qt::CaseInsensitive);
    m_timeZone->setToolTip(
        QStringLiteral("The shop's time zone, e.g. Europe/Berlin: the hours below are in it."));
    form->addRow(QStringLiteral("Time &zone:"), m_timeZone);
    form->addRow(QString(),
                 m_errors.add(QStringLiteral("business_hours.timezone"), QStringLiteral("timeZoneError")));

    auto* hint =
        new QLabel(QStringLiteral("Opening times per day, like 09:00\u201317:00; several ranges with "
                                  "commas (09:00\u201312:00, 13:00\u201317:00); 24:00 ends the day. "
                                  "Leave a day empty when the shop is closed."));
    hint->setWordWrap(true);
    hint->setObjectName(QStringLiteral("hoursHint"));
    form->addRow(hint);
    for (int d = 0; d < 7; ++d) {
        auto* edit = new QLineEdit;
        const QString day = QString::fromLatin1(kDays[std::size_t(d)]);
        edit->setObjectName(day + QStringLiteral("HoursEdit"));
        edit->setPlaceholderText(QStringLiteral("Closed"));
        edit->setClearButtonEnabled(true);
        m_days[std::size_t(d)] = edit;
        form->addRow(QString::fromUtf8(kDayNames[d]), edit);
        form->addRow(QString(), m_errors.add(dayField(d), day + QStringLiteral("HoursError")));
    }
    form->addRow(QString(),
                 m_errors.add(QStringLiteral("business_hours.weekly"), QStringLiteral("weeklyError")));

    auto* line = new QFrame;
    line->setFrameShape(QFrame::HLine);
    line->setFrameShadow(QFrame::Sunken);
    form->addRow(line);

    m_idleOn = new QCheckBox(QStringLiteral("&Close chats the shopper stopped answering after"));
    m_idleOn->setObjectName(QStringLiteral("idleCloseCheck"));
    m_idleOn->setToolTip(QStringLiteral(
        "When the agent wrote last and the shopper has not answered for this long, the server closes "
        "the chat with a note, and the shopper is asked to rate it."));
    m_idleMinutes = new QSpinBox;
    m_idleMinutes->setObjectName(QStringLiteral("idleCloseSpin"));
    m_idleMinutes->setRange(1, kMaxIdleCloseMinutes);
    m_idleMinutes->setSuffix(QStringLiteral(" min"));
    m_idleMinutes->setValue(30);
    auto* idleRow = new QHBoxLayout;
    idleRow->addWidget(m_idleOn);
    idleRow->addWidget(m_idleMinutes);
    idleRow->addStretch(1);
    form->addRow(idleRow);
    form->addRow(m_errors.add(QStringLiteral("idle_close_minutes"), QStringLiteral("idleCloseError")));

    connect(m_hoursOn, &QCheckBox::toggled, this, &AfterHoursForm::updateEnabled);
    connect(m_idleOn, &QCheckBox::toggled, this, &AfterHoursForm::updateEnabled);
    load(json::object());
}

void AfterHoursForm::updateEnabled() {
    m_timeZone->setEnabled(m_hoursOn->isChecked());
    for (auto* edit : m_days)
        edit->setEnabled(m_hoursOn->isChecked());
    m_idleMinutes->setEnabled(m_idleOn->isChecked());
}

void AfterHoursForm::load(const json& settings) {
    const auto hours = settings.find("business_hours");
    const bool hasHours = hours != settings.end() && hours->is_object();
    m_hoursOn->setChecked(hasHours);
    std::map<std::string, QStringList> byDay;
    if (hasHours) {
        m_timeZone->setCurrentText(qs(hours->value("timezone", std::string())));
        for (const auto& slot : hours->value("weekly", json::array()))
            if (slot.is_object())
                byDay[slot.value("day", std::string())] << qs(slot.value("from", std::string())) +
                                                               QStringLiteral("\u2013") +
                                                               qs(slot.value("to", std::string()));
    } else {
        // What a shop most likely wants when it switches hours on: its zone, office hours.
        m_timeZone->setCurrentText(QString::fromLatin1(QTimeZone::systemTimeZoneId()));
        for (int d = 0; d < 5; ++d)
            byDay[kDays[std::size_t(d)]] << QString::fromUtf8(kDefaultSlot);
    }
    for (int d = 0; d < 7; ++d)
        m_days[std::size_t(d)]->setText(byDay[kDays[std::size_t(d)]].join(QStringLiteral(", ")));

    const auto idle = settings.find("idle_close_minutes");
    const bool hasIdle = idle != settings.end() && idle->is_number_integer();
    m_idleOn->setChecked(hasIdle);
    if (hasIdle)
        m_idleMinutes->setValue(idle->get<int>());
    updateEnabled();
}

bool AfterHoursForm::collect(json& patch) {
    bool ok = true;
    if (!m_hoursOn->isChecked()) {
        patch["business_hours"] = nullptr;
    } else {
        const QString zone = m_timeZone->currentText().trimmed();
        if (zone.isEmpty()) {
            m_errors.set(QStringLiteral("business_hours.timezone"),
                         QStringLiteral("Choose the shop's time zone."));
            ok = false;
        }
        json weekly = json::array();
        for (int d = 0; d < 7; ++d) {
            QString error;
            const auto ranges = parseDay(m_days[std::size_t(d)]->text(), error);
            if (!ranges) {
                m_errors.set(dayField(d), error);
                ok = false;
                continue;
            }
            for (const auto& s : *ranges)
                weekly.push_back({{"day", kDays[std::size_t(d)]}, {"from", ss(s.from)}, {"to", ss(s.to)}});
        }
        patch["business_hours"] = {{"timezone", ss(zone)}, {"weekly", weekly}};
    }
    patch["idle_close_minutes"] = m_idleOn->isChecked() ? json(m_idleMinutes->value()) : json(nullptr);
    return ok;
}

} // namespace parley::console::gui
