#include "core/QueueModel.h"

#include "core/Shopper.h"
#include "core/Util.h"

#include <algorithm>

namespace parley::console {
namespace {

// Oldest request first; the id breaks ties so the order is stable.
bool queueLess(const protocol::Conversation& a, const protocol::Conversation& b) {
    const std::string ra = a.requestedAgentAt.value_or(a.updatedAt);
    const std::string rb = b.requestedAgentAt.value_or(b.updatedAt);
    const QDateTime ta = parseTime(ra), tb = parseTime(rb);
    if (ta != tb)
        return ta < tb;
    return a.id < b.id;
}

} // namespace

QueueModel::QueueModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_now([] { return QDateTime::currentDateTimeUtc(); }) {
    m_tick.setInterval(1000);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        if (!m_items.empty())
            emit dataChanged(index(0, WaitingColumn), index(rowCount() - 1, WaitingColumn),
                             {Qt::DisplayRole, WaitingSecondsRole});
    });
    m_tick.start();
}

int QueueModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_items.size());
}
int QueueModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

qint64 QueueModel::waitingSeconds(int row) const {
    const auto& c = at(row);
    const QDateTime since = parseTime(c.requestedAgentAt.value_or(c.createdAt));
    return since.isValid() ? std::max<qint64>(0, since.secsTo(m_now())) : 0;
}

QVariant QueueModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& c = at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case PositionColumn:
            return c.queuePosition.value_or(index.row() + 1); // kept equal to row + 1 by renumber()
        case CustomerColumn:
            return shopperLabel(c);
        case WaitingColumn:
            return formatDuration(waitingSeconds(index.row()));
        case PageColumn:
            return pageLabel(c);
        }
        return {};
    case Qt::ToolTipRole: {
        QString tip = QStringLiteral("%1\nwaiting since %2")
                          .arg(shopperDetail(c),
                               parseTime(c.requestedAgentAt.value_or(c.createdAt)).toLocalTime().toString());
        if (const QUrl url = pageUrl(c); url.isValid())
            tip += QStringLiteral("\non %1").arg(url.toString());
        return QString(tip + QStringLiteral("\nDouble-click to watch."));
    }
    case Qt::TextAlignmentRole:
        return index.column() == CustomerColumn || index.column() == PageColumn
                   ? QVariant()
                   : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    case ConversationIdRole:
        return qs(c.id);
    case WaitingSecondsRole:
        return waitingSeconds(index.row());
    case RequestedAtRole:
        return parseTime(c.requestedAgentAt.value_or(c.createdAt));
    }
    return {};
}

QVariant QueueModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PositionColumn:
        return QStringLiteral("#");
    case CustomerColumn:
        return QStringLiteral("Shopper");
    case WaitingColumn:
        return QStringLiteral("Waiting");
    case PageColumn:
        return QStringLiteral("Page");
    }
    return {};
}

void QueueModel::setConversations(const std::vector<protocol::Conversation>& conversations) {
    beginResetModel();
    m_items.clear();
    for (const auto& c : conversations)
        if (c.isQueued())
            m_items.push_back(c);
    std::sort(m_items.begin(), m_items.end(), queueLess);
    for (std::size_t i = 0; i < m_items.size(); ++i)
        m_items[i].queuePosition = int(i) + 1;
    endResetModel();
}

void QueueModel::renumber() {
    int first = -1, last = -1;
    for (std::size_t i = 0; i < m_items.size(); ++i) {
        if (m_items[i].queuePosition != int(i) + 1) {
            m_items[i].queuePosition = int(i) + 1;
            if (first < 0)
                first = int(i);
            last = int(i);
        }
    }
    if (first >= 0)
        emit dataChanged(index(first, PositionColumn), index(last, PositionColumn), {Qt::DisplayRole});
}

int QueueModel::rowOf(const QString& conversationId) const {
    const std::string id = ss(conversationId);
    for (std::size_t i = 0; i < m_items.size(); ++i)
        if (m_items[i].id == id)
            return int(i);
    return -1;
}

int QueueModel::insertPosition(const protocol::Conversation& c) const {
    return int(std::upper_bound(m_items.begin(), m_items.end(), c, queueLess) - m_items.begin());
}

void QueueModel::remove(const QString& conversationId) {
    const int row = rowOf(conversationId);
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_items.erase(m_items.begin() + row);
    endRemoveRows();
    renumber(); // everyone behind moved up one place
}

void QueueModel::apply(const protocol::Conversation& c) {
    if (!c.isQueued()) {
        remove(qs(c.id));
        return;
    }
    const int row = rowOf(qs(c.id));
    if (row >= 0) {
        const bool stays = (row == 0 || !queueLess(c, m_items[std::size_t(row - 1)])) &&
                           (row + 1 >= rowCount() || !queueLess(m_items[std::size_t(row + 1)], c));
        if (stays) {
            m_items[std::size_t(row)] = c;
            m_items[std::size_t(row)].queuePosition = row + 1;
            emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
            return;
        }
        // The requested time moved: remove and re-insert keeps the order right.
        beginRemoveRows(QModelIndex(), row, row);
        m_items.erase(m_items.begin() + row);
        endRemoveRows();
    }
    const int at = insertPosition(c);
    beginInsertRows(QModelIndex(), at, at);
    m_items.insert(m_items.begin() + at, c);
    m_items[std::size_t(at)].queuePosition = at + 1;
    endInsertRows();
    renumber(); // everyone behind moved down one place
}

} // namespace parley::console
