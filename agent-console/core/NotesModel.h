#pragma once
// Issue 19 "Agents at work": the internal notes of one conversation, oldest first. Loaded over
// REST when the conversation changes, kept live by note.created (deduplicated by id: the author's
// own POST answer and its event are one note). Notes are for agents only: never messages.

#include <parley/protocol/Types.h>

#include <QAbstractListModel>

#include <functional>
#include <optional>
#include <vector>

namespace parley::console {

class Session;
struct ApiError;

class NotesModel : public QAbstractListModel {
    Q_OBJECT
public:
    explicit NotesModel(Session* session, QObject* parent = nullptr);

    // Empty: no conversation. Loads its notes (isLoaded() once they are in).
    void setConversation(const QString& conversationId);
    QString conversationId() const { return m_id; }
    bool isLoaded() const { return m_loaded; }
    // Adds a note; done hears the server's refusal, if any.
    void add(const QString& content, std::function<void(const std::optional<ApiError>&)> done = {});

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    const protocol::Note& at(int row) const { return m_notes.at(std::size_t(row)); }

signals:
    void loadFailed(const parley::console::ApiError& error);

private:
    void insert(const protocol::Note& note);

    Session* m_session;
    QString m_id;
    std::vector<protocol::Note> m_notes;
    bool m_loaded = false;
    int m_generation = 0; // answers for an earlier conversation are dropped
};

} // namespace parley::console
