#pragma once
// Agents as table models: TeamModel is the live team panel (presence and load), AgentsModel the
// admin's agent list. Both keep the same sorted store of protocol::Agent and differ in columns.

#include <parley/protocol/Types.h>

#include <QAbstractTableModel>

#include <vector>

namespace parley::console {

class AgentListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Roles {
        AgentIdRole = Qt::UserRole + 1,
        PresenceRole,    // wire name: online, offline
        RoleRole,        // wire name: agent, admin
        ActiveChatsRole, // int
        MaxActiveChatsRole,
        DisplayNameRole,
    };

    int rowCount(const QModelIndex& parent = {}) const override;

    void setAgents(const std::vector<protocol::Agent>& agents);
    void upsert(const protocol::Agent& agent);
    void remove(const QString& agentId);
    int rowOf(const QString& agentId) const;
    bool contains(const QString& agentId) const { return rowOf(agentId) >= 0; }
    const protocol::Agent& at(int row) const { return m_agents.at(std::size_t(row)); }
    const std::vector<protocol::Agent>& agents() const { return m_agents; }

protected:
    explicit AgentListModel(QObject* parent);
    // The custom roles every subclass shares; an invalid QVariant for any other role.
    QVariant commonData(const protocol::Agent& a, int role) const;
    virtual bool lessThan(const protocol::Agent& a, const protocol::Agent& b) const;

private:
    int sortedRow(const protocol::Agent& agent) const;
    std::vector<protocol::Agent> m_agents;
};

// The team panel: every agent, online ones first, with presence and "active / max" load.
class TeamModel : public AgentListModel {
    Q_OBJECT
public:
    enum Column { NameColumn, PresenceColumn, LoadColumn, ColumnCount };
    explicit TeamModel(QObject* parent = nullptr);
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    bool lessThan(const protocol::Agent& a, const protocol::Agent& b) const override;
};

// The admin's agents editor list.
class AgentsModel : public AgentListModel {
    Q_OBJECT
public:
    enum Column {
        UsernameColumn,
        DisplayNameColumn,
        RoleColumn,
        MaxChatsColumn,
        PresenceColumn,
        ActiveColumn,
        ColumnCount
    };
    explicit AgentsModel(QObject* parent = nullptr);
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
};

} // namespace parley::console
