#include "gui/RecordEditor.h"

#include <QHBoxLayout>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPersistentModelIndex>
#include <QPushButton>
#include <QShortcut>
#include <QTableView>

#include <algorithm>
#include <utility>

namespace parley::console::gui {

RecordEditor::RecordEditor(Session* session, const QString& statusObjectName, const QString& retryObjectName,
                           const QString& reloadObjectName, const QString& listName, QWidget* parent)
    : QDialog(parent)
    , m_session(session)
    , m_errors(statusObjectName)
    , m_discard(this, QStringLiteral("Discard the changes you have not saved?"))
    , m_listName(listName)
    , m_retry(formButton(QStringLiteral("&Try again"), retryObjectName))
    , m_reload(formButton(QStringLiteral("R&eload"), reloadObjectName)) {
    m_retry->hide();
    connect(m_retry, &QPushButton::clicked, this, &RecordEditor::reload);
    m_reload->setToolTip(QStringLiteral("Load the list again, with other admins' changes (F5)"));
    connect(m_reload, &QPushButton::clicked, this, &RecordEditor::reload);
    // F5 on the dialog, not the button: it works while Try again stands in for Reload too.
    auto* refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, this, [this] {
        if (!isBusy())
            reload();
    });
}

void RecordEditor::layOut(QLayout* list, QLayout* form) {
    m_content = layOutEditor(this, list, form, m_errors.status(), m_retry);
}

QLayout* RecordEditor::listButtons(std::initializer_list<QPushButton*> buttons) {
    auto* row = new QHBoxLayout;
    for (auto* b : buttons)
        row->addWidget(b);
    row->addStretch();
    row->addWidget(m_reload);
    return row;
}

void RecordEditor::beginLoad(const QString& status) {
    m_retry->hide();
    m_reload->show();
    m_errors.setStatus(status.isEmpty() ? QStringLiteral("Loading %1\u2026").arg(m_listName) : status);
    beginRequest();
}

void RecordEditor::listLoaded() {
    m_listLoaded = true;
    if (m_content)
        m_content->setEnabled(true);
}

void RecordEditor::loadFailed(const ApiError& error) {
    // Not under a field: the form is not what failed (and a message naming "role" is no role error).
    m_errors.setStatus(QStringLiteral("Could not load the %1: %2").arg(m_listName, error.describe()));
    m_reload->hide(); // one button that loads again, not two side by side
    m_retry->show();
    if (m_content && !m_listLoaded)
        m_content->setEnabled(false);
}

QString RecordEditor::statusText() const {
    return m_errors.status()->text();
}

void RecordEditor::setTable(QTableView* table) {
    m_table = table;
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current, const QModelIndex& previous) {
                if (m_reselecting)
                    return;
                if (current.isValid() && isDirty()) {
                    // The row stays where the edits are until the admin says to drop them.
                    const QPersistentModelIndex wanted(current);
                    const QPersistentModelIndex kept(previous);
                    selectQuietly(kept);
                    m_discard.ask(
                        [this, wanted] {
                            if (!wanted.isValid())
                                return;
                            selectQuietly(wanted);
                            editRow(wanted.row());
                        },
                        // A click selects the row it made current only after this handler has
                        // returned: on Cancel, the form's row is selected again.
                        [this, kept] { selectQuietly(kept); });
                    return;
                }
                if (current.isValid())
                    editRow(current.row());
                updateButtons();
            });
    // A click moves the current row first and selects it only afterwards: the buttons that act on
    // the selected record must follow the selection too, or they stay disabled after a click.
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RecordEditor::updateButtons);
}

void RecordEditor::selectQuietly(const QModelIndex& row) {
    m_reselecting = true;
    if (row.isValid())
        m_table->selectRow(row.row());
    else
        m_table->selectionModel()->clear();
    m_reselecting = false;
    updateButtons();
}

void RecordEditor::updateList(const std::function<void()>& change) {
    m_reselecting = true;
    change();
    m_reselecting = false;
    const int row = formRow();
    selectQuietly(row >= 0 ? m_table->model()->index(row, 0) : QModelIndex());
}

QString RecordEditor::takeList(const std::function<void()>& change) {
    updateList(change); // the form's record stays selected, without asking about the form
    const QString name = formRecordName();
    if (name.isEmpty())
        return QString();
    const int row = formRow();
    if (isDirty()) {
        if (row >= 0 && changedSinceOpened(row))
            return QStringLiteral(" %1 was changed meanwhile; your unsaved edits are kept.").arg(name);
    } else if (row >= 0) {
        editRow(row); // no edits to lose: show the record as stored now
    } else {
        newRecord(); // its record is gone: Save would only fail
    }
    return QString();
}

void RecordEditor::reject() {
    discardEditsThen([this] { QDialog::reject(); });
}

void RecordEditor::discardEditsThen(std::function<void()> then) {
    m_discard.discardEditsThen(isDirty(), std::move(then));
}

int RecordEditor::selectedRow() const {
    const QModelIndex i = m_table->selectionModel()->currentIndex();
    return m_table->selectionModel()->isRowSelected(i.row(), {}) ? i.row() : -1;
}

void RecordEditor::beginRequest() {
    ++m_pending;
    updateButtons();
}

void RecordEditor::finishRequest() {
    m_pending = std::max(0, m_pending - 1);
    updateButtons();
}

void RecordEditor::updateButtons() {
    if (m_save)
        m_save->setEnabled(m_pending == 0);
    m_reload->setEnabled(m_pending == 0);
}

} // namespace parley::console::gui
