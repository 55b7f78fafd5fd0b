#pragma once
// What the admin editors (FAQ, agents) share: the list table, buttons, the window's layout, and
// the errors shown under the form's fields.

#include <QString>

#include <utility>
#include <vector>

class QAbstractItemModel;
class QDialog;
class QLabel;
class QLayout;
class QPushButton;
class QTableView;
class QWidget;

namespace parley::console {
struct ApiError;
} // namespace parley::console

namespace parley::console::gui {

// A read-only table of records: whole rows, one at a time, no row numbers.
QTableView* recordTable(QAbstractItemModel* model, const QString& objectName);

// A button that Enter does not press: Enter saves the form.
QPushButton* formButton(const QString& text, const QString& objectName);

// The bold title above the form ("New entry", "Edit …").
QLabel* formTitle(const QString& objectName = QString());

// A stored text as a plain-text edit gives it back after setPlainText(), trimmed as a save sends
// it: "\r\n" and a lone "\r" come back as "\n". Compare stored texts with the form's through this,
// or one stored with Windows line ends (through the REST API) counts as edited once shown.
QString asFormShows(const QString& stored);

// The editor's window: the list left, the form right, the status line and Close below. Returns
// the widget holding the list and the form (turned off while there is no list to edit).
QWidget* layOutEditor(QDialog* dialog, QLayout* list, QLayout* form, QLabel* status, QPushButton* retry);

// The status line with a "Try again" button at its right (hidden until a load fails).
QLayout* statusRow(QLabel* status, QPushButton* retry);

// The error labels under a form's fields and the form's status line. The labels are made here;
// the layouts they are added to own them.
class FieldErrors {
public:
    explicit FieldErrors(const QString& statusObjectName);

    // A hidden error label for `field` (the contract's name, e.g. "display_name"). show() searches
    // a server message for the fields' names in the order they were added.
    QLabel* add(const QString& field, const QString& objectName);
    QLabel* status() const { return m_status; }
    void setStatus(const QString& text);

    // Hides every field's error and clears the status line.
    void clear();
    // The error under `field`; a field without a label gets it in the status line (added to what
    // is there, so several are all shown).
    void set(const QString& field, const QString& text);
    // The error shown under `field`, "" when none is.
    QString text(const QString& field) const;
    // How many fields show an error.
    int count() const;
    // After a form's own checks marked every problem at once: the status line says how many.
    void summarize();
    // A server error under the field it concerns: error.field if the server said, else
    // `conflictField` for a conflict naming it (shown as `conflictText`), else the first field
    // the message names. Without a field it goes to the status line.
    void show(const ApiError& error, const QString& conflictField, const QString& conflictText);

private:
    QLabel* labelFor(const QString& field) const;

    QLabel* m_status;
    std::vector<std::pair<QString, QLabel*>> m_fields;
};

} // namespace parley::console::gui
