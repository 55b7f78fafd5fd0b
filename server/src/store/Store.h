#pragma once
// The persistence boundary. Use cases talk to ReadTx / WriteTx only, so a PostgreSQL store can
// replace SqliteStore without touching them. Every write job runs inside one transaction on the
// single writer; events it emits are published only after that transaction has committed.
// Writes pass an admission bound: a store that cannot take more without unbounded queueing
// refuses a write at once (StoreOverloaded) rather than letting every caller wait longer.

#include "parley/protocol/Types.h"
#include "store/Event.h"

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::server {

// --- Reports and data rights (issue 22) ---------------------------------------------------------
// One local day of a report: [startUtc, endUtc) as RFC 3339 UTC text (the stored timestamps' form).
struct ReportDayWindow {
    std::string date; // YYYY-MM-DD in the report's time zone
    std::string startUtc;
    std::string endUtc;
};
// A day's figures; durations in seconds, nullopt when there is nothing to measure.
struct ReportDayRow {
    std::int64_t conversations = 0;
    std::int64_t handoffs = 0;
    std::int64_t botResolved = 0;
    std::int64_t closed = 0;
    std::optional<double> firstResponseP50;
    std::optional<double> firstResponseP90;
    std::optional<double> resolutionP50;
    std::optional<double> ratingAvg;
    std::int64_t ratings = 0;
};
struct ReportAgentRow {
    std::string agentId;
    std::string displayName;
    std::int64_t closed = 0;
    std::optional<double> firstResponseP50;
    std::optional<double> ratingAvg;
};
struct ReportFigures {
    std::vector<ReportDayRow> days;
    std::vector<ReportAgentRow> agents;
};
struct AuditEntry {
    std::int64_t id = 0;
    std::string at;
    std::string actorAgentId;
    std::string actorUsername; // filled when read back (empty if the agent is gone)
    std::string action;        // "customer.erase", "customer.export"
    std::string subject;       // what it acted on (a customer_session_id)
};

// --- Reply mail (issue 21, mail21): e-mail of agent replies the shopper has not read ----------
// Per conversation with a reply address: whether an unread agent reply may wait for a mail, and
// what the mails so far covered. pendingSince: from when the delay counts (null: nothing to look at).
struct ReplyMailWatch {
    std::string conversationId;
    std::optional<std::string> pendingSince;
    std::int64_t mailedSeq = 0;            // the newest seq a mail has covered
    std::optional<std::string> lastMailAt; // when the last mail was queued
};
// One mail in the durable outbox. Deleted once the SMTP server has taken it; one that failed
// kMaxAttempts times stays with failedAt and its last error.
struct OutboxMail {
    std::int64_t id = 0;
    std::string conversationId;
    std::string recipient;
    std::string subject;
    std::string body;
    std::int64_t lastSeq = 0; // the newest message it carries
    std::string createdAt;
    int attempts = 0;
    std::optional<std::string> nextAttemptAt; // null once given up
    std::optional<std::string> lastError;
    std::optional<std::string> failedAt;
};

// An agent as stored: the contract's Agent plus what only the server sees.
struct AgentRecord {
    protocol::Agent agent;
    std::string passwordHash;
    // Monotonic across agents: a larger number is a more recent assignment (ties in time broken).
    std::optional<std::int64_t> lastAssignmentNo;
    std::string createdAt;
    std::string updatedAt;
};

// Agents at work B: one search result, the message and its conversation.
struct MessageHit {
    protocol::Conversation conversation;
    protocol::Message message;
};

class ReadTx {
public:
    virtual ~ReadTx() = default;

    virtual std::optional<protocol::Conversation> conversation(const std::string& id) = 0;
    virtual std::optional<protocol::Conversation> openConversationOfSession(const std::string& sessionId) = 0;
    // Messages with seq > afterSeq, ascending; limit <= 0 means all.
    virtual std::vector<protocol::Message> messages(const std::string& conversationId, std::int64_t afterSeq,
                                                    int limit = 0) = 0;
    // The message a sender sent with this client_msg_id: the idempotency key is (conversation,
    // sender, client_msg_id); the sender is the customer, or the agent senderAgentId.
    virtual std::optional<protocol::Message> messageByClientId(const std::string& conversationId,
                                                               protocol::SenderType sender,
                                                               const std::string& senderAgentId,
                                                               const std::string& clientMsgId) = 0;
    virtual std::int64_t lastSeq(const std::string& conversationId) = 0;

    // Unassigned conversations in `agent` status, oldest requested_agent_at first, positions filled.
    virtual std::vector<protocol::Conversation> queue() = 0;
    // Open (`agent`) conversations assigned to the agent, newest activity first.
    virtual std::vector<protocol::Conversation> conversationsAssignedTo(const std::string& agentId) = 0;

    virtual std::vector<protocol::FaqEntry> faq(bool activeOnly) = 0; // by display_order, then slug
    virtual std::optional<protocol::FaqEntry> faqEntry(const std::string& slug) = 0;

    // Admin settings: one JSON text per key ("bot", ...), validated by the use cases.
    virtual std::optional<std::string> setting(const std::string& key) = 0;

    virtual std::optional<AgentRecord> agentById(const std::string& id) = 0;
    // The role of the agent whose session this is, if the session exists: what authenticating an
    // agent's request needs, in one indexed read, without counting its chats.
    virtual std::optional<protocol::Role> agentSessionRole(const std::string& sessionId,
                                                           const std::string& agentId) = 0;
    virtual std::optional<AgentRecord> agentByUsername(const std::string& username) = 0;
    virtual std::vector<AgentRecord> agents() = 0; // ordered by username; active_chats filled
    // Ids of the agents whose presence is online, without loading or counting anything else.
    virtual std::vector<std::string> onlineAgentIds() = 0;

    // --- shoppers after hours and after the chat (issue 21) -------------------------------------
    // Assigned `agent` conversations whose newest customer, agent or system message is the
    // assigned agent's and was written at or before cutoff (RFC 3339 UTC, as stored): the customer
    // has not answered since, and the chat has not changed hands since.
    // Longest idle first, at most limit.
    virtual std::vector<std::string> idleConversationIds(const std::string& cutoff, int limit) = 0;
    // --- agents at work (issue 19): internal notes and canned replies ---
    virtual std::vector<protocol::Note> notes(const std::string& conversationId) = 0; // oldest first
    virtual std::vector<protocol::CannedReply> cannedReplies() = 0;                   // by shortcut
    virtual std::optional<protocol::CannedReply> cannedReply(const std::string& id) = 0;
    virtual std::optional<protocol::CannedReply> cannedReplyByShortcut(const std::string& shortcut) = 0;
    // --- Agents at work B: past chats and search ---------------------------------------------
    // Every conversation of a customer session, newest first.
    virtual std::vector<protocol::Conversation> conversationsOfSession(const std::string& sessionId) = 0;
    // Text messages of customers, agents and the bot matching an FTS5 query (terms already quoted
    // by the caller), best first; at most limit.
    virtual std::vector<MessageHit> searchMessages(const std::string& ftsQuery, int limit) = 0;
    // --- Reports and data rights (issue 22) ---
    // The report over the windows: one day row per window, in order (conversations by created_at,
    // handoffs and first responses by requested_agent_at, closes, resolutions and ratings by
    // closed_at; exact nearest-rank percentiles), and with withAgents every agent's figures over
    // the whole range, by display name. Each first response is looked up once for both.
    virtual ReportFigures reportFigures(const std::vector<ReportDayWindow>& days, bool withAgents) = 0;
    virtual std::vector<std::string> erasedCustomerSessions() = 0;
    virtual std::vector<AuditEntry> auditLog(int limit) = 0; // newest first
    // --- Reply mail (issue 21, mail21) ----------------------------------------------------------
    virtual std::optional<ReplyMailWatch> replyMailWatch(const std::string& conversationId) = 0;
    // Watches whose pendingSince is at or before cutoff, oldest first, at most limit.
    virtual std::vector<ReplyMailWatch> dueReplyMailWatches(const std::string& cutoff, int limit) = 0;
    // Outbox mails not given up whose next attempt is at or before now, oldest first, at most limit.
    virtual std::vector<OutboxMail> dueOutboxMails(const std::string& now, int limit) = 0;
    // The earliest next attempt of any mail not given up (the sender sleeps until then).
    virtual std::optional<std::string> nextOutboxAttemptAt() = 0;
    virtual std::vector<OutboxMail> outboxMailsOf(const std::string& conversationId) = 0;
};

class WriteTx : public virtual ReadTx {
public:
    virtual void insertConversation(const protocol::Conversation& c) = 0;
    virtual void updateConversation(const protocol::Conversation& c) = 0;
    // Assigns the next gap-free seq of the conversation to m.seq, inserts it and sets the
    // conversation's updated_at to m.createdAt. Throws DuplicateClientMsgId if the sender already
    // sent a message with m.clientMsgId in this conversation (the job then rolls back).
    virtual void appendMessage(protocol::Message& m) = 0;

    virtual void insertFaq(const protocol::FaqEntry& e, const std::string& now) = 0;
    virtual void updateFaq(const std::string& slug, const protocol::FaqEntry& e, const std::string& now) = 0;
    virtual bool deleteFaq(const std::string& slug) = 0;

    virtual void putSetting(const std::string& key, const std::string& json, const std::string& now) = 0;

    virtual void insertAgent(const AgentRecord& a) = 0;
    virtual void updateAgent(const AgentRecord& a) = 0; // everything but id and active_chats

    // Agent sessions: one per sign-in; a token is valid while its session exists.
    // expiresAt: Unix seconds, the token's own expiry (expired rows are only clean-up).
    virtual void insertAgentSession(const std::string& sessionId, const std::string& agentId,
                                    const std::string& createdAt, std::int64_t expiresAt) = 0;
    // Ends every session of the agent but keepSessionId (if given): its tokens stop working at
    // once. Returns how many ended.
    virtual int deleteAgentSessions(const std::string& agentId,
                                    const std::optional<std::string>& keepSessionId) = 0;
    virtual void deleteExpiredAgentSessions(const std::string& agentId, std::int64_t now) = 0;

    // --- shoppers after hours and after the chat (issue 21) -------------------------------------
    virtual void setContact(const std::string& conversationId, const protocol::Contact& contact) = 0;
    virtual void setRating(const std::string& conversationId, const protocol::Rating& rating) = 0;
    // --- agents at work (issue 19): internal notes and canned replies ---
    virtual void insertNote(const protocol::Note& n) = 0;
    virtual void insertCannedReply(const protocol::CannedReply& r, const std::string& now) = 0;
    virtual void updateCannedReply(const protocol::CannedReply& r, const std::string& now) = 0;
    virtual bool deleteCannedReply(const std::string& id) = 0; // false: no such reply
    // --- Agents at work B: page context and read marks ----------------------------------------
    virtual void setConversationContext(const std::string& conversationId,
                                        const protocol::PageContext& ctx) = 0;
    // Raises the reader's last read seq (reader: Customer or Agent) to min(seq, last seq); never
    // lowers it. Returns whether it rose.
    virtual bool raiseLastReadSeq(const std::string& conversationId, protocol::SenderType reader,
                                  std::int64_t seq) = 0;
    // --- Reports and data rights (issue 22) ---
    // Empties the content of every message of the session's conversations (metadata becomes
    // {"erased":true}; ids and seq stay), erases what else is stored about the shopper and records
    // the session as erased. Returns how many conversations it touched.
    virtual int eraseCustomerSession(const std::string& sessionId, const std::string& now) = 0;
    virtual void insertAuditEntry(const AuditEntry& e) = 0;
    // --- Reply mail (issue 21, mail21) ----------------------------------------------------------
    // Marks the conversation as possibly owing a mail from `since` on; an earlier mark stays.
    virtual void watchReplyMail(const std::string& conversationId, const std::string& since) = 0;
    virtual void putReplyMailWatch(const ReplyMailWatch& w) = 0;    // insert or replace
    virtual std::int64_t insertOutboxMail(const OutboxMail& m) = 0; // returns its id
    // Attempts, next attempt, last error and failedAt of an outbox mail.
    virtual void updateOutboxMail(const OutboxMail& m) = 0;
    virtual void deleteOutboxMail(std::int64_t id) = 0; // the SMTP server took it

    // Published to the EventSink after this job's transaction commits; dropped if it rolls back.
    virtual void publishAfterCommit(Event e) = 0;
};

// Which writes admission may refuse.
enum class Admission {
    Bounded, // a client's request: refused with StoreOverloaded while the write queue is full
    Always,  // the server's own maintenance (a lost agent's chats, start-up): never refused
};

// Thrown by Store::write, at once, when the write queue is full. The job did not run: nothing of
// it was written. The caller may try again after retryAfterSeconds.
class StoreOverloaded : public std::runtime_error {
public:
    explicit StoreOverloaded(int retryAfterSeconds = 1)
        : std::runtime_error("the store's write queue is full")
        , m_retryAfter(retryAfterSeconds) {}
    int retryAfterSeconds() const { return m_retryAfter; }

private:
    int m_retryAfter;
};

// Thrown by WriteTx::appendMessage when the idempotency key (conversation, sender, client_msg_id)
// is taken: the unique index refused the row, so the caller need not look the key up before every
// insert on the single writer, only when this says it is a repeat.
class DuplicateClientMsgId : public std::runtime_error {
public:
    DuplicateClientMsgId()
        : std::runtime_error("this client_msg_id was already used by this sender in this conversation") {}
};

// --- Several nodes (issue 20): a shared database that may be out of reach ---
// Thrown by a store whose database cannot be reached, or whose connection broke while a commit
// was under way (it is unknown whether it committed). Answered 503 like an overload; the client
// may retry (client_msg_id keeps a message from being stored twice).
// The embedded store throws it too while its disk refuses writes (full, or failing): nothing of the
// job was stored.
class StoreUnavailable : public StoreOverloaded {
public:
    StoreUnavailable()
        : StoreUnavailable("the database cannot be reached", 1) {}
    StoreUnavailable(std::string why, int retryAfterSeconds)
        : StoreOverloaded(retryAfterSeconds)
        , m_why(std::move(why)) {}
    const char* what() const noexcept override { return m_why.c_str(); }

private:
    std::string m_why;
};

class Store {
public:
    virtual ~Store() = default;

    // Runs job in a write transaction and returns once it has committed (or rethrows what the job
    // threw, after rolling its changes back). Safe to call from any thread. Throws StoreOverloaded
    // without running the job when admission refuses it.
    virtual void write(const std::function<void(WriteTx&)>& job, Admission admission) = 0;
    void write(const std::function<void(WriteTx&)>& job) { write(job, Admission::Bounded); }
    // Runs job on a consistent snapshot; never blocks the writer.
    virtual void read(const std::function<void(ReadTx&)>& job) = 0;
    // Brings the message search index up to date with every write committed before the call. A
    // store that indexes inside each write has nothing to do; one that indexes in batches after
    // commit (SqliteStore) indexes what is pending, so searchMessages finds it.
    virtual void refreshSearchIndex() {}
    // Why the store cannot serve requests right now (its database cannot be reached), or nothing.
    // Cheap: read by GET /healthz on a network thread. An embedded store is always there.
    virtual std::optional<std::string> unavailableReason() const { return std::nullopt; }

    template <typename F>
    auto writeResult(F&& f, Admission admission = Admission::Bounded)
        -> decltype(f(std::declval<WriteTx&>())) {
        using R = decltype(f(std::declval<WriteTx&>()));
        std::optional<R> out;
        write([&](WriteTx& tx) { out.emplace(f(tx)); }, admission);
        return std::move(*out);
    }
    template <typename F>
    auto readResult(F&& f) -> decltype(f(std::declval<ReadTx&>())) {
        using R = decltype(f(std::declval<ReadTx&>()));
        std::optional<R> out;
        read([&](ReadTx& tx) { out.emplace(f(tx)); });
        return std::move(*out);
    }
};

} // namespace parley::server
