#pragma once
// The history of one conversation, ordered by seq. Adding a message twice (the REST history and
// a realtime event, or a replay after resume) is a no-op: seq is the identity within a conversation.

#include <parley/protocol/Types.h>

#include <QAbstractListModel>

#include <vector>

namespace parley::console {

class MessagesModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Roles {
        SeqRole = Qt::UserRole + 1,
        SenderTypeRole, // wire name: customer, bot, agent, system
        KindRole,       // wire name: text, quick_reply, event
        CreatedAtRole,  // QDateTime (UTC)
        SenderAgentIdRole,
        MessageIdRole,
    };

    explicit MessagesModel(const QString& conversationId = {}, QObject* parent = nullptr);

    QString conversationId() const { return m_conversationId; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Inserts in seq order; false when a message with that seq is already there.
    bool addMessage(const protocol::Message& message);
    int addMessages(const std::vector<protocol::Message>& messages); // how many were new
    void clear();

    const protocol::Message& at(int row) const { return m_messages.at(std::size_t(row)); }
    const std::vector<protocol::Message>& messages() const { return m_messages; }
    qint64 lastSeq() const { return m_messages.empty() ? 0 : m_messages.back().seq; }
    bool isLoaded() const { return m_loaded; }
    void setLoaded(bool loaded) { m_loaded = loaded; }

private:
    QString m_conversationId;
    std::vector<protocol::Message> m_messages;
    bool m_loaded = false; // the full history has been fetched once
};

} // namespace parley::console
