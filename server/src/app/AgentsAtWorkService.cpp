#include "app/AgentsAtWorkService.h"

#include "app/ChatService.h"
#include "parley/protocol/Codec.h"
#include "parley/protocol/Events.h"
#include "util/Text.h"

#include <algorithm>

namespace parley::server {

using nlohmann::json;
using protocol::CannedReply;
using protocol::Note;
namespace events = protocol::events;

namespace {

std::string asciiLower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

bool isValidShortcut(const std::string& s) {
    return !s.empty() && s.size() <= protocol::kMaxCannedShortcutChars &&
           std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
           });
}

void validateCanned(const CannedReply& r) {
    if (!isValidShortcut(r.shortcut))
        throw ApiError::invalid("shortcut must be 1-32 lower-case letters, digits, dashes or underscores.");
    if (!isValidUtf8(r.title) || isBlank(r.title) || utf8Length(r.title) > protocol::kMaxCannedTitleChars ||
        hasControlChars(r.title))
        throw ApiError::invalid("title must be 1 to 200 characters without control characters.");
    validateMessageContent(r.content); // content is what an agent will send: the same rules
}

// Notes are an agent-only affair: a customer's token, or an id that is no conversation, is 404.
protocol::Conversation agentVisibleConversation(ReadTx& tx, const Caller& who, const std::string& id) {
    if (!std::holds_alternative<AgentIdentity>(who) || !isUuid(id))
        throw ApiError::notFound("No such conversation.");
    auto c = tx.conversation(id);
    if (!c)
        throw ApiError::notFound("No such conversation.");
    return *c;
}

} // namespace

Note appendNote(WriteTx& tx, const protocol::Conversation& c, const std::string& agentId,
                const std::string& agentDisplayName, const std::string& content, const std::string& now) {
    validateMessageContent(content);
    Note n{newTimeOrderedUuid(), c.id, agentId, agentDisplayName, content, now};
    tx.insertNote(n);
    Audience a;
    if (c.assignedAgentId)
        a.agentIds.push_back(*c.assignedAgentId);
    a.watchersOf = c.id;
    // No seq: a note is not a message, so the realtime side never counts it into resume.
    tx.publishAfterCommit(Event{events::kNoteCreated, json{{"note", n}}, std::move(a), c.id, 0});
    return n;
}

AgentsAtWorkService::AgentsAtWorkService(Store& store, const Clock& clock)
    : m_store(store)
    , m_clock(clock) {}

std::vector<Note> AgentsAtWorkService::notes(const Caller& who, const std::string& conversationId) const {
    return m_store.readResult([&](ReadTx& tx) {
        agentVisibleConversation(tx, who, conversationId);
        return tx.notes(conversationId);
    });
}

Note AgentsAtWorkService::addNote(const Caller& who, const std::string& conversationId,
                                  const std::string& content) {
    if (!std::holds_alternative<AgentIdentity>(who))
        throw ApiError::notFound("No such conversation.");
    validateMessageContent(content);
    const auto agentId = std::get<AgentIdentity>(who).agentId;
    return writeResult([&](WriteTx& tx) {
        const auto c = agentVisibleConversation(tx, who, conversationId);
        const auto author = tx.agentById(agentId);
        if (!author)
            throw ApiError::unauthorized("This agent no longer exists.");
        return appendNote(tx, c, agentId, author->agent.displayName, content, formatRfc3339(m_clock.now()));
    });
}

std::vector<CannedReply> AgentsAtWorkService::searchCanned(const std::string& q) const {
    auto all = allCanned(); // by shortcut; a team keeps tens to hundreds, so a scan is cheap
    const auto needle = asciiLower(trim(q));
    if (needle.empty())
        return all;
    std::vector<CannedReply> byShortcut, byText;
    for (auto& r : all) {
        if (asciiLower(r.shortcut).find(needle) != std::string::npos)
            byShortcut.push_back(std::move(r));
        else if (asciiLower(r.title).find(needle) != std::string::npos ||
                 asciiLower(r.content).find(needle) != std::string::npos)
            byText.push_back(std::move(r));
    }
    std::move(byText.begin(), byText.end(), std::back_inserter(byShortcut));
    return byShortcut;
}

std::vector<CannedReply> AgentsAtWorkService::allCanned() const {
    return m_store.readResult([](ReadTx& tx) { return tx.cannedReplies(); });
}

CannedReply AgentsAtWorkService::createCanned(const CannedReply& r) {
    validateCanned(r);
    return writeResult([&](WriteTx& tx) {
        if (tx.cannedReplyByShortcut(r.shortcut))
            throw ApiError::conflict("A canned reply with shortcut \"" + r.shortcut + "\" already exists.");
        CannedReply created = r;
        created.id = newUuid();
        tx.insertCannedReply(created, formatRfc3339(m_clock.now()));
        return created;
    });
}

CannedReply AgentsAtWorkService::updateCanned(const std::string& id, const CannedPatch& patch) {
    return writeResult([&](WriteTx& tx) {
        auto r = isUuid(id) ? tx.cannedReply(id) : std::nullopt;
        if (!r)
            throw ApiError::notFound("No such canned reply.");
        if (patch.shortcut)
            r->shortcut = *patch.shortcut;
        if (patch.title)
            r->title = *patch.title;
        if (patch.content)
            r->content = *patch.content;
        validateCanned(*r);
        if (auto other = tx.cannedReplyByShortcut(r->shortcut); other && other->id != id)
            throw ApiError::conflict("A canned reply with shortcut \"" + r->shortcut + "\" already exists.");
        tx.updateCannedReply(*r, formatRfc3339(m_clock.now()));
        return *r;
    });
}

void AgentsAtWorkService::deleteCanned(const std::string& id) {
    writeResult([&](WriteTx& tx) {
        if (!isUuid(id) || !tx.deleteCannedReply(id))
            throw ApiError::notFound("No such canned reply.");
        return true;
    });
}

} // namespace parley::server
