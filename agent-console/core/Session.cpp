#include "core/Session.h"

#include "core/Shopper.h"
#include "core/Util.h"

#include <QCryptographicHash>
#include <QUuid>

#include <algorithm>

namespace proto = parley::protocol;

namespace parley::console {
namespace {

bool isOpenAgentChat(const proto::Conversation& c) {
    return c.status == proto::ConversationStatus::Agent;
}

} // namespace

Session::Session(QObject* parent)
    : QObject(parent)
    , m_teamChats(&m_team)
    , m_outbox(&m_api) {
    m_catchUp.setSingleShot(true);
    m_catchUp.setInterval(200);
    connect(&m_catchUp, &QTimer::timeout, this, &Session::catchUp);
    // The error frame does not say which conversation (nor whether it answered a resume or a
    // typing signal): every followed one is checked, which costs one small request each.
    connect(&m_realtime, &RealtimeClient::serverError, this,
            [this](const QString& code, const QString& message) {
                qWarning("parley-console: the server said %s (%s): catching up over REST", qPrintable(code),
                         qPrintable(message));
                m_catchUp.start();
            });
    m_teamRefresh.setSingleShot(true);
    m_teamRefresh.setInterval(250);
    connect(&m_teamRefresh, &QTimer::timeout, this, &Session::refreshTeam);

    connect(&m_realtime, &RealtimeClient::stateChanged, this, &Session::connectionStateChanged);
    connect(&m_realtime, &RealtimeClient::stateChanged, this, [this](RealtimeClient::State s) {
        if (s == RealtimeClient::State::Reconnecting && !m_away.isValid())
            m_away.start();
    });
    connect(&m_realtime, &RealtimeClient::ready, this,
            [this](const proto::Agent& me, const QString&, bool reconnected) { onReady(me, reconnected); });
    connect(&m_realtime, &RealtimeClient::messageCreated, this,
            [this](const proto::Message& m) { ingest(m, -1); });
    connect(&m_realtime, &RealtimeClient::conversationUpdated, this, &Session::applyConversation);
    connect(&m_realtime, &RealtimeClient::chatClosed, this, &Session::applyConversation);
    connect(&m_realtime, &RealtimeClient::agentAssigned, this, &Session::onAssigned);
    connect(&m_realtime, &RealtimeClient::presenceChanged, this, &Session::onPresence);
    connect(&m_realtime, &RealtimeClient::authenticationFailed, this, &Session::sessionExpired);
    connect(&m_api, &ApiClient::sessionExpired, this, &Session::sessionExpired);
    // Issue 19: the other side's read marks.
    connect(&m_realtime, &RealtimeClient::conversationRead, this,
            [this](const QString& id, const QString& reader, qint64 seq) {
                auto it = m_conversations.find(id);
                if (it == m_conversations.end())
                    return;
                std::int64_t& mark =
                    reader == QLatin1String("customer") ? it->customerLastReadSeq : it->agentLastReadSeq;
                if (seq <= mark)
                    return;
                mark = seq;
                emit conversationChanged(id);
            });

    connect(&m_outbox, &Outbox::sent, this, [this](const proto::Message& m) {
        ingest(m, -1);
        emit messageSent(qs(m.conversationId));
    });
    connect(&m_outbox, &Outbox::failed, this, &Session::sendFailed);
}

Session::~Session() {
    m_outbox.close(); // saves what is still pending
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

void Session::setMe(const proto::Agent& me) {
    if (me == m_me)
        return;
    m_me = me;
    m_mine.setMyAgentId(me.id);
    m_team.upsert(me);
    emit meChanged();
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
        m_mine.setMyAgentId(m_me.id);
        m_team.upsert(m_me);
        // Replies left unsent by an earlier run for this agent on this server go out now.
        const QByteArray key = m_api.baseUrl().toString(QUrl::StripTrailingSlash).toUtf8() + '|' +
                               QByteArray::fromStdString(m_me.id);
        m_outbox.open(QString::fromLatin1(QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex()));
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
    m_outbox.close();
    m_realtime.close();
    m_api.setToken({});
    m_me = {};
    m_current.clear();
    m_queue.setConversations({});
    m_mine.clear();
    m_team.setAgents({});
    m_teamChats.clear();
    qDeleteAll(m_messages);
    m_messages.clear();
    m_conversations.clear();
    m_loading.clear();
    m_rechecking.clear();
    m_refollowed.clear();
    m_catchUp.stop();
    m_considered.clear();
    m_assignedHere.clear();
    m_readPosted.clear(); // issue 19
    m_mineKnown = false;
    m_away.invalidate();
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
        // Whoever left the queue while we did not hear it: ask about them (assigned or closed?).
        std::vector<QString> left;
        for (int row = 0; row < m_queue.rowCount(); ++row) {
            const std::string& id = m_queue.at(row).id;
            if (std::none_of(r.value.begin(), r.value.end(), [&](const auto& c) { return c.id == id; }))
                left.push_back(qs(id));
        }
        // A snapshot can be older than an event already applied (it left the queue meanwhile).
        std::vector<proto::Conversation> queued;
        for (const auto& c : r.value) {
            if (isStale(c))
                continue;
            remember(c);
            queued.push_back(c);
        }
        m_queue.setConversations(queued);
        for (const auto& id : left)
            recheck(id);
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
        std::vector<proto::Conversation> mine;
        for (const auto& c : r.value)
            if (!isStale(c)) // closed or given away since the snapshot was taken: the event knows
                mine.push_back(c);
        std::stable_sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) {
            return parseTime(a.requestedAgentAt.value_or(a.createdAt)) <
                   parseTime(b.requestedAgentAt.value_or(b.createdAt));
        });
        for (const auto& c : mine) {
            remember(c);
            m_queue.apply(c);
            adoptMine(c, announce);
        }
        // Open chats the snapshot no longer lists went elsewhere or were closed: find out which.
        for (const QString& id : m_mine.setConversations(mine))
            recheck(id);
    });
}

void Session::refreshTeam() {
    const int gen = m_generation;
    m_api.agents([this, gen](const ApiResult<std::vector<proto::Agent>>& r) {
        if (gen != m_generation || !r.ok())
            return;
        m_team.setAgents(r.value);
        for (const auto& a : r.value) {
            if (a.id == m_me.id)
                setMe(a);
            recheckTeamChats(a);
        }
    });
}

void Session::recheck(const QString& id) {
    if (m_rechecking.contains(id))
        return;
    m_rechecking.insert(id);
    const int gen = m_generation;
    m_api.conversation(id, [this, gen, id](const ApiResult<ConversationWithMessages>& r) {
        if (gen != m_generation)
            return;
        m_rechecking.remove(id);
        if (r.ok())
            applyConversation(r.value.conversation);
    });
}

void Session::recheckTeamChats(const proto::Agent& agent) {
    // Chats end without telling the rest of the team (chat.closed goes to the customer and the
    // agent): when an agent holds fewer chats than we list for it, some of ours are stale.
    const QString agentId = qs(agent.id);
    if (agent.id == m_me.id || m_teamChats.countFor(agentId) <= agent.activeChats)
        return;
    for (int row = 0; row < m_teamChats.rowCount(); ++row)
        if (m_teamChats.at(row).assignedAgentId == agent.id)
            recheck(qs(m_teamChats.at(row).id));
}

void Session::onReady(const proto::Agent& me, bool reconnected) {
    m_refollowed.clear();
    const bool wasOnline = m_me.presence == proto::Presence::Online;
    const int secondsAway = m_away.isValid() ? int(m_away.elapsed() / 1000) : 0;
    m_away.invalidate();
    if (!me.id.empty())
        setMe(me);
    // Not set online again here: the server chose offline on purpose, and a console that
    // reconnects (a laptop waking up) does not mean its agent is at the desk; going online
    // unasked would hand new chats to someone who may not be there. The window says what
    // happened and offers to go online.
    if (reconnected && wasOnline && !me.id.empty() && me.presence == proto::Presence::Offline)
        emit wentOfflineWhileAway(secondsAway);
    // Messages are resumed by seq; queue, assignments and presence are not, so take a snapshot
    // of them once the channel is up (also the first time: events before it would be lost).
    refresh();
    // The connection is back: replies waiting for it go now rather than at their next attempt.
    m_outbox.retryAll();
}

void Session::remember(const proto::Conversation& c) {
    // Issue 19: read marks only ever rise; a snapshot taken before a conversation.read keeps them.
    if (auto it = m_conversations.constFind(qs(c.id)); it != m_conversations.cend()) {
        proto::Conversation merged = c;
        merged.customerLastReadSeq = std::max(c.customerLastReadSeq, it->customerLastReadSeq);
        merged.agentLastReadSeq = std::max(c.agentLastReadSeq, it->agentLastReadSeq);
        m_conversations.insert(qs(c.id), merged);
        m_teamChats.apply(c);
        return;
    }
    m_conversations.insert(qs(c.id), c);
    m_teamChats.apply(c);
}

bool Session::isStale(const proto::Conversation& c) const {
    // A REST answer can be older than an event already applied (the request left before the
    // change): the newer state wins.
    auto known = conversation(qs(c.id));
    return known && parseTime(c.updatedAt) < parseTime(known->updatedAt);
}

std::optional<proto::Conversation> Session::conversation(const QString& id) const {
    auto it = m_conversations.constFind(id);
    if (it == m_conversations.cend())
        return std::nullopt;
    return *it;
}

QList<proto::Conversation> Session::knownConversations() const {
    return m_conversations.values();
}

bool Session::isMine(const QString& id) const {
    auto c = conversation(id);
    return c && c->assignedAgentId && *c->assignedAgentId == m_me.id;
}

bool Session::canWrite(const QString& id) const {
    auto c = conversation(id);
    return c && c->status == proto::ConversationStatus::Agent && isMine(id);
}

bool Session::canClose(const QString& id) const {
    auto c = conversation(id);
    return c && c->status == proto::ConversationStatus::Agent && (isMine(id) || isAdmin());
}

void Session::adoptMine(const proto::Conversation& c, bool announce) {
    const QString id = qs(c.id);
    const bool arrived = m_mine.upsert(c);
    MessagesModel* model = messages(id);
    if (arrived) {
        // What the console already holds of it: preview; and when it was loaded (watched), the
        // agent could read it, so it is context rather than news.
        for (const auto& m : model->messages()) {
            m_mine.noteMessage(m);
            if (model->isLoaded() && m.senderType == proto::SenderType::Customer)
                m_considered[id].insert(m.seq);
        }
    }
    if (arrived && announce) {
        m_assignedHere.insert(id);
        m_mine.setFresh(id, id != m_current);
    }
    openConversation(id);
    if (arrived && announce)
        emit newAssignment(id);
}

void Session::applyConversation(const proto::Conversation& c) {
    const QString id = qs(c.id);
    if (isStale(c))
        return;
    remember(c);
    m_queue.apply(c);
    const bool mineNow = isOpenAgentChat(c) && c.assignedAgentId && *c.assignedAgentId == m_me.id;
    if (mineNow)
        adoptMine(c, true);
    else if (m_mine.contains(id))
        m_mine.upsert(c); // closed, or no longer mine: stays listed, read-only, in its place
    m_teamRefresh.start();
    emit conversationChanged(id);
}

void Session::onAssigned(const proto::Conversation& c, const proto::Agent& agent) {
    m_team.upsert(agent);
    if (agent.id == m_me.id)
        setMe(agent);
    applyConversation(c);
}

void Session::onPresence(const proto::Agent& agent) {
    m_team.upsert(agent);
    if (agent.id == m_me.id)
        setMe(agent);
    recheckTeamChats(agent);
}

void Session::ingest(const proto::Message& m, qint64 contextUpTo) {
    const QString id = qs(m.conversationId);
    m_outbox.resolve(m);
    messages(id)->addMessage(m);
    if (!m_mine.contains(id))
        return; // watched, or not mine (yet): if it becomes mine, its history decides
    m_mine.noteMessage(m);
    if (m.senderType != proto::SenderType::Customer || !canWrite(id))
        return;
    if (m_considered[id].contains(m.seq))
        return; // already announced (or judged context) when it first came
    m_considered[id].insert(m.seq);
    if (m.seq <= contextUpTo)
        return;
    if (id != m_current)
        m_mine.addUnread(id);
    emit customerMessage(id, qs(m.content));
}

qint64 Session::contextEnd(const QString& id, const std::vector<proto::Message>& history) const {
    if (history.empty())
        return 0;
    // A chat that was mine before signing in starts read: the console keeps no read marks across
    // runs. One that became mine while signed in: what the shopper wrote since it became mine is
    // news, what came before (to the bot, to an agent who lost the connection) is context.
    if (!m_assignedHere.contains(id))
        return history.back().seq;
    qint64 marker = 0;
    for (const auto& m : history) {
        const auto& meta = m.metadata;
        if (m.senderType == proto::SenderType::System && meta.is_object() &&
            meta.value("event", nlohmann::json()) == "assigned" &&
            meta.value("agent_id", nlohmann::json()) == m_me.id)
            marker = m.seq;
    }
    return marker > 0 ? marker : history.back().seq; // no marker (an older server): nothing is news
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
        if (!r.ok()) {
            m_loading.remove(id);
            emit operationFailed(QStringLiteral("Opening the conversation"), *r.error);
            return;
        }
        const auto& history = r.value.messages;
        MessagesModel* model = messages(id);
        // The conversation first (a row of mine exists before its messages are judged), still
        // marked loading so that adopting it does not ask for the history a second time.
        applyConversation(r.value.conversation);
        const qint64 contextUpTo = contextEnd(id, history);
        for (const auto& m : history)
            ingest(m, contextUpTo);
        model->setLoaded(true);
        m_loading.remove(id);
        const qint64 restMax = history.empty() ? 0 : history.back().seq;
        // From here on the realtime channel delivers seq > restMax (resume), deduplicated.
        m_realtime.follow(id, restMax);
        emit conversationLoaded(id);
        emit conversationChanged(id);
    });
}

void Session::catchUp() {
    const int gen = m_generation;
    for (auto it = m_messages.cbegin(); it != m_messages.cend(); ++it) {
        const QString id = it.key();
        if (!it.value()->isLoaded() || !m_realtime.isFollowing(id))
            continue;
        const qint64 after = m_realtime.contiguousSeq(id);
        m_api.messagesAfter(id, after,
                            [this, gen, id, after](const ApiResult<std::vector<proto::Message>>& r) {
                                if (gen != m_generation)
                                    return;
                                if (!r.ok()) {
                                    recheck(id); // no longer ours to read (taken, erased)? its state says
                                    return;
                                }
                                qint64 last = after;
                                for (const auto& m : r.value) {
                                    ingest(m, -1);
                                    last = std::max<qint64>(last, m.seq);
                                }
                                // Followed again (a resume from what we now have) so that its live events
                                // come back; at most twice per connection, in case the server keeps refusing.
                                if (m_refollowed[id]++ < 2)
                                    m_realtime.follow(id, last);
                            });
    }
}

// Issue 22 (data rights): see Session.h.
void Session::reloadConversation(const QString& id) {
    if (m_loading.value(id))
        return; // a load is on its way: it reads the current state
    messages(id)->clear();
    openConversation(id);
}

void Session::setCurrentConversation(const QString& id) {
    m_current = id;
    if (!id.isEmpty())
        m_mine.markRead(id);
}

QString Session::sendMessage(const QString& conversationId, const QString& text) {
    return m_outbox.add(conversationId, text);
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
                recheck(conversationId);
                return;
            }
            applyConversation(r.value);
        });
}

void Session::setPresence(proto::Presence presence, std::function<void(bool ok)> done) {
    const int gen = m_generation;
    m_api.setPresence(presence, [this, gen, done = std::move(done)](const ApiResult<proto::Agent>& r) {
        if (gen != m_generation) {
            if (done)
                done(false);
            return;
        }
        if (!r.ok()) {
            emit operationFailed(QStringLiteral("Changing presence"), *r.error);
            emit meChanged(); // let the switch show the real state again
            if (done)
                done(false);
            return;
        }
        setMe(r.value);
        // Going online assigns queued chats at once; the events do too, but not if the channel is down.
        refreshMine();
        refreshQueue();
        if (done)
            done(true);
    });
}

// --- Issue 19 "Agents at work" ---------------------------------------------------------------

void Session::markRead(const QString& conversationId, qint64 seq) {
    if (seq <= 0 || !canWrite(conversationId))
        return; // only the assigned agent's reading counts (the server refuses watchers)
    if (const auto c = conversation(conversationId); c && seq <= c->agentLastReadSeq)
        return;
    qint64& posted = m_readPosted[conversationId];
    if (seq <= posted)
        return;
    posted = seq;
    const int gen = m_generation;
    m_api.markRead(conversationId, seq, [this, gen, conversationId](const ApiResult<proto::Conversation>& r) {
        if (gen != m_generation)
            return;
        if (!r.ok()) {
            m_readPosted.remove(conversationId); // try again with the next message
            return; // a read mark is not worth an error line: the next one carries it
        }
        auto it = m_conversations.find(conversationId);
        if (it != m_conversations.end())
            it->agentLastReadSeq = std::max(it->agentLastReadSeq, r.value.agentLastReadSeq);
    });
}

void Session::transfer(const QString& conversationId, const QString& toAgentId, const QString& note,
                       std::function<void(const std::optional<ApiError>&)> done) {
    const int gen = m_generation;
    m_api.transfer(conversationId, toAgentId, note,
                   [this, gen, done = std::move(done)](const ApiResult<proto::Conversation>& r) {
                       if (gen != m_generation)
                           return;
                       if (r.ok())
                           applyConversation(r.value);
                       if (done)
                           done(r.error);
                   });
}

} // namespace parley::console
