#include "core/FaqModel.h"

#include "core/Util.h"

#include <algorithm>

namespace parley::console {
namespace {

bool byOrder(const protocol::FaqEntry& a, const protocol::FaqEntry& b) {
    return a.displayOrder != b.displayOrder ? a.displayOrder < b.displayOrder : a.slug < b.slug;
}

} // namespace

FaqModel::FaqModel(QObject* parent)
    : QAbstractTableModel(parent) {}

int FaqModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_entries.size());
}
int FaqModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FaqModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& e = at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case OrderColumn:
            return e.displayOrder;
        case SlugColumn:
            return qs(e.slug);
        case QuestionColumn:
            return qs(e.question);
        case ActiveColumn:
            return e.isActive ? QStringLiteral("active") : QStringLiteral("inactive");
        }
        return {};
    case Qt::ToolTipRole:
        return qs(e.answer);
    case SlugRole:
        return qs(e.slug);
    case ActiveRole:
        return e.isActive;
    case AnswerRole:
        return qs(e.answer);
    case KeywordsRole:
        return qs(e.keywords);
    }
    return {};
}

QVariant FaqModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case OrderColumn:
        return QStringLiteral("Order");
    case SlugColumn:
        return QStringLiteral("Slug");
    case QuestionColumn:
        return QStringLiteral("Question");
    case ActiveColumn:
        return QStringLiteral("Status");
    }
    return {};
}

void FaqModel::setEntries(const std::vector<protocol::FaqEntry>& entries) {
    beginResetModel();
    m_entries = entries;
    std::sort(m_entries.begin(), m_entries.end(), byOrder);
    endResetModel();
}

int FaqModel::rowOf(const QString& slug) const {
    const std::string s = ss(slug);
    for (std::size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].slug == s)
            return int(i);
    return -1;
}

void FaqModel::upsert(const protocol::FaqEntry& entry) {
    const int row = rowOf(qs(entry.slug));
    if (row >= 0) {
        beginRemoveRows(QModelIndex(), row, row);
        m_entries.erase(m_entries.begin() + row);
        endRemoveRows();
    }
    const int at =
        int(std::lower_bound(m_entries.begin(), m_entries.end(), entry, byOrder) - m_entries.begin());
    beginInsertRows(QModelIndex(), at, at);
    m_entries.insert(m_entries.begin() + at, entry);
    endInsertRows();
}

void FaqModel::remove(const QString& slug) {
    const int row = rowOf(slug);
    if (row < 0)
        return;
    beginRemoveRows(QModelIndex(), row, row);
    m_entries.erase(m_entries.begin() + row);
    endRemoveRows();
}

int FaqModel::nextDisplayOrder() const {
    int next = 0;
    for (const auto& e : m_entries)
        next = std::max(next, e.displayOrder + 1);
    return next;
}

} // namespace parley::console
