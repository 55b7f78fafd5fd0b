#pragma once
// The bot's admin settings ("bot" in GET/PUT /api/v1/admin/settings): its texts in the shop's
// words and the shop's language. Only what the admin set is stored (the overrides), so a field
// added later gets its default and null puts a field back to its default.

#include "domain/FaqBot.h"
#include "domain/TextMatcher.h"

#include <nlohmann/json.hpp>

namespace parley::server {

struct BotSettings {
    static constexpr std::size_t kMaxTextChars = 1000; // Unicode code points

    BotTexts texts = BotTexts::defaults();
    text::Language language = text::Language::English;

    // {"greeting","fallback","handoff_offer","thanks","identity","language"}
    nlohmann::json toJson() const;
    // The settings from the stored overrides; a stored value that is no longer valid is ignored.
    static BotSettings fromOverrides(const nlohmann::json& overrides);
    // Applies the "bot" object of a PUT to the stored overrides: a value replaces a field, null
    // resets it, fields not named stay as they are, unknown fields are ignored. Throws
    // std::invalid_argument with a message that names the field.
    static nlohmann::json mergeOverrides(nlohmann::json overrides, const nlohmann::json& patch);
};

} // namespace parley::server
