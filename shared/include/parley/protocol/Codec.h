#pragma once
// nlohmann_json codecs for the contract's objects. from_json throws nlohmann::json::exception
// (type_error / out_of_range) on a missing field or a wrong type; callers map that to their errors.

#include "parley/protocol/Types.h"

#include <nlohmann/json.hpp>

namespace parley::protocol {

void to_json(nlohmann::json& j, const Conversation& v);
void from_json(const nlohmann::json& j, Conversation& v);
void to_json(nlohmann::json& j, const Message& v);
void from_json(const nlohmann::json& j, Message& v);
void to_json(nlohmann::json& j, const Agent& v);
void from_json(const nlohmann::json& j, Agent& v);
void to_json(nlohmann::json& j, const FaqEntry& v);
void from_json(const nlohmann::json& j, FaqEntry& v);
void to_json(nlohmann::json& j, const Note& v);
void from_json(const nlohmann::json& j, Note& v);
void to_json(nlohmann::json& j, const CannedReply& v);
void from_json(const nlohmann::json& j, CannedReply& v);

} // namespace parley::protocol
