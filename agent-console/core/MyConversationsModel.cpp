#include "core/MyConversationsModel.h"

#include "core/Util.h"

#include <algorithm>

namespace parley::console {

MyConversationsModel::MyConversationsModel(QObject* parent)
    : QAbstractListModel(parent) {}

bool MyConversationsModel::newerFirst(const Item& a, const Item& b) {
    if (a.lastActivity != b.lastActivity)
        return a.lastActivity > b.lastActivity;
    if (a.seenOrder != b.seenOrder)
        return a.seenOrder > b.seenOrder;
    return a.conversation.id < b.conversation.id;
}

int MyConversationsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant MyConversationsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Item& it = m_items[std::size_t(index.row())];
    const auto& c = it.conversation;
    const QString title = QStringLiteral("Customer %1").arg(shortId(c.customerSessionId));
    switch (role) {
    case Qt::DisplayRole: {
        QString text = title;
        if (it.unread > 0)
            text += QStringLiteral("  (%1)").arg(it.unread);
        if (c.status == protocol::ConversationStatus::Closed)
            text += QStringLiteral("  [closed]");
        if (!it.preview.isEmpty()) {
            QString preview = it.preview.simplified();
            if (preview.size() > 48)
                preview = preview.left(47) + QChar(0x2026);
            text += QLatin1Char('\n') + preview;
        }
        return text;
    }
    case Qt::ToolTipRole:
        return QStringLiteral("Conversation %1").arg(qs(c.id));
    case ConversationIdRole:
        return qs(c.id);
    case UnreadRole:
        return it.unread;
    case StatusRole:
        return qsv(protocol::toString(c.status));
    case PreviewRole:
        return it.preview;
    case LastActivityRole:
        return it.lastActivity;
    case TitleRole:
        return title;
    }
    return {};
}

QHash<int, QByteArray> MyConversationsModel::roleNames() const {
    auto names = QAbstractListModel::roleNames();
    names.insert(ConversationIdRole, "conversationId");
    names.insert(UnreadRole, "unread");
    names.insert(StatusRole, "status");
    names.insert(PreviewRole, "preview");
    names.insert(LastActivityRole, "lastActivity");
    names.insert(TitleRole, "title");
    return names;
}

int MyConversationsModel::rowOf(const QString& conversationId) const {
    const std::string id = ss(conversationId);
    for (std::size_t i = 0; i < m_items.size(); ++i)
        if (m_items[i].conversation.id == id)
            return int(i);
    return -1;
}

int MyConversationsModel::unread(const QString& conversationId) const {
    const int row = rowOf(conversationId);
    return row < 0 ? 0 : m_items[std::size_t(row)].unread;
}

int MyConversationsModel::totalUnread() const {
    int n = 0;
    for (const auto& it : m_items)
        n += it.unread;
    return n;
}

void MyConversationsModel::reposition(int row) {
    Item item = m_items[std::size_t(row)];
    std::vector<Item> others = m_items;
    others.erase(others.begin() + row);
    const int to = int(std::lower_bound(others.begin(), others.end(), item, newerFirst) - others.begin());
    if (to == row) {
        emit dataChanged(index(row), index(row));
        return;
    }
    // Qt's destination is in pre-move coordinates: moving down means "before row to + 1".
    beginMoveRows(QModelIndex(), row, row, QModelIndex(), to > row ? to + 1 : to);
    m_items.erase(m_items.begin() + row);
    m_items.insert(m_items.begin() + to, item);
    endMoveRows();
    emit dataChanged(index(to), index(to));
}

bool MyConversationsModel::upsert(const protocol::Conversation& c) {
    const int row = rowOf(qs(c.id));
    if (row >= 0) {
        Item& it = m_items[std::size_t(row)];
        it.conversation = c;
        emit dataChanged(index(row), index(row));
        return false;
    }
    Item item;
    item.conversation = c;
    item.lastActivity = parseTime(c.requestedAgentAt.value_or(c.updatedAt));
    item.seenOrder = ++m_seen;
    const int at = int(std::lower_bound(m_items.begin(), m_items.end(), item, newerFirst) - m_items.begin());
    beginInsertRows(QModelIndex(), at, at);
    m_items.insert(m_items.begin() + at, item);
    endInsertRows();
    return true;
}

void MyConversationsModel::remove(const QString& conversationId) {
    const int row = rowOf(conversationId);
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_items.erase(m_items.begin() + row);
    endRemoveRows();
}

void MyConversationsModel::setConversations(const std::vector<protocol::Conversation>& conversations) {
    std::vector<QString> keep;
    for (const auto& c : conversations) {
        upsert(c);
        keep.push_back(qs(c.id));
    }
    for (int row = rowCount() - 1; row >= 0; --row) {
        const auto& c = m_items[std::size_t(row)].conversation;
        if (c.status != protocol::ConversationStatus::Closed &&
            std::find(keep.begin(), keep.end(), qs(c.id)) == keep.end())
            remove(qs(c.id));
    }
}

bool MyConversationsModel::noteMessage(const protocol::Message& m, bool inFront) {
    const int row = rowOf(qs(m.conversationId));
    if (row < 0)
        return false;
    Item& it = m_items[std::size_t(row)];
    bool counted = false;
    // Replays of older messages (history loads) must not move the preview backwards.
    if (m.seq > it.lastSeq) {
        it.lastSeq = m.seq;
        it.preview = qs(m.content);
        const QDateTime t = parseTime(m.createdAt);
        if (t.isValid() && (!it.lastActivity.isValid() || t >= it.lastActivity)) {
            it.lastActivity = t;
            it.seenOrder = ++m_seen;
        }
        if (!inFront && m.senderType == protocol::SenderType::Customer) {
            ++it.unread;
            counted = true;
        }
    }
    reposition(row);
    return counted;
}

void MyConversationsModel::markRead(const QString& conversationId) {
    const int row = rowOf(conversationId);
    if (row < 0 || m_items[std::size_t(row)].unread == 0)
        return;
    m_items[std::size_t(row)].unread = 0;
    emit dataChanged(index(row), index(row), {Qt::DisplayRole, UnreadRole});
}

} // namespace parley::console
