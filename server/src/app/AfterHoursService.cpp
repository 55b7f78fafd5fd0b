#include "app/AfterHoursService.h"

#include "parley/protocol/Codec.h"
#include "parley/protocol/Events.h"
#include "util/Log.h"
#include "util/Text.h"
#include "util/Threads.h"

#include <algorithm>

namespace parley::server {

using nlohmann::json;
using protocol::Conversation;
using protocol::ConversationStatus;
namespace events = protocol::events;
namespace errors = protocol::errors;

namespace {

constexpr const char* kHoursKey = "business_hours";
constexpr const char* kIdleKey = "idle_close_minutes";

json storedJson(ReadTx& tx, const char* key) {
    const auto text = tx.setting(key);
    if (!text)
        return nullptr;
    auto value = json::parse(*text, nullptr, false);
    return value.is_discarded() ? json(nullptr) : value;
}

bool isControlOrSpace(unsigned char c) {
    return c <= 0x20 || c == 0x7f;
}

// A reply address: sane, not RFC 5321 in full. One @, a local part and a domain with a dot
// inside, no spaces or control characters, at most 254 bytes (the SMTP path limit).
void validateEmail(const std::string& email) {
    const auto bad = [] {
        return ApiError::invalid("email must be an e-mail address such as name@example.com.");
    };
    if (email.empty() || email.size() > AfterHoursService::kMaxEmailBytes || !isValidUtf8(email))
        throw email.size() > AfterHoursService::kMaxEmailBytes
            ? ApiError::invalid("email must be at most 254 characters.")
            : bad();
    if (std::any_of(email.begin(), email.end(),
                    [](char c) { return isControlOrSpace(static_cast<unsigned char>(c)); }))
        throw bad();
    const auto at = email.find('@');
    if (at == std::string::npos || email.find('@', at + 1) != std::string::npos)
        throw bad();
    const auto local = std::string_view(email).substr(0, at);
    const auto domain = std::string_view(email).substr(at + 1);
    if (local.empty() || local.size() > 64 || domain.size() < 3)
        throw bad();
    const auto dot = domain.find('.');
    if (dot == std::string_view::npos || domain.front() == '.' || domain.back() == '.' ||
        domain.find("..") != std::string_view::npos)
        throw bad();
}

// Free text a person typed (a name, a comment): valid UTF-8, bounded, tabs and line breaks
// only where allowed, no other control characters.
void validateText(const std::string& value, const char* field, std::size_t maxChars, bool multiLine) {
    if (!isValidUtf8(value))
        throw ApiError::invalid(std::string(field) + " is not valid UTF-8.");
    if (utf8Length(value) > maxChars)
        throw ApiError::invalid(std::string(field) + " must be at most " + std::to_string(maxChars) +
                                " characters.");
    if (hasControlChars(value, multiLine))
        throw ApiError::invalid(std::string(field) + " must not contain control characters.");
}

Conversation ownConversation(ReadTx& tx, const CustomerIdentity& who, const std::string& id) {
    if (!isUuid(id))
        throw ApiError::notFound("No such conversation.");
    auto c = tx.conversation(id);
    if (!c || c->customerSessionId != who.sessionId)
        throw ApiError::notFound("No such conversation.");
    return *c;
}

} // namespace

AfterHoursService::AfterHoursService(Store& store, ChatService& chat, const Clock& clock,
                                     AfterHoursOptions options)
    : m_store(store)
    , m_chat(chat)
    , m_clock(clock)
    , m_options(options) {}

AfterHoursService::~AfterHoursService() {
    stop();
}

void AfterHoursService::write(const std::function<void(WriteTx&)>& job) {
    try {
        m_store.write(job);
    } catch (const StoreOverloaded& e) {
        throw ApiError::overloaded(e.retryAfterSeconds());
    }
}

// --- settings ------------------------------------------------------------------------------------

AfterHoursService::Settings AfterHoursService::readSettings(ReadTx& tx) {
    Settings s;
    const auto hours = storedJson(tx, kHoursKey);
    if (hours.is_object()) {
        try {
            s.hours = BusinessHours::fromJson(hours);
        } catch (const std::exception& e) {
            // Stored valid, so only the system's zone data can have changed under it.
            log::error(std::string("stored business_hours no longer valid, ignored: ") + e.what());
        }
    }
    const auto idle = storedJson(tx, kIdleKey);
    if (idle.is_number_integer())
        s.idleCloseMinutes = idle.get<int>();
    return s;
}

void AfterHoursService::read(ReadTx& tx, json& out) const {
    const auto s = readSettings(tx);
    out[kHoursKey] = s.hours ? s.hours->toJson() : json(nullptr);
    out[kIdleKey] = s.idleCloseMinutes ? json(*s.idleCloseMinutes) : json(nullptr);
}

void AfterHoursService::apply(WriteTx& tx, const json& patch, const std::string& now) {
    if (auto hours = patch.find(kHoursKey); hours != patch.end()) {
        if (hours->is_null()) {
            tx.putSetting(kHoursKey, "null", now);
        } else {
            try {
                tx.putSetting(kHoursKey, BusinessHours::fromJson(*hours).toJson().dump(), now);
            } catch (const std::invalid_argument& e) {
                throw ApiError::invalid(e.what());
            }
        }
    }
    if (auto idle = patch.find(kIdleKey); idle != patch.end()) {
        if (idle->is_null()) {
            tx.putSetting(kIdleKey, "null", now);
        } else {
            const bool ok = idle->is_number_integer() && idle->get<long long>() >= 1 &&
                            idle->get<long long>() <= kMaxIdleCloseMinutes;
            if (!ok)
                throw ApiError::invalid("idle_close_minutes must be an integer from 1 to 10080, or null.");
            tx.putSetting(kIdleKey, std::to_string(idle->get<long long>()), now);
        }
    }
}

void AfterHoursService::committed() {
    {
        std::lock_guard lock(m_settingsMutex);
        m_settings.reset();
        ++m_settingsGeneration;
    }
    m_jobWake.notify_all(); // a new idle setting applies at once
}

std::shared_ptr<const AfterHoursService::Settings> AfterHoursService::settings() const {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(m_settingsMutex);
        if (m_settings)
            return m_settings;
        generation = m_settingsGeneration;
    }
    auto fresh =
        std::make_shared<const Settings>(m_store.readResult([](ReadTx& tx) { return readSettings(tx); }));
    std::lock_guard lock(m_settingsMutex);
    if (generation == m_settingsGeneration) // not older than a change committed meanwhile
        m_settings = fresh;
    return fresh;
}

json AfterHoursService::widgetStatus() const {
    const auto s = settings();
    const auto now = m_clock.now();
    const bool open = !s->hours || s->hours->openAt(now);
    json next = nullptr;
    if (!open)
        if (auto at = s->hours->nextOpenAfter(now))
            next = formatRfc3339(*at);
    const auto online = m_chat.onlineAgentIds().size();
    return json{{"open_now", open}, {"next_open_at", next}, {"agents_online", online}};
}

// --- contact and rating --------------------------------------------------------------------------

Conversation AfterHoursService::setContact(const CustomerIdentity& who, const std::string& conversationId,
                                           const protocol::Contact& contact) {
    validateEmail(contact.email);
    if (contact.name) {
        validateText(*contact.name, "name", kMaxNameChars, false);
        if (isBlank(*contact.name))
            throw ApiError::invalid("name must not be empty (leave it out instead).");
    }
    Conversation out;
    write([&](WriteTx& tx) {
        auto c = ownConversation(tx, who, conversationId);
        if (c.status == ConversationStatus::Closed)
            throw ApiError(409, errors::kConversationClosed, "This conversation is closed.");
        tx.setContact(c.id, contact);
        // Reply mail (mail21): agent replies written before the address was left count too.
        tx.watchReplyMail(c.id, formatRfc3339(m_clock.now()));
        out = *tx.conversation(c.id);
        // The customer's other tabs, the agent on the chat, and the queue view while it waits.
        Audience a;
        a.customerSessionId = out.customerSessionId;
        if (out.assignedAgentId)
            a.agentIds.push_back(*out.assignedAgentId);
        else if (out.isQueued())
            a.agentIds = tx.onlineAgentIds();
        tx.publishAfterCommit(
            Event{events::kConversationUpdated, json{{"conversation", out}}, std::move(a), out.id, 0});
    });
    return out;
}

Conversation AfterHoursService::rate(const CustomerIdentity& who, const std::string& conversationId,
                                     int score, const std::optional<std::string>& comment) {
    if (score < 1 || score > 5)
        throw ApiError::invalid("score must be an integer from 1 to 5.");
    std::optional<std::string> kept;
    if (comment) {
        validateText(*comment, "comment", kMaxCommentChars, true);
        if (!isBlank(*comment))
            kept = *comment;
    }
    Conversation out;
    write([&](WriteTx& tx) {
        auto c = ownConversation(tx, who, conversationId);
        if (c.status != ConversationStatus::Closed)
            throw ApiError(409, errors::kInvalidTransition, "Only a closed conversation can be rated.");
        if (c.rating)
            throw ApiError::conflict("This conversation has been rated already.");
        tx.setRating(c.id, protocol::Rating{score, kept, formatRfc3339(m_clock.now())});
        out = *tx.conversation(c.id);
        // The agent who closed it: the closing system message (the last one: closed is read-only)
        // names it; an idle close names the assigned agent.
        std::string closer = out.assignedAgentId.value_or("");
        const auto last = tx.lastSeq(c.id);
        for (const auto& m : tx.messages(c.id, last - 1))
            if (m.metadata.is_object() && m.metadata.value("event", "") == "closed")
                closer = m.metadata.value("agent_id", closer);
        if (!closer.empty()) {
            Audience a;
            a.agentIds = {closer};
            tx.publishAfterCommit(
                Event{events::kConversationUpdated, json{{"conversation", out}}, std::move(a), out.id, 0});
        }
    });
    return out;
}

// --- idle auto-close -----------------------------------------------------------------------------

int AfterHoursService::closeIdleNow() {
    const auto s = settings();
    if (!s->idleCloseMinutes)
        return 0;
    const auto idleFor = m_options.idleCloseUnit * *s->idleCloseMinutes;
    const bool inMinutes = m_options.idleCloseUnit == std::chrono::minutes(1);
    const auto n = *s->idleCloseMinutes;
    const std::string reason =
        "Conversation closed after " + std::to_string(n) +
        (inMinutes ? (n == 1 ? " minute" : " minutes") : (n == 1 ? " second" : " seconds")) +
        " without a reply.";
    int total = 0;
    for (;;) {
        const int closed = m_chat.closeIdle(m_clock.now() - idleFor, reason);
        total += closed;
        if (closed < 100) // the last batch
            break;
    }
    return total;
}

void AfterHoursService::start() {
    if (m_job.joinable())
        return;
    m_stopping = false;
    m_job = std::thread([this] {
        threads::nameThisThread("idle-close");
        std::unique_lock lock(m_jobMutex);
        while (!m_stopping) {
            lock.unlock();
            try {
                if (const int n = closeIdleNow(); n > 0)
                    log::info("idle auto-close: closed " + std::to_string(n) + " conversation(s)");
            } catch (const std::exception& e) {
                log::error(std::string("idle auto-close failed, will try again: ") + e.what());
            }
            lock.lock();
            m_jobWake.wait_for(lock, m_options.idleCheckInterval, [this] { return m_stopping; });
        }
    });
}

void AfterHoursService::stop() {
    {
        std::lock_guard lock(m_jobMutex);
        m_stopping = true;
    }
    m_jobWake.notify_all();
    if (m_job.joinable())
        m_job.join();
}

} // namespace parley::server
