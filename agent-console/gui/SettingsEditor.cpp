#include "gui/SettingsEditor.h"

#include "core/ApiClient.h"
#include "core/Session.h"
#include "core/Util.h"
#include "gui/AfterHoursForm.h"
#include "gui/ConfirmBox.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>

using nlohmann::json;

namespace parley::console::gui {
namespace {

struct TextField {
    const char* name;       // the setting's name in "bot"
    const char* label;      // the form's label
    const char* objectName; // of the text edit; its error label is objectName + "Error"
    const char* hint;
};
constexpr TextField kFields[] = {
    {"greeting", "&Greeting:", "greetingEdit", "The first message of every chat, and the answer to \"hi\"."},
    {"fallback", "&Not sure:", "fallbackEdit",
     "When no FAQ entry fits well enough. Shown with the closest topics and the way to a person."},
    {"handoff_offer", "&Person asked for:", "handoffOfferEdit",
     "The answer to \"can I talk to a person?\". The chat window shows its \"Talk to agent\" button."},
    {"thanks", "&Thanks:", "thanksEdit", "The answer to \"thanks\" and \"bye\"."},
    {"identity", "&Identity:", "identityEdit",
     "The answer to \"are you a bot?\": say that it is an automated assistant. The chat window shows its "
     "\"Talk to agent\" button."},
};
constexpr const char* kLanguages[] = {"english", "german", "french", "spanish"};

} // namespace

SettingsEditor::SettingsEditor(Session* session, QWidget* parent)
    : QDialog(parent)
    , m_session(session)
    , m_errors(QStringLiteral("settingsStatusLabel"))
    , m_discard(this, QStringLiteral("Discard the settings you have changed but not saved?")) {
    setObjectName(QStringLiteral("settingsEditor"));
    setWindowTitle(QStringLiteral("Settings \u2014 Parley Console"));
    resize(640, 620);

    m_botPage = new QWidget;
    m_botPage->setObjectName(QStringLiteral("botPage"));
    auto* form = new QFormLayout(m_botPage);
    for (const auto& f : kFields) {
        auto* edit = new QPlainTextEdit;
        edit->setObjectName(QString::fromLatin1(f.objectName));
        edit->setTabChangesFocus(true);
        edit->setToolTip(QString::fromUtf8(f.hint));
        edit->setFixedHeight(edit->fontMetrics().lineSpacing() * 4);
        m_texts[QString::fromLatin1(f.name)] = edit;
        form->addRow(QString::fromUtf8(f.label), edit);
        form->addRow(QString(), m_errors.add(QString::fromLatin1(f.name),
                                             QString::fromLatin1(f.objectName) + QStringLiteral("Error")));
    }
    m_language = new QComboBox;
    m_language->setObjectName(QStringLiteral("languageCombo"));
    for (const char* l : kLanguages) {
        QString name = QString::fromLatin1(l);
        name[0] = name[0].toUpper();
        m_language->addItem(name, QString::fromLatin1(l));
    }
    m_language->setToolTip(
        QStringLiteral("The language of the FAQ: word endings, common words and requests for a "
                       "person are read in it (other scripts are always understood)."));
    form->addRow(QStringLiteral("&Language:"), m_language);
    form->addRow(QString(), m_errors.add(QStringLiteral("language"), QStringLiteral("languageError")));

    m_save = new QPushButton(QStringLiteral("&Save"));
    m_save->setObjectName(QStringLiteral("saveSettingsButton"));
    m_save->setDefault(true);
    connect(m_save, &QPushButton::clicked, this, &SettingsEditor::save);
    auto* close = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::reject);
    m_retry = formButton(QStringLiteral("&Try again"), QStringLiteral("retrySettingsButton"));
    m_retry->hide();
    connect(m_retry, &QPushButton::clicked, this, &SettingsEditor::reload);

    // Issue 21: business hours and idle auto-close on a page of their own, saved with the bot's.
    m_afterHours = new AfterHoursForm(m_errors);
    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("settingsTabs"));
    m_tabs->addTab(m_botPage, QStringLiteral("&Bot"));
    m_tabs->addTab(m_afterHours, QStringLiteral("&Hours and auto-close"));

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_save, 0, Qt::AlignRight);
    layout->addLayout(statusRow(m_errors.status(), m_retry));
    layout->addWidget(close);

    // Until the server's values are in (or if they never come), the blank form is no edit of
    // the admin's: closing or quitting must not ask about it.
    takeBaseline();
    reload();
}

QString SettingsEditor::statusText() const {
    return m_errors.status()->text();
}

void SettingsEditor::setBusy(bool busy) {
    m_pending = std::max(0, m_pending + (busy ? 1 : -1));
    updateEnabled();
}

void SettingsEditor::updateEnabled() {
    // Not loaded (yet, or the load failed): nothing to edit. What is typed would be overwritten
    // by the values when they come, and a save would send the blank form's texts and hours.
    m_botPage->setEnabled(m_loaded);
    m_afterHours->setEnabled(m_loaded);
    m_save->setEnabled(m_loaded && m_pending == 0);
}

void SettingsEditor::reload() {
    m_retry->hide();
    m_errors.setStatus(QStringLiteral("Loading settings\u2026"));
    setBusy(true);
    m_session->api()->adminSettings([self = QPointer<SettingsEditor>(this)](const ApiResult<json>& r) {
        if (!self)
            return;
        self->setBusy(false);
        if (!r.ok()) {
            // The form stays as it was (off, unless an earlier load filled it).
            self->m_errors.setStatus(
                QStringLiteral("Could not load the settings: %1").arg(r.error->describe()));
            self->m_retry->show();
            emit self->loaded();
            return;
        }
        const json bot = r.value.value("bot", json::object());
        for (auto& [name, edit] : self->m_texts)
            edit->setPlainText(qs(bot.value(ss(name), std::string())));
        const int index = self->m_language->findData(qs(bot.value("language", std::string("english"))));
        self->m_language->setCurrentIndex(std::max(0, index));
        self->m_afterHours->load(r.value);
        // The baseline a save and the question on closing compare with: the form as loaded.
        self->takeBaseline();
        self->m_errors.clear();
        self->m_errors.setStatus(QString());
        self->m_loaded = true;
        self->updateEnabled();
        emit self->loaded();
    });
}

void SettingsEditor::takeBaseline() {
    m_baseBot = botValues();
    json hours = json::object();
    m_afterHours->collect(hours);
    m_baseHours = hours;
}

json SettingsEditor::botValues() const {
    json bot = json::object();
    for (const auto& [name, edit] : m_texts)
        bot[ss(name)] = ss(edit->toPlainText().trimmed());
    bot["language"] = ss(m_language->currentData().toString());
    return bot;
}

json SettingsEditor::changes(const json& bot, const json& hours) const {
    json patch = json::object();
    json changedBot = json::object();
    for (const auto& [key, value] : bot.items())
        if (!m_baseBot.contains(key) || m_baseBot[key] != value)
            changedBot[key] = value;
    if (!changedBot.empty())
        patch["bot"] = changedBot;
    for (const auto& [key, value] : hours.items())
        if (!m_baseHours.contains(key) || m_baseHours[key] != value)
            patch[key] = value;
    return patch;
}

bool SettingsEditor::isDirty() {
    json hours = json::object();
    const QString status = statusText();
    const bool valid = m_afterHours->collect(hours);
    if (!valid) { // marked its fields: asking is enough, the marks are for a save
        m_errors.clear();
        m_errors.setStatus(status);
        return true;
    }
    return !changes(botValues(), hours).empty();
}

void SettingsEditor::reject() {
    if (m_discard.isOpen())
        return; // already asking (isDirty() would clear the marks on the form)
    m_discard.discardEditsThen(isDirty(), [this] { QDialog::reject(); });
}

void SettingsEditor::save() {
    m_errors.clear();
    json bot = json::object();
    bool ok = true;
    for (auto& [name, edit] : m_texts) {
        const QString text = edit->toPlainText().trimmed();
        if (text.isEmpty()) {
            m_errors.set(name, QStringLiteral("Enter a text."));
            ok = false;
        } else if (text.toUcs4().size() > kMaxText) {
            m_errors.set(
                name,
                QStringLiteral("At most %1 characters (now %2).").arg(kMaxText).arg(text.toUcs4().size()));
            ok = false;
        }
        bot[ss(name)] = ss(text);
    }
    bot["language"] = ss(m_language->currentData().toString());
    json hours = json::object();
    const bool botOk = ok;
    ok = m_afterHours->collect(hours) && ok;
    if (!ok) {
        m_tabs->setCurrentIndex(botOk ? 1 : 0); // the page with the first marked field
        m_errors.setStatus(QStringLiteral("Not saved: see the marked fields."));
        return;
    }
    const json patch = changes(bot, hours);
    if (patch.empty()) {
        m_errors.setStatus(QStringLiteral("Nothing to save: no changes."));
        return;
    }
    setBusy(true);
    m_session->api()->updateSettings(
        patch, [self = QPointer<SettingsEditor>(this), bot, hours](const ApiResult<json>& r) {
            if (!self)
                return;
            self->setBusy(false);
            if (!r.ok()) {
                self->m_errors.show(*r.error, QString(), QString());
                const bool hoursField = r.error->message.contains(QStringLiteral("business_hours")) ||
                                        r.error->message.contains(QStringLiteral("idle_close_minutes"));
                self->m_tabs->setCurrentIndex(hoursField ? 1 : 0);
                if (self->statusText().isEmpty())
                    self->m_errors.setStatus(QStringLiteral("Not saved: %1").arg(r.error->describe()));
                return;
            }
            self->m_baseBot = bot;
            self->m_baseHours = hours;
            self->m_errors.setStatus(QStringLiteral("Saved. The bot uses the new texts from the next message "
                                                    "on; chat windows show the new hours when they open."));
            emit self->saved();
        });
}

} // namespace parley::console::gui
