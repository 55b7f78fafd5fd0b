#include "gui/FaqEditor.h"

#include "core/FaqModel.h"
#include "core/Session.h"
#include "core/Util.h"
#include "gui/ConfirmBox.h"
#include "gui/EditorForm.h"
#include "gui/Style.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTableView>
#include <QVBoxLayout>

#include <memory>

namespace proto = parley::protocol;
using nlohmann::json;

namespace parley::console::gui {

FaqEditor::FaqEditor(Session* session, QWidget* parent)
    : RecordEditor(session, QStringLiteral("faqStatusLabel"), QStringLiteral("retryFaqButton"),
                   QStringLiteral("reloadFaqButton"), QStringLiteral("FAQ"), parent)
    , m_model(new FaqModel(this)) {
    setObjectName(QStringLiteral("faqEditor"));
    setWindowTitle(QStringLiteral("FAQ \u2014 Parley Console"));
    resize(900, 560);

    setTable(recordTable(m_model, QStringLiteral("faqTable")));
    m_table->horizontalHeader()->setSectionResizeMode(FaqModel::QuestionColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(FaqModel::OrderColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(FaqModel::ActiveColumn, QHeaderView::ResizeToContents);

    auto* newButton = formButton(QStringLiteral("&New"), QStringLiteral("newFaqButton"));
    m_delete = formButton(QStringLiteral("&Delete\u2026"), QStringLiteral("deleteFaqButton"));
    m_up = formButton(QStringLiteral("Move &up"), QStringLiteral("moveUpButton"));
    m_down = formButton(QStringLiteral("Move do&wn"), QStringLiteral("moveDownButton"));
    m_toggle = formButton(QStringLiteral("&Deactivate"), QStringLiteral("toggleActiveButton"));
    // Asks first: a blank form would drop the edits of the entry in the form.
    connect(newButton, &QPushButton::clicked, this, [this] { discardEditsThen([this] { newRecord(); }); });
    connect(m_delete, &QPushButton::clicked, this, &FaqEditor::deleteSelected);
    connect(m_up, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    connect(m_down, &QPushButton::clicked, this, [this] { moveSelected(1); });
    connect(m_toggle, &QPushButton::clicked, this, &FaqEditor::toggleActive);
    m_up->setShortcut(QKeySequence(QStringLiteral("Alt+Up")));
    m_down->setShortcut(QKeySequence(QStringLiteral("Alt+Down")));
    newButton->setShortcut(QKeySequence::New);
    m_delete->setShortcut(QKeySequence::Delete);

    auto* leftLayout = new QVBoxLayout;
    leftLayout->addWidget(m_table, 1);
    leftLayout->addLayout(listButtons({newButton, m_up, m_down, m_toggle, m_delete}));

    m_formTitle = formTitle(QStringLiteral("faqFormTitle"));
    m_slug = new QLineEdit;
    m_slug->setObjectName(QStringLiteral("slugEdit"));
    m_slug->setPlaceholderText(QStringLiteral("shipping-times"));
    m_question = new QLineEdit;
    m_question->setObjectName(QStringLiteral("questionEdit"));
    m_answer = new QPlainTextEdit;
    m_answer->setObjectName(QStringLiteral("answerEdit"));
    m_answer->setTabChangesFocus(true);
    // Keywords: what shoppers also say for this question; the bot matches them like the question.
    m_keywords = new QPlainTextEdit;
    m_keywords->setObjectName(QStringLiteral("keywordsEdit"));
    m_keywords->setTabChangesFocus(true);
    m_keywords->setPlaceholderText(QStringLiteral("Other phrasings and synonyms, separated by commas: "
                                                  "delivery time, when will it arrive, dispatch"));
    m_keywords->setFixedHeight(m_keywords->fontMetrics().lineSpacing() * 4);
    m_order = new QSpinBox;
    m_order->setObjectName(QStringLiteral("displayOrderSpin"));
    m_order->setRange(0, 1000000);
    m_active = new QCheckBox(QStringLiteral("Active (customers see it)"));
    m_active->setObjectName(QStringLiteral("activeCheck"));
    QLabel* slugError = m_errors.add(QStringLiteral("slug"), QStringLiteral("slugError"));
    QLabel* questionError = m_errors.add(QStringLiteral("question"), QStringLiteral("questionError"));
    QLabel* answerError = m_errors.add(QStringLiteral("answer"), QStringLiteral("answerError"));
    QLabel* keywordsError = m_errors.add(QStringLiteral("keywords"), QStringLiteral("keywordsError"));
    m_save = new QPushButton(QStringLiteral("&Save"));
    m_save->setObjectName(QStringLiteral("saveFaqButton"));
    m_save->setDefault(true);
    connect(m_save, &QPushButton::clicked, this, &FaqEditor::save);

    auto* form = new QFormLayout;
    form->addRow(QStringLiteral("S&lug:"), m_slug);
    form->addRow(QString(), slugError);
    form->addRow(QStringLiteral("&Question:"), m_question);
    form->addRow(QString(), questionError);
    form->addRow(QStringLiteral("&Answer:"), m_answer);
    form->addRow(QString(), answerError);
    form->addRow(QStringLiteral("&Keywords:"), m_keywords);
    form->addRow(QString(), keywordsError);
    form->addRow(QStringLiteral("&Order:"), m_order);
    form->addRow(QString(), m_active);
    auto* rightLayout = new QVBoxLayout;
    rightLayout->addWidget(m_formTitle);
    rightLayout->addLayout(form, 1);
    rightLayout->addWidget(m_save, 0, Qt::AlignRight);

    layOut(leftLayout, rightLayout);

    newRecord();
    reload();
}

bool FaqEditor::isValidSlug(const QString& slug) {
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]+(?:-[a-z0-9]+)*$"));
    return slug.size() <= 64 && re.match(slug).hasMatch();
}

void FaqEditor::reload() {
    loadList(QString());
}

void FaqEditor::reloadAfterFailure(const QString& status) {
    loadList(status);
}

void FaqEditor::loadList(const QString& status) {
    beginLoad(status);
    m_session->api()->adminFaq([self = QPointer<FaqEditor>(this),
                                status](const ApiResult<std::vector<proto::FaqEntry>>& r) {
        if (!self)
            return;
        if (self->finishLoad(r)) {
            const QString note = self->takeList([&] { self->m_model->setEntries(r.value); });
            self->m_errors.setStatus(
                (status.isEmpty() ? QStringLiteral("%1 entries.").arg(self->m_model->rowCount()) : status) +
                note);
        } else if (!status.isEmpty()) { // the failure already said stays; the list is as it was
            self->m_errors.setStatus(
                status + QStringLiteral(" The list could not be reloaded: %1").arg(r.error->describe()));
        }
        emit self->loaded();
    });
}

void FaqEditor::updateButtons() {
    const int row = selectedRow();
    const bool has = row >= 0 && m_pending == 0;
    m_delete->setEnabled(has);
    m_toggle->setEnabled(has);
    m_up->setEnabled(has && row > 0);
    m_down->setEnabled(has && row + 1 < m_model->rowCount());
    RecordEditor::updateButtons();
    if (row >= 0)
        m_toggle->setText(m_model->at(row).isActive ? QStringLiteral("&Deactivate")
                                                    : QStringLiteral("&Activate"));
}

bool FaqEditor::takeEntry(const ApiResult<proto::FaqEntry>& r) {
    if (!finishRequest(r))
        return false;
    updateList([&] { m_model->upsert(r.value); });
    m_table->selectRow(m_model->rowOf(qs(r.value.slug)));
    return true;
}

void FaqEditor::showError(const ApiError& error) {
    m_errors.show(error, QStringLiteral("slug"), QStringLiteral("An entry with this slug already exists."));
}

void FaqEditor::newRecord() {
    ++m_newForms;
    m_errors.clear();
    m_editingSlug.clear();
    // Clear the current row too, not only the selection: otherwise clicking the entry edited last
    // changes no current row, so it never comes back into the form.
    m_table->selectionModel()->clear();
    m_formTitle->setText(QStringLiteral("New entry"));
    m_slug->setEnabled(true);
    m_slug->clear();
    m_question->clear();
    m_answer->clear();
    m_keywords->clear();
    m_order->setValue(m_model->nextDisplayOrder());
    m_active->setChecked(true);
    m_slug->setFocus();
    updateButtons();
}

bool FaqEditor::isDirty() const {
    if (m_editingSlug.isEmpty())
        return !m_slug->text().trimmed().isEmpty() || !m_question->text().trimmed().isEmpty() ||
               !m_answer->toPlainText().trimmed().isEmpty() || !m_keywords->toPlainText().trimmed().isEmpty();
    return ss(m_question->text().trimmed()) != m_base.question ||
           m_answer->toPlainText().trimmed() != asFormShows(qs(m_base.answer)) ||
           m_keywords->toPlainText().trimmed() != asFormShows(qs(m_base.keywords)) ||
           m_order->value() != m_base.displayOrder || m_active->isChecked() != m_base.isActive;
}

int FaqEditor::formRow() const {
    return m_editingSlug.isEmpty() ? -1 : m_model->rowOf(m_editingSlug);
}

QString FaqEditor::formRecordName() const {
    return m_editingSlug.isEmpty() ? QString() : QStringLiteral("\u201c%1\u201d").arg(m_editingSlug);
}

bool FaqEditor::changedSinceOpened(int row) const {
    return m_model->at(row) != m_base;
}

void FaqEditor::editRow(int row) {
    m_errors.clear();
    const auto& e = m_model->at(row);
    m_base = e;
    m_editingSlug = qs(e.slug);
    m_formTitle->setText(QStringLiteral("Edit \u201c%1\u201d").arg(m_editingSlug));
    m_slug->setText(m_editingSlug);
    m_slug->setEnabled(false); // the slug is the entry's identity in the URL
    m_question->setText(qs(e.question));
    m_answer->setPlainText(qs(e.answer));
    m_keywords->setPlainText(qs(e.keywords));
    m_order->setValue(e.displayOrder);
    m_active->setChecked(e.isActive);
}

void FaqEditor::save() {
    m_errors.clear();
    proto::FaqEntry e;
    e.slug = ss(m_slug->text().trimmed());
    e.question = ss(m_question->text().trimmed());
    e.answer = ss(m_answer->toPlainText().trimmed());
    const QString keywords = m_keywords->toPlainText().trimmed();
    e.keywords = ss(keywords);
    e.displayOrder = m_order->value();
    e.isActive = m_active->isChecked();
    bool ok = true;
    if (m_editingSlug.isEmpty() && !isValidSlug(qs(e.slug))) {
        m_errors.set(QStringLiteral("slug"),
                     e.slug.empty() ? QStringLiteral("Enter a slug.")
                                    : QStringLiteral("Use lower-case letters, digits and dashes, like "
                                                     "\u201cshipping-times\u201d."));
        ok = false;
    }
    if (e.question.empty()) {
        m_errors.set(QStringLiteral("question"), QStringLiteral("Enter the question."));
        ok = false;
    }
    if (e.answer.empty()) {
        m_errors.set(QStringLiteral("answer"), QStringLiteral("Enter the answer."));
        ok = false;
    }
    if (keywords.toUcs4().size() > kMaxKeywords) {
        m_errors.set(QStringLiteral("keywords"), QStringLiteral("At most %1 characters (now %2).")
                                                     .arg(kMaxKeywords)
                                                     .arg(keywords.toUcs4().size()));
        ok = false;
    }
    if (!ok) {
        m_errors.setStatus(QStringLiteral("Not saved: see the marked fields."));
        return;
    }
    // An edit names only the fields changed since the entry was opened: another admin's change of
    // the others survives (the server merges a PUT).
    json fields = json::object();
    if (!m_editingSlug.isEmpty()) {
        if (e.question != m_base.question)
            fields["question"] = e.question;
        // As the form shows the stored texts: a "\r\n" the edit turned into "\n" is no change.
        if (qs(e.answer) != asFormShows(qs(m_base.answer)))
            fields["answer"] = e.answer;
        if (qs(e.keywords) != asFormShows(qs(m_base.keywords)))
            fields["keywords"] = e.keywords;
        if (e.displayOrder != m_base.displayOrder)
            fields["display_order"] = e.displayOrder;
        if (e.isActive != m_base.isActive)
            fields["is_active"] = e.isActive;
        if (fields.empty()) {
            m_errors.setStatus(QStringLiteral("Nothing to save: no changes."));
            return;
        }
    }
    beginRequest();
    // The table stays usable while the request runs: if the form has moved to another entry (or
    // to another blank one, New) meanwhile, the answer only updates the list, so the form's slug
    // always names what it shows.
    auto handle = [self = QPointer<FaqEditor>(this), editing = m_editingSlug, form = m_newForms,
                   slug = qs(e.slug)](const ApiResult<proto::FaqEntry>& r) {
        if (!self)
            return;
        if (self->m_editingSlug != editing || self->m_newForms != form) {
            if (!self->finishSave(r, true, QStringLiteral("\u201c%1\u201d").arg(slug)))
                return;
            self->updateList([&] { self->m_model->upsert(r.value); });
            self->m_errors.setStatus(QStringLiteral("Saved \u201c%1\u201d.").arg(qs(r.value.slug)));
            emit self->saved(qs(r.value.slug));
            return;
        }
        if (r.ok()) { // the form now holds what is stored: not dirty when its row is selected
            self->m_base = r.value;
            self->m_editingSlug = qs(r.value.slug);
        }
        if (!self->takeEntry(r))
            return;
        self->m_editingSlug = qs(r.value.slug);
        // The form as stored: a new entry's title and locked slug too (the list update left it be).
        self->editRow(self->m_model->rowOf(self->m_editingSlug));
        self->m_errors.setStatus(QStringLiteral("Saved \u201c%1\u201d.").arg(self->m_editingSlug));
        emit self->saved(self->m_editingSlug);
    };
    if (m_editingSlug.isEmpty())
        m_session->api()->createFaq(e, handle);
    else
        m_session->api()->patchFaq(m_editingSlug, fields, handle);
}

void FaqEditor::toggleActive() {
    const int row = selectedRow();
    if (row < 0)
        return;
    const proto::FaqEntry& e = m_model->at(row);
    beginRequest();
    // Only the flag: the rest of the listed entry may be stale (another admin's edit).
    m_session->api()->patchFaq(
        qs(e.slug), json{{"is_active", !e.isActive}},
        [self = QPointer<FaqEditor>(this), slug = qs(e.slug),
         activate = !e.isActive](const ApiResult<proto::FaqEntry>& r) {
            if (!self)
                return;
            if (!r.ok()) { // not a field's error: the form may show another entry by now
                self->finishRequest();
                self->reloadAfterFailure(
                    QStringLiteral("\u201c%1\u201d was not %2: %3")
                        .arg(slug, activate ? QStringLiteral("activated") : QStringLiteral("deactivated"),
                             r.error->describe()));
                return;
            }
            const bool refresh = qs(r.value.slug) == self->m_editingSlug && !self->isDirty();
            if (!self->takeEntry(r))
                return;
            if (refresh) // the form shows the entry: its flag (and anything else) as stored now
                self->editRow(self->m_model->rowOf(qs(r.value.slug)));
            self->m_errors.setStatus(
                r.value.isActive ? QStringLiteral("Activated \u201c%1\u201d.").arg(qs(r.value.slug))
                                 : QStringLiteral("Deactivated \u201c%1\u201d.").arg(qs(r.value.slug)));
            emit self->saved(qs(r.value.slug));
        });
}

void FaqEditor::moveSelected(int delta) {
    const int row = selectedRow();
    const int to = row + delta;
    if (row < 0 || to < 0 || to >= m_model->rowCount())
        return;
    // Renumber the whole list 1..n in the new order and send only what changed: this also
    // repairs equal display_order values, which would make a plain swap a no-op.
    std::vector<proto::FaqEntry> order = m_model->entries();
    std::swap(order[std::size_t(row)], order[std::size_t(to)]);
    const QString moved = qs(order[std::size_t(to)].slug);
    std::vector<proto::FaqEntry> changed;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (order[i].displayOrder != int(i) + 1) {
            order[i].displayOrder = int(i) + 1;
            changed.push_back(order[i]);
        }
    }
    // The move is done when every renumbering has answered; the first refusal is what it says.
    struct Move {
        int left = 0;
        QString failedSlug;
        QString failure;
    };
    auto move = std::make_shared<Move>();
    move->left = int(changed.size());
    for (const auto& e : changed) {
        beginRequest();
        // Only the order: the rest of the listed entry may be stale (another admin's edit).
        m_session->api()->patchFaq(
            qs(e.slug), json{{"display_order", e.displayOrder}},
            [self = QPointer<FaqEditor>(this), moved, move,
             slug = qs(e.slug)](const ApiResult<proto::FaqEntry>& r) {
                if (!self)
                    return;
                if (r.ok())
                    self->updateList([&] { self->m_model->upsert(r.value); });
                else if (move->failure.isEmpty()) {
                    move->failedSlug = slug;
                    move->failure = r.error->describe();
                }
                self->finishRequest();
                if (--move->left > 0)
                    return;
                if (!move->failure.isEmpty()) {
                    // Some of the list may be renumbered, some not: show the order as stored.
                    const QString at = move->failedSlug == moved
                                           ? QString()
                                           : QStringLiteral(" at \u201c%1\u201d").arg(move->failedSlug);
                    self->reloadAfterFailure(
                        QStringLiteral("Moving \u201c%1\u201d failed%2: %3").arg(moved, at, move->failure));
                    return;
                }
                self->m_table->selectRow(self->m_model->rowOf(moved));
                self->m_errors.setStatus(QStringLiteral("Order saved."));
                emit self->saved(moved);
            });
    }
    updateButtons();
}

void FaqEditor::deleteSelected() {
    const int row = selectedRow();
    if (row < 0 || m_confirm)
        return;
    const QString slug = qs(m_model->at(row).slug);
    const QString text =
        QStringLiteral("Delete \u201c%1\u201d? Customers will no longer see it. Deactivate it "
                       "instead to keep it for later.")
            .arg(slug);
    m_confirm = askToConfirm(this, QMessageBox::Warning, QStringLiteral("confirmDelete"),
                             QStringLiteral("Delete FAQ entry"), text, QStringLiteral("Delete"),
                             [self = QPointer<FaqEditor>(this), slug](bool yes) {
                                 if (!self || !yes)
                                     return;
                                 self->deleteEntry(slug);
                             });
}

void FaqEditor::deleteEntry(const QString& slug) {
    beginRequest();
    m_session->api()->deleteFaq(
        slug, [self = QPointer<FaqEditor>(this), slug](const ApiResult<std::monostate>& r) {
            if (!self || !self->finishRequest(r))
                return;
            self->updateList([&] { self->m_model->remove(slug); });
            self->newRecord();
            self->m_errors.setStatus(QStringLiteral("Deleted \u201c%1\u201d.").arg(slug));
        });
}

} // namespace parley::console::gui
