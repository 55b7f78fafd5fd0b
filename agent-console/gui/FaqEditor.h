#pragma once
// Admin FAQ editor: list (inactive entries too), create, edit, reorder, activate/deactivate and
// delete. Validation errors, ours or the server's, are shown under the field they concern.

#include "gui/RecordEditor.h"

#include <parley/protocol/Types.h>

#include <QPointer>

class QCheckBox;
class QLabel;
class QLineEdit;
class QMessageBox;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableView;

namespace parley::console {
class FaqModel;
struct ApiError;
template <typename T>
struct ApiResult;
} // namespace parley::console

namespace parley::console::gui {

class FaqEditor : public RecordEditor {
    Q_OBJECT
public:
    explicit FaqEditor(Session* session, QWidget* parent = nullptr);

    FaqModel* model() const { return m_model; }
    void reload() override; // fields: "slug", "question", "answer", "keywords"

    static bool isValidSlug(const QString& slug);
    static constexpr int kMaxKeywords = 1000; // characters, as the server counts them (code points)
    bool isDirty() const override;

private:
    void newRecord() override;
    void editRow(int row) override;
    int formRow() const override;
    QString formRecordName() const override;
    bool changedSinceOpened(int row) const override;
    void save();
    void deleteSelected();
    void deleteEntry(const QString& slug); // confirmed
    void moveSelected(int delta);
    void toggleActive();
    // After a reorder or (de)activation the server refused: `status` (naming the entry) in the
    // status line, and the list as the server has it now (another admin may have deleted or
    // moved entries). A form whose entry is gone and holds no edits becomes a blank one.
    void reloadAfterFailure(const QString& status);
    void loadList(const QString& status); // the list; `status` instead of the count when not empty
    void showError(const ApiError& error) override;
    // Ends a request that answers an entry: false, with the error shown, when it failed; else the
    // entry is in the list and selected.
    bool takeEntry(const ApiResult<protocol::FaqEntry>& r);
    void updateButtons() override;

    FaqModel* m_model;
    QLineEdit* m_slug;
    QLineEdit* m_question;
    QPlainTextEdit* m_answer;
    QPlainTextEdit* m_keywords;
    QSpinBox* m_order;
    QCheckBox* m_active;
    QLabel* m_formTitle;
    QPushButton* m_delete;
    QPushButton* m_up;
    QPushButton* m_down;
    QPushButton* m_toggle;
    QString m_editingSlug;     // empty: creating a new entry
    protocol::FaqEntry m_base; // the entry as the form was filled with it (what a save changes)
    QPointer<QMessageBox> m_confirm;
};

} // namespace parley::console::gui
