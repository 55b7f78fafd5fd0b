#pragma once
// One conversation: a header naming the shopper and the page it is on, the history (customer, bot,
// agent and system messages styled apart, links clickable), the replies still on their way as
// pending bubbles, a composer (Enter sends, Shift+Enter new line) with Close, and the shopper panel
// beside it. Read-only when the chat is closed or not assigned to me (watching); an admin may
// still close a watched chat. New messages are appended to the transcript, never by redrawing it,
// so a selection and the place the agent reads at survive them.

#include <QHash>
#include <QPointer>
#include <QTimer>
#include <QWidget>

class QLabel;
class QMessageBox;
class QPlainTextEdit;
class QPushButton;
class QSplitter;
class QTextBrowser;
class QTextFrame;
class QTextTable;
class QUrl;

namespace parley::protocol {
struct Message;
struct Note;
} // namespace parley::protocol

namespace parley::console {
class MessagesModel;
class Session;
struct PendingReply;
} // namespace parley::console

namespace parley::console::gui {

class CannedCompleter;
class NoticeBar;
class NotesPanel;
class PastChatsPanel;
class ShopperPanel;

class ConversationView : public QWidget {
    Q_OBJECT
public:
    explicit ConversationView(Session* session, QWidget* parent = nullptr);

    void setConversation(const QString& conversationId);
    QString conversationId() const { return m_id; }
    bool isReadOnly() const;
    // Asks for confirmation (a window-modal box, objectName "confirmCloseBox"), then closes.
    void requestClose();
    void focusComposer();
    QString transcriptText() const; // plain text of the history, for tests and copying
    ShopperPanel* shopperPanel() const { return m_panel; }
    // How often the whole transcript was drawn anew (opening a chat, a theme change): for tests
    // that new messages do not.
    int fullRenderCount() const { return m_fullRenders; }

    // Issue 19 "Agents at work".
    // Opens the transfer dialog (objectName "transferDialog") for the chat in front.
    void requestTransfer();
    bool canTransfer() const;
    // Scrolls to the message with that seq and selects it (now, or once the history is in).
    void showMessage(qint64 seq);
    qint64 shownMessage() const { return m_shownSeq; } // the seq last scrolled to (tests)
    NotesPanel* notesPanel() const { return m_notes; }
    // The seq of the agent message marked "Seen" (0: none).
    qint64 seenSeq() const { return m_seenSeq; }

signals:
    // Issue 19: another conversation was asked for (a past chat of the shopper).
    void openRequested(const QString& conversationId);
    // A link in a message was opened (after it was handed to the desktop).
    void linkOpened(const QUrl& url);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void send();
    void renderAll();
    void queueRenderAll(); // renderAll() once the current batch of inserts is in
    void appendMessages(int first, int last);
    void renderPending();
    void insertMessage(const protocol::Message& m);
    // Issue 19: an internal note, in the transcript among the messages by time (agents only).
    void insertNote(const protocol::Note& n);
    void notesInserted(int first, int last);
    void insertPending(const PendingReply& r);
    void scrollAfterInsert(bool wasAtBottom);
    void updateState();
    void openLink(const QUrl& url);
    QString senderLabel(const protocol::Message& m) const;
    QString agentName(const std::string& agentId) const;
    QString namesSignature() const;

    // Issue 19.
    void updateSeen();
    void markReadIfSeen();
    void applyScrollTarget();
    void onTyping(const QString& conversationId, const QString& senderType);

    Session* m_session;
    QString m_id;
    QPointer<MessagesModel> m_model;
    QLabel* m_title;
    QLabel* m_subtitle;
    NoticeBar* m_readOnlyBanner;
    QTextBrowser* m_transcript;
    QPlainTextEdit* m_composer;
    QPushButton* m_send;
    QPushButton* m_close;
    QLabel* m_sendError;
    ShopperPanel* m_panel;
    QSplitter* m_split;
    QPointer<QMessageBox> m_confirm;
    QHash<QString, QString> m_drafts; // unsent text by conversation, kept while another is in front
    QList<QMetaObject::Connection> m_modelConnections;
    QTextFrame* m_messagesFrame = nullptr;
    QTextFrame* m_pendingFrame = nullptr;
    int m_rendered = 0;      // rows of the model that are in the transcript
    int m_notesRendered = 0; // rows of the notes model that are in the transcript
    QString m_namesDrawn;    // the agent names the transcript was drawn with
    int m_fullRenders = 0;
    bool m_renderQueued = false;

    // Issue 19 "Agents at work".
    QPushButton* m_transfer = nullptr;
    QLabel* m_typing = nullptr;
    QTimer m_typingTimeout;
    NotesPanel* m_notes = nullptr;
    PastChatsPanel* m_pastChats = nullptr;
    CannedCompleter* m_canned = nullptr;
    QHash<qint64, QPointer<QTextTable>> m_tables; // the drawn messages by seq
    QPointer<QTextTable> m_seenTable;             // the message carrying "Seen"
    qint64 m_seenSeq = 0;
    qint64 m_scrollTarget = 0; // showMessage() waiting for its message
    qint64 m_shownSeq = 0;
};

} // namespace parley::console::gui
