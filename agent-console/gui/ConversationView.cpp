#include "gui/ConversationView.h"

#include "core/MessagesModel.h"
#include "core/Outbox.h"
#include "core/Session.h"
#include "core/Shopper.h"
#include "core/Util.h"
#include "gui/ConfirmBox.h"
#include "gui/ShopperPanel.h"
#include "gui/Style.h"
// Issue 19 "Agents at work".
#include "core/NotesModel.h"
#include "gui/CannedCompleter.h"
#include "gui/NotesPanel.h"
#include "gui/PastChatsPanel.h"
#include "gui/TransferDialog.h"

#include <QDesktopServices>
#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTextBrowser>
#include <QTextFrame>
#include <QTextTable>
#include <QTimer>
#include <QVBoxLayout>

namespace proto = parley::protocol;

namespace parley::console::gui {
namespace {

QTextFrameFormat plainFrame() {
    QTextFrameFormat f;
    f.setBorder(0);
    f.setMargin(0);
    f.setPadding(0);
    return f;
}

QTextTableFormat bubbleFormat(Qt::Alignment align, const QColor& background) {
    QTextTableFormat tf;
    tf.setBorder(0);
    tf.setCellSpacing(0);
    tf.setCellPadding(7);
    tf.setTopMargin(3);
    tf.setBottomMargin(3);
    tf.setLeftMargin(4);
    tf.setRightMargin(4);
    tf.setAlignment(align);
    if (background.isValid())
        tf.setBackground(background);
    return tf;
}

// Text with its links as anchors in the palette's link colour.
void insertLinked(QTextCursor& cursor, const QString& text, const QTextCharFormat& body,
                  const QPalette& pal) {
    for (const TextRun& run : linkRuns(text)) {
        if (run.link.isEmpty()) {
            cursor.insertText(run.text, body);
            continue;
        }
        QTextCharFormat link = body;
        link.setAnchor(true);
        link.setAnchorHref(QString::fromUtf8(run.link.toEncoded()));
        link.setForeground(pal.color(QPalette::Link));
        link.setFontUnderline(true);
        cursor.insertText(run.text, link);
    }
}

} // namespace

ConversationView::ConversationView(Session* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("conversationView"));

    m_title = new QLabel(QStringLiteral("No conversation selected"));
    m_title->setObjectName(QStringLiteral("conversationTitle"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont tf = m_title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.25);
    tf.setBold(true);
    m_title->setFont(tf);
    m_subtitle = new QLabel;
    m_subtitle->setObjectName(QStringLiteral("conversationSubtitle"));
    m_subtitle->setTextFormat(Qt::RichText);
    m_subtitle->setOpenExternalLinks(true);
    m_subtitle->setTextInteractionFlags(Qt::TextBrowserInteraction);
    followPalette(m_subtitle, [this] {
        QPalette p = m_subtitle->palette();
        p.setColor(QPalette::WindowText, theme::mutedText(p));
        m_subtitle->setPalette(p);
    });

    m_close = new QPushButton(QStringLiteral("&Close chat"));
    m_close->setObjectName(QStringLiteral("closeChatButton"));
    m_close->setToolTip(QStringLiteral("End this conversation (Ctrl+Shift+W)"));
    connect(m_close, &QPushButton::clicked, this, &ConversationView::requestClose);

    // Issue 19: hand the chat to another agent or back to the queue.
    m_transfer = new QPushButton(QStringLiteral("&Transfer\u2026"));
    m_transfer->setObjectName(QStringLiteral("transferButton"));
    m_transfer->setToolTip(
        QStringLiteral("Hand this chat to another agent or back to the queue (Ctrl+Shift+T)"));
    connect(m_transfer, &QPushButton::clicked, this, &ConversationView::requestTransfer);

    auto* header = new QHBoxLayout;
    auto* titles = new QVBoxLayout;
    titles->setSpacing(0);
    titles->addWidget(m_title);
    titles->addWidget(m_subtitle);
    header->addLayout(titles, 1);
    header->addWidget(m_transfer, 0, Qt::AlignTop); // issue 19
    header->addWidget(m_close, 0, Qt::AlignTop);

    m_readOnlyBanner = new NoticeBar(theme::Tone::Info);
    m_readOnlyBanner->setObjectName(QStringLiteral("readOnlyBanner"));
    QFont bf = m_readOnlyBanner->label()->font();
    bf.setBold(false);
    m_readOnlyBanner->label()->setFont(bf);
    m_readOnlyBanner->hide();

    m_transcript = new QTextBrowser;
    m_transcript->setObjectName(QStringLiteral("transcript"));
    m_transcript->setOpenLinks(false); // ours: pending-reply actions, and the browser for the rest
    m_transcript->setFocusPolicy(Qt::ClickFocus);
    connect(m_transcript, &QTextBrowser::anchorClicked, this, &ConversationView::openLink);

    m_composer = new QPlainTextEdit;
    m_composer->setObjectName(QStringLiteral("composer"));
    m_composer->setPlaceholderText(
        QStringLiteral("Write a reply \u2014 Enter sends, Shift+Enter starts a new line"));
    m_composer->setTabChangesFocus(true);
    m_composer->setMaximumHeight(96);
    m_composer->installEventFilter(this);

    m_send = new QPushButton(QStringLiteral("&Send"));
    m_send->setObjectName(QStringLiteral("sendButton"));
    connect(m_send, &QPushButton::clicked, this, &ConversationView::send);

    m_sendError = new QLabel;
    m_sendError->setObjectName(QStringLiteral("sendError"));
    m_sendError->setWordWrap(true);
    setToneText(m_sendError, theme::Tone::Error);
    m_sendError->hide();

    auto* composerRow = new QHBoxLayout;
    composerRow->addWidget(m_composer, 1);
    composerRow->addWidget(m_send, 0, Qt::AlignBottom);

    auto* chat = new QWidget;
    auto* chatLayout = new QVBoxLayout(chat);
    chatLayout->setContentsMargins(0, 0, 0, 0);
    chatLayout->addWidget(m_readOnlyBanner);
    chatLayout->addWidget(m_transcript, 1);
    chatLayout->addWidget(m_sendError);
    // Issue 19: "Shopper is typing…" and the canned replies offered for "/…", above the composer.
    m_typing = new QLabel;
    m_typing->setObjectName(QStringLiteral("typingIndicator"));
    followPalette(m_typing, [this] {
        QPalette p = m_typing->palette();
        p.setColor(QPalette::WindowText, theme::mutedText(p));
        m_typing->setPalette(p);
    });
    QFont typingFont = m_typing->font();
    typingFont.setItalic(true);
    m_typing->setFont(typingFont);
    m_typing->hide();
    m_canned = new CannedCompleter(m_session, m_composer, this);
    chatLayout->addWidget(m_typing);
    chatLayout->addWidget(m_canned->list());
    chatLayout->addLayout(composerRow);

    m_panel = new ShopperPanel(m_session);
    m_split = new QSplitter(Qt::Horizontal);
    m_split->setObjectName(QStringLiteral("conversationSplitter"));
    m_split->addWidget(chat);
    m_split->addWidget(m_panel);
    m_split->setStretchFactor(0, 3);
    m_split->setStretchFactor(1, 1);
    m_split->setChildrenCollapsible(true);
    m_split->setSizes({700, 230});

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addLayout(header);
    layout->addWidget(m_split, 1);

    connect(m_session, &Session::conversationChanged, this, [this](const QString& id) {
        if (id != m_id)
            return;
        updateState();
        if (m_messagesFrame && namesSignature() != m_namesDrawn)
            renderAll(); // the shopper's name became known: the transcript says it
    });
    connect(m_session, &Session::meChanged, this, &ConversationView::updateState);
    // Drafts belong to the agent who typed them: none survives into the next sign-in.
    connect(m_session, &Session::signedOut, this, [this] {
        m_drafts.clear();
        const QSignalBlocker quiet(m_composer);
        m_composer->clear();
    });
    connect(m_session, &Session::conversationLoaded, this, [this](const QString& id) {
        // "Loading…" becomes "No messages yet."; a history inserted before a live message is
        // drawn now, in one go.
        if (id == m_id && (m_rendered == 0 || m_renderQueued))
            renderAll();
    });
    connect(m_session, &Session::sendFailed, this,
            [this](const QString& id, const QString&, const ApiError&) {
                if (id == m_id)
                    m_transcript->verticalScrollBar()->setValue(m_transcript->verticalScrollBar()->maximum());
            });
    connect(m_session->outbox(), &Outbox::changed, this, [this](const QString& id) {
        if (id == m_id)
            renderPending();
    });
    // Agent names in the transcript follow the team list; redrawn only when a name it shows changed.
    connect(m_session->teamModel(), &QAbstractItemModel::modelReset, this, [this] {
        if (m_messagesFrame && namesSignature() != m_namesDrawn)
            renderAll();
        updateState();
    });
    // --- Issue 19 "Agents at work" -------------------------------------------------------------
    m_pastChats = new PastChatsPanel(m_session);
    m_notes = new NotesPanel(m_session);
    m_panel->sections()->addWidget(m_pastChats);
    m_panel->sections()->addWidget(m_notes, 1);
    connect(m_pastChats, &PastChatsPanel::openRequested, this, &ConversationView::openRequested);
    // Notes also stand in the transcript, among the messages by time, as cards of their own.
    connect(m_notes->model(), &QAbstractItemModel::modelReset, this, [this] {
        // Most conversations have no notes: their (empty) list arriving redraws nothing.
        if (m_messagesFrame && (m_notesRendered > 0 || m_notes->model()->rowCount() > 0))
            renderAll();
    });
    connect(m_notes->model(), &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex&, int first, int last) { notesInserted(first, last); });
    m_typingTimeout.setSingleShot(true);
    m_typingTimeout.setInterval(5000); // the shopper's widget repeats it about every second while typing
    connect(&m_typingTimeout, &QTimer::timeout, m_typing, &QWidget::hide);
    connect(m_session->realtime(), &RealtimeClient::typing, this,
            [this](const QString& id, const QString& sender, const QString&) { onTyping(id, sender); });
    connect(m_composer, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_id.isEmpty() && !isReadOnly() && !m_composer->toPlainText().isEmpty())
            m_session->realtime()->sendTyping(m_id); // at most once a second
    });
    // Reading to the end of the transcript is reading the newest message.
    connect(m_transcript->verticalScrollBar(), &QScrollBar::valueChanged, this, [this] { markReadIfSeen(); });
    // ---------------------------------------------------------------------------------------------
    setConversation({});
}

void ConversationView::setConversation(const QString& conversationId) {
    for (const auto& c : std::as_const(m_modelConnections))
        disconnect(c);
    m_modelConnections.clear();
    if (m_id != conversationId) {
        // One draft per chat: what was typed for this shopper waits here, never goes to the next.
        if (!m_id.isEmpty()) {
            const QString draft = m_composer->toPlainText();
            if (draft.isEmpty())
                m_drafts.remove(m_id);
            else
                m_drafts.insert(m_id, draft);
        }
        {
            const QSignalBlocker quiet(m_composer); // restoring a draft is not typing
            m_composer->setPlainText(m_drafts.value(conversationId));
            m_composer->moveCursor(QTextCursor::End);
        }
        m_sendError->hide();
        // Issue 19.
        m_typing->hide();
        m_scrollTarget = 0;
        m_shownSeq = 0;
    }
    m_id = conversationId;
    m_model = conversationId.isEmpty() ? nullptr : m_session->messages(conversationId);
    if (m_model) {
        m_modelConnections << connect(m_model, &QAbstractItemModel::rowsInserted, this,
                                      [this](const QModelIndex&, int first, int last) {
                                          // New at the end: appended. Anything else means
                                          // drawing it anew; a history still loading (it comes in
                                          // one message at a time, and a redraw each froze the
                                          // window) once, when it is in. A redraw already queued
                                          // draws these too.
                                          if (!m_renderQueued) {
                                              if (first == m_rendered && m_rendered > 0)
                                                  appendMessages(first, last);
                                              else if (!m_model->isLoaded())
                                                  queueRenderAll();
                                              else
                                                  renderAll();
                                          }
                                          // Issue 19: the shopper's message ends its typing.
                                          for (int row = first; row <= last; ++row)
                                              if (m_model->at(row).senderType == proto::SenderType::Customer)
                                                  m_typing->hide();
                                      })
                           << connect(m_model, &QAbstractItemModel::modelReset, this,
                                      &ConversationView::renderAll);
        m_session->openConversation(conversationId);
    }
    m_panel->setConversation(conversationId);
    m_notes->setConversation(conversationId);     // issue 19
    m_pastChats->setConversation(conversationId); // issue 19
    renderAll();
    m_transcript->verticalScrollBar()->setValue(m_transcript->verticalScrollBar()->maximum());
    updateState();
}

bool ConversationView::isReadOnly() const {
    return m_id.isEmpty() || !m_session->canWrite(m_id);
}

QString ConversationView::agentName(const std::string& agentId) const {
    const int r = m_session->teamModel()->rowOf(qs(agentId));
    return r >= 0 ? qs(m_session->teamModel()->at(r).displayName) : QString();
}

void ConversationView::updateState() {
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    QString withWhom;
    if (m_id.isEmpty()) {
        m_title->setText(QStringLiteral("No conversation selected"));
        m_subtitle->setText(QStringLiteral("Pick a chat on the left, or go online to receive chats."));
    } else if (c) {
        m_title->setText(shopperLabel(*c));
        m_title->setToolTip(shopperDetail(*c));
        QString status;
        switch (c->status) {
        case proto::ConversationStatus::Automated:
            status = QStringLiteral("with the bot");
            break;
        case proto::ConversationStatus::Agent:
            if (!c->assignedAgentId) {
                status = QStringLiteral("waiting in the queue");
            } else if (*c->assignedAgentId == m_session->me().id) {
                status = QStringLiteral("with you");
            } else {
                withWhom = agentName(*c->assignedAgentId);
                if (withWhom.isEmpty())
                    withWhom = QStringLiteral("another agent");
                status = QStringLiteral("with ") + withWhom;
            }
            break;
        case proto::ConversationStatus::Closed:
            status = QStringLiteral("closed");
            break;
        }
        QStringList parts;
        const QString page = pageLabel(*c);
        if (const QUrl url = pageUrl(*c); url.isValid())
            parts << QStringLiteral("on <a href=\"%1\">%2</a>")
                         .arg(QString::fromUtf8(url.toEncoded()).toHtmlEscaped(), page.toHtmlEscaped());
        else if (!page.isEmpty())
            parts << QStringLiteral("on ") + page.toHtmlEscaped();
        parts << status.toHtmlEscaped();
        parts << QStringLiteral("started %1")
                     .arg(QLocale()
                              .toString(parseTime(c->createdAt).toLocalTime(), QLocale::ShortFormat)
                              .toHtmlEscaped());
        m_subtitle->setText(parts.join(QStringLiteral(" \u00b7 ")));
    } else {
        m_title->setText(QStringLiteral("Loading\u2026"));
        m_subtitle->clear();
    }

    const bool readOnly = isReadOnly();
    const bool closed = c && c->status == proto::ConversationStatus::Closed;
    const bool canClose = !m_id.isEmpty() && m_session->canClose(m_id);
    m_composer->setEnabled(!readOnly);
    m_send->setEnabled(!readOnly);
    m_close->setEnabled(canClose);
    m_close->setVisible(!m_id.isEmpty());
    m_transfer->setVisible(!m_id.isEmpty()); // issue 19
    m_transfer->setEnabled(canTransfer());
    updateSeen();
    m_close->setToolTip(readOnly && canClose
                            ? QStringLiteral("End this chat for its agent and the shopper (admins may close "
                                             "any chat; Ctrl+Shift+W)")
                            : QStringLiteral("End this conversation (Ctrl+Shift+W)"));
    if (m_id.isEmpty() || !c) {
        m_readOnlyBanner->hide();
    } else if (closed) {
        m_readOnlyBanner->setText(QStringLiteral("This conversation is closed. It is read-only."));
        m_readOnlyBanner->show();
    } else if (readOnly) {
        QString text =
            withWhom.isEmpty()
                ? QStringLiteral("Watching: this conversation is not assigned to you, so you can "
                                 "read but not write.")
                : QStringLiteral("Watching %1\u2019s chat: you can read but not write.").arg(withWhom);
        if (canClose)
            text += QStringLiteral(" As an admin you can close it.");
        m_readOnlyBanner->setText(text);
        m_readOnlyBanner->show();
    } else {
        m_readOnlyBanner->hide();
    }
    // A read-only chat keeps its draft (the composer is only disabled): it may be writable again
    // (a transfer back), and the agent may want to copy what was typed.
}

QString ConversationView::senderLabel(const proto::Message& m) const {
    switch (m.senderType) {
    case proto::SenderType::Customer: {
        const auto c = m_session->conversation(m_id);
        return c ? shopperLabel(*c) : QStringLiteral("Shopper");
    }
    case proto::SenderType::Bot:
        return QStringLiteral("Bot");
    case proto::SenderType::System:
        return QStringLiteral("System");
    case proto::SenderType::Agent:
        break;
    }
    if (m.senderAgentId && *m.senderAgentId == m_session->me().id)
        return QStringLiteral("You");
    if (m.senderAgentId) {
        const QString name = agentName(*m.senderAgentId);
        if (!name.isEmpty())
            return name;
    }
    return QStringLiteral("Agent");
}

QString ConversationView::namesSignature() const {
    QStringList names;
    if (const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id))
        names << shopperLabel(*c);
    if (m_model) {
        QSet<QString> seen;
        for (const auto& m : m_model->messages())
            if (m.senderType == proto::SenderType::Agent && m.senderAgentId &&
                !seen.contains(qs(*m.senderAgentId))) {
                seen.insert(qs(*m.senderAgentId));
                names << senderLabel(m);
            }
    }
    return names.join(QLatin1Char('\n'));
}

void ConversationView::insertMessage(const proto::Message& m) {
    const QPalette pal = m_transcript->palette();
    QTextCursor c = m_messagesFrame->lastCursorPosition();
    const QString time =
        QLocale().toString(parseTime(m.createdAt).toLocalTime().time(), QLocale::ShortFormat);
    QTextCharFormat meta;
    meta.setForeground(theme::mutedText(pal));
    meta.setFontPointSize(m_transcript->font().pointSizeF() * 0.88);
    if (m.senderType == proto::SenderType::System) {
        QTextTable* t = c.insertTable(1, 1, bubbleFormat(Qt::AlignHCenter, QColor()));
        m_tables.insert(m.seq, t); // issue 19
        QTextCursor cell = t->cellAt(0, 0).firstCursorPosition();
        meta.setFontItalic(true);
        const bool erased = m.content.empty() && m.metadata.is_object() && m.metadata.value("erased", false);
        cell.insertText(QStringLiteral("\u2014 %1 \u00b7 %2 \u2014")
                            .arg(erased ? QStringLiteral("(erased)") : qs(m.content), time), // issue 22
                        meta);
        return;
    }
    const bool mine = m.senderType == proto::SenderType::Agent;
    QTextTable* t = c.insertTable(
        1, 1, bubbleFormat(mine ? Qt::AlignRight : Qt::AlignLeft, theme::bubble(pal, m.senderType)));
    m_tables.insert(m.seq, t); // issue 19
    QTextCursor cell = t->cellAt(0, 0).firstCursorPosition();
    QTextCharFormat who = meta;
    who.setFontWeight(QFont::Bold);
    cell.insertText(senderLabel(m), who);
    cell.insertText(QStringLiteral(" \u00b7 ") + time, meta);
    if (m.kind == proto::MessageKind::QuickReply) {
        QTextCharFormat tag = meta;
        tag.setForeground(theme::toneText(pal, theme::Tone::Accent));
        cell.insertText(QStringLiteral("  [quick reply]"), tag);
    }
    cell.insertBlock();
    QTextCharFormat body;
    body.setForeground(pal.color(QPalette::Text));
    // Issue 22: a message whose shopper's data was erased says so instead of showing nothing.
    if (m.content.empty() && m.metadata.is_object() && m.metadata.value("erased", false)) {
        body.setForeground(theme::mutedText(pal));
        body.setFontItalic(true);
        cell.insertText(QStringLiteral("(erased)"), body);
        return;
    }
    insertLinked(cell, qs(m.content), body, pal);
}

void ConversationView::insertPending(const PendingReply& r) {
    const QPalette pal = m_transcript->palette();
    QTextCursor c = m_pendingFrame->lastCursorPosition();
    QTextTableFormat tf = bubbleFormat(Qt::AlignRight, theme::pendingBubble(pal));
    tf.setBorder(1);
    tf.setBorderStyle(QTextFrameFormat::BorderStyle_Dashed);
    const bool failed = r.state == PendingReply::State::Failed;
    tf.setBorderBrush(failed ? theme::toneText(pal, theme::Tone::Error) : theme::mutedText(pal));
    QTextTable* t = c.insertTable(1, 1, tf);
    QTextCursor cell = t->cellAt(0, 0).firstCursorPosition();
    QTextCharFormat meta;
    meta.setForeground(theme::mutedText(pal));
    meta.setFontPointSize(m_transcript->font().pointSizeF() * 0.88);
    QTextCharFormat who = meta;
    who.setFontWeight(QFont::Bold);
    cell.insertText(QStringLiteral("You \u00b7 "), who);
    QTextCharFormat state = meta;
    QString stateText;
    switch (r.state) {
    case PendingReply::State::Sending:
        stateText = QStringLiteral("Sending\u2026");
        break;
    case PendingReply::State::Waiting:
        stateText = r.attempts == 0
                        ? QStringLiteral("Waiting to send")
                        : QStringLiteral("Not sent yet (%1) \u2014 will be sent automatically").arg(r.error);
        state.setForeground(theme::toneText(pal, theme::Tone::Warning));
        break;
    case PendingReply::State::Failed:
        stateText = QStringLiteral("Not sent: %1").arg(r.error);
        state.setForeground(theme::toneText(pal, theme::Tone::Error));
        break;
    }
    cell.insertText(stateText, state);
    cell.insertBlock();
    QTextCharFormat body;
    body.setForeground(theme::mix(pal.color(QPalette::Text), pal.color(QPalette::Base), 0.2));
    cell.insertText(r.text, body);
    if (r.state == PendingReply::State::Sending)
        return;
    cell.insertBlock();
    QTextCharFormat action = meta;
    action.setAnchor(true);
    action.setForeground(pal.color(QPalette::Link));
    action.setFontUnderline(true);
    const std::pair<const char*, const char*> actions[] = {
        {"retry", "Send now"}, {"edit", "Edit"}, {"delete", "Delete"}};
    bool first = true;
    for (const auto& [verb, label] : actions) {
        if (!first)
            cell.insertText(QStringLiteral("   "), meta);
        first = false;
        action.setAnchorHref(QStringLiteral("parley:%1/%2").arg(QLatin1String(verb), r.clientMsgId));
        cell.insertText(QString::fromLatin1(label), action);
    }
}

void ConversationView::scrollAfterInsert(bool wasAtBottom) {
    if (!wasAtBottom)
        return; // reading further up: the place stays (inserting at the end does not move it)
    QScrollBar* bar = m_transcript->verticalScrollBar();
    bar->setValue(bar->maximum());
}

void ConversationView::queueRenderAll() {
    if (m_renderQueued)
        return;
    m_renderQueued = true;
    QTimer::singleShot(0, this, [this] {
        if (m_renderQueued) // not drawn meanwhile (switching chats draws at once)
            renderAll();
    });
}

void ConversationView::renderAll() {
    m_renderQueued = false;
    ++m_fullRenders;
    QScrollBar* bar = m_transcript->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 4;
    const int oldValue = bar->value();
    m_transcript->clear();
    m_tables.clear(); // issue 19
    m_seenTable = nullptr;
    m_seenSeq = 0;
    QTextDocument* doc = m_transcript->document();
    doc->setDocumentMargin(6);
    QTextCursor root(doc);
    m_messagesFrame = root.insertFrame(plainFrame());
    root.setPosition(m_messagesFrame->lastPosition() + 1);
    m_pendingFrame = root.insertFrame(plainFrame());
    m_namesDrawn = namesSignature();
    const int n = m_model ? m_model->rowCount() : 0;
    // Issue 19: notes go in before the first message written after them.
    const NotesModel* notes = m_notes->model();
    const int noteCount = notes->conversationId() == m_id ? notes->rowCount() : 0;
    int note = 0;
    for (int row = 0; row < n; ++row) {
        const auto& m = m_model->at(row);
        for (; note < noteCount && parseTime(notes->at(note).createdAt) < parseTime(m.createdAt); ++note)
            insertNote(notes->at(note));
        insertMessage(m);
    }
    for (; note < noteCount; ++note)
        insertNote(notes->at(note));
    m_notesRendered = noteCount;
    m_rendered = n;
    if (!m_id.isEmpty() && n == 0) {
        QTextCursor c = m_messagesFrame->lastCursorPosition();
        QTextBlockFormat centred;
        centred.setAlignment(Qt::AlignHCenter);
        c.setBlockFormat(centred);
        QTextCharFormat note;
        note.setForeground(theme::mutedText(m_transcript->palette()));
        c.insertText(m_model && m_model->isLoaded() ? QStringLiteral("No messages yet.")
                                                    : QStringLiteral("Loading\u2026"),
                     note);
    }
    renderPending();
    updateSeen(); // issue 19
    bar->setValue(atBottom ? bar->maximum() : oldValue);
    if (m_scrollTarget == 0 && m_shownSeq > 0)
        m_scrollTarget = m_shownSeq; // issue 19: drawn anew, the message asked for stays in view
    applyScrollTarget();
    markReadIfSeen();
}

// A note written now is the newest thing in the conversation: it is appended. One that sorts
// before the last message drawn (a note loaded late) means drawing the transcript anew.
void ConversationView::notesInserted(int first, int last) {
    const NotesModel* notes = m_notes->model();
    if (!m_messagesFrame || notes->conversationId() != m_id || m_renderQueued)
        return; // (a queued redraw draws it)
    const bool atEnd =
        first == m_notesRendered && (m_rendered == 0 || !(parseTime(notes->at(first).createdAt) <
                                                          parseTime(m_model->at(m_rendered - 1).createdAt)));
    if (!atEnd || m_rendered == 0) {
        renderAll();
        return;
    }
    QScrollBar* bar = m_transcript->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 4;
    for (int row = first; row <= last; ++row)
        insertNote(notes->at(row));
    m_notesRendered = last + 1;
    scrollAfterInsert(atBottom);
}

void ConversationView::insertNote(const proto::Note& n) {
    const QPalette pal = m_transcript->palette();
    QTextCursor c = m_messagesFrame->lastCursorPosition();
    // The notes panel's card: a tint of the warning tone, yellow-ish on light and dark palettes,
    // full width with a border, so a note never looks like something the shopper saw.
    const QColor border = theme::toneText(pal, theme::Tone::Warning);
    QTextTableFormat tf = bubbleFormat(Qt::AlignHCenter, theme::toneBackground(pal, theme::Tone::Warning));
    tf.setBorder(1);
    tf.setBorderBrush(border);
    tf.setBorderStyle(QTextFrameFormat::BorderStyle_Solid);
    tf.setWidth(QTextLength(QTextLength::PercentageLength, 100));
    QTextTable* t = c.insertTable(1, 1, tf);
    QTextCursor cell = t->cellAt(0, 0).firstCursorPosition();
    QTextCharFormat meta;
    meta.setForeground(theme::mutedText(pal));
    meta.setFontPointSize(m_transcript->font().pointSizeF() * 0.88);
    QTextCharFormat tag = meta;
    tag.setForeground(border);
    tag.setFontWeight(QFont::Bold);
    cell.insertText(QStringLiteral("Internal note"), tag);
    const QString time =
        QLocale().toString(parseTime(n.createdAt).toLocalTime().time(), QLocale::ShortFormat);
    cell.insertText(
        QStringLiteral(" \u00b7 %1 \u00b7 %2 \u00b7 only agents see this").arg(qs(n.agentDisplayName), time),
        meta);
    cell.insertBlock();
    QTextCharFormat body;
    body.setForeground(pal.color(QPalette::Text));
    insertLinked(cell, qs(n.content), body, pal);
}

void ConversationView::appendMessages(int first, int last) {
    QScrollBar* bar = m_transcript->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 4;
    for (int row = first; row <= last; ++row)
        insertMessage(m_model->at(row));
    m_rendered = last + 1;
    updateSeen(); // issue 19
    scrollAfterInsert(atBottom);
    applyScrollTarget(); // issue 19
    markReadIfSeen();
}

void ConversationView::renderPending() {
    if (!m_pendingFrame)
        return;
    QScrollBar* bar = m_transcript->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 4;
    QTextCursor c = m_pendingFrame->firstCursorPosition();
    c.setPosition(m_pendingFrame->lastPosition(), QTextCursor::KeepAnchor);
    c.removeSelectedText();
    if (!m_id.isEmpty())
        for (const PendingReply& r : m_session->outbox()->pending(m_id))
            insertPending(r);
    scrollAfterInsert(atBottom);
}

void ConversationView::openLink(const QUrl& url) {
    if (url.scheme() == QLatin1String("parley")) {
        const QString verb = url.path().section(QLatin1Char('/'), 0, 0);
        const QString id = url.path().section(QLatin1Char('/'), 1);
        Outbox* outbox = m_session->outbox();
        if (verb == QLatin1String("retry")) {
            outbox->retry(id);
        } else if (verb == QLatin1String("delete")) {
            outbox->remove(id);
        } else if (verb == QLatin1String("edit")) {
            for (const PendingReply& r : outbox->pending(m_id))
                if (r.clientMsgId == id && outbox->remove(id)) {
                    if (m_composer->toPlainText().trimmed().isEmpty())
                        m_composer->setPlainText(r.text);
                    else
                        m_composer->appendPlainText(r.text);
                    focusComposer();
                }
        }
        return;
    }
    if (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https") ||
        url.scheme() == QLatin1String("mailto")) {
        QDesktopServices::openUrl(url);
        emit linkOpened(url);
    }
}

QString ConversationView::transcriptText() const {
    return m_transcript->toPlainText();
}

void ConversationView::focusComposer() {
    if (m_composer->isEnabled())
        m_composer->setFocus();
}

bool ConversationView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_composer && event->type() == QEvent::KeyPress) {
        auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) &&
            !(key->modifiers() & Qt::ShiftModifier)) {
            send();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ConversationView::changeEvent(QEvent* event) {
    if (event->type() == QEvent::ActivationChange)
        QTimer::singleShot(0, this, [this] { markReadIfSeen(); }); // issue 19: the agent looks again
    // The colours of the bubbles come from the palette: a theme switch draws them anew.
    if (event->type() == QEvent::PaletteChange && m_messagesFrame)
        QTimer::singleShot(0, this, [this] { renderAll(); });
    QWidget::changeEvent(event);
}

void ConversationView::send() {
    if (isReadOnly())
        return;
    const QString text = m_composer->toPlainText().trimmed();
    if (text.isEmpty())
        return;
    if (text.toUcs4().size() > qsizetype(proto::kMaxMessageChars)) {
        m_sendError->setText(QStringLiteral("The message is longer than 4,000 characters."));
        m_sendError->show();
        return;
    }
    m_composer->clear();
    m_drafts.remove(m_id);
    m_sendError->hide();
    // Queued at once, shown as a pending bubble until the server has it: also while disconnected.
    m_session->sendMessage(m_id, text);
    QScrollBar* bar = m_transcript->verticalScrollBar();
    bar->setValue(bar->maximum());
}

void ConversationView::requestClose() {
    if (m_id.isEmpty() || !m_session->canClose(m_id) || m_confirm)
        return;
    const auto c = m_session->conversation(m_id);
    QString text = QStringLiteral("Close this conversation? The shopper can no longer write in it, and it "
                                  "becomes read-only.");
    if (!m_session->isMine(m_id) && c && c->assignedAgentId) {
        const QString name = agentName(*c->assignedAgentId);
        text = QStringLiteral("Close %1\u2019s chat with %2? The shopper can no longer write in it, and it "
                              "becomes read-only for everyone.")
                   .arg(name.isEmpty() ? QStringLiteral("another agent") : name, shopperLabel(*c));
    }
    const QString id = m_id;
    m_confirm = askToConfirm(window(), QMessageBox::Question, QStringLiteral("confirmClose"),
                             QStringLiteral("Close conversation"), text, QStringLiteral("Close chat"),
                             [self = QPointer<ConversationView>(this), id](bool yes) {
                                 if (self && yes)
                                     self->m_session->closeConversation(id);
                             });
}

// --- Issue 19 "Agents at work" -------------------------------------------------------------------

bool ConversationView::canTransfer() const {
    if (m_id.isEmpty())
        return false;
    if (m_session->canWrite(m_id))
        return true; // mine and open
    const auto c = m_session->conversation(m_id);
    return m_session->isAdmin() && c && c->status == proto::ConversationStatus::Agent && c->assignedAgentId;
}

void ConversationView::requestTransfer() {
    if (!canTransfer())
        return;
    auto* dialog = new TransferDialog(m_session, m_id, window());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void ConversationView::onTyping(const QString& conversationId, const QString& senderType) {
    if (conversationId != m_id || senderType != QLatin1String("customer"))
        return;
    m_typing->setText(QStringLiteral("Shopper is typing\u2026"));
    m_typing->show();
    m_typingTimeout.start();
}

// "Seen" under the newest agent message the shopper has read (customer_last_read_seq).
void ConversationView::updateSeen() {
    qint64 seen = 0;
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    if (c && m_model && c->customerLastReadSeq > 0) {
        const auto& msgs = m_model->messages();
        for (auto it = msgs.rbegin(); it != msgs.rend(); ++it)
            if (it->senderType == proto::SenderType::Agent && it->seq <= c->customerLastReadSeq) {
                seen = it->seq;
                break;
            }
    }
    QPointer<QTextTable> table = seen > 0 ? m_tables.value(seen) : nullptr;
    if (seen == m_seenSeq && table == m_seenTable)
        return;
    if (m_seenTable) { // take the mark off its old message: the cell's last block
        QTextCursor old = m_seenTable->cellAt(0, 0).lastCursorPosition();
        old.movePosition(QTextCursor::StartOfBlock, QTextCursor::KeepAnchor);
        old.removeSelectedText();
        old.deletePreviousChar();
    }
    m_seenTable = table;
    m_seenSeq = table ? seen : 0;
    if (!table)
        return;
    QTextCursor cell = table->cellAt(0, 0).lastCursorPosition();
    QTextBlockFormat right;
    right.setAlignment(Qt::AlignRight);
    QTextCharFormat mark;
    mark.setForeground(theme::mutedText(m_transcript->palette()));
    mark.setFontPointSize(m_transcript->font().pointSizeF() * 0.8);
    cell.insertBlock(right, mark);
    cell.insertText(QStringLiteral("Seen"), mark);
}

// The agent views the newest message: the chat is mine, in front, and scrolled to its end.
void ConversationView::markReadIfSeen() {
    if (m_id.isEmpty() || !m_model || m_model->rowCount() == 0 || !isVisible() || isReadOnly())
        return;
    if (m_session->currentConversation() != m_id && !m_session->currentConversation().isEmpty())
        return;
    if (window()->isMinimized())
        return;
    const QScrollBar* bar = m_transcript->verticalScrollBar();
    if (bar->value() < bar->maximum() - 4)
        return;
    m_session->markRead(m_id, m_model->at(m_model->rowCount() - 1).seq);
}

void ConversationView::showMessage(qint64 seq) {
    m_scrollTarget = seq;
    applyScrollTarget();
}

void ConversationView::applyScrollTarget() {
    if (m_scrollTarget <= 0)
        return;
    QTextTable* table = m_tables.value(m_scrollTarget);
    if (!table)
        return; // not drawn yet: the history is still loading
    // Select the message: it stands out, and the agent can copy it at once.
    QTextCursor c = table->cellAt(0, 0).firstCursorPosition();
    c.setPosition(table->cellAt(0, 0).lastCursorPosition().position(), QTextCursor::KeepAnchor);
    m_transcript->setTextCursor(c);
    // In the upper third of the view with its header, not cut off at an edge.
    QScrollBar* bar = m_transcript->verticalScrollBar();
    const QRect at = m_transcript->cursorRect(QTextCursor(table->firstCursorPosition()));
    bar->setValue(bar->value() + at.top() - m_transcript->viewport()->height() / 3);
    m_shownSeq = m_scrollTarget;
    m_scrollTarget = 0;
}

} // namespace parley::console::gui
