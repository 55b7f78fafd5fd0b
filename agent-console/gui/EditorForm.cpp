#include "gui/EditorForm.h"

#include "core/ApiError.h"

#include <parley/protocol/Errors.h>

#include <QDialog>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
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

void layOutEditor(QDialog* dialog, QLayout* list, QLayout* form, QLabel* status) {
    auto* splitter = new QSplitter;
    splitter->addWidget(unframed(list));
    splitter->addWidget(unframed(form));
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto* close = new QDialogButtonBox(QDialogButtonBox::Close);
    QObject::connect(close, &QDialogButtonBox::rejected, dialog, &QDialog::reject);

    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(splitter, 1);
    layout->addWidget(status);
    layout->addWidget(close);
}

FieldErrors::FieldErrors(const QString& statusObjectName)
    : m_status(new QLabel) {
    m_status->setObjectName(statusObjectName);
    m_status->setWordWrap(true);
}

QLabel* FieldErrors::add(const QString& field, const QString& objectName) {
    auto* l = new QLabel;
    l->setObjectName(objectName);
    l->setStyleSheet(QStringLiteral("color: #b3261e;"));
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
    } else {
        m_status->setText(text);
    }
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
