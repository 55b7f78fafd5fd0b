#pragma once
// Admin canned-reply editor (issue 19): list the team's replies by shortcut, create, edit and
// delete them. Agents insert them with "/" in the composer (CannedCompleter), which asks the server
// each time, so a saved reply is offered at once. Errors, ours or the server's, are shown under the
// field they concern, all of them at once.

#include "gui/EditorForm.h"

#include <QDialog>
#include <QPointer>

class QLabel;
class QLineEdit;
class QMessageBox;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace parley::protocol {
struct CannedReply;
} // namespace parley::protocol

namespace parley::console {
class CannedModel;
class Session;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class CannedEditor : public QDialog {
    Q_OBJECT
public:
    explicit CannedEditor(Session* session, QWidget* parent = nullptr);

    CannedModel* model() const { return m_model; }
    void reload();
    bool isBusy() const { return m_pending > 0; }
    // The text shown under a field ("shortcut", "title", "content"), or the status line.
    QString fieldError(const QString& field) const;
    QString statusText() const;

    static bool isValidShortcut(const QString& shortcut);

signals:
    void saved(const QString& id);
    void deleted(const QString& id);
    void loaded();

private:
    void newReply();
    void editRow(int row);
    void save();
    void deleteSelected();
    void deleteReply(const QString& id, const QString& shortcut); // confirmed
    int selectedRow() const;
    void showError(const ApiError& error);
    void updateButtons();

    Session* m_session;
    CannedModel* m_model;
    QTableView* m_table;
    QLabel* m_formTitle;
    QLineEdit* m_shortcut;
    QLineEdit* m_title;
    QPlainTextEdit* m_content;
    QLabel* m_contentCount;
    FieldErrors m_errors;
    QPushButton* m_save;
    QPushButton* m_delete;
    QString m_editingId; // empty: creating a new reply
    QPointer<QMessageBox> m_confirm;
    int m_pending = 0;
};

} // namespace parley::console::gui
