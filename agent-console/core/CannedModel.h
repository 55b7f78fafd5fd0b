#pragma once
// Canned replies as the admin edits them, sorted by shortcut (the order agents find them in).

#include <parley/protocol/Types.h>

#include <QAbstractTableModel>

#include <vector>

namespace parley::console {

class CannedModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ShortcutColumn, TitleColumn, ColumnCount };
    enum Roles { IdRole = Qt::UserRole + 1, ShortcutRole, ContentRole };

    explicit CannedModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setReplies(const std::vector<protocol::CannedReply>& replies);
    // Inserts or replaces (by id) and keeps the list sorted: a renamed shortcut moves the row.
    void upsert(const protocol::CannedReply& reply);
    void remove(const QString& id);
    int rowOf(const QString& id) const;
    const protocol::CannedReply& at(int row) const { return m_replies.at(std::size_t(row)); }
    const std::vector<protocol::CannedReply>& replies() const { return m_replies; }

private:
    std::vector<protocol::CannedReply> m_replies;
};

} // namespace parley::console
