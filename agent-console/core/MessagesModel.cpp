#include "core/MessagesModel.h"

#include "core/Util.h"

#include <algorithm>

namespace parley::console {

MessagesModel::MessagesModel(const QString& conversationId, QObject* parent)
    : QAbstractListModel(parent)
    , m_conversationId(conversationId) {}

int MessagesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_messages.size());
}

QVariant MessagesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() < 0 || index.row() >= rowCount())
        return {};
    const auto& m = at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        return qs(m.content);
    case SeqRole:
        return QVariant::fromValue(qint64(m.seq));
    case SenderTypeRole:
        return qsv(protocol::toString(m.senderType));
    case KindRole:
        return qsv(protocol::toString(m.kind));
    case CreatedAtRole:
        return parseTime(m.createdAt);
    case SenderAgentIdRole:
        return m.senderAgentId ? qs(*m.senderAgentId) : QString();
    case MessageIdRole:
        return qs(m.id);
    default:
        return {};
    }
}

QHash<int, QByteArray> MessagesModel::roleNames() const {
    auto names = QAbstractListModel::roleNames();
    names.insert(SeqRole, "seq");
    names.insert(SenderTypeRole, "senderType");
    names.insert(KindRole, "kind");
    names.insert(CreatedAtRole, "createdAt");
    names.insert(SenderAgentIdRole, "senderAgentId");
    names.insert(MessageIdRole, "messageId");
    return names;
}

bool MessagesModel::addMessage(const protocol::Message& message) {
    auto it = std::lower_bound(m_messages.begin(), m_messages.end(), message.seq,
                               [](const protocol::Message& m, qint64 seq) { return m.seq < seq; });
    if (it != m_messages.end() && it->seq == message.seq)
        return false;
    const int row = int(it - m_messages.begin());
    beginInsertRows(QModelIndex(), row, row);
    m_messages.insert(it, message);
    endInsertRows();
    return true;
}

int MessagesModel::addMessages(const std::vector<protocol::Message>& messages) {
    int added = 0;
    for (const auto& m : messages)
        added += addMessage(m) ? 1 : 0;
    return added;
}

void MessagesModel::clear() {
    beginResetModel();
    m_messages.clear();
    m_loaded = false;
    endResetModel();
}

} // namespace parley::console
