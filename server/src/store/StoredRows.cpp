#include "store/StoredRows.h"

namespace parley::server::stored {

protocol::PageContext pageContextFromJson(const std::string& text) {
    if (text.empty() || text == "{}")
        return {};
    const auto j = nlohmann::json::parse(text, nullptr, false);
    protocol::PageContext ctx;
    if (!j.is_object())
        return ctx;
    auto field = [&j](const char* key) -> std::optional<std::string> {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? std::optional(it->get<std::string>()) : std::nullopt;
    };
    return protocol::PageContext{field("page_url"), field("page_title"), field("referrer"), field("locale"),
                                 field("user_agent")};
}

std::string pageContextJson(const protocol::PageContext& ctx) {
    if (ctx.empty())
        return "{}";
    nlohmann::json j = nlohmann::json::object();
    const std::pair<const char*, const std::optional<std::string>*> fields[] = {
        {"page_url", &ctx.pageUrl},
        {"page_title", &ctx.pageTitle},
        {"referrer", &ctx.referrer},
        {"locale", &ctx.locale},
        {"user_agent", &ctx.userAgent}};
    for (const auto& [key, value] : fields)
        if (*value)
            j[key] = **value;
    return j.dump();
}

} // namespace parley::server::stored
