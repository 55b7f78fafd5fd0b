#pragma once
// The settings editor's "Hours" page (issue 21): the shop's business hours (a time zone and, per
// weekday, the opening intervals; an empty day is closed) and the idle auto-close. Outside the
// hours the widget tells shoppers when the team is back and offers to leave an e-mail address.
// Reads and writes the "business_hours" and "idle_close_minutes" keys of /admin/settings.

#include <nlohmann/json.hpp>

#include <QWidget>

#include <array>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace parley::console::gui {

class FieldErrors;

class AfterHoursForm : public QWidget {
    Q_OBJECT
public:
    // The error labels go into `errors` (the editor's), named after the server's fields.
    explicit AfterHoursForm(FieldErrors& errors, QWidget* parent = nullptr);

    // Shows the stored settings (the whole GET /admin/settings object).
    void load(const nlohmann::json& settings);
    // Puts "business_hours" and "idle_close_minutes" into `patch`. With a field the server would
    // refuse, marks it in the errors and returns false.
    bool collect(nlohmann::json& patch);

    // "mon" ... "sun": the order of the days on the page and of the slots sent.
    static constexpr std::array<const char*, 7> kDays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    static constexpr int kMaxIdleCloseMinutes = 10080; // a week, as the server allows

private:
    void updateEnabled();

    FieldErrors& m_errors;
    QCheckBox* m_hoursOn;
    QComboBox* m_timeZone;
    std::array<QLineEdit*, 7> m_days{};
    QCheckBox* m_idleOn;
    QSpinBox* m_idleMinutes;
};

} // namespace parley::console::gui
