#pragma once
// The agent's own conversations, newest activity first, each with an unread count. Closed ones stay
// listed (read-only) for the rest of the session so the agent can still look back at them.

#include <parley/protocol/Types.h>

#include <QAbstractListModel>
#include <QDateTime>

#include <vector>

namespace parley::console {

class MyConversationsModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Roles {
        ConversationIdRole = Qt::UserRole + 1,
        UnreadRole,       // int
        StatusRole,       // wire name: automated, agent, closed
        PreviewRole,      // the last message's text
        LastActivityRole, // QDateTime (UTC)
        TitleRole,        // "Customer 1a2b3c4d"
    };

    explicit MyConversationsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // A REST snapshot of the open conversations assigned to me: open ones not in it are no longer
    // mine and leave; closed ones stay.
    void setConversations(const std::vector<protocol::Conversation>& conversations);
    // Inserts or updates; returns true when it was not listed before.
    bool upsert(const protocol::Conversation& conversation);
    void remove(const QString& conversationId);
    // A message of a listed conversation: updates preview and activity (and so the order); counts
    // it unread when it is from the customer and the chat is not in front. True when it counted.
    bool noteMessage(const protocol::Message& message, bool inFront);
    void markRead(const QString& conversationId);

    int rowOf(const QString& conversationId) const;
    bool contains(const QString& conversationId) const { return rowOf(conversationId) >= 0; }
    const protocol::Conversation& at(int row) const { return m_items.at(std::size_t(row)).conversation; }
    int unread(const QString& conversationId) const;
    int totalUnread() const;

private:
    struct Item {
        protocol::Conversation conversation;
        int unread = 0;
        QString preview;
        QDateTime lastActivity;
        qint64 lastSeq = 0;
        // When this console last saw activity in it: times have milliseconds only, and two
        // messages in two chats can share one, so the one seen later goes in front on a tie.
        quint64 seenOrder = 0;
    };
    static bool newerFirst(const Item& a, const Item& b);
    void reposition(int row); // moves a changed row to its sorted place

    std::vector<Item> m_items;
    quint64 m_seen = 0;
};

} // namespace parley::console
