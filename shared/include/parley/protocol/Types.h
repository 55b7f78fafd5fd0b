#pragma once
// The objects of the public contract (shared/contract/API.md, "Objects"), as plain C++ values.
// Timestamps are RFC 3339 UTC strings and ids are UUID strings, exactly as they travel.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::protocol {

enum class ConversationStatus { Automated, Agent, Closed };
enum class SenderType { Customer, Bot, Agent, System };
enum class MessageKind { Text, QuickReply, Event };
enum class Role { Agent, Admin };
enum class Presence { Online, Offline };

// Wire names, and their inverse. The parse functions return nullopt for an unknown name.
std::string_view toString(ConversationStatus v);
std::string_view toString(SenderType v);
std::string_view toString(MessageKind v);
std::string_view toString(Role v);
std::string_view toString(Presence v);
std::optional<ConversationStatus> parseConversationStatus(std::string_view s);
std::optional<SenderType> parseSenderType(std::string_view s);
std::optional<MessageKind> parseMessageKind(std::string_view s);
std::optional<Role> parseRole(std::string_view s);
std::optional<Presence> parsePresence(std::string_view s);

// v1.1 "Agents at work": what the shopper told us (reply address) and where it is in the shop.
// Optional on the wire: a v1 server sends neither, and then these stay empty.
struct Contact {
    std::string email;
    std::optional<std::string> name;

    bool operator==(const Contact&) const = default;
};

// v1.1 "Shoppers after the chat": the shopper's rating of a closed conversation, given once.
struct Rating {
    int score = 0; // 1..5
    std::optional<std::string> comment;
    std::string createdAt;

    bool operator==(const Rating&) const = default;
};

struct PageContext {
    std::optional<std::string> pageUrl;
    std::optional<std::string> pageTitle;
    std::optional<std::string> referrer;
    std::optional<std::string> locale;
    std::optional<std::string> userAgent;

    bool empty() const { return !pageUrl && !pageTitle && !referrer && !locale && !userAgent; }
    bool operator==(const PageContext&) const = default;
};

struct Conversation {
    std::string id;
    std::string customerSessionId;
    ConversationStatus status = ConversationStatus::Automated;
    std::optional<std::string> assignedAgentId;
    std::optional<std::string> requestedAgentAt;
    std::optional<std::string> closedAt;
    std::string createdAt;
    std::string updatedAt;
    std::optional<int> queuePosition; // 1-based place while waiting in the queue, else null
    std::optional<Contact> contact;   // v1.1; written as null/omitted when unknown
    PageContext context;              // v1.1; always an object on the wire ({} when nothing is known)
    std::optional<Rating> rating;     // v1.1; written as null/omitted when not rated
    // v1.1: the highest seq each side has read (0: nothing yet); they only ever rise.
    std::int64_t customerLastReadSeq = 0;
    std::int64_t agentLastReadSeq = 0;

    bool isQueued() const { return status == ConversationStatus::Agent && !assignedAgentId; }
    bool operator==(const Conversation&) const = default;
};

struct Message {
    std::string id;
    std::string conversationId;
    std::int64_t seq = 0;
    SenderType senderType = SenderType::Customer;
    std::optional<std::string> senderAgentId;
    MessageKind kind = MessageKind::Text;
    std::string content;
    nlohmann::json metadata = nlohmann::json::object();
    std::optional<std::string> clientMsgId;
    std::string createdAt;

    bool operator==(const Message&) const = default;
};

struct Agent {
    std::string id;
    std::string username;
    std::string displayName;
    Role role = Role::Agent;
    Presence presence = Presence::Offline;
    int maxActiveChats = 0;
    int activeChats = 0;
    bool disabled = false; // v1.1: cannot sign in, takes no chats

    bool operator==(const Agent&) const = default;
};

// v1.1: an agent's internal note on a conversation; never part of its messages or seq.
struct Note {
    std::string id;
    std::string conversationId;
    std::string agentId;
    std::string agentDisplayName;
    std::string content;
    std::string createdAt;

    bool operator==(const Note&) const = default;
};

// v1.1: a reply the team keeps ready; agents find it by shortcut, title or content.
struct CannedReply {
    std::string id;
    std::string shortcut;
    std::string title;
    std::string content;

    bool operator==(const CannedReply&) const = default;
};

struct FaqEntry {
    std::string slug;
    std::string question;
    std::string answer;
    int displayOrder = 0;
    bool isActive = true;
    std::string keywords; // v1.1: other phrasings and synonyms the bot matches too; "" by default

    bool operator==(const FaqEntry&) const = default;
};

// Limits the contract fixes.
inline constexpr std::size_t kMaxMessageChars = 4000; // Unicode code points
inline constexpr int kMaxActiveChatsLimit = 100;
inline constexpr std::size_t kMaxCannedShortcutChars = 32;
inline constexpr std::size_t kMaxCannedTitleChars = 200;
inline constexpr std::size_t kMaxFaqKeywordsChars = 1000;  // Unicode code points
inline constexpr std::size_t kMaxContextFieldChars = 2000; // each field of a PageContext, code points
inline constexpr const char* kQueuedMessage = "All agents are busy. You are in queue.";

} // namespace parley::protocol
