#include "core/TeamChatsModel.h"

#include "core/AgentListModel.h"
#include "core/Shopper.h"
#include "core/Util.h"

namespace parley::console {

TeamChatsModel::TeamChatsModel(const AgentListModel* agents, QObject* parent)
    : QAbstractTableModel(parent)
    , m_agents(agents) {
    // Names and presence change: the agent column follows.
    auto names = [this] {
        if (!m_items.empty())
            emit dataChanged(index(0, AgentColumn), index(rowCount() - 1, AgentColumn));
    };
    connect(agents, &QAbstractItemModel::modelReset, this, names);
    connect(agents, &QAbstractItemModel::rowsInserted, this, names);
}

int TeamChatsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_items.size());
}

int TeamChatsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString TeamChatsModel::agentName(const std::string& agentId) const {
    const int row = m_agents->rowOf(qs(agentId));
    if (row < 0)
        return QStringLiteral("an agent");
    const auto& a = m_agents->at(row);
    return a.displayName.empty() ? qs(a.username) : qs(a.displayName);
}

QVariant TeamChatsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& c = at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ShopperColumn:
            return shopperLabel(c);
        case AgentColumn:
            return agentName(c.assignedAgentId.value_or(std::string()));
        case PageColumn:
            return pageLabel(c);
        }
        return {};
    case Qt::ToolTipRole:
        return QStringLiteral("%1 with %2\nClick to watch.")
            .arg(shopperDetail(c), agentName(c.assignedAgentId.value_or(std::string())));
    case ConversationIdRole:
        return qs(c.id);
    case AgentIdRole:
        return qs(c.assignedAgentId.value_or(std::string()));
    }
    return {};
}

QVariant TeamChatsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ShopperColumn:
        return QStringLiteral("Shopper");
    case AgentColumn:
        return QStringLiteral("With");
    case PageColumn:
        return QStringLiteral("Page");
    }
    return {};
}

int TeamChatsModel::rowOf(const QString& conversationId) const {
    const std::string id = ss(conversationId);
    for (std::size_t i = 0; i < m_items.size(); ++i)
        if (m_items[i].id == id)
            return int(i);
    return -1;
}

int TeamChatsModel::countFor(const QString& agentId) const {
    const std::string id = ss(agentId);
    int n = 0;
    for (const auto& c : m_items)
        n += c.assignedAgentId && *c.assignedAgentId == id ? 1 : 0;
    return n;
}

void TeamChatsModel::apply(const protocol::Conversation& c) {
    const bool listed = c.status == protocol::ConversationStatus::Agent && c.assignedAgentId.has_value();
    const int row = rowOf(qs(c.id));
    if (row >= 0 && listed) {
        m_items[std::size_t(row)] = c;
        emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    } else if (row >= 0) {
        beginRemoveRows(QModelIndex(), row, row);
        m_items.erase(m_items.begin() + row);
        endRemoveRows();
    } else if (listed) {
        // Appended: rows a supervisor is about to click do not move.
        beginInsertRows(QModelIndex(), rowCount(), rowCount());
        m_items.push_back(c);
        endInsertRows();
    }
}

void TeamChatsModel::clear() {
    if (m_items.empty())
        return;
    beginResetModel();
    m_items.clear();
    endResetModel();
}

} // namespace parley::console
