#pragma once
// Reports and data rights (issue 22), transport-free: the daily report over a range of local days
// in an IANA time zone, its CSV form, and a shopper's data exported or erased, with an audit log
// of what admins did. Figures are computed by the store in SQL over the stored conversations and
// messages; this class validates the request and turns local days into UTC windows.

#include "app/ApiError.h"
#include "app/ChatService.h"
#include "app/ErasedCustomers.h"
#include "auth/Identity.h"
#include "store/Store.h"
#include "util/Clock.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace parley::server {

class ReportsService {
public:
    static constexpr int kMaxDays = 366;
    static constexpr int kMaxAuditEntries = 1000;

    // Loads the erased sessions from the store into `erased`, which authentication consults.
    // chat: closes an erased shopper's open conversation and connections (without it, they stay).
    ReportsService(Store& store, const Clock& clock, ErasedCustomers& erased, ChatService* chat = nullptr);

    // A validated report request: the local days from..to in zone tz, as UTC windows.
    struct Range {
        std::string from;
        std::string to;
        std::string timeZone;
        std::vector<ReportDayWindow> days;
    };
    // from, to: YYYY-MM-DD, from <= to, at most kMaxDays days; tz: an IANA zone name ("UTC" when
    // absent). ApiError 400 invalid_request naming the field otherwise.
    static Range parseRange(const std::optional<std::string>& from, const std::optional<std::string>& to,
                            const std::optional<std::string>& tz);

    // {"days":[...],"agents":[...]} as the contract names them.
    nlohmann::json report(const Range& range) const;
    // The days table as CSV: a header row, then one row a day; empty cells for no value.
    std::string reportCsv(const Range& range) const;

    // Everything stored about the shopper; recorded in the audit log. 404 for a malformed id.
    nlohmann::json exportCustomer(const AgentIdentity& by, const std::string& sessionId);
    // Erases the shopper's data and ends its tokens; recorded in the audit log. Idempotent.
    void eraseCustomer(const AgentIdentity& by, const std::string& sessionId);

    // {"entries":[...]}, newest first.
    nlohmann::json auditLog(int limit) const;

private:
    std::vector<ReportDayRow> dayRows(const Range& range) const;

    Store& m_store;
    const Clock& m_clock;
    ErasedCustomers& m_erased;
    ChatService* m_chat = nullptr;
};

} // namespace parley::server
