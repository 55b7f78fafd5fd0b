// Admin calls of issue 22: reports, a shopper's data exported or erased, the audit log.
#include "app/ApiError.h"
#include "app/ChatService.h"
#include "app/ReportsService.h"
#include "http/Routes.h"

#include <charconv>

namespace parley::server {

namespace {

ReportsService::Range rangeOf(const Request& req) {
    return ReportsService::parseRange(req.queryParam("from"), req.queryParam("to"), req.queryParam("tz"));
}

int auditLimitOf(const Request& req) {
    const auto text = req.queryParam("limit");
    if (!text)
        return 100;
    int limit = 0;
    const auto* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, limit);
    if (ec != std::errc() || ptr != end || limit < 1 || limit > ReportsService::kMaxAuditEntries)
        throw ApiError::invalid("limit must be an integer from 1 to " +
                                std::to_string(ReportsService::kMaxAuditEntries) + ".");
    return limit;
}

} // namespace

void addReportsRoutes(Router& r, ChatService& chat, ReportsService& reports) {
    r.get("/api/v1/admin/reports", [&chat, &reports](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        res.json(200, reports.report(rangeOf(req)));
    });

    r.get("/api/v1/admin/reports.csv", [&chat, &reports](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        const auto range = rangeOf(req);
        res.status = 200;
        res.body = reports.reportCsv(range);
        res.contentType = "text/csv; charset=utf-8";
        res.setHeader("Content-Disposition",
                      "attachment; filename=\"parley-report-" + range.from + "-" + range.to + ".csv\"");
    });

    r.get("/api/v1/admin/customers/{id}/export", [&chat, &reports](const Request& req, Response& res) {
        const auto by = chat.requireAdmin(callerOf(chat, req));
        res.json(200, reports.exportCustomer(by, req.param("id")));
    });

    r.del("/api/v1/admin/customers/{id}", [&chat, &reports](const Request& req, Response& res) {
        const auto by = chat.requireAdmin(callerOf(chat, req));
        reports.eraseCustomer(by, req.param("id"));
        res.status = 204;
    });

    r.get("/api/v1/admin/audit", [&chat, &reports](const Request& req, Response& res) {
        chat.requireAdmin(callerOf(chat, req));
        res.json(200, reports.auditLog(auditLimitOf(req)));
    });
}

} // namespace parley::server
