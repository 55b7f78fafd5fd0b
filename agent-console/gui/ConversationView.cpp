#include "gui/ConversationView.h"

#include "core/MessagesModel.h"
#include "core/Session.h"
#include "core/Util.h"
#include "gui/Style.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace proto = parley::protocol;

namespace parley::console::gui {
namespace {

QString htmlText(const std::string& content) {
    return qs(content).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br/>"));
}

} // namespace

ConversationView::ConversationView(Session* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session) {
    setObjectName(QStringLiteral("conversationView"));

    m_title = new QLabel(QStringLiteral("No conversation selected"));
    m_title->setObjectName(QStringLiteral("conversationTitle"));
    QFont tf = m_title->font();
    tf.setPointSizeF(tf.pointSizeF() * 1.25);
    tf.setBold(true);
    m_title->setFont(tf);
    m_subtitle = new QLabel;
    m_subtitle->setObjectName(QStringLiteral("conversationSubtitle"));
    m_subtitle->setStyleSheet(QStringLiteral("color: palette(mid);"));

    m_close = new QPushButton(QStringLiteral("&Close chat"));
    m_close->setObjectName(QStringLiteral("closeChatButton"));
    m_close->setToolTip(QStringLiteral("End this conversation (Ctrl+Shift+W)"));
    connect(m_close, &QPushButton::clicked, this, &ConversationView::requestClose);

    auto* header = new QHBoxLayout;
    auto* titles = new QVBoxLayout;
    titles->setSpacing(0);
    titles->addWidget(m_title);
    titles->addWidget(m_subtitle);
    header->addLayout(titles, 1);
    header->addWidget(m_close);

    m_readOnlyBanner = new QLabel;
    m_readOnlyBanner->setObjectName(QStringLiteral("readOnlyBanner"));
    m_readOnlyBanner->setWordWrap(true);
    m_readOnlyBanner->setStyleSheet(QStringLiteral(
        "background: #eef1f5; color: #3c4650; border: 1px solid #d5dbe1; border-radius: 4px; padding: 6px;"));
    m_readOnlyBanner->hide();

    m_transcript = new QTextBrowser;
    m_transcript->setObjectName(QStringLiteral("transcript"));
    m_transcript->setOpenExternalLinks(true);
    m_transcript->setFocusPolicy(Qt::ClickFocus);

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
    m_sendError->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_sendError->setWordWrap(true);
    m_sendError->hide();

    auto* composerRow = new QHBoxLayout;
    composerRow->addWidget(m_composer, 1);
    composerRow->addWidget(m_send, 0, Qt::AlignBottom);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addLayout(header);
    layout->addWidget(m_readOnlyBanner);
    layout->addWidget(m_transcript, 1);
    layout->addWidget(m_sendError);
    layout->addLayout(composerRow);

    connect(m_session, &Session::conversationChanged, this, [this](const QString& id) {
        if (id == m_id)
            updateState();
    });
    connect(m_session, &Session::meChanged, this, &ConversationView::updateState);
    connect(m_session, &Session::sendFailed, this,
            [this](const QString& id, const QString& text, const ApiError& e) {
                if (id != m_id)
                    return;
                m_sendError->setText(QStringLiteral("Not sent: %1").arg(e.describe()));
                m_sendError->show();
                // Give the text back so nothing typed is lost.
                if (m_composer->toPlainText().isEmpty())
                    m_composer->setPlainText(text);
            });
    connect(m_session, &Session::sendRetrying, this,
            [this](const QString& id, const QString& text, int delayMs) {
                if (id != m_id)
                    return;
                // Still on its way: the text stays in view until it is sent (or given back as not sent).
                const QString shown = text.size() > 80 ? text.left(79) + QChar(0x2026) : text;
                m_sendError->setText(
                    QStringLiteral("Sending \u201c%1\u201d\u2026 The server is busy; trying again in %2 s.")
                        .arg(shown)
                        .arg((delayMs + 999) / 1000));
                m_sendError->show();
            });
    connect(m_session, &Session::messageSent, this, [this](const QString& id) {
        if (id == m_id)
            m_sendError->hide();
    });
    // Names of agents in the transcript follow the team list.
    connect(m_session->teamModel(), &QAbstractItemModel::modelReset, this, &ConversationView::render);
    setConversation({});
}

void ConversationView::setConversation(const QString& conversationId) {
    for (const auto& c : std::as_const(m_modelConnections))
        disconnect(c);
    m_modelConnections.clear();
    if (m_id != conversationId)
        m_sendError->hide();
    m_id = conversationId;
    m_model = conversationId.isEmpty() ? nullptr : m_session->messages(conversationId);
    if (m_model) {
        m_modelConnections << connect(m_model, &QAbstractItemModel::rowsInserted, this,
                                      &ConversationView::render)
                           << connect(m_model, &QAbstractItemModel::modelReset, this,
                                      &ConversationView::render);
        m_session->openConversation(conversationId);
    }
    render();
    updateState();
}

bool ConversationView::isReadOnly() const {
    return m_id.isEmpty() || !m_session->canWrite(m_id);
}

void ConversationView::updateState() {
    const auto c = m_id.isEmpty() ? std::nullopt : m_session->conversation(m_id);
    if (m_id.isEmpty()) {
        m_title->setText(QStringLiteral("No conversation selected"));
        m_subtitle->setText(QStringLiteral("Pick a chat on the left, or go online to receive chats."));
    } else if (c) {
        m_title->setText(QStringLiteral("Customer %1").arg(shortId(c->customerSessionId)));
        QString status;
        switch (c->status) {
        case proto::ConversationStatus::Automated:
            status = QStringLiteral("with the bot");
            break;
        case proto::ConversationStatus::Agent:
            status =
                c->assignedAgentId ? QStringLiteral("with an agent") : QStringLiteral("waiting in the queue");
            break;
        case proto::ConversationStatus::Closed:
            status = QStringLiteral("closed");
            break;
        }
        m_subtitle->setText(
            QStringLiteral("Conversation %1 \u00b7 %2 \u00b7 started %3")
                .arg(shortId(c->id), status,
                     QLocale().toString(parseTime(c->createdAt).toLocalTime(), QLocale::ShortFormat)));
    } else {
        m_title->setText(QStringLiteral("Loading\u2026"));
        m_subtitle->clear();
    }

    const bool readOnly = isReadOnly();
    const bool closed = c && c->status == proto::ConversationStatus::Closed;
    m_composer->setEnabled(!readOnly);
    m_send->setEnabled(!readOnly);
    m_close->setEnabled(!readOnly);
    m_close->setVisible(!m_id.isEmpty());
    if (m_id.isEmpty() || !c) {
        m_readOnlyBanner->hide();
    } else if (closed) {
        m_readOnlyBanner->setText(QStringLiteral("This conversation is closed. It is read-only."));
        m_readOnlyBanner->show();
    } else if (readOnly) {
        m_readOnlyBanner->setText(QStringLiteral(
            "Watching: this conversation is not assigned to you, so you can read but not write."));
        m_readOnlyBanner->show();
    } else {
        m_readOnlyBanner->hide();
    }
    if (readOnly)
        m_composer->clear();
}

QString ConversationView::senderLabel(int row) const {
    const auto& m = m_model->at(row);
    switch (m.senderType) {
    case proto::SenderType::Customer:
        return QStringLiteral("Customer");
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
        const int r = m_session->teamModel()->rowOf(qs(*m.senderAgentId));
        if (r >= 0)
            return qs(m_session->teamModel()->at(r).displayName);
    }
    return QStringLiteral("Agent");
}

void ConversationView::render() {
    QScrollBar* bar = m_transcript->verticalScrollBar();
    const bool atBottom = bar->value() >= bar->maximum() - 4;
    const int oldValue = bar->value();
    QString html;
    html += QStringLiteral("<html><body style=\"margin:0\">");
    const int n = m_model ? m_model->rowCount() : 0;
    if (!m_id.isEmpty() && n == 0)
        html += QStringLiteral("<p align=\"center\" style=\"color:#8a939c\">No messages yet.</p>");
    for (int row = 0; row < n; ++row) {
        const auto& m = m_model->at(row);
        const QString time =
            QLocale().toString(parseTime(m.createdAt).toLocalTime().time(), QLocale::ShortFormat);
        if (m.senderType == proto::SenderType::System) {
            html += QStringLiteral(
                        "<p align=\"center\" style=\"margin:10px 0; color:#6b747d; font-style:italic;\">"
                        "\u2014 %1 \u00b7 %2 \u2014</p>")
                        .arg(htmlText(m.content), time);
            continue;
        }
        QColor bubble = kCustomerBubble;
        QString align = QStringLiteral("left");
        if (m.senderType == proto::SenderType::Bot)
            bubble = kBotBubble;
        if (m.senderType == proto::SenderType::Agent) {
            bubble = kAgentBubble;
            align = QStringLiteral("right");
        }
        QString extra;
        if (m.kind == proto::MessageKind::QuickReply)
            extra = QStringLiteral(" <span style=\"color:#7a5bc7\">[quick reply]</span>");
        html += QStringLiteral("<table align=\"%1\" cellspacing=\"0\" cellpadding=\"8\" bgcolor=\"%2\" "
                               "style=\"margin:4px 6px;\"><tr><td>"
                               "<span style=\"color:#5b6670; font-size:small;\"><b>%3</b> \u00b7 %4</span>%5"
                               "<br/>%6</td></tr></table><br clear=\"all\"/>")
                    .arg(align, bubble.name(), senderLabel(row), time, extra, htmlText(m.content));
    }
    html += QStringLiteral("</body></html>");
    m_transcript->setHtml(html);
    // Follow new messages when the agent is at the bottom; keep the place when reading back.
    bar->setValue(atBottom ? bar->maximum() : oldValue);
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
    m_sendError->hide();
    m_session->sendMessage(m_id, text);
}

void ConversationView::requestClose() {
    if (isReadOnly() || m_confirm)
        return;
    auto* box =
        new QMessageBox(QMessageBox::Question, QStringLiteral("Close conversation"),
                        QStringLiteral("Close this conversation? The customer can no longer write in it, "
                                       "and it becomes read-only."),
                        QMessageBox::Yes | QMessageBox::Cancel, window());
    box->setObjectName(QStringLiteral("confirmCloseBox"));
    box->button(QMessageBox::Yes)->setText(QStringLiteral("Close chat"));
    box->button(QMessageBox::Yes)->setObjectName(QStringLiteral("confirmCloseYes"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    const QString id = m_id;
    connect(box, &QMessageBox::finished, this, [this, box, id](int) {
        if (box->clickedButton() == box->button(QMessageBox::Yes))
            m_session->closeConversation(id);
    });
    m_confirm = box;
    box->open(); // window-modal and asynchronous: the event loop (and live updates) keep running
}

} // namespace parley::console::gui
