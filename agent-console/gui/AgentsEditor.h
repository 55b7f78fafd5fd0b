#pragma once
// Admin agents editor: create agents, change display name, maximum chats and role, reset a
// password. Validation errors, ours or the server's, are shown under the field they concern, all of
// them at once.

#include "gui/RecordEditor.h"

#include <parley/protocol/Types.h>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace parley::console {
class AgentsModel;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class AgentsEditor : public RecordEditor {
    Q_OBJECT
public:
    explicit AgentsEditor(Session* session, QWidget* parent = nullptr);

    AgentsModel* model() const { return m_model; }
    void reload() override; // fields: "username", "display_name", "password", "max_active_chats", "role"
    bool isDirty() const override;

private:
    void newRecord() override;
    void editRow(int row) override;
    int formRow() const override;
    QString formRecordName() const override;
    bool changedSinceOpened(int row) const override;
    void save();
    void showError(const ApiError& error) override;

    AgentsModel* m_model;
    QLabel* m_formTitle;
    QLineEdit* m_username;
    QLineEdit* m_displayName;
    QLineEdit* m_password;
    QLabel* m_passwordLabel;
    QSpinBox* m_maxChats;
    QComboBox* m_role;
    QCheckBox* m_disabled;
    QString m_editingId;    // empty: creating
    protocol::Agent m_base; // the agent as the form was filled with it (what counts as unsaved)
    static constexpr int kNewMaxChats = 3;
};

} // namespace parley::console::gui
