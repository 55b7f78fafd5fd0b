#include "core/Session.h"

#include "core/Util.h"

#include <QUuid>

#include <algorithm>
#include <iterator>

namespace proto = parley::protocol;

namespace parley::console {
namespace {

constexpr int kSendRetries = 5;

} // namespace

Session::Session(QObject* parent)
    : QObject(parent) {
    m_teamRefresh.setSingleShot(true);
    m_teamRefresh.setInterval(250);
    connect(&m_teamRefresh, &QTimer::timeout, this, &Session::refreshTeam);

    connect(&m_realtime, &RealtimeClient::stateChanged, this, &Session::connectionStateChanged);
    connect(&m_realtime, &RealtimeClient::ready, this,
            [this](const proto::Agent& me, const QString&, bool reconnected) { onReady(me, reconnected); });
    connect(&m_realtime, &RealtimeClient::messageCreated, this, &Session::onMessage);
    connect(&m_realtime, &RealtimeClient::conversationUpdated, this, &Session::applyConversation);
    connect(&m_realtime, &RealtimeClient::chatClosed, this, &Session::applyConversation);
    connect(&m_realtime, &RealtimeClient::agentAssigned, this, &Session::onAssigned);
    connect(&m_realtime, &RealtimeClient::presenceChanged, this, &Session::onPresence);
    connect(&m_realtime, &RealtimeClient::authenticationFailed, this, &Session::sessionExpired);
    connect(&m_api, &ApiClient::sessionExpired, this, &Session::sessionExpired);
}

MessagesModel* Session::messages(const QString& conversationId) {
    auto it = m_messages.find(conversationId);
    if (it != m_messages.end())
        return *it;
    auto* model = new MessagesModel(conversationId, this);
    m_messages.insert(conversationId, model);
    return model;
}

QString Session::myId() const {
    return qs(m_me.id);
}

void Session::signIn(const QUrl& server, const QString& username, const QString& password) {
    if (isSignedIn())
        signOut();
    m_api.setBaseUrl(server);
    m_api.setToken({});
    const int gen = ++m_generation;
    m_api.login(username, password, [this, gen](const ApiResult<LoginResult>& r) {
        if (gen != m_generation)
            return;
        if (!r.ok()) {
            emit signInFailed(*r.error);
            return;
        }
        m_api.setToken(r.value.token);
        m_me = r.value.agent;
        m_team.upsert(m_me);
        connectRealtime();
        refresh();
        emit signedIn();
        emit meChanged();
    });
}

void Session::signOut() {
    if (isSignedIn() && m_me.presence == proto::Presence::Online)
        m_api.setPresence(proto::Presence::Offline, nullptr); // best effort: stop getting new chats
    ++m_generation;
    m_realtime.close();
    m_api.setToken({});
    m_me = {};
    m_current.clear();
    m_queue.setConversations({});
    m_mine.setConversations({});
    for (int row = m_mine.rowCount() - 1; row >= 0; --row)
        m_mine.remove(qs(m_mine.at(row).id));
    m_team.setAgents({});
    qDeleteAll(m_messages);
    m_messages.clear();
    m_conversations.clear();
    m_loading.clear();
    m_assignedHere.clear();
    m_mineKnown = false;
    emit signedOut();
}

void Session::connectRealtime() {
    if (m_wsOverride.isValid()) {
        m_realtime.open(m_wsOverride, m_api.token());
        return;
    }
    const int gen = m_generation;
    m_api.fetchWsUrl([this, gen](const ApiResult<QUrl>& r) {
        if (gen != m_generation)
            return;
        QUrl url = r.value;
        if (!r.ok()) {
            // Without the config call: the server serves /ws on its HTTP port (contract v1.1).
            const QUrl http = m_api.baseUrl();
            url = QUrl();
            url.setScheme(http.scheme() == QLatin1String("https") ? QStringLiteral("wss")
                                                                  : QStringLiteral("ws"));
            url.setHost(http.host());
            url.setPort(http.port());
            url.setPath(QStringLiteral("/ws"));
        }
        m_realtime.open(url, m_api.token());
    });
}

void Session::refresh() {
    refreshQueue();
    refreshMine();
    refreshTeam();
}

void Session::refreshQueue() {
    const int gen = m_generation;
    m_api.queue([this, gen](const ApiResult<std::vector<proto::Conversation>>& r) {
        if (gen != m_generation || !r.ok())
            return;
        for (const auto& c : r.value)
            remember(c);
        m_queue.setConversations(r.value);
    });
}

void Session::refreshMine() {
    const int gen = m_generation;
    m_api.myConversations([this, gen](const ApiResult<std::vector<proto::Conversation>>& r) {
        if (gen != m_generation || !r.ok())
            return;
        // Conversations assigned while we were not listening are news as well; the very first
        // snapshot after signing in is not.
        const bool announce = m_mineKnown;
        m_mineKnown = true;
        for (const auto& c : r.value) {
            remember(c);
            adoptMine(c, announce);
        }
        m_mine.setConversations(r.value);
    });
}

void Session::refreshTeam() {
    const int gen = m_generation;
    m_api.agents([this, gen](const ApiResult<std::vector<proto::Agent>>& r) {
        if (gen != m_generation || !r.ok())
            return;
        m_team.setAgents(r.value);
        for (const auto& a : r.value) {
            if (a.id == m_me.id && !(a == m_me)) {
                m_me = a;
                emit meChanged();
            }
        }
    });
}

void Session::onReady(const proto::Agent& me, bool reconnected) {
    Q_UNUSED(reconnected);
    if (!me.id.empty() && !(me == m_me)) {
        m_me = me;
        m_team.upsert(me);
        emit meChanged();
    }
    // Messages are resumed by seq; queue, assignments and presence are not, so take a snapshot
    // of them once the channel is up (also the first time: events before it would be lost).
    refresh();
}

void Session::remember(const proto::Conversation& c) {
    m_conversations.insert(qs(c.id), c);
}

std::optional<proto::Conversation> Session::conversation(const QString& id) const {
    auto it = m_conversations.constFind(id);
    if (it == m_conversations.cend())
        return std::nullopt;
    return *it;
}

bool Session::isMine(const QString& id) const {
    auto c = conversation(id);
    return c && c->assignedAgentId && *c->assignedAgentId == m_me.id;
}

bool Session::canWrite(const QString& id) const {
    auto c = conversation(id);
    return c && c->status == proto::ConversationStatus::Agent && isMine(id);
}

void Session::adoptMine(const proto::Conversation& c, bool announce) {
    const QString id = qs(c.id);
    const bool isNew = m_mine.upsert(c);
    if (isNew && announce)
        m_assignedHere.insert(id);
    openConversation(id);
    if (isNew && announce)
        emit newAssignment(id);
}

void Session::applyConversation(const proto::Conversation& c) {
    const QString id = qs(c.id);
    remember(c);
    m_queue.apply(c);
    const bool mineNow = c.assignedAgentId && *c.assignedAgentId == m_me.id;
    if (c.status == proto::ConversationStatus::Closed) {
        if (m_mine.contains(id))
            m_mine.upsert(c); // stays listed, read-only
    } else if (mineNow) {
        adoptMine(c, true);
    } else {
        m_mine.remove(id); // unassigned (grace period) or given to someone else
    }
    m_teamRefresh.start();
    emit conversationChanged(id);
}

void Session::onAssigned(const proto::Conversation& c, const proto::Agent& agent) {
    m_team.upsert(agent);
    if (agent.id == m_me.id && !(agent == m_me)) {
        m_me = agent;
        emit meChanged();
    }
    applyConversation(c);
}

void Session::onPresence(const proto::Agent& agent) {
    m_team.upsert(agent);
    if (agent.id == m_me.id && !(agent == m_me)) {
        m_me = agent;
        emit meChanged();
    }
}

void Session::onMessage(const proto::Message& m) {
    const QString id = qs(m.conversationId);
    messages(id)->addMessage(m);
    const bool inFront = id == m_current;
    if (m_mine.contains(id)) {
        m_mine.noteMessage(m, inFront);
        if (m.senderType == proto::SenderType::Customer)
            emit customerMessage(id, qs(m.content));
    }
}

void Session::openConversation(const QString& id) {
    MessagesModel* model = messages(id);
    if (model->isLoaded() || m_loading.value(id))
        return;
    m_loading.insert(id, true);
    const int gen = m_generation;
    m_api.conversation(id, [this, gen, id](const ApiResult<ConversationWithMessages>& r) {
        if (gen != m_generation)
            return;
        m_loading.remove(id);
        if (!r.ok()) {
            emit operationFailed(QStringLiteral("Opening the conversation"), *r.error);
            return;
        }
        const auto& c = r.value.conversation;
        remember(c);
        MessagesModel* model = messages(id);
        model->addMessages(r.value.messages);
        model->setLoaded(true);
        const qint64 restMax = r.value.messages.empty() ? 0 : r.value.messages.back().seq;
        // From here on the realtime channel delivers seq > restMax (resume), deduplicated.
        m_realtime.follow(id, restMax);
        if (m_mine.contains(id))
            noteHistory(id, c, r.value.messages);
        emit conversationLoaded(id);
        emit conversationChanged(id);
    });
}

void Session::noteHistory(const QString& id, const proto::Conversation& c,
                          const std::vector<proto::Message>& history) {
    m_mine.upsert(c);
    if (history.empty())
        return;
    // What the customer wrote since the chat became mine is unread, whether it came live or in
    // this history (which of the two comes first is a race); what came before is context. Chats
    // that were mine before signing in start read: the console keeps no read marks across runs.
    qint64 readUpTo = history.back().seq;
    if (m_assignedHere.contains(id) && id != m_current) {
        readUpTo = 0;
        for (const auto& m : history) {
            const auto& meta = m.metadata;
            if (m.senderType == proto::SenderType::System && meta.is_object() &&
                meta.value("event", nlohmann::json()) == "assigned" &&
                meta.value("agent_id", nlohmann::json()) == m_me.id)
                readUpTo = m.seq;
        }
        if (readUpTo == 0) // no marker (an older server): count nothing rather than everything
            readUpTo = history.back().seq;
    }
    auto firstUnread = std::find_if(history.begin(), history.end(),
                                    [readUpTo](const proto::Message& m) { return m.seq > readUpTo; });
    if (firstUnread != history.begin())
        m_mine.noteMessage(*std::prev(firstUnread), true);
    for (auto it = firstUnread; it != history.end(); ++it)
        m_mine.noteMessage(*it, false);
}

void Session::setCurrentConversation(const QString& id) {
    m_current = id;
    if (!id.isEmpty())
        m_mine.markRead(id);
}

void Session::sendMessage(const QString& conversationId, const QString& text) {
    const QString clientMsgId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const int gen = m_generation;
    // The same client_msg_id on a retry makes a retry after a network failure safe: the server
    // answers with the first message instead of creating a second one.
    auto attempt = std::make_shared<std::function<void(int)>>();
    *attempt = [this, gen, conversationId, text, clientMsgId, attempt](int n) {
        // While the server is overloaded the ApiClient sends it again itself (same client_msg_id);
        // the agent sees that it is still on its way.
        auto retrying = [this, gen, conversationId, text](int delayMs) {
            if (gen == m_generation)
                emit sendRetrying(conversationId, text, delayMs);
        };
        m_api.sendMessage(
            conversationId, text, clientMsgId,
            [this, gen, conversationId, text, attempt, n](const ApiResult<proto::Message>& r) {
                if (gen != m_generation) {
                    *attempt = nullptr;
                    return;
                }
                if (!r.ok()) {
                    if (r.error->kind == ApiError::Kind::Network && n < kSendRetries) {
                        QTimer::singleShot(500 << n, this, [attempt, n] { (*attempt)(n + 1); });
                        return;
                    }
                    emit sendFailed(conversationId, text, *r.error);
                    *attempt = nullptr; // break the self-reference
                    return;
                }
                messages(conversationId)->addMessage(r.value);
                m_mine.noteMessage(r.value, true);
                emit messageSent(conversationId);
                *attempt = nullptr;
            },
            retrying);
    };
    (*attempt)(0);
}

void Session::closeConversation(const QString& conversationId) {
    const int gen = m_generation;
    m_api.closeConversation(
        conversationId, [this, gen, conversationId](const ApiResult<proto::Conversation>& r) {
            if (gen != m_generation)
                return;
            if (!r.ok()) {
                emit operationFailed(QStringLiteral("Closing the conversation"), *r.error);
                // Our picture of it is stale (already closed elsewhere?): fetch the truth.
                m_api.conversation(conversationId, [this, gen](const ApiResult<ConversationWithMessages>& c) {
                    if (gen == m_generation && c.ok())
                        applyConversation(c.value.conversation);
                });
                return;
            }
            applyConversation(r.value);
        });
}

void Session::setPresence(proto::Presence presence) {
    const int gen = m_generation;
    m_api.setPresence(presence, [this, gen](const ApiResult<proto::Agent>& r) {
        if (gen != m_generation)
            return;
        if (!r.ok()) {
            emit operationFailed(QStringLiteral("Changing presence"), *r.error);
            emit meChanged(); // let the switch show the real state again
            return;
        }
        m_me = r.value;
        m_team.upsert(m_me);
        emit meChanged();
        // Going online assigns queued chats at once; the events do too, but not if the channel is down.
        refreshMine();
        refreshQueue();
    });
}

} // namespace parley::console
