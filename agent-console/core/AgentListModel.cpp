#include "core/AgentListModel.h"

#include "core/Util.h"

#include <algorithm>

namespace parley::console {

AgentListModel::AgentListModel(QObject* parent)
    : QAbstractTableModel(parent) {}

int AgentListModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_agents.size());
}

bool AgentListModel::lessThan(const protocol::Agent& a, const protocol::Agent& b) const {
    const int byName = QString::localeAwareCompare(qs(a.username), qs(b.username));
    return byName != 0 ? byName < 0 : a.id < b.id;
}

int AgentListModel::sortedRow(const protocol::Agent& agent) const {
    return int(std::lower_bound(
                   m_agents.begin(), m_agents.end(), agent,
                   [this](const protocol::Agent& a, const protocol::Agent& b) { return lessThan(a, b); }) -
               m_agents.begin());
}

void AgentListModel::setAgents(const std::vector<protocol::Agent>& agents) {
    beginResetModel();
    m_agents = agents;
    std::sort(m_agents.begin(), m_agents.end(),
              [this](const protocol::Agent& a, const protocol::Agent& b) { return lessThan(a, b); });
    endResetModel();
}

int AgentListModel::rowOf(const QString& agentId) const {
    const std::string id = ss(agentId);
    for (std::size_t i = 0; i < m_agents.size(); ++i)
        if (m_agents[i].id == id)
            return int(i);
    return -1;
}

void AgentListModel::upsert(const protocol::Agent& agent) {
    const int row = rowOf(qs(agent.id));
    if (row >= 0) {
        if (m_agents[std::size_t(row)] == agent)
            return;
        // Take it out and put it back in its sorted place (presence changes move rows).
        beginRemoveRows(QModelIndex(), row, row);
        m_agents.erase(m_agents.begin() + row);
        endRemoveRows();
    }
    const int at = sortedRow(agent);
    beginInsertRows(QModelIndex(), at, at);
    m_agents.insert(m_agents.begin() + at, agent);
    endInsertRows();
}

void AgentListModel::remove(const QString& agentId) {
    const int row = rowOf(agentId);
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_agents.erase(m_agents.begin() + row);
    endRemoveRows();
}

QVariant AgentListModel::commonData(const protocol::Agent& a, int role) const {
    switch (role) {
    case AgentIdRole:
        return qs(a.id);
    case PresenceRole:
        return qsv(protocol::toString(a.presence));
    case RoleRole:
        return qsv(protocol::toString(a.role));
    case ActiveChatsRole:
        return a.activeChats;
    case MaxActiveChatsRole:
        return a.maxActiveChats;
    case DisplayNameRole:
        return qs(a.displayName);
    }
    return {};
}

// ---- TeamModel

TeamModel::TeamModel(QObject* parent)
    : AgentListModel(parent) {}

int TeamModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

bool TeamModel::lessThan(const protocol::Agent& a, const protocol::Agent& b) const {
    // Who can take chats matters most in the team panel: online first, then by name.
    if (a.presence != b.presence)
        return a.presence == protocol::Presence::Online;
    const int byName = QString::localeAwareCompare(qs(a.displayName), qs(b.displayName));
    return byName != 0 ? byName < 0 : a.id < b.id;
}

QVariant TeamModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& a = at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case NameColumn:
            return a.displayName.empty() ? qs(a.username) : qs(a.displayName);
        case PresenceColumn:
            return a.presence == protocol::Presence::Online ? QStringLiteral("online")
                                                            : QStringLiteral("offline");
        case LoadColumn:
            return QStringLiteral("%1 / %2").arg(a.activeChats).arg(a.maxActiveChats);
        }
        return {};
    }
    if (role == Qt::ToolTipRole)
        return QStringLiteral("%1 (%2), %3")
            .arg(qs(a.displayName), qs(a.username), qsv(protocol::toString(a.role)));
    if (role == Qt::TextAlignmentRole && index.column() == LoadColumn)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    return commonData(a, role);
}

QVariant TeamModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return AgentListModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return QStringLiteral("Agent");
    case PresenceColumn:
        return QStringLiteral("Presence");
    case LoadColumn:
        return QStringLiteral("Chats");
    }
    return {};
}

// ---- AgentsModel

AgentsModel::AgentsModel(QObject* parent)
    : AgentListModel(parent) {}

int AgentsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AgentsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& a = at(index.row());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case UsernameColumn:
            return qs(a.username);
        case DisplayNameColumn:
            return qs(a.displayName);
        case RoleColumn:
            return qsv(protocol::toString(a.role));
        case MaxChatsColumn:
            return a.maxActiveChats;
        case PresenceColumn:
            return qsv(protocol::toString(a.presence));
        case ActiveColumn:
            return a.activeChats;
        }
        return {};
    }
    return commonData(a, role);
}

QVariant AgentsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return AgentListModel::headerData(section, orientation, role);
    switch (section) {
    case UsernameColumn:
        return QStringLiteral("Username");
    case DisplayNameColumn:
        return QStringLiteral("Display name");
    case RoleColumn:
        return QStringLiteral("Role");
    case MaxChatsColumn:
        return QStringLiteral("Max chats");
    case PresenceColumn:
        return QStringLiteral("Presence");
    case ActiveColumn:
        return QStringLiteral("Active chats");
    }
    return {};
}

} // namespace parley::console
