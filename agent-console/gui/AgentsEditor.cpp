#include "gui/AgentsEditor.h"

#include "core/AgentListModel.h"
#include "core/Session.h"
#include "core/Util.h"
#include "gui/EditorForm.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace proto = parley::protocol;

namespace parley::console::gui {

AgentsEditor::AgentsEditor(Session* session, QWidget* parent)
    : RecordEditor(session, QStringLiteral("agentStatusLabel"), QStringLiteral("retryAgentsButton"),
                   QStringLiteral("reloadAgentsButton"), QStringLiteral("agents"), parent)
    , m_model(new AgentsModel(this)) {
    setObjectName(QStringLiteral("agentsEditor"));
    setWindowTitle(QStringLiteral("Agents \u2014 Parley Console"));
    resize(920, 520);

    setTable(recordTable(m_model, QStringLiteral("agentsTable")));
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(AgentsModel::DisplayNameColumn, QHeaderView::Stretch);

    auto* newButton = formButton(QStringLiteral("&New agent"), QStringLiteral("newAgentButton"));
    newButton->setShortcut(QKeySequence::New);
    // Asks first: a blank form would drop the edits of the agent in the form.
    connect(newButton, &QPushButton::clicked, this, [this] { discardEditsThen([this] { newRecord(); }); });
    auto* leftLayout = new QVBoxLayout;
    leftLayout->addWidget(m_table, 1);
    leftLayout->addLayout(listButtons({newButton}));

    m_formTitle = formTitle();
    m_username = new QLineEdit;
    m_username->setObjectName(QStringLiteral("usernameEdit"));
    m_displayName = new QLineEdit;
    m_displayName->setObjectName(QStringLiteral("displayNameEdit"));
    m_password = new QLineEdit;
    m_password->setObjectName(QStringLiteral("passwordEdit"));
    m_password->setEchoMode(QLineEdit::Password);
    m_passwordLabel = new QLabel(QStringLiteral("&Password:"));
    m_passwordLabel->setBuddy(m_password);
    m_maxChats = new QSpinBox;
    m_maxChats->setObjectName(QStringLiteral("maxChatsSpin"));
    m_maxChats->setRange(0, proto::kMaxActiveChatsLimit);
    m_maxChats->setToolTip(QStringLiteral("0 means the agent receives no new conversations."));
    m_role = new QComboBox;
    m_role->setObjectName(QStringLiteral("roleCombo"));
    m_role->addItem(QStringLiteral("Agent"), QStringLiteral("agent"));
    m_role->addItem(QStringLiteral("Administrator"), QStringLiteral("admin"));
    m_disabled = new QCheckBox(QStringLiteral("Disabled (cannot sign in, gets no chats)"));
    m_disabled->setObjectName(QStringLiteral("disabledCheck"));
    QLabel* roleError = m_errors.add(QStringLiteral("role"), QStringLiteral("roleError"));
    // Added in the order show() searches a server message for the fields' names.
    QLabel* displayNameError =
        m_errors.add(QStringLiteral("display_name"), QStringLiteral("displayNameError"));
    QLabel* maxChatsError = m_errors.add(QStringLiteral("max_active_chats"), QStringLiteral("maxChatsError"));
    QLabel* passwordError = m_errors.add(QStringLiteral("password"), QStringLiteral("passwordError"));
    QLabel* usernameError = m_errors.add(QStringLiteral("username"), QStringLiteral("usernameError"));
    m_save = new QPushButton(QStringLiteral("&Save"));
    m_save->setObjectName(QStringLiteral("saveAgentButton"));
    m_save->setDefault(true);
    connect(m_save, &QPushButton::clicked, this, &AgentsEditor::save);

    auto* form = new QFormLayout;
    form->addRow(QStringLiteral("&Username:"), m_username);
    form->addRow(QString(), usernameError);
    form->addRow(QStringLiteral("&Display name:"), m_displayName);
    form->addRow(QString(), displayNameError);
    form->addRow(m_passwordLabel, m_password);
    form->addRow(QString(), passwordError);
    form->addRow(QStringLiteral("&Maximum chats:"), m_maxChats);
    form->addRow(QString(), maxChatsError);
    form->addRow(QStringLiteral("&Role:"), m_role);
    form->addRow(QString(), roleError);
    form->addRow(QString(), m_disabled);
    auto* rightLayout = new QVBoxLayout;
    rightLayout->addWidget(m_formTitle);
    rightLayout->addLayout(form);
    rightLayout->addStretch();
    rightLayout->addWidget(m_save, 0, Qt::AlignRight);

    layOut(leftLayout, rightLayout);

    newRecord();
    reload();
}

void AgentsEditor::reload() {
    beginLoad();
    m_session->api()->adminAgents(
        [self = QPointer<AgentsEditor>(this)](const ApiResult<std::vector<proto::Agent>>& r) {
            if (!self)
                return;
            if (self->finishLoad(r)) {
                const QString note = self->takeList([&] { self->m_model->setAgents(r.value); });
                const int n = self->m_model->rowCount();
                self->m_errors.setStatus(
                    (n == 1 ? QStringLiteral("1 agent.") : QStringLiteral("%1 agents.").arg(n)) + note);
            }
            emit self->loaded();
        });
}

void AgentsEditor::showError(const ApiError& error) {
    m_errors.show(error, QStringLiteral("username"), QStringLiteral("This username is already taken."));
}

void AgentsEditor::newRecord() {
    ++m_newForms;
    m_errors.clear();
    m_editingId.clear();
    // Clear the current row too, not only the selection: otherwise clicking the agent edited last
    // changes no current row, so it never comes back into the form.
    m_table->selectionModel()->clear();
    m_formTitle->setText(QStringLiteral("New agent"));
    m_username->setEnabled(true);
    m_username->clear();
    m_displayName->clear();
    m_password->clear();
    m_passwordLabel->setText(QStringLiteral("&Password:"));
    m_password->setPlaceholderText(QString());
    m_maxChats->setValue(kNewMaxChats);
    m_role->setCurrentIndex(0);
    m_disabled->setChecked(false);
    m_disabled->setEnabled(false); // a new agent starts enabled; disabling is an edit
    m_username->setFocus();
}

bool AgentsEditor::isDirty() const {
    if (!m_password->text().isEmpty()) // a new agent's password, or a reset not saved yet
        return true;
    const auto role =
        m_role->currentData().toString() == QLatin1String("admin") ? proto::Role::Admin : proto::Role::Agent;
    if (m_editingId.isEmpty())
        return !m_username->text().trimmed().isEmpty() || !m_displayName->text().trimmed().isEmpty() ||
               m_maxChats->value() != kNewMaxChats || role != proto::Role::Agent;
    return m_displayName->text().trimmed() != qs(m_base.displayName).trimmed() ||
           m_maxChats->value() != m_base.maxActiveChats || role != m_base.role ||
           m_disabled->isChecked() != m_base.disabled;
}

int AgentsEditor::formRow() const {
    return m_editingId.isEmpty() ? -1 : m_model->rowOf(m_editingId);
}

QString AgentsEditor::formRecordName() const {
    return m_editingId.isEmpty() ? QString() : qs(m_base.username);
}

bool AgentsEditor::changedSinceOpened(int row) const {
    // What the form edits: presence and chat counts change all day and are nobody's edit.
    const auto& a = m_model->at(row);
    return a.displayName != m_base.displayName || a.maxActiveChats != m_base.maxActiveChats ||
           a.role != m_base.role || a.disabled != m_base.disabled;
}

void AgentsEditor::editRow(int row) {
    m_errors.clear();
    const auto& a = m_model->at(row);
    m_base = a;
    m_editingId = qs(a.id);
    m_formTitle->setText(QStringLiteral("Edit %1").arg(qs(a.username)));
    m_username->setText(qs(a.username));
    m_username->setEnabled(false); // usernames are not changed by the contract's PUT
    m_displayName->setText(qs(a.displayName));
    m_password->clear();
    m_passwordLabel->setText(QStringLiteral("Reset &password:"));
    m_password->setPlaceholderText(QStringLiteral("leave empty to keep the current password"));
    m_maxChats->setValue(a.maxActiveChats);
    m_role->setCurrentIndex(a.role == proto::Role::Admin ? 1 : 0);
    // Disabling your own account signs you out at once, with nobody perhaps left to undo it:
    // another admin can.
    const bool self = a.id == m_session->me().id;
    m_disabled->setEnabled(!self);
    m_disabled->setToolTip(self ? QStringLiteral("You cannot disable your own account; another admin can.")
                                : QString());
    m_disabled->setChecked(a.disabled);
}

void AgentsEditor::save() {
    m_errors.clear();
    const QString username = m_username->text().trimmed();
    const QString displayName = m_displayName->text().trimmed();
    const QString password = m_password->text();
    const auto role =
        m_role->currentData().toString() == QLatin1String("admin") ? proto::Role::Admin : proto::Role::Agent;
    // Every rule the server checks, checked here first and all at once: one save shows every
    // problem, not the first of them.
    static const QRegularExpression usernameRule(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    if (m_editingId.isEmpty()) {
        if (username.isEmpty())
            m_errors.set(QStringLiteral("username"), QStringLiteral("Enter a username."));
        else if (!usernameRule.match(username).hasMatch())
            m_errors.set(
                QStringLiteral("username"),
                QStringLiteral("Use 1 to 64 letters, digits, dots, dashes or underscores (no spaces)."));
        else if (std::any_of(m_model->agents().begin(), m_model->agents().end(),
                             [&](const proto::Agent& a) { return qs(a.username) == username; }))
            m_errors.set(QStringLiteral("username"), QStringLiteral("This username is already taken."));
    }
    if (displayName.isEmpty())
        m_errors.set(QStringLiteral("display_name"),
                     QStringLiteral("Enter the name customers and colleagues see."));
    else if (displayName.toUcs4().size() > 100)
        m_errors.set(QStringLiteral("display_name"), QStringLiteral("Use at most 100 characters."));
    const qsizetype passwordChars = password.toUcs4().size();
    if (m_editingId.isEmpty() && password.isEmpty())
        m_errors.set(QStringLiteral("password"), QStringLiteral("Enter an initial password."));
    else if (!password.isEmpty() && passwordChars < 8)
        m_errors.set(QStringLiteral("password"), QStringLiteral("Use at least 8 characters."));
    else if (password.toUtf8().size() > 1024)
        m_errors.set(QStringLiteral("password"), QStringLiteral("Use at most 1,024 characters."));
    if (!m_editingId.isEmpty() && role != proto::Role::Admin) {
        const auto& current = m_model->at(m_model->rowOf(m_editingId));
        const auto admins = std::count_if(m_model->agents().begin(), m_model->agents().end(),
                                          [](const proto::Agent& a) { return a.role == proto::Role::Admin; });
        if (current.role == proto::Role::Admin && admins <= 1)
            m_errors.set(QStringLiteral("role"), QStringLiteral("The last administrator must stay one."));
    }
    if (!m_editingId.isEmpty() && m_editingId == qs(m_session->me().id) && m_disabled->isChecked()) {
        m_errors.setStatus(QStringLiteral("Not saved: you cannot disable your own account."));
        return;
    }
    if (m_errors.count() > 0) {
        m_errors.summarize();
        return;
    }
    beginRequest();
    const QString name = m_editingId.isEmpty() ? username : qs(m_base.username);
    auto handle = [self = QPointer<AgentsEditor>(this), editing = m_editingId, form = m_newForms,
                   name](const ApiResult<proto::Agent>& r) {
        if (!self)
            return;
        const bool formMovedOn = self->m_editingId != editing || self->m_newForms != form;
        if (!self->finishSave(r, formMovedOn, name))
            return;
        self->updateList([&] { self->m_model->upsert(r.value); });
        self->m_session->teamModel()->upsert(r.value); // the team panel shows the change at once
        const QString id = qs(r.value.id);
        // The table stays usable while the request runs: if the form has moved to another agent
        // (or to another blank one, New) meanwhile, the answer only updates the list, so the
        // form's id always names what it shows.
        if (!formMovedOn) {
            // The form takes what is stored (the password field empty): nothing unsaved, so
            // selecting its row asks nothing.
            const int row = self->m_model->rowOf(id);
            self->editRow(row);
            self->m_table->selectRow(row);
        }
        self->m_errors.setStatus(QStringLiteral("Saved %1.").arg(qs(r.value.username)));
        emit self->saved(id);
    };
    if (m_editingId.isEmpty()) {
        m_session->api()->createAgent(NewAgent{username, displayName, password, m_maxChats->value(), role},
                                      handle);
    } else {
        // Only what changed since the agent was opened: a reload may have brought another admin's
        // change to the rest, which the form (keeping its edits) does not show and must not undo.
        AgentPatch patch;
        if (displayName != qs(m_base.displayName))
            patch.displayName = displayName;
        if (!password.isEmpty())
            patch.password = password;
        if (m_maxChats->value() != m_base.maxActiveChats)
            patch.maxActiveChats = m_maxChats->value();
        if (role != m_base.role)
            patch.role = role;
        if (m_disabled->isChecked() != m_base.disabled)
            patch.disabled = m_disabled->isChecked();
        m_session->api()->updateAgent(m_editingId, patch, handle);
    }
}

} // namespace parley::console::gui
