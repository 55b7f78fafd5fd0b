#pragma once
// Admin canned-reply editor (issue 19): list the team's replies by shortcut, create, edit and
// delete them. Agents insert them with "/" in the composer (CannedCompleter), which asks the server
// each time, so a saved reply is offered at once. Errors, ours or the server's, are shown under the
// field they concern, all of them at once.

#include "gui/RecordEditor.h"

#include <parley/protocol/Types.h>

#include <QPointer>

class QLabel;
class QLineEdit;
class QMessageBox;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace parley::console {
class CannedModel;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class CannedEditor : public RecordEditor {
    Q_OBJECT
public:
    explicit CannedEditor(Session* session, QWidget* parent = nullptr);

    CannedModel* model() const { return m_model; }
    void reload() override; // fields: "shortcut", "title", "content"

    static bool isValidShortcut(const QString& shortcut);
    bool isDirty() const override;

signals:
    void deleted(const QString& id);

private:
    void newRecord() override;
    void editRow(int row) override;
    int formRow() const override;
    QString formRecordName() const override;
    bool changedSinceOpened(int row) const override;
    void save();
    void deleteSelected();
    void deleteReply(const QString& id, const QString& shortcut); // confirmed
    void showError(const ApiError& error) override;
    void updateButtons() override;

    CannedModel* m_model;
    QLabel* m_formTitle;
    QLineEdit* m_shortcut;
    QLineEdit* m_title;
    QPlainTextEdit* m_content;
    QLabel* m_contentCount;
    QPushButton* m_delete;
    QString m_editingId;          // empty: creating a new reply
    protocol::CannedReply m_base; // the reply as the form was filled with it (what counts as unsaved)
    QPointer<QMessageBox> m_confirm;
};

} // namespace parley::console::gui
