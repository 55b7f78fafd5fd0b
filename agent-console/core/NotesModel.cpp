#include "core/NotesModel.h"

#include "core/Session.h"
#include "core/Util.h"

#include <algorithm>

namespace proto = parley::protocol;

namespace parley::console {

NotesModel::NotesModel(Session* session, QObject* parent)
    : QAbstractListModel(parent)
    , m_session(session) {
    connect(m_session->realtime(), &RealtimeClient::noteCreated, this, [this](const proto::Note& n) {
        if (qs(n.conversationId) == m_id)
            insert(n);
    });
}

void NotesModel::setConversation(const QString& conversationId) {
    const int gen = ++m_generation;
    beginResetModel();
    m_id = conversationId;
    m_notes.clear();
    m_loaded = false;
    endResetModel();
    if (conversationId.isEmpty())
        return;
    m_session->api()->notes(conversationId, [this, gen](const ApiResult<std::vector<proto::Note>>& r) {
        if (gen != m_generation)
            return;
        if (!r.ok()) {
            emit loadFailed(*r.error);
            return;
        }
        // Live notes may have come before the list: keep them, add the rest.
        beginResetModel();
        for (const auto& n : r.value)
            if (std::none_of(m_notes.begin(), m_notes.end(), [&](const auto& k) { return k.id == n.id; }))
                m_notes.push_back(n);
        std::stable_sort(m_notes.begin(), m_notes.end(), [](const auto& a, const auto& b) {
            return parseTime(a.createdAt) < parseTime(b.createdAt);
        });
        m_loaded = true;
        endResetModel();
    });
}

void NotesModel::add(const QString& content, std::function<void(const std::optional<ApiError>&)> done) {
    const QString id = m_id;
    const int gen = m_generation;
    m_session->api()->addNote(id, content,
                              [this, gen, done = std::move(done)](const ApiResult<proto::Note>& r) {
                                  if (r.ok() && gen == m_generation)
                                      insert(r.value);
                                  if (done)
                                      done(r.error);
                              });
}

void NotesModel::insert(const proto::Note& note) {
    if (std::any_of(m_notes.begin(), m_notes.end(), [&](const auto& n) { return n.id == note.id; }))
        return;
    const int row = int(m_notes.size());
    beginInsertRows({}, row, row);
    m_notes.push_back(note);
    endInsertRows();
}

int NotesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_notes.size());
}

QVariant NotesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto& n = at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return qs(n.content);
    case Qt::ToolTipRole:
        return QStringLiteral("%1 \u00b7 %2").arg(qs(n.agentDisplayName), qs(n.createdAt));
    default:
        return {};
    }
}

} // namespace parley::console
