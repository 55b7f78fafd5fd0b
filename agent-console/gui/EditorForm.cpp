#include "gui/EditorForm.h"

#include "core/ApiError.h"
#include "gui/Style.h"

#include <parley/protocol/Errors.h>

#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextDocument>
#include <QVBoxLayout>

namespace parley::console::gui {
namespace {

QWidget* unframed(QLayout* layout) {
    auto* w = new QWidget;
    w->setLayout(layout);
    layout->setContentsMargins(0, 0, 0, 0);
    return w;
}

} // namespace

QTableView* recordTable(QAbstractItemModel* model, const QString& objectName) {
    auto* table = new QTableView;
    table->setObjectName(objectName);
    table->setModel(model);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->hide();
    return table;
}

QPushButton* formButton(const QString& text, const QString& objectName) {
    auto* b = new QPushButton(text);
    b->setObjectName(objectName);
    b->setAutoDefault(false);
    return b;
}

QLabel* formTitle(const QString& objectName) {
    auto* l = new QLabel;
    l->setObjectName(objectName);
    QFont f = l->font();
    f.setBold(true);
    l->setFont(f);
    return l;
}

QWidget* layOutEditor(QDialog* dialog, QLayout* list, QLayout* form, QLabel* status, QPushButton* retry) {
    auto* splitter = new QSplitter;
    splitter->addWidget(unframed(list));
    splitter->addWidget(unframed(form));
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto* close = new QDialogButtonBox(QDialogButtonBox::Close);
    QObject::connect(close, &QDialogButtonBox::rejected, dialog, &QDialog::reject);

    // The status line always takes the room of two lines, empty or not: a message appearing or
    // clearing must not move the buttons under the agent's pointer.
    status->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    status->setMinimumHeight(2 * status->fontMetrics().lineSpacing() + 4);

    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(splitter, 1);
    layout->addLayout(statusRow(status, retry));
    layout->addWidget(close);
    return splitter;
}

QLayout* statusRow(QLabel* status, QPushButton* retry) {
    auto* row = new QHBoxLayout;
    row->addWidget(status, 1);
    row->addWidget(retry, 0, Qt::AlignTop);
    return row;
}

QString asFormShows(const QString& stored) {
    QTextDocument document; // what QPlainTextEdit keeps its text in
    document.setPlainText(stored);
    return document.toPlainText().trimmed();
}

FieldErrors::FieldErrors(const QString& statusObjectName)
    : m_status(new QLabel) {
    m_status->setObjectName(statusObjectName);
    m_status->setWordWrap(true);
}

QLabel* FieldErrors::add(const QString& field, const QString& objectName) {
    auto* l = new QLabel;
    l->setObjectName(objectName);
    setToneText(l, theme::Tone::Error);
    l->setWordWrap(true);
    l->hide();
    m_fields.emplace_back(field, l);
    return l;
}

void FieldErrors::setStatus(const QString& text) {
    m_status->setText(text);
}

QLabel* FieldErrors::labelFor(const QString& field) const {
    for (const auto& [name, label] : m_fields)
        if (name == field)
            return label;
    return nullptr;
}

void FieldErrors::clear() {
    for (const auto& f : m_fields)
        f.second->hide();
    m_status->clear();
}

void FieldErrors::set(const QString& field, const QString& text) {
    if (QLabel* l = labelFor(field)) {
        l->setText(text);
        l->show();
    } else if (m_status->text().isEmpty()) {
        m_status->setText(text);
    } else {
        m_status->setText(m_status->text() + QLatin1Char(' ') + text); // several: all of them
    }
}

int FieldErrors::count() const {
    int n = 0;
    for (const auto& f : m_fields)
        n += f.second->isHidden() ? 0 : 1;
    return n;
}

void FieldErrors::summarize() {
    const int n = count();
    if (n == 1)
        m_status->setText(QStringLiteral("Not saved: see the marked field."));
    else if (n > 1)
        m_status->setText(QStringLiteral("Not saved: %1 problems, see the marked fields.").arg(n));
}

QString FieldErrors::text(const QString& field) const {
    const QLabel* l = labelFor(field);
    return l && !l->isHidden() ? l->text() : QString();
}

void FieldErrors::show(const ApiError& error, const QString& conflictField, const QString& conflictText) {
    // The contract's error body names no field; the server may (error.field), and a conflict on
    // create is the record's key. Otherwise the field named in the server's message is the best guess.
    QString field = error.field;
    const bool taken = error.is(protocol::errors::kConflict) && error.message.contains(conflictField);
    if (field.isEmpty() && taken)
        field = conflictField;
    if (field.isEmpty()) {
        for (const auto& f : m_fields)
            if (error.message.contains(f.first, Qt::CaseInsensitive)) {
                field = f.first;
                break;
            }
    }
    set(field, taken ? conflictText : error.describe());
    if (!field.isEmpty())
        m_status->setText(QStringLiteral("Not saved: see the marked field."));
}

} // namespace parley::console::gui
