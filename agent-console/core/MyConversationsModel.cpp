#include "core/MyConversationsModel.h"

#include "core/Shopper.h"
#include "core/Util.h"

#include <algorithm>

namespace parley::console {

MyConversationsModel::MyConversationsModel(QObject* parent)
    : QAbstractListModel(parent) {}

int MyConversationsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_items.size());
}

MyConversationsModel::State MyConversationsModel::stateOf(const protocol::Conversation& c) const {
    if (c.status == protocol::ConversationStatus::Closed)
        return State::Closed;
    if (c.status == protocol::ConversationStatus::Agent && c.assignedAgentId && *c.assignedAgentId == m_me)
        return State::Open;
    return State::Elsewhere;
}

MyConversationsModel::State MyConversationsModel::state(int row) const {
    return stateOf(at(row));
}

int MyConversationsModel::attention(const Item& it) const {
    if (it.unread > 0)
        return it.unread;
    return it.fresh && stateOf(it.conversation) == State::Open ? 1 : 0;
}

QVariant MyConversationsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Item& it = m_items[std::size_t(index.row())];
    const auto& c = it.conversation;
    const State st = stateOf(c);
    switch (role) {
    case Qt::DisplayRole: {
        // Plain text for accessibility and copying; the list's delegate draws the rows itself.
        QString text = shopperLabel(c);
        if (it.unread > 0)
            text += QStringLiteral("  (%1)").arg(it.unread);
        else if (it.fresh && st == State::Open)
            text += QStringLiteral("  (new)");
        if (st == State::Closed)
            text += QStringLiteral("  [closed]");
        else if (st == State::Elsewhere)
            text += QStringLiteral("  [no longer yours]");
        if (!it.preview.isEmpty())
            text += QLatin1Char('\n') + it.preview.simplified();
        return text;
    }
    case Qt::ToolTipRole: {
        QString tip = shopperDetail(c);
        const QString page = pageLabel(c);
        if (!page.isEmpty())
            tip += QStringLiteral("\non %1").arg(page);
        return tip;
    }
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
        return shopperLabel(c);
    case FreshRole:
        return it.fresh && st == State::Open;
    case StateRole:
        return st == State::Open
                   ? QStringLiteral("open")
                   : (st == State::Closed ? QStringLiteral("closed") : QStringLiteral("elsewhere"));
    case PageRole:
        return pageLabel(c);
    case AttentionRole:
        return attention(it);
    case DetailRole:
        return shopperDetail(c);
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
    names.insert(FreshRole, "fresh");
    names.insert(StateRole, "state");
    names.insert(PageRole, "page");
    names.insert(AttentionRole, "attention");
    names.insert(DetailRole, "detail");
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

bool MyConversationsModel::isFresh(const QString& conversationId) const {
    const int row = rowOf(conversationId);
    return row >= 0 && m_items[std::size_t(row)].fresh;
}

int MyConversationsModel::totalUnread() const {
    int n = 0;
    for (const auto& it : m_items)
        n += it.unread;
    return n;
}

int MyConversationsModel::totalAttention() const {
    int n = 0;
    // Only chats the agent can still answer: a closed one, or one now with someone else, waits
    // for nobody (its row keeps its own mark until cleared).
    for (const auto& it : m_items)
        if (stateOf(it.conversation) == State::Open)
            n += attention(it);
    return n;
}

std::vector<QString> MyConversationsModel::openIds() const {
    std::vector<QString> ids;
    for (const auto& it : m_items)
        if (stateOf(it.conversation) == State::Open)
            ids.push_back(qs(it.conversation.id));
    return ids;
}

void MyConversationsModel::changed(int row) {
    emit dataChanged(index(row), index(row));
}

bool MyConversationsModel::upsert(const protocol::Conversation& c) {
    const bool openNow = stateOf(c) == State::Open;
    const int row = rowOf(qs(c.id));
    if (row >= 0) {
        Item& it = m_items[std::size_t(row)];
        const bool wasOpen = stateOf(it.conversation) == State::Open;
        it.conversation = c;
        changed(row);
        return openNow && !wasOpen;
    }
    Item item;
    item.conversation = c;
    item.lastActivity = parseTime(c.requestedAgentAt.value_or(c.updatedAt));
    // After the last open chat: existing open rows keep their places, and an arrival is never
    // buried below finished chats.
    int at = int(m_items.size());
    if (openNow) {
        at = 0;
        for (std::size_t i = 0; i < m_items.size(); ++i)
            if (stateOf(m_items[i].conversation) == State::Open)
                at = int(i) + 1;
    }
    beginInsertRows(QModelIndex(), at, at);
    m_items.insert(m_items.begin() + at, std::move(item));
    endInsertRows();
    return openNow;
}

void MyConversationsModel::remove(const QString& conversationId) {
    const int row = rowOf(conversationId);
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_items.erase(m_items.begin() + row);
    endRemoveRows();
}

void MyConversationsModel::clear() {
    if (m_items.empty())
        return;
    beginResetModel();
    m_items.clear();
    endResetModel();
}

int MyConversationsModel::removeFinished() {
    int removed = 0;
    for (int row = rowCount() - 1; row >= 0; --row) {
        if (stateOf(m_items[std::size_t(row)].conversation) == State::Open)
            continue;
        beginRemoveRows(QModelIndex(), row, row);
        m_items.erase(m_items.begin() + row);
        endRemoveRows();
        ++removed;
    }
    return removed;
}

std::vector<QString>
MyConversationsModel::setConversations(const std::vector<protocol::Conversation>& conversations) {
    std::vector<protocol::Conversation> fresh;
    for (const auto& c : conversations) {
        if (contains(qs(c.id)))
            upsert(c);
        else
            fresh.push_back(c);
    }
    // Several unknown ones at once (the first snapshot): the longest waiting first.
    std::stable_sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) {
        return parseTime(a.requestedAgentAt.value_or(a.createdAt)) <
               parseTime(b.requestedAgentAt.value_or(b.createdAt));
    });
    for (const auto& c : fresh)
        upsert(c);
    std::vector<QString> gone;
    for (const auto& it : m_items) {
        if (stateOf(it.conversation) != State::Open)
            continue;
        const bool listed = std::any_of(conversations.begin(), conversations.end(),
                                        [&](const auto& c) { return c.id == it.conversation.id; });
        if (!listed)
            gone.push_back(qs(it.conversation.id));
    }
    return gone;
}

void MyConversationsModel::noteMessage(const protocol::Message& m) {
    const int row = rowOf(qs(m.conversationId));
    if (row < 0)
        return;
    Item& it = m_items[std::size_t(row)];
    bool touched = false;
    if (m.seq > it.lastSeq) {
        it.lastSeq = m.seq;
        const QDateTime t = parseTime(m.createdAt);
        if (t.isValid() && (!it.lastActivity.isValid() || t > it.lastActivity))
            it.lastActivity = t;
        touched = true;
    }
    // The preview keeps the newest words of a person (or the bot): "X joined the conversation"
    // says nothing about what the shopper wants. It is judged apart from the newest seq, because
    // a history can arrive after a newer system message came live.
    if (m.senderType != protocol::SenderType::System && m.seq > it.previewSeq) {
        it.previewSeq = m.seq;
        switch (m.senderType) {
        case protocol::SenderType::Customer:
            it.preview = qs(m.content);
            break;
        case protocol::SenderType::Bot:
            it.preview = QStringLiteral("Bot: ") + qs(m.content);
            break;
        case protocol::SenderType::Agent:
            it.preview = (m.senderAgentId && *m.senderAgentId == m_me ? QStringLiteral("You: ")
                                                                      : QStringLiteral("Agent: ")) +
                         qs(m.content);
            break;
        case protocol::SenderType::System:
            break;
        }
        touched = true;
    }
    if (touched)
        changed(row);
}

void MyConversationsModel::addUnread(const QString& conversationId) {
    const int row = rowOf(conversationId);
    if (row < 0)
        return;
    ++m_items[std::size_t(row)].unread;
    changed(row);
}

void MyConversationsModel::setFresh(const QString& conversationId, bool fresh) {
    const int row = rowOf(conversationId);
    if (row < 0 || m_items[std::size_t(row)].fresh == fresh)
        return;
    m_items[std::size_t(row)].fresh = fresh;
    changed(row);
}

void MyConversationsModel::markRead(const QString& conversationId) {
    const int row = rowOf(conversationId);
    if (row < 0)
        return;
    Item& it = m_items[std::size_t(row)];
    if (it.unread == 0 && !it.fresh)
        return;
    it.unread = 0;
    it.fresh = false;
    changed(row);
}

} // namespace parley::console
