#pragma once
// Admin agents editor: create agents, change display name, maximum chats and role, reset a
// password. Validation errors, ours or the server's, are shown under the field they concern, all of
// them at once.

#include "gui/EditorForm.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace parley::console {
class AgentsModel;
class Session;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class AgentsEditor : public QDialog {
    Q_OBJECT
public:
    explicit AgentsEditor(Session* session, QWidget* parent = nullptr);

    AgentsModel* model() const { return m_model; }
    void reload();
    bool isBusy() const { return m_pending > 0; }
    QString fieldError(
        const QString& field) const; // "username", "display_name", "password", "max_active_chats", "role"
    QString statusText() const;

signals:
    void saved(const QString& agentId);
    void loaded();

private:
    void newAgent();
    void editRow(int row);
    void save();
    void showError(const ApiError& error);

    Session* m_session;
    AgentsModel* m_model;
    QTableView* m_table;
    QLabel* m_formTitle;
    QLineEdit* m_username;
    QLineEdit* m_displayName;
    QLineEdit* m_password;
    QLabel* m_passwordLabel;
    QSpinBox* m_maxChats;
    QComboBox* m_role;
    QCheckBox* m_disabled;
    FieldErrors m_errors;
    QPushButton* m_save;
    QString m_editingId; // empty: creating
    int m_pending = 0;
};

} // namespace parley::console::gui
