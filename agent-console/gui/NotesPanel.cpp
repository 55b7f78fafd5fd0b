#include "gui/NotesPanel.h"

#include "core/NotesModel.h"
#include "core/Session.h"
#include "core/Util.h"
#include "gui/Style.h"

#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScrollBar>
#include <QTextBrowser>
#include <QTextTable>
#include <QTimer>
#include <QVBoxLayout>

namespace parley::console::gui {

NotesPanel::NotesPanel(Session* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session)
    , m_model(new NotesModel(session, this)) {
    setObjectName(QStringLiteral("notesPanel"));
    auto* heading = new QLabel(QStringLiteral("Internal notes"));
    QFont f = heading->font();
    f.setBold(true);
    heading->setFont(f);
    heading->setToolTip(QStringLiteral("Only agents see notes; the shopper never does."));

    m_view = new QTextBrowser;
    m_view->setObjectName(QStringLiteral("notesView"));
    m_view->setOpenLinks(false);
    m_view->setMinimumHeight(90);
    m_view->setFocusPolicy(Qt::ClickFocus);

    m_input = new QLineEdit;
    m_input->setObjectName(QStringLiteral("noteInput"));
    m_input->setPlaceholderText(QStringLiteral("Add a note for agents\u2026"));
    m_input->setMaxLength(4000);
    connect(m_input, &QLineEdit::returnPressed, this, &NotesPanel::add);
    m_add = new QPushButton(QStringLiteral("Add note"));
    m_add->setObjectName(QStringLiteral("addNoteButton"));
    connect(m_add, &QPushButton::clicked, this, &NotesPanel::add);
    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("noteError"));
    m_error->setWordWrap(true);
    setToneText(m_error, theme::Tone::Error);
    m_error->hide();

    auto* row = new QHBoxLayout; // the panel is narrow: the field gets the whole width
    row->addStretch(1);
    row->addWidget(m_add);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 8, 0, 0);
    layout->addWidget(heading);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_input);
    layout->addLayout(row);
    layout->addWidget(m_error);

    connect(m_model, &QAbstractItemModel::modelReset, this, &NotesPanel::render);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &NotesPanel::render);
    connect(m_model, &NotesModel::loadFailed, this, [this](const ApiError& e) {
        m_error->setText(QStringLiteral("Notes could not be loaded: %1").arg(e.describe()));
        m_error->show();
    });
    setConversation({});
}

void NotesPanel::setConversation(const QString& conversationId) {
    if (conversationId == m_model->conversationId() && !conversationId.isEmpty())
        return;
    m_error->hide();
    m_input->clear();
    m_input->setEnabled(!conversationId.isEmpty());
    m_add->setEnabled(!conversationId.isEmpty());
    m_model->setConversation(conversationId);
}

QString NotesPanel::notesText() const {
    return m_view->toPlainText();
}

void NotesPanel::add() {
    const QString text = m_input->text().trimmed();
    if (text.isEmpty() || m_model->conversationId().isEmpty())
        return;
    m_add->setEnabled(false);
    m_error->hide();
    const QString id = m_model->conversationId();
    m_model->add(text, [this, id](const std::optional<ApiError>& error) {
        m_add->setEnabled(true);
        if (error) {
            m_error->setText(QStringLiteral("The note was not saved: %1").arg(error->describe()));
            m_error->show();
            return;
        }
        if (id == m_model->conversationId())
            m_input->clear();
    });
}

void NotesPanel::render() {
    const QPalette pal = m_view->palette();
    m_view->clear();
    QTextCursor c(m_view->document());
    if (m_model->rowCount() == 0) {
        QTextCharFormat muted;
        muted.setForeground(theme::mutedText(pal));
        c.insertText(m_model->conversationId().isEmpty() ? QString()
                     : m_model->isLoaded()               ? QStringLiteral("No notes yet.")
                                                         : QStringLiteral("Loading\u2026"),
                     muted);
        return;
    }
    // A tint of the warning tone: yellow-ish on light and dark palettes alike, so a note never
    // looks like a message bubble.
    const QColor card = theme::toneBackground(pal, theme::Tone::Warning);
    const QColor border = theme::toneText(pal, theme::Tone::Warning);
    QTextCharFormat meta;
    meta.setForeground(theme::mutedText(pal));
    meta.setFontPointSize(m_view->font().pointSizeF() * 0.88);
    QTextCharFormat tag = meta;
    tag.setForeground(border);
    tag.setFontWeight(QFont::Bold);
    QTextCharFormat body;
    body.setForeground(pal.color(QPalette::Text));
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const auto& n = m_model->at(row);
        QTextTableFormat tf;
        tf.setBorder(1);
        tf.setBorderBrush(border);
        tf.setBorderStyle(QTextFrameFormat::BorderStyle_Solid);
        tf.setCellSpacing(0);
        tf.setCellPadding(5);
        tf.setBottomMargin(4);
        tf.setWidth(QTextLength(QTextLength::PercentageLength, 100));
        tf.setBackground(card);
        QTextTable* t = c.insertTable(1, 1, tf);
        QTextCursor cell = t->cellAt(0, 0).firstCursorPosition();
        cell.insertText(QStringLiteral("Internal note"), tag);
        const QString when = QLocale().toString(parseTime(n.createdAt).toLocalTime(), QLocale::ShortFormat);
        cell.insertText(QStringLiteral(" \u00b7 %1 \u00b7 %2").arg(qs(n.agentDisplayName), when), meta);
        cell.insertBlock();
        cell.insertText(qs(n.content), body);
        c.movePosition(QTextCursor::End);
    }
    m_view->verticalScrollBar()->setValue(m_view->verticalScrollBar()->maximum());
}

void NotesPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) // after the view has its new palette too
        QTimer::singleShot(0, this, [this] { render(); });
    QWidget::changeEvent(event);
}

} // namespace parley::console::gui
