#pragma once
// The open chats of the whole team that this console knows of, with the agent who has each: what
// a supervisor picks from to watch a chat (and, as an admin, to close it). The server has no call
// that lists other agents' chats, so the model is fed by what the console sees: the events of
// conversations leaving the queue (every online agent gets them), snapshots, and chats it opens.
// Chats assigned before the console connected are not known until one of those mentions them.

#include <parley/protocol/Types.h>

#include <QAbstractTableModel>

#include <vector>

namespace parley::console {

class AgentListModel;

class TeamChatsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ShopperColumn, AgentColumn, PageColumn, ColumnCount };
    enum Roles {
        ConversationIdRole = Qt::UserRole + 1,
        AgentIdRole,
    };

    // Agent names come from `agents` (the team), followed live.
    explicit TeamChatsModel(const AgentListModel* agents, QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // A conversation's new state: open and assigned ones are listed, others leave.
    void apply(const protocol::Conversation& conversation);
    void clear();
    int rowOf(const QString& conversationId) const;
    bool contains(const QString& conversationId) const { return rowOf(conversationId) >= 0; }
    const protocol::Conversation& at(int row) const { return m_items.at(std::size_t(row)); }
    int countFor(const QString& agentId) const;

private:
    QString agentName(const std::string& agentId) const;

    const AgentListModel* m_agents;
    std::vector<protocol::Conversation> m_items;
};

} // namespace parley::console
