#include "parley/protocol/Codec.h"

#include <stdexcept>

using nlohmann::json;

namespace parley::protocol {
namespace {

json orNull(const std::optional<std::string>& v) {
    return v ? json(*v) : json(nullptr);
}

std::optional<std::string> optString(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return std::nullopt;
    return it->get<std::string>();
}

template <typename E>
E parseEnum(const json& j, const char* key, std::optional<E> (*parse)(std::string_view)) {
    const auto text = j.at(key).get<std::string>();
    if (auto v = parse(text))
        return *v;
    throw json::other_error::create(501, std::string("unknown value for ") + key + ": " + text, &j);
}

} // namespace

void to_json(json& j, const Conversation& v) {
    j = json{{"id", v.id},
             {"customer_session_id", v.customerSessionId},
             {"status", toString(v.status)},
             {"assigned_agent_id", orNull(v.assignedAgentId)},
             {"requested_agent_at", orNull(v.requestedAgentAt)},
             {"closed_at", orNull(v.closedAt)},
             {"created_at", v.createdAt},
             {"updated_at", v.updatedAt},
             {"queue_position", v.queuePosition ? json(*v.queuePosition) : json(nullptr)}};
    // v1.1: contact only when there is one; context and the read marks always (clients ignore
    // fields they do not know).
    if (v.contact) {
        j["contact"] = json{{"email", v.contact->email}};
        if (v.contact->name)
            j["contact"]["name"] = *v.contact->name;
    }
    if (v.rating) {
        j["rating"] = json{{"score", v.rating->score}, {"created_at", v.rating->createdAt}};
        if (v.rating->comment)
            j["rating"]["comment"] = *v.rating->comment;
    }
    json ctx = json::object();
    const std::pair<const char*, const std::optional<std::string>*> fields[] = {
        {"page_url", &v.context.pageUrl},
        {"page_title", &v.context.pageTitle},
        {"referrer", &v.context.referrer},
        {"locale", &v.context.locale},
        {"user_agent", &v.context.userAgent}};
    for (const auto& [key, value] : fields)
        if (*value)
            ctx[key] = **value;
    j["context"] = std::move(ctx);
    j["customer_last_read_seq"] = v.customerLastReadSeq;
    j["agent_last_read_seq"] = v.agentLastReadSeq;
}

void from_json(const json& j, Conversation& v) {
    v.id = j.at("id").get<std::string>();
    v.customerSessionId = j.at("customer_session_id").get<std::string>();
    v.status = parseEnum(j, "status", &parseConversationStatus);
    v.assignedAgentId = optString(j, "assigned_agent_id");
    v.requestedAgentAt = optString(j, "requested_agent_at");
    v.closedAt = optString(j, "closed_at");
    v.createdAt = j.at("created_at").get<std::string>();
    v.updatedAt = j.at("updated_at").get<std::string>();
    auto qp = j.find("queue_position");
    v.queuePosition = (qp == j.end() || qp->is_null()) ? std::nullopt : std::optional<int>(qp->get<int>());
    // v1.1: optional, and tolerant (clients ignore what they do not understand).
    v.contact.reset();
    if (auto ct = j.find("contact"); ct != j.end() && ct->is_object()) {
        auto email = ct->find("email");
        if (email != ct->end() && email->is_string()) {
            Contact contact{email->get<std::string>(), std::nullopt};
            if (auto name = ct->find("name"); name != ct->end() && name->is_string())
                contact.name = name->get<std::string>();
            v.contact = std::move(contact);
        }
    }
    v.rating.reset();
    if (auto rt = j.find("rating"); rt != j.end() && rt->is_object()) {
        auto score = rt->find("score");
        if (score != rt->end() && score->is_number_integer()) {
            Rating rating{score->get<int>(), std::nullopt, {}};
            if (auto comment = rt->find("comment"); comment != rt->end() && comment->is_string())
                rating.comment = comment->get<std::string>();
            if (auto at = rt->find("created_at"); at != rt->end() && at->is_string())
                rating.createdAt = at->get<std::string>();
            v.rating = std::move(rating);
        }
    }
    v.context = {};
    if (auto cx = j.find("context"); cx != j.end() && cx->is_object()) {
        auto text = [&cx](const char* key) -> std::optional<std::string> {
            auto it = cx->find(key);
            return it != cx->end() && it->is_string() ? std::optional(it->get<std::string>()) : std::nullopt;
        };
        v.context = PageContext{text("page_url"), text("page_title"), text("referrer"), text("locale"),
                                text("user_agent")};
    }
    auto readSeq = [&j](const char* key) -> std::int64_t {
        auto it = j.find(key);
        return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
    };
    v.customerLastReadSeq = readSeq("customer_last_read_seq");
    v.agentLastReadSeq = readSeq("agent_last_read_seq");
}

void to_json(json& j, const Message& v) {
    j = json{{"id", v.id},
             {"conversation_id", v.conversationId},
             {"seq", v.seq},
             {"sender_type", toString(v.senderType)},
             {"sender_agent_id", orNull(v.senderAgentId)},
             {"kind", toString(v.kind)},
             {"content", v.content},
             {"metadata", v.metadata.is_null() ? json::object() : v.metadata},
             {"client_msg_id", orNull(v.clientMsgId)},
             {"created_at", v.createdAt}};
}

void from_json(const json& j, Message& v) {
    v.id = j.at("id").get<std::string>();
    v.conversationId = j.at("conversation_id").get<std::string>();
    v.seq = j.at("seq").get<std::int64_t>();
    v.senderType = parseEnum(j, "sender_type", &parseSenderType);
    v.senderAgentId = optString(j, "sender_agent_id");
    v.kind = parseEnum(j, "kind", &parseMessageKind);
    v.content = j.at("content").get<std::string>();
    auto md = j.find("metadata");
    v.metadata = (md == j.end() || md->is_null()) ? json::object() : *md;
    v.clientMsgId = optString(j, "client_msg_id");
    v.createdAt = j.at("created_at").get<std::string>();
}

void to_json(json& j, const Agent& v) {
    j = json{{"id", v.id},
             {"username", v.username},
             {"display_name", v.displayName},
             {"role", toString(v.role)},
             {"presence", toString(v.presence)},
             {"max_active_chats", v.maxActiveChats},
             {"active_chats", v.activeChats},
             {"disabled", v.disabled}};
}

void from_json(const json& j, Agent& v) {
    v.id = j.at("id").get<std::string>();
    v.username = j.at("username").get<std::string>();
    v.displayName = j.at("display_name").get<std::string>();
    v.role = parseEnum(j, "role", &parseRole);
    v.presence = parseEnum(j, "presence", &parsePresence);
    v.maxActiveChats = j.at("max_active_chats").get<int>();
    v.activeChats = j.value("active_chats", 0);
    v.disabled = j.value("disabled", false);
}

void to_json(json& j, const Note& v) {
    j = json{{"id", v.id},
             {"conversation_id", v.conversationId},
             {"agent_id", v.agentId},
             {"agent_display_name", v.agentDisplayName},
             {"content", v.content},
             {"created_at", v.createdAt}};
}

void from_json(const json& j, Note& v) {
    v.id = j.at("id").get<std::string>();
    v.conversationId = j.at("conversation_id").get<std::string>();
    v.agentId = j.at("agent_id").get<std::string>();
    v.agentDisplayName = j.value("agent_display_name", "");
    v.content = j.at("content").get<std::string>();
    v.createdAt = j.at("created_at").get<std::string>();
}

void to_json(json& j, const CannedReply& v) {
    j = json{{"id", v.id}, {"shortcut", v.shortcut}, {"title", v.title}, {"content", v.content}};
}

void from_json(const json& j, CannedReply& v) {
    v.id = j.at("id").get<std::string>();
    v.shortcut = j.at("shortcut").get<std::string>();
    v.title = j.at("title").get<std::string>();
    v.content = j.at("content").get<std::string>();
}

void to_json(json& j, const FaqEntry& v) {
    j = json{{"slug", v.slug},          {"question", v.question},
             {"answer", v.answer},      {"display_order", v.displayOrder},
             {"is_active", v.isActive}, {"keywords", v.keywords}};
}

void from_json(const json& j, FaqEntry& v) {
    v.slug = j.at("slug").get<std::string>();
    v.question = j.at("question").get<std::string>();
    v.answer = j.at("answer").get<std::string>();
    v.displayOrder = j.value("display_order", 0);
    v.isActive = j.value("is_active", true);
    v.keywords = j.value("keywords", "");
}

} // namespace parley::protocol
