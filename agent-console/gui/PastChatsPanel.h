#pragma once
// Issue 19: the shopper's other conversations, in the shopper panel (newest first). Activating
// one asks the window to open it; a chat that is not mine opens read-only (watching).

#include <QWidget>

class QLabel;
class QListWidget;

namespace parley::console {
class Session;
} // namespace parley::console

namespace parley::console::gui {

class PastChatsPanel : public QWidget {
    Q_OBJECT
public:
    explicit PastChatsPanel(Session* session, QWidget* parent = nullptr);

    void setConversation(const QString& conversationId);

signals:
    void openRequested(const QString& conversationId);

private:
    void load();

    Session* m_session;
    QString m_id;
    QString m_customer; // whose chats are listed (asked for)
    int m_generation = 0;
    QListWidget* m_list;
    QLabel* m_empty;
};

} // namespace parley::console::gui
