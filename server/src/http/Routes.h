#pragma once
// The contract's REST calls by area, and the request parsing they share: every failure is an
// ApiError 400 with a message that names the field. Adding a call is one router line and a
// lambda in the file of its area.

#include "auth/Identity.h"
#include "http/Router.h"
#include "parley/protocol/Types.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace parley::server {

class ChatService;
class AfterHoursService;
class AgentsAtWorkService;
class InsightService;
class ReportsService;

void addCustomerRoutes(Router& router, ChatService& chat); // customer sessions and conversations
void addAgentRoutes(Router& router, ChatService& chat);    // sign-in, presence, queue, team
void addAdminRoutes(Router& router, ChatService& chat);    // FAQ and agents
// Contact and rating (issue 21); registered by the composition root.
void addAfterHoursRoutes(Router& router, ChatService& chat, AfterHoursService& afterHours);
// Issue 19: internal notes, transfers, canned replies.
void addAgentsAtWorkRoutes(Router& router, ChatService& chat, AgentsAtWorkService& work);
// Agents at work B: page context, read marks, past chats, search.
void addInsightRoutes(Router& router, ChatService& chat, InsightService& insights);
// Reports, a shopper's data exported or erased, the audit log (issue 22).
void addReportsRoutes(Router& router, ChatService& chat, ReportsService& reports);

// The caller named by the bearer token (401 when there is none or it is not valid).
Caller callerOf(ChatService& chat, const Request& req);

// The body as a JSON object ({} when empty); 400 when it is not JSON (UTF-8) or not an object.
nlohmann::json jsonBody(const Request& req);
std::string requireString(const nlohmann::json& body, const char* field);
std::optional<std::string> optionalString(const nlohmann::json& body, const char* field);
std::optional<int> optionalInt(const nlohmann::json& body, const char* field);
std::optional<bool> optionalBool(const nlohmann::json& body, const char* field);
std::optional<protocol::Role> optionalRole(const nlohmann::json& body);

} // namespace parley::server
