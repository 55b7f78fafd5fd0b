#pragma once
// Admin FAQ editor: list (inactive entries too), create, edit, reorder, activate/deactivate and
// delete. Validation errors, ours or the server's, are shown under the field they concern.

#include <QDialog>
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
class Session;
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

class FaqEditor : public QDialog {
    Q_OBJECT
public:
    explicit FaqEditor(Session* session, QWidget* parent = nullptr);

    FaqModel* model() const { return m_model; }
    void reload();
    bool isBusy() const { return m_pending > 0; }
    // The text shown under a field ("slug", "question", "answer"), or the general status line.
    QString fieldError(const QString& field) const;
    QString statusText() const;

    static bool isValidSlug(const QString& slug);

signals:
    void saved(const QString& slug);
    void loaded();

private:
    void newEntry();
    void editRow(int row);
    void save();
    void deleteSelected();
    void moveSelected(int delta);
    void toggleActive();
    int selectedRow() const;
    void clearErrors();
    void showError(const ApiError& error);
    void setFieldError(const QString& field, const QString& text);
    void finishRequest(); // one request of a batch finished
    void updateButtons();

    Session* m_session;
    FaqModel* m_model;
    QTableView* m_table;
    QLineEdit* m_slug;
    QLineEdit* m_question;
    QPlainTextEdit* m_answer;
    QSpinBox* m_order;
    QCheckBox* m_active;
    QLabel* m_slugError;
    QLabel* m_questionError;
    QLabel* m_answerError;
    QLabel* m_status;
    QLabel* m_formTitle;
    QPushButton* m_save;
    QPushButton* m_delete;
    QPushButton* m_up;
    QPushButton* m_down;
    QPushButton* m_toggle;
    QString m_editingSlug; // empty: creating a new entry
    QPointer<QMessageBox> m_confirm;
    int m_pending = 0;
};

} // namespace parley::console::gui
