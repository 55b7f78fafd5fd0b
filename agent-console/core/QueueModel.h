#pragma once
// Conversations waiting for an agent, oldest request first, with their waiting time and the page
// the shopper is on. A one-second tick refreshes the "Waiting" column locally; the queue itself
// changes on server events (every connected agent gets them, online or not) and on the REST
// snapshot taken after each (re)connect.

#include <parley/protocol/Types.h>

#include <QAbstractTableModel>
#include <QDateTime>
#include <QTimer>

#include <functional>
#include <vector>

namespace parley::console {

class QueueModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { PositionColumn, CustomerColumn, WaitingColumn, PageColumn, ColumnCount };
    enum Roles {
        ConversationIdRole = Qt::UserRole + 1,
        WaitingSecondsRole,
        RequestedAtRole,
    };

    explicit QueueModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // Replaces the whole queue (a REST snapshot).
    void setConversations(const std::vector<protocol::Conversation>& conversations);
    // Applies one conversation's new state: queued ones are inserted or updated, others leave.
    void apply(const protocol::Conversation& conversation);
    void remove(const QString& conversationId);
    bool contains(const QString& conversationId) const { return rowOf(conversationId) >= 0; }
    int rowOf(const QString& conversationId) const;
    const protocol::Conversation& at(int row) const { return m_items.at(std::size_t(row)); }

    // For tests: what "now" is when computing waiting times.
    void setClock(std::function<QDateTime()> now) { m_now = std::move(now); }
    qint64 waitingSeconds(int row) const;

private:
    void sortAndReset();
    // The model is the whole queue in order, so a row's place is row + 1. The server's
    // queue_position would go stale whenever someone ahead leaves (and offline agents are not told
    // about position changes at all): keep it equal to the row, telling views after each change.
    void renumber();
    int insertPosition(const protocol::Conversation& c) const;

    std::vector<protocol::Conversation> m_items;
    std::function<QDateTime()> m_now;
    QTimer m_tick;
};

} // namespace parley::console
