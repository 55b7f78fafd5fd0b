#include "core/Outbox.h"

#include "core/ApiClient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSet>
#include <QSettings>
#include <QUuid>

#include <algorithm>

namespace parley::console {
namespace {

// Errors that pass by themselves: no answer at all, a server restarting or overloaded (5xx, 503
// with Retry-After), a gateway timing out. 401 too: the session signs in again and the reply
// waits for it (it is saved). Everything else is the server saying no for good.
bool passes(const ApiError& e) {
    switch (e.kind) {
    case ApiError::Kind::Network:
        return true;
    case ApiError::Kind::InvalidResponse:
        return false;
    case ApiError::Kind::Http:
        break;
    }
    return e.status >= 500 || e.status == 429 || e.status == 408 || e.status == 401;
}

// Why a reply still waits, in a few words (it is shown on the reply, which is tried again).
QString waitingReason(const ApiError& e) {
    if (e.kind == ApiError::Kind::Network)
        return QStringLiteral("no connection to the server");
    if (e.status == 401)
        return QStringLiteral("signed out");
    if (e.status == 503 || e.status == 429)
        return QStringLiteral("the server is busy");
    return QStringLiteral("the server answered HTTP %1").arg(e.status);
}

} // namespace

Outbox::Outbox(ApiClient* api, QObject* parent)
    : QObject(parent)
    , m_api(api) {
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &Outbox::pump);
}

Outbox::~Outbox() = default;

void Outbox::setBackoff(int initialMs, int maxMs) {
    m_backoffInitialMs = std::max(1, initialMs);
    m_backoffMaxMs = std::max(m_backoffInitialMs, maxMs);
}

void Outbox::open(const QString& storageKey) {
    close();
    m_key = storageKey;
    load();
    QSet<QString> conversations;
    for (const auto& r : std::as_const(m_items))
        conversations.insert(r.conversationId);
    for (const auto& id : std::as_const(conversations))
        emit changed(id);
    pump();
}

void Outbox::close() {
    if (m_key.isEmpty())
        return;
    ++m_generation; // answers still on their way are for a closed outbox
    m_timer.stop();
    for (auto& r : m_items)
        if (r.state == PendingReply::State::Sending)
            r.state = PendingReply::State::Waiting;
    save();
    QSet<QString> conversations;
    for (const auto& r : std::as_const(m_items))
        conversations.insert(r.conversationId);
    m_items.clear();
    m_key.clear();
    for (const auto& id : std::as_const(conversations))
        emit changed(id);
}

int Outbox::indexOf(const QString& clientMsgId) const {
    for (int i = 0; i < m_items.size(); ++i)
        if (m_items[i].clientMsgId == clientMsgId)
            return i;
    return -1;
}

QList<PendingReply> Outbox::pending(const QString& conversationId) const {
    QList<PendingReply> out;
    for (const auto& r : m_items)
        if (r.conversationId == conversationId)
            out.push_back(r);
    return out;
}

QString Outbox::add(const QString& conversationId, const QString& text) {
    PendingReply r;
    r.clientMsgId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    r.conversationId = conversationId;
    r.text = text;
    r.typedAt = QDateTime::currentDateTimeUtc();
    m_items.push_back(r);
    save();
    emit changed(conversationId);
    pump();
    return r.clientMsgId;
}

bool Outbox::remove(const QString& clientMsgId) {
    const int i = indexOf(clientMsgId);
    if (i < 0 || m_items[i].state == PendingReply::State::Sending)
        return false;
    const QString conversationId = m_items[i].conversationId;
    m_items.removeAt(i);
    save();
    emit changed(conversationId);
    pump(); // a reply behind it may go now
    return true;
}

void Outbox::retry(const QString& clientMsgId) {
    const int i = indexOf(clientMsgId);
    if (i < 0 || m_items[i].state == PendingReply::State::Sending)
        return;
    m_items[i].state = PendingReply::State::Waiting;
    m_items[i].nextAttemptAt = {};
    emit changed(m_items[i].conversationId);
    pump();
}

void Outbox::retryAll() {
    for (auto& r : m_items)
        if (r.state == PendingReply::State::Waiting)
            r.nextAttemptAt = {};
    pump();
}

bool Outbox::resolve(const protocol::Message& message) {
    if (!message.clientMsgId)
        return false;
    const int i = indexOf(QString::fromStdString(*message.clientMsgId));
    if (i < 0 || m_items[i].conversationId != QString::fromStdString(message.conversationId))
        return false;
    // Also while a request is on its way: its answer then finds nothing left to do.
    const QString conversationId = m_items[i].conversationId;
    m_items.removeAt(i);
    save();
    emit changed(conversationId);
    pump();
    return true;
}

void Outbox::pump() {
    if (m_key.isEmpty())
        return;
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QSet<QString> busy; // conversations whose next reply is decided: one request at a time, in order
    for (int i = 0; i < m_items.size(); ++i) {
        const PendingReply& r = m_items[i];
        if (r.state == PendingReply::State::Failed || busy.contains(r.conversationId))
            continue;
        busy.insert(r.conversationId);
        if (r.state == PendingReply::State::Waiting && (!r.nextAttemptAt.isValid() || r.nextAttemptAt <= now))
            send(i);
    }
    schedule();
}

void Outbox::schedule() {
    QDateTime next;
    QSet<QString> seen;
    for (const auto& r : std::as_const(m_items)) {
        if (r.state == PendingReply::State::Failed || seen.contains(r.conversationId))
            continue;
        seen.insert(r.conversationId);
        if (r.state == PendingReply::State::Waiting && r.nextAttemptAt.isValid() &&
            (!next.isValid() || r.nextAttemptAt < next))
            next = r.nextAttemptAt;
    }
    if (!next.isValid()) {
        m_timer.stop();
        return;
    }
    m_timer.start(
        int(std::clamp<qint64>(QDateTime::currentDateTimeUtc().msecsTo(next), 0, 24 * 3600 * 1000)));
}

void Outbox::send(int index) {
    PendingReply& r = m_items[index];
    r.state = PendingReply::State::Sending;
    ++r.attempts;
    ++m_attempts;
    emit changed(r.conversationId);
    const QString id = r.clientMsgId;
    const int generation = m_generation;
    m_api->sendMessage(r.conversationId, r.text, id,
                       [this, id, generation](const ApiResult<protocol::Message>& result) {
                           onAnswer(id, generation, result.ok() ? &result.value : nullptr,
                                    result.ok() ? nullptr : &*result.error);
                       });
}

void Outbox::onAnswer(const QString& clientMsgId, int generation, const protocol::Message* message,
                      const ApiError* error) {
    if (generation != m_generation)
        return;
    const int i = indexOf(clientMsgId);
    if (message) {
        if (i >= 0) {
            const QString conversationId = m_items[i].conversationId;
            m_items.removeAt(i);
            save();
            emit changed(conversationId);
        }
        emit sent(*message);
        pump();
        return;
    }
    if (i < 0) { // resolved meanwhile (its event came first) or deleted
        pump();
        return;
    }
    PendingReply& r = m_items[i];
    if (passes(*error)) {
        const int shift = std::min(r.attempts - 1, 20);
        qint64 delay = std::min<qint64>(qint64(m_backoffInitialMs) << shift, m_backoffMaxMs);
        delay += QRandomGenerator::global()->bounded(delay / 5 + 1); // consoles do not retry in step
        delay = std::max<qint64>(delay, qint64(error->retryAfterSeconds) * 1000);
        r.state = PendingReply::State::Waiting;
        r.nextAttemptAt = QDateTime::currentDateTimeUtc().addMSecs(delay);
        r.error = waitingReason(*error);
        emit changed(r.conversationId);
    } else {
        r.state = PendingReply::State::Failed;
        r.error = error->describe();
        const QString conversationId = r.conversationId, text = r.text;
        save();
        emit changed(conversationId);
        emit failed(conversationId, text, *error);
    }
    pump();
}

void Outbox::save() const {
    if (m_key.isEmpty())
        return;
    QJsonArray list;
    for (const auto& r : m_items) {
        list.push_back(QJsonObject{{QStringLiteral("client_msg_id"), r.clientMsgId},
                                   {QStringLiteral("conversation_id"), r.conversationId},
                                   {QStringLiteral("text"), r.text},
                                   {QStringLiteral("typed_at"), r.typedAt.toString(Qt::ISODateWithMs)},
                                   {QStringLiteral("failed"), r.state == PendingReply::State::Failed},
                                   {QStringLiteral("error"), r.error}});
    }
    QSettings settings;
    const QString key = QStringLiteral("outbox/") + m_key;
    if (list.isEmpty())
        settings.remove(key);
    else
        settings.setValue(key, QString::fromUtf8(QJsonDocument(list).toJson(QJsonDocument::Compact)));
}

void Outbox::load() {
    m_items.clear();
    QSettings settings;
    const QJsonArray list =
        QJsonDocument::fromJson(settings.value(QStringLiteral("outbox/") + m_key).toString().toUtf8())
            .array();
    for (const auto& v : list) {
        const QJsonObject o = v.toObject();
        PendingReply r;
        r.clientMsgId = o.value(QStringLiteral("client_msg_id")).toString();
        r.conversationId = o.value(QStringLiteral("conversation_id")).toString();
        r.text = o.value(QStringLiteral("text")).toString();
        r.typedAt = QDateTime::fromString(o.value(QStringLiteral("typed_at")).toString(), Qt::ISODateWithMs);
        r.state = o.value(QStringLiteral("failed")).toBool() ? PendingReply::State::Failed
                                                             : PendingReply::State::Waiting;
        r.error = o.value(QStringLiteral("error")).toString();
        if (!r.clientMsgId.isEmpty() && !r.conversationId.isEmpty() && !r.text.isEmpty())
            m_items.push_back(r);
    }
}

} // namespace parley::console
