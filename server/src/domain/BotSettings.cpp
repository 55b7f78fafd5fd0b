#include "domain/BotSettings.h"

#include "util/Text.h"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace parley::server {

using nlohmann::json;

namespace {

struct TextField {
    const char* name;
    std::string BotTexts::*member;
};
constexpr std::array<TextField, 5> kTextFields{{{"greeting", &BotTexts::greeting},
                                                {"fallback", &BotTexts::fallback},
                                                {"handoff_offer", &BotTexts::handoffOffer},
                                                {"thanks", &BotTexts::thanks},
                                                {"identity", &BotTexts::identity}}};

// Why a text cannot be used, or "" when it can.
std::string textProblem(const json& value, const std::string& name) {
    if (!value.is_string())
        return "bot." + name + " must be a string (or null for the default).";
    const auto& s = value.get_ref<const std::string&>();
    if (!isValidUtf8(s))
        return "bot." + name + " is not valid UTF-8.";
    if (isBlank(s))
        return "bot." + name + " must not be empty.";
    if (utf8Length(s) > BotSettings::kMaxTextChars)
        return "bot." + name + " must be at most " + std::to_string(BotSettings::kMaxTextChars) +
               " characters.";
    if (hasControlChars(s, true))
        return "bot." + name + " must not contain control characters.";
    return {};
}

std::string languageProblem(const json& value) {
    if (!value.is_string() || !text::parseLanguage(value.get<std::string>()))
        return "bot.language must be one of \"english\", \"german\", \"french\", \"spanish\".";
    return {};
}

} // namespace

json BotSettings::toJson() const {
    json out = json::object();
    for (const auto& f : kTextFields)
        out[f.name] = texts.*f.member;
    out["language"] = text::toString(language);
    return out;
}

BotSettings BotSettings::fromOverrides(const json& overrides) {
    BotSettings s;
    if (!overrides.is_object())
        return s;
    for (const auto& f : kTextFields)
        if (auto it = overrides.find(f.name); it != overrides.end() && textProblem(*it, f.name).empty())
            s.texts.*f.member = trim(it->get<std::string>());
    if (auto it = overrides.find("language"); it != overrides.end() && languageProblem(*it).empty())
        s.language = *text::parseLanguage(it->get<std::string>());
    return s;
}

json BotSettings::mergeOverrides(json overrides, const json& patch) {
    if (!patch.is_object())
        throw std::invalid_argument("bot must be an object.");
    if (!overrides.is_object())
        overrides = json::object();
    auto apply = [&](const char* name, const std::string& problem) {
        const auto& value = patch.at(name);
        if (value.is_null()) {
            overrides.erase(name);
            return;
        }
        if (!problem.empty())
            throw std::invalid_argument(problem);
        overrides[name] = value.is_string() ? json(trim(value.get<std::string>())) : value;
    };
    for (const auto& f : kTextFields)
        if (patch.contains(f.name))
            apply(f.name, textProblem(patch.at(f.name), f.name));
    if (patch.contains("language"))
        apply("language", languageProblem(patch.at("language")));
    return overrides;
}

} // namespace parley::server
