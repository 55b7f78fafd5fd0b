#include "gui/CannedEditor.h"

#include "core/CannedModel.h"
#include "core/Session.h"
#include "core/Util.h"
#include "gui/ConfirmBox.h"
#include "gui/EditorForm.h"

#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace proto = parley::protocol;

namespace parley::console::gui {
namespace {

// The server counts characters as code points.
qsizetype codePoints(const QString& s) {
    return s.toUcs4().size();
}

bool hasControlCharacter(const QString& s) {
    return std::any_of(s.begin(), s.end(), [](QChar c) { return c.category() == QChar::Other_Control; });
}

// Message content allows line breaks and tabs, no other control characters.
bool hasControlCharacterBesidesBreaks(const QString& s) {
    return std::any_of(s.begin(), s.end(), [](QChar c) {
        return c.category() == QChar::Other_Control && c != QLatin1Char('\n') && c != QLatin1Char('\t') &&
               c != QLatin1Char('\r');
    });
}

} // namespace

CannedEditor::CannedEditor(Session* session, QWidget* parent)
    : RecordEditor(session, QStringLiteral("cannedStatusLabel"), QStringLiteral("retryCannedButton"),
                   QStringLiteral("reloadCannedButton"), QStringLiteral("canned replies"), parent)
    , m_model(new CannedModel(this)) {
    setObjectName(QStringLiteral("cannedEditor"));
    setWindowTitle(QStringLiteral("Canned replies \u2014 Parley Console"));
    resize(900, 560);

    setTable(recordTable(m_model, QStringLiteral("cannedTable")));
    m_table->horizontalHeader()->setSectionResizeMode(CannedModel::ShortcutColumn,
                                                      QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(CannedModel::TitleColumn, QHeaderView::Stretch);

    auto* newButton = formButton(QStringLiteral("&New"), QStringLiteral("newCannedButton"));
    m_delete = formButton(QStringLiteral("&Delete\u2026"), QStringLiteral("deleteCannedButton"));
    // Asks first: a blank form would drop the edits of the reply in the form.
    connect(newButton, &QPushButton::clicked, this, [this] { discardEditsThen([this] { newRecord(); }); });
    connect(m_delete, &QPushButton::clicked, this, &CannedEditor::deleteSelected);
    newButton->setShortcut(QKeySequence::New);
    m_delete->setShortcut(QKeySequence::Delete);

    auto* leftLayout = new QVBoxLayout;
    leftLayout->addWidget(m_table, 1);
    leftLayout->addLayout(listButtons({newButton, m_delete}));

    m_formTitle = formTitle(QStringLiteral("cannedFormTitle"));
    m_shortcut = new QLineEdit;
    m_shortcut->setObjectName(QStringLiteral("shortcutEdit"));
    m_shortcut->setPlaceholderText(QStringLiteral("refund-policy"));
    m_shortcut->setToolTip(QStringLiteral("What agents type after \u201c/\u201d in the reply box."));
    m_title = new QLineEdit;
    m_title->setObjectName(QStringLiteral("titleEdit"));
    m_title->setPlaceholderText(QStringLiteral("Refund policy"));
    m_content = new QPlainTextEdit;
    m_content->setObjectName(QStringLiteral("contentEdit"));
    m_content->setTabChangesFocus(true);
    m_content->setPlaceholderText(QStringLiteral("The text inserted into the reply; the agent can still "
                                                 "change it before sending."));
    m_contentCount = new QLabel;
    m_contentCount->setObjectName(QStringLiteral("contentCountLabel"));
    m_contentCount->setAlignment(Qt::AlignRight);
    auto countContent = [this] {
        m_contentCount->setText(
            QStringLiteral("%1 / %2").arg(codePoints(m_content->toPlainText())).arg(proto::kMaxMessageChars));
    };
    connect(m_content, &QPlainTextEdit::textChanged, this, countContent);
    countContent();
    QLabel* shortcutError = m_errors.add(QStringLiteral("shortcut"), QStringLiteral("shortcutError"));
    QLabel* titleError = m_errors.add(QStringLiteral("title"), QStringLiteral("titleError"));
    QLabel* contentError = m_errors.add(QStringLiteral("content"), QStringLiteral("contentError"));
    m_save = new QPushButton(QStringLiteral("&Save"));
    m_save->setObjectName(QStringLiteral("saveCannedButton"));
    m_save->setDefault(true);
    connect(m_save, &QPushButton::clicked, this, &CannedEditor::save);

    auto* form = new QFormLayout;
    form->addRow(QStringLiteral("S&hortcut:"), m_shortcut);
    form->addRow(QString(), shortcutError);
    form->addRow(QStringLiteral("&Title:"), m_title);
    form->addRow(QString(), titleError);
    form->addRow(QStringLiteral("&Content:"), m_content);
    form->addRow(QString(), m_contentCount);
    form->addRow(QString(), contentError);
    auto* rightLayout = new QVBoxLayout;
    rightLayout->addWidget(m_formTitle);
    rightLayout->addLayout(form, 1);
    rightLayout->addWidget(m_save, 0, Qt::AlignRight);

    layOut(leftLayout, rightLayout);

    newRecord();
    reload();
}

bool CannedEditor::isValidShortcut(const QString& shortcut) {
    static const QRegularExpression re(QStringLiteral("^[a-z0-9_-]+$"));
    return shortcut.size() <= qsizetype(proto::kMaxCannedShortcutChars) && re.match(shortcut).hasMatch();
}

void CannedEditor::reload() {
    beginLoad();
    m_session->api()->adminCanned(
        [self = QPointer<CannedEditor>(this)](const ApiResult<std::vector<proto::CannedReply>>& r) {
            if (!self)
                return;
            if (self->finishLoad(r)) {
                const QString note = self->takeList([&] { self->m_model->setReplies(r.value); });
                const int n = self->m_model->rowCount();
                self->m_errors.setStatus((n == 1 ? QStringLiteral("1 canned reply.")
                                                 : QStringLiteral("%1 canned replies.").arg(n)) +
                                         note);
            }
            emit self->loaded();
        });
}

void CannedEditor::updateButtons() {
    m_delete->setEnabled(selectedRow() >= 0 && m_pending == 0);
    RecordEditor::updateButtons();
}

void CannedEditor::showError(const ApiError& error) {
    m_errors.show(error, QStringLiteral("shortcut"),
                  QStringLiteral("Another canned reply already uses this shortcut."));
}

void CannedEditor::newRecord() {
    ++m_newForms;
    m_errors.clear();
    m_editingId.clear();
    // Clear the current row too: otherwise clicking the reply edited last changes no current row,
    // so it never comes back into the form.
    m_table->selectionModel()->clear();
    m_formTitle->setText(QStringLiteral("New canned reply"));
    m_shortcut->clear();
    m_title->clear();
    m_content->clear();
    m_shortcut->setFocus();
    updateButtons();
}

bool CannedEditor::isDirty() const {
    const QString shortcut = m_shortcut->text().trimmed();
    const QString title = m_title->text().trimmed();
    const QString content = m_content->toPlainText().trimmed();
    if (m_editingId.isEmpty())
        return !shortcut.isEmpty() || !title.isEmpty() || !content.isEmpty();
    // Trimmed on both sides, as a save sends them: spaces around stored text are no edit.
    return shortcut != qs(m_base.shortcut).trimmed() || title != qs(m_base.title).trimmed() ||
           content != asFormShows(qs(m_base.content));
}

int CannedEditor::formRow() const {
    return m_editingId.isEmpty() ? -1 : m_model->rowOf(m_editingId);
}

QString CannedEditor::formRecordName() const {
    return m_editingId.isEmpty() ? QString() : QStringLiteral("\u201c/%1\u201d").arg(qs(m_base.shortcut));
}

bool CannedEditor::changedSinceOpened(int row) const {
    return m_model->at(row) != m_base;
}

void CannedEditor::editRow(int row) {
    m_errors.clear();
    const auto& r = m_model->at(row);
    m_base = r;
    m_editingId = qs(r.id);
    m_formTitle->setText(QStringLiteral("Edit \u201c/%1\u201d").arg(qs(r.shortcut)));
    // The id names the reply in the URL, so unlike a FAQ slug the shortcut can be renamed.
    m_shortcut->setText(qs(r.shortcut));
    m_title->setText(qs(r.title));
    m_content->setPlainText(qs(r.content));
}

void CannedEditor::save() {
    m_errors.clear();
    const QString shortcut = m_shortcut->text().trimmed();
    const QString title = m_title->text().trimmed();
    const QString content = m_content->toPlainText().trimmed();
    // Every rule the server checks, checked here first and all at once. Uniqueness is the server's
    // to say (409): another admin may have taken the shortcut since the list was loaded.
    if (shortcut.isEmpty())
        m_errors.set(QStringLiteral("shortcut"), QStringLiteral("Enter a shortcut."));
    else if (!isValidShortcut(shortcut))
        m_errors.set(QStringLiteral("shortcut"),
                     QStringLiteral("Use 1 to %1 lower-case letters, digits, dashes or underscores, like "
                                    "\u201crefund-policy\u201d.")
                         .arg(proto::kMaxCannedShortcutChars));
    if (title.isEmpty())
        m_errors.set(QStringLiteral("title"), QStringLiteral("Enter a title agents recognise the reply by."));
    else if (codePoints(title) > qsizetype(proto::kMaxCannedTitleChars))
        m_errors.set(QStringLiteral("title"),
                     QStringLiteral("Use at most %1 characters.").arg(proto::kMaxCannedTitleChars));
    else if (hasControlCharacter(title))
        m_errors.set(QStringLiteral("title"), QStringLiteral("Remove the control characters."));
    if (content.isEmpty())
        m_errors.set(QStringLiteral("content"), QStringLiteral("Enter the text of the reply."));
    else if (codePoints(content) > qsizetype(proto::kMaxMessageChars))
        m_errors.set(QStringLiteral("content"), QStringLiteral("At most %1 characters (now %2).")
                                                    .arg(proto::kMaxMessageChars)
                                                    .arg(codePoints(content)));
    else if (hasControlCharacterBesidesBreaks(content))
        m_errors.set(QStringLiteral("content"), QStringLiteral("Remove the control characters."));
    if (m_errors.count() > 0) {
        m_errors.summarize();
        return;
    }
    proto::CannedReply reply;
    reply.shortcut = ss(shortcut);
    reply.title = ss(title);
    reply.content = ss(content);
    beginRequest();
    // The reply as the list knows it: an edit may be renaming its shortcut.
    const QString name =
        QStringLiteral("\u201c/%1\u201d").arg(m_editingId.isEmpty() ? shortcut : qs(m_base.shortcut));
    auto handle = [self = QPointer<CannedEditor>(this), editing = m_editingId, form = m_newForms,
                   name](const ApiResult<proto::CannedReply>& r) {
        if (!self)
            return;
        const bool formMovedOn = self->m_editingId != editing || self->m_newForms != form;
        if (!self->finishSave(r, formMovedOn, name))
            return;
        self->updateList([&] { self->m_model->upsert(r.value); });
        const QString id = qs(r.value.id);
        // The table stays usable while the request runs: if the form has moved to another reply
        // (or to another blank one, New) meanwhile, the answer only updates the list, so the
        // form's id always names what it shows.
        if (!formMovedOn) {
            // The form takes what is stored: nothing unsaved, so selecting its row asks nothing.
            const int row = self->m_model->rowOf(id);
            self->editRow(row);
            self->m_table->selectRow(row);
        }
        self->m_errors.setStatus(QStringLiteral("Saved \u201c/%1\u201d.").arg(qs(r.value.shortcut)));
        emit self->saved(id);
    };
    if (m_editingId.isEmpty()) {
        m_session->api()->createCanned(reply, handle);
        return;
    }
    // Only what changed since the reply was opened: a reload may have brought another admin's
    // change to the rest, which the form (keeping its edits) does not show and must not undo.
    nlohmann::json fields = nlohmann::json::object();
    if (shortcut != qs(m_base.shortcut).trimmed())
        fields["shortcut"] = reply.shortcut;
    if (title != qs(m_base.title).trimmed())
        fields["title"] = reply.title;
    if (content != asFormShows(qs(m_base.content)))
        fields["content"] = reply.content;
    m_session->api()->patchCanned(m_editingId, fields, handle);
}

void CannedEditor::deleteSelected() {
    const int row = selectedRow();
    if (row < 0 || m_confirm)
        return;
    const QString id = qs(m_model->at(row).id);
    const QString shortcut = qs(m_model->at(row).shortcut);
    const QString text =
        QStringLiteral("Delete \u201c/%1\u201d? Agents will no longer find it.").arg(shortcut);
    m_confirm = askToConfirm(this, QMessageBox::Warning, QStringLiteral("confirmDelete"),
                             QStringLiteral("Delete canned reply"), text, QStringLiteral("Delete"),
                             [self = QPointer<CannedEditor>(this), id, shortcut](bool yes) {
                                 if (!self || !yes)
                                     return;
                                 self->deleteReply(id, shortcut);
                             });
}

void CannedEditor::deleteReply(const QString& id, const QString& shortcut) {
    beginRequest();
    m_session->api()->deleteCanned(
        id, [self = QPointer<CannedEditor>(this), id, shortcut](const ApiResult<std::monostate>& r) {
            if (!self || !self->finishRequest(r))
                return;
            self->updateList([&] { self->m_model->remove(id); });
            self->newRecord();
            self->m_errors.setStatus(QStringLiteral("Deleted \u201c/%1\u201d.").arg(shortcut));
            emit self->deleted(id);
        });
}

} // namespace parley::console::gui
