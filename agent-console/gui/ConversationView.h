#pragma once
// One conversation: header, full history (customer, bot, agent and system messages styled apart),
// and a composer (Enter sends, Shift+Enter new line) with Close. Read-only when the chat is closed
// or not assigned to me (watching).

#include <QPointer>
#include <QWidget>

class QLabel;
class QMessageBox;
class QPlainTextEdit;
class QPushButton;
class QTextBrowser;

namespace parley::console {
class MessagesModel;
class Session;
} // namespace parley::console

namespace parley::console::gui {

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

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void send();
    void render();
    void updateState();
    QString senderLabel(int row) const;

    Session* m_session;
    QString m_id;
    QPointer<MessagesModel> m_model;
    QLabel* m_title;
    QLabel* m_subtitle;
    QLabel* m_readOnlyBanner;
    QTextBrowser* m_transcript;
    QPlainTextEdit* m_composer;
    QPushButton* m_send;
    QPushButton* m_close;
    QLabel* m_sendError;
    QPointer<QMessageBox> m_confirm;
    QList<QMetaObject::Connection> m_modelConnections;
};

} // namespace parley::console::gui
