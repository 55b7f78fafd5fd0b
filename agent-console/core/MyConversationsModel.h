#pragma once
// The agent's own conversations in a stable order: a row stays where it is while the agent works.
// New activity (a message, the agent's own reply) changes a row's preview, unread count and bold
// face, never its place, so a click lands on the chat that was under the pointer. A chat that
// becomes mine is added after the last open chat (above finished ones); a finished chat (closed,
// or no longer assigned to me) stays in its place, greyed, until the agent clears finished chats.

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
        UnreadRole,       // int: shopper messages not seen yet
        StatusRole,       // wire name: automated, agent, closed
        PreviewRole,      // the last text message, "You: …" for mine
        LastActivityRole, // QDateTime (UTC)
        TitleRole,        // the shopper's label (shopperLabel)
        FreshRole,        // bool: became mine in this session and not opened yet
        StateRole,        // "open" (mine), "closed", "elsewhere" (no longer assigned to me)
        PageRole,         // the page the shopper is on ("" when unknown)
        AttentionRole,    // int: what the row adds to the window title's count
        DetailRole,       // the shopper with what else is known, for tooltips
    };
    enum class State { Open, Closed, Elsewhere };

    explicit MyConversationsModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Whose list this is: rows assigned to someone else are "elsewhere".
    void setMyAgentId(const std::string& agentId) { m_me = agentId; }

    // A REST snapshot of the open conversations assigned to me. New ones are added (oldest request
    // first), known ones updated in place. Returns the open rows the snapshot no longer lists:
    // their new state is unknown here (the caller asks the server).
    std::vector<QString> setConversations(const std::vector<protocol::Conversation>& conversations);
    // Inserts or updates in place. True when the conversation is now open and mine and was not
    // before: a new row, or one that came back to me.
    bool upsert(const protocol::Conversation& conversation);
    void remove(const QString& conversationId);
    void clear();
    // Takes closed and no-longer-mine rows out (the agent asked for it). How many went.
    int removeFinished();

    // A message of a listed conversation: preview and last activity. Never moves the row.
    void noteMessage(const protocol::Message& message);
    void addUnread(const QString& conversationId);
    void setFresh(const QString& conversationId, bool fresh);
    void markRead(const QString& conversationId); // unread 0 and no longer fresh

    int rowOf(const QString& conversationId) const;
    bool contains(const QString& conversationId) const { return rowOf(conversationId) >= 0; }
    const protocol::Conversation& at(int row) const { return m_items.at(std::size_t(row)).conversation; }
    State state(int row) const;
    int unread(const QString& conversationId) const;
    bool isFresh(const QString& conversationId) const;
    int totalUnread() const;
    // For the window title and tray: unread messages, and 1 for a fresh chat without any, of the
    // open chats that are mine.
    int totalAttention() const;
    std::vector<QString> openIds() const; // open and mine, in list order

private:
    struct Item {
        protocol::Conversation conversation;
        int unread = 0;
        bool fresh = false;
        QString preview;
        QDateTime lastActivity;
        qint64 lastSeq = 0;    // the newest message noted
        qint64 previewSeq = 0; // the message the preview shows
    };
    State stateOf(const protocol::Conversation& c) const;
    int attention(const Item& it) const;
    void changed(int row);

    std::vector<Item> m_items;
    std::string m_me;
};

} // namespace parley::console
