#include "core/CannedModel.h"

#include "core/Util.h"

#include <algorithm>

namespace parley::console {
namespace {

bool byShortcut(const protocol::CannedReply& a, const protocol::CannedReply& b) {
    return a.shortcut != b.shortcut ? a.shortcut < b.shortcut : a.id < b.id;
}

} // namespace

CannedModel::CannedModel(QObject* parent)
    : QAbstractTableModel(parent) {}

int CannedModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_replies.size());
}
int CannedModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CannedModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& r = at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case ShortcutColumn:
            return QString(QLatin1Char('/') + qs(r.shortcut));
        case TitleColumn:
            return qs(r.title);
        }
        return {};
    case Qt::ToolTipRole:
    case ContentRole:
        return qs(r.content);
    case IdRole:
        return qs(r.id);
    case ShortcutRole:
        return qs(r.shortcut);
    }
    return {};
}

QVariant CannedModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ShortcutColumn:
        return QStringLiteral("Shortcut");
    case TitleColumn:
        return QStringLiteral("Title");
    }
    return {};
}

void CannedModel::setReplies(const std::vector<protocol::CannedReply>& replies) {
    beginResetModel();
    m_replies = replies;
    std::sort(m_replies.begin(), m_replies.end(), byShortcut);
    endResetModel();
}

int CannedModel::rowOf(const QString& id) const {
    const std::string s = ss(id);
    for (std::size_t i = 0; i < m_replies.size(); ++i)
        if (m_replies[i].id == s)
            return int(i);
    return -1;
}

void CannedModel::upsert(const protocol::CannedReply& reply) {
    const int row = rowOf(qs(reply.id));
    if (row >= 0) {
        beginRemoveRows(QModelIndex(), row, row);
        m_replies.erase(m_replies.begin() + row);
        endRemoveRows();
    }
    const int at =
        int(std::lower_bound(m_replies.begin(), m_replies.end(), reply, byShortcut) - m_replies.begin());
    beginInsertRows(QModelIndex(), at, at);
    m_replies.insert(m_replies.begin() + at, reply);
    endInsertRows();
}

void CannedModel::remove(const QString& id) {
    const int row = rowOf(id);
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_replies.erase(m_replies.begin() + row);
    endRemoveRows();
}

} // namespace parley::console
