#pragma once
// FAQ entries (all of them, inactive too, as the admin sees them) in display order.

#include <parley/protocol/Types.h>

#include <QAbstractTableModel>

#include <vector>

namespace parley::console {

class FaqModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { OrderColumn, SlugColumn, QuestionColumn, ActiveColumn, ColumnCount };
    enum Roles { SlugRole = Qt::UserRole + 1, ActiveRole, AnswerRole, KeywordsRole };

    explicit FaqModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void setEntries(const std::vector<protocol::FaqEntry>& entries);
    void upsert(const protocol::FaqEntry& entry);
    void remove(const QString& slug);
    int rowOf(const QString& slug) const;
    const protocol::FaqEntry& at(int row) const { return m_entries.at(std::size_t(row)); }
    const std::vector<protocol::FaqEntry>& entries() const { return m_entries; }
    // The display_order for a new entry: after every existing one.
    int nextDisplayOrder() const;

private:
    std::vector<protocol::FaqEntry> m_entries;
};

} // namespace parley::console
