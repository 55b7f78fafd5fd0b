#pragma once
// Admin settings. "Bot" page: the greeting, the "I'm not sure" fallback, the offer of a person,
// the answer to thanks, in the shop's own words, and the shop's language (which stemmer and word
// lists the bot uses). "Hours and auto-close" page (AfterHoursForm): business hours and idle
// auto-close. Loads GET /admin/settings, saves both pages with one PUT (all or nothing); errors
// are shown under the field they concern. The pages are off until the values have loaded: typed
// text would be overwritten by them, and a save of the blank form would overwrite the stored ones.

#include "gui/ConfirmBox.h"
#include "gui/EditorForm.h"

#include <QDialog>

#include <nlohmann/json.hpp>

#include <map>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class AfterHoursForm;

class SettingsEditor : public QDialog {
    Q_OBJECT
public:
    explicit SettingsEditor(Session* session, QWidget* parent = nullptr);

    void reload(); // a failed load offers "Try again", which calls this
    bool isBusy() const { return m_pending > 0; }
    QString fieldError(const QString& field) const { return m_errors.text(field); }
    QString statusText() const;

    static constexpr int kMaxText = 1000; // characters, as the server counts them
    // The form differs from what was loaded or last saved (closing asks before discarding it);
    // until the load has answered, from the blank form: the admin has typed nothing yet.
    bool isDirty();
    void reject() override; // Esc, Close, the window's X

signals:
    void loaded();
    void saved();

private:
    void save();
    void setBusy(bool busy);
    // The pages and Save: on once the values are in (Save: and no request is out).
    void updateEnabled();
    nlohmann::json botValues() const; // the Bot page as the form has it, trimmed
    // Only the keys (and bot fields) that differ from the baseline: a PUT leaves the rest as
    // stored, so another admin's change to them survives.
    nlohmann::json changes(const nlohmann::json& bot, const nlohmann::json& hours) const;
    void takeBaseline(); // what edits and a save's changes are measured against: the form now

    Session* m_session;
    FieldErrors m_errors;
    std::map<QString, QPlainTextEdit*> m_texts; // by the setting's name: "greeting", ...
    QComboBox* m_language;
    AfterHoursForm* m_afterHours;
    QTabWidget* m_tabs;
    QPushButton* m_save;
    QPushButton* m_retry; // shown after a failed load
    QWidget* m_botPage;
    int m_pending = 0;
    // The server's values are in the form; until then the pages are off.
    bool m_loaded = false;
    nlohmann::json m_baseBot = nlohmann::json::object();   // as loaded or last saved
    nlohmann::json m_baseHours = nlohmann::json::object(); // the hours page's keys, likewise
    DiscardQuestion m_discard;
};

} // namespace parley::console::gui
