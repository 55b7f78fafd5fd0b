#include "app/ReplyMailService.h"

#include "util/Log.h"
#include "util/Text.h"
#include "util/Threads.h"

#include <algorithm>
#include <unordered_map>

namespace parley::server {

using protocol::ConversationStatus;
using protocol::Message;
using protocol::MessageKind;
using protocol::SenderType;

namespace {

// "2026-12-05T14:05:09.123Z" -> "2026-12-05 14:05 UTC"
std::string shortTime(const std::string& rfc3339) {
    if (rfc3339.size() < 16)
        return rfc3339;
    return rfc3339.substr(0, 10) + " " + rfc3339.substr(11, 5) + " UTC";
}

std::string domainOf(const std::string& address) {
    const auto at = address.rfind('@');
    return at == std::string::npos ? std::string("localhost") : address.substr(at + 1);
}

} // namespace

ReplyMailService::ReplyMailService(Store& store, MailTransport& transport,
                                   const CustomerConnections& connections, const Clock& clock,
                                   ReplyMailOptions options)
    : m_store(store)
    , m_transport(transport)
    , m_connections(connections)
    , m_clock(clock)
    , m_options(std::move(options))
    , m_startedAt(clock.now()) {}

ReplyMailService::~ReplyMailService() {
    stop();
}

// --- planning ------------------------------------------------------------------------------------

int ReplyMailService::planNow() {
    const auto now = m_clock.now();
    const auto cutoff = formatRfc3339(now - m_options.delay);
    const auto due = m_store.readResult([&](ReadTx& tx) { return tx.dueReplyMailWatches(cutoff, kBatch); });
    int queued = 0;
    for (const auto& w : due) {
        // One transaction per conversation: a failure (or an overloaded writer) leaves the others
        // alone, and the mark stays for the next pass.
        try {
            m_store.write([&](WriteTx& tx) {
                if (planOne(tx, w.conversationId, now) == Plan::Queued)
                    ++queued;
            });
        } catch (const StoreOverloaded&) {
            break; // the writer is busy with shoppers' requests: mail can wait for the next pass
        }
    }
    return queued;
}

ReplyMailService::Plan ReplyMailService::planOne(WriteTx& tx, const std::string& conversationId,
                                                 Clock::time_point now) {
    const auto cutoff = now - m_options.delay;
    auto w = tx.replyMailWatch(conversationId);
    if (!w || !w->pendingSince || *w->pendingSince > formatRfc3339(cutoff))
        return Plan::Nothing; // handled meanwhile
    const auto settle = [&](std::optional<Clock::time_point> lookAgainFrom) {
        w->pendingSince = lookAgainFrom ? std::optional(formatRfc3339(*lookAgainFrom)) : std::nullopt;
        tx.putReplyMailWatch(*w);
        return lookAgainFrom ? Plan::Later : Plan::Nothing;
    };

    const auto c = tx.conversation(conversationId);
    if (!c || !c->contact) // erased, or never had an address
        return settle(std::nullopt);
    if (*w->pendingSince < formatRfc3339(now - m_options.staleAfter))
        return settle(std::nullopt);

    std::vector<Message> unread;
    for (auto& m : tx.messages(c->id, std::max(c->customerLastReadSeq, w->mailedSeq)))
        if (m.senderType == SenderType::Agent && m.kind == MessageKind::Text && !m.content.empty())
            unread.push_back(std::move(m));
    if (unread.empty())
        return settle(std::nullopt); // read, or mailed already

    // The shopper is here (or was, within the delay): the widget shows the reply. The job's own
    // start counts as "was here", so widgets that lost their connection to a restart can return.
    auto lastSeen = m_connections.lastSeen(c->customerSessionId);
    if (!lastSeen || *lastSeen < m_startedAt)
        lastSeen = m_startedAt;
    if (*lastSeen > cutoff)
        return settle(*lastSeen);
    if (w->lastMailAt) {
        if (const auto last = parseRfc3339(*w->lastMailAt); last && *last + m_options.minInterval > now)
            return settle(*last + m_options.minInterval - m_options.delay);
    }

    // One mail for them all; the newest kMaxRepliesInMail if there are more.
    const std::size_t skipped = unread.size() > kMaxRepliesInMail ? unread.size() - kMaxRepliesInMail : 0;
    std::unordered_map<std::string, std::string> names;
    const auto nameOf = [&](const std::optional<std::string>& agentId) -> std::string {
        if (!agentId)
            return "Our team";
        auto it = names.find(*agentId);
        if (it == names.end()) {
            const auto a = tx.agentById(*agentId);
            it = names.emplace(*agentId, a ? a->agent.displayName : std::string("Our team")).first;
        }
        return it->second;
    };
    const auto& shop = m_options.shopName;
    const auto count = unread.size();
    std::string body = c->contact->name ? "Hello " + *c->contact->name + ",\n\n" : std::string("Hello,\n\n");
    body += (shop.empty() ? std::string("We") : shop) +
            (count == 1 ? " answered you in the chat while you were away:\n\n"
                        : " answered you in the chat while you were away (" + std::to_string(count) +
                              " messages):\n\n");
    if (skipped > 0)
        body += "(" + std::to_string(skipped) + " earlier messages are in the chat.)\n\n";
    for (std::size_t i = skipped; i < unread.size(); ++i) {
        const auto& m = unread[i];
        body += nameOf(m.senderAgentId) + ", " + shortTime(m.createdAt) + ":\n" + m.content + "\n\n";
    }
    body += c->status == ConversationStatus::Closed
                ? "This chat has been closed since. To write to us, open the chat on our website again.\n"
                : "You can answer in the chat on our website: the conversation is still open.\n";
    body += "\n-- \n" + (shop.empty() ? std::string("Sent by the shop's customer chat.") : shop) + "\n";
    const std::string subject = (shop.empty() ? std::string() : shop + ": ") +
                                (count == 1 ? "a reply to your chat" : "replies to your chat");

    const auto nowText = formatRfc3339(now);
    OutboxMail mail;
    mail.conversationId = c->id;
    mail.recipient = c->contact->email;
    mail.subject = subject;
    mail.body = std::move(body);
    mail.lastSeq = unread.back().seq;
    mail.createdAt = nowText;
    mail.nextAttemptAt = nowText;
    tx.insertOutboxMail(mail);
    w->mailedSeq = unread.back().seq;
    w->lastMailAt = nowText;
    settle(std::nullopt);
    return Plan::Queued;
}

// --- sending -------------------------------------------------------------------------------------

std::chrono::milliseconds ReplyMailService::backoff(int attempts) const {
    auto wait = m_options.retryFirst;
    for (int i = 1; i < attempts && wait < m_options.retryMax; ++i)
        wait *= 2;
    return std::min(wait, m_options.retryMax);
}

int ReplyMailService::sendDueNow() {
    // Claimed in a write before sending: several nodes on one database each run this, and writes
    // are serialized, so a mail is handed to exactly one of them. The claim moves its next attempt
    // past the time a send may take; a node that dies with it leaves it to the others after that.
    const auto at = m_clock.now();
    const auto now = formatRfc3339(at);
    const auto claimedUntil = formatRfc3339(at + m_options.sendLease);
    const auto due = m_store.writeResult(
        [&](WriteTx& tx) {
            auto mails = tx.dueOutboxMails(now, kBatch);
            for (const auto& mail : mails) {
                auto claimed = mail;
                claimed.nextAttemptAt = claimedUntil;
                tx.updateOutboxMail(claimed);
            }
            return mails;
        },
        Admission::Always);
    int sent = 0;
    for (const auto& mail : due) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping)
                break;
        }
        OutgoingMail out;
        out.from = m_options.from;
        out.fromName = m_options.shopName;
        out.to = mail.recipient;
        out.subject = mail.subject;
        out.body = mail.body;
        out.messageId = "<parley-reply-" + std::to_string(mail.id) + "." + mail.conversationId + "@" +
                        domainOf(m_options.from) + ">";
        std::optional<std::string> error;
        try {
            m_transport.send(out);
        } catch (const std::exception& e) {
            error = e.what();
        }
        // Recorded whatever the writer's load: a sent mail left in the outbox would go out twice.
        if (!error) {
            m_store.write([&](WriteTx& tx) { tx.deleteOutboxMail(mail.id); }, Admission::Always);
            ++sent;
            continue;
        }
        auto failed = mail;
        failed.attempts = mail.attempts + 1;
        failed.lastError = *error;
        const auto failedAt = m_clock.now();
        if (failed.attempts >= m_options.maxAttempts) {
            failed.nextAttemptAt.reset();
            failed.failedAt = formatRfc3339(failedAt);
            log::error("reply mail " + std::to_string(mail.id) + " given up after " +
                       std::to_string(failed.attempts) + " attempts: " + *error);
        } else {
            failed.nextAttemptAt = formatRfc3339(failedAt + backoff(failed.attempts));
            log::warn("reply mail " + std::to_string(mail.id) + " not sent (attempt " +
                      std::to_string(failed.attempts) + "), will try again: " + *error);
        }
        m_store.write([&](WriteTx& tx) { tx.updateOutboxMail(failed); }, Admission::Always);
    }
    return sent;
}

// --- the thread ----------------------------------------------------------------------------------

void ReplyMailService::start() {
    if (m_thread.joinable())
        return;
    m_stopping = false;
    m_thread = std::thread([this] {
        threads::nameThisThread("reply-mail");
        std::unique_lock lock(m_mutex);
        while (!m_stopping) {
            lock.unlock();
            auto wait = m_options.checkInterval;
            try {
                planNow();
                sendDueNow();
                // Sleep until the next pass or the next retry, whichever is first.
                if (const auto next = m_store.readResult([](ReadTx& tx) { return tx.nextOutboxAttemptAt(); }))
                    if (const auto at = parseRfc3339(*next)) {
                        const auto until =
                            std::chrono::duration_cast<std::chrono::milliseconds>(*at - m_clock.now());
                        wait = std::clamp(until, std::chrono::milliseconds(1), wait);
                    }
            } catch (const std::exception& e) {
                log::error(std::string("reply mail job failed, will try again: ") + e.what());
            }
            lock.lock();
            m_wake.wait_for(lock, wait, [this] { return m_stopping; });
        }
    });
}

void ReplyMailService::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

} // namespace parley::server
