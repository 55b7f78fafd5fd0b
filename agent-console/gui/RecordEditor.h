#pragma once
// What the admin editors that list records left and edit one right (FAQ, canned replies, agents)
// share: the table's selection puts a record into the form, unsaved edits are dropped only after
// asking, and while a request to the server is out, the buttons that would send another are off.
// A list that failed to load says so and offers Try again. Reload (F5) loads the list again: other
// admins' changes show without closing the editor, and the form follows its record.

#include "core/ApiError.h"
#include "gui/ConfirmBox.h"
#include "gui/EditorForm.h"

#include <QDialog>

#include <functional>
#include <initializer_list>

class QLayout;
class QPushButton;
class QTableView;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class RecordEditor : public QDialog {
    Q_OBJECT
public:
    bool isBusy() const { return m_pending > 0; }
    // The error shown under a field (the contract's name, e.g. "slug"), "" when none is.
    QString fieldError(const QString& field) const { return m_errors.text(field); }
    QString statusText() const;
    // The form holds edits not saved yet (closing, New or picking another row asks first).
    virtual bool isDirty() const { return false; }
    void reject() override; // Esc, Close, the window's X: asks before discarding edits
    // Loads the list again; Reload, F5 and Try again (shown after a failed load) call it.
    virtual void reload() = 0;

signals:
    void saved(const QString& key); // the record's slug or id
    void loaded();

protected:
    // `listName` says what the list holds in the status line ("agents": "Loading agents…").
    RecordEditor(Session* session, const QString& statusObjectName, const QString& retryObjectName,
                 const QString& reloadObjectName, const QString& listName, QWidget* parent);

    // The window: the list left, the form right, the status line and Try again below.
    void layOut(QLayout* list, QLayout* form);
    // The row under the list: `buttons` at its left, Reload at its right (it acts on the list).
    QLayout* listButtons(std::initializer_list<QPushButton*> buttons);
    // Starts the list's load: `status` in the status line, "Loading …" when empty.
    void beginLoad(const QString& status = QString());
    // Ends the load's request: false when it failed, which the status line says, with Try again.
    // A failed load turns the list and the form off until one succeeds: an empty table would pass
    // for an empty list, and a new record could not be checked against the ones it does not show.
    template <typename T>
    bool finishLoad(const ApiResult<T>& r) {
        finishRequest();
        if (r.ok()) {
            listLoaded();
            return true;
        }
        loadFailed(*r.error);
        return false;
    }

    // The list: making a row current puts that record into the form.
    void setTable(QTableView* table);
    // The selected row, -1 when none is (a row can be current without being selected).
    int selectedRow() const;
    // Bracket every request to the server.
    void beginRequest();
    void finishRequest();
    // Ends a request that answered: false, with the error shown under its field, when it failed.
    template <typename T>
    bool finishRequest(const ApiResult<T>& r) {
        finishRequest();
        if (r.ok())
            return true;
        showError(*r.error);
        return false;
    }

    // Ends a save's request when the form may have moved on meanwhile (another row, New): then a
    // failure names `record` in the status line instead of showing under the fields, which show
    // another record now. The admin pressed Save and went on trusting it, so it must not fail
    // unsaid; the list stays as the server has it. False when it failed.
    template <typename T>
    bool finishSave(const ApiResult<T>& r, bool formMovedOn, const QString& record) {
        if (!formMovedOn)
            return finishRequest(r);
        finishRequest();
        if (r.ok())
            return true;
        m_errors.setStatus(QStringLiteral("%1 was not saved: %2").arg(record, r.error->describe()));
        return false;
    }

    // A server error under the field it concerns (each editor knows its conflict field).
    virtual void showError(const ApiError& error) = 0;

    virtual void editRow(int row) = 0;
    // Enables what may be pressed now; Save is off while a request is out.
    virtual void updateButtons();
    // Runs `then` at once when the form holds no unsaved edits, else only once the admin has
    // agreed to discard them (New, Close: whatever replaces or drops the form).
    void discardEditsThen(std::function<void()> then);
    // Makes `row` current and selected (none when invalid) without asking or refilling the form.
    void selectQuietly(const QModelIndex& row);
    // Changes the list under the form: the models put a changed record back in its sorted place,
    // and a row taken out moves the current row, which must neither ask nor refill the form. The
    // form's record (formRow()) is selected again afterwards.
    void updateList(const std::function<void()>& change);
    // The list row of the record in the form, -1 when it holds a new one.
    virtual int formRow() const = 0;

    // Puts a loaded list in (`change`, as updateList) and the form follows its record, as stored
    // now when the form holds no edits, or a new record's when it is gone (Save would only fail).
    // Edits are kept, measured against the record as opened: a save sends only them, so another
    // admin's change to the rest survives. Returns what the status line should add: a note when
    // edits were kept over a record changed meanwhile, else "".
    QString takeList(const std::function<void()>& change);
    // The record in the form as the status line names it ("“faq-slug”"), "" for a new record.
    virtual QString formRecordName() const = 0;
    // The list's `row` (the form's record) differs from the record as the form was filled with it.
    virtual bool changedSinceOpened(int row) const = 0;
    // A blank form for a new record.
    virtual void newRecord() = 0;

    Session* m_session;
    FieldErrors m_errors;
    QTableView* m_table = nullptr;
    QPushButton* m_save = nullptr;
    int m_pending = 0;
    // Counts the blank forms New made: a save's answer fills the form only when neither the key
    // in the form nor this changed meanwhile (a new record's form has no key to tell it apart).
    int m_newForms = 0;

private:
    void listLoaded();
    void loadFailed(const ApiError& error);

    DiscardQuestion m_discard;
    QString m_listName;
    QPushButton* m_retry; // shown after a failed load, instead of Reload
    QPushButton* m_reload;
    QWidget* m_content = nullptr; // the list and the form
    bool m_listLoaded = false;    // a load has succeeded: the list is the server's
    bool m_reselecting = false;   // moving the selection ourselves: the form stays as it is
};

} // namespace parley::console::gui
