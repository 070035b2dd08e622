// Admin API: the audit log (list, verify, export).
#include <charconv>
#include <string>
#include <vector>

#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/audit/export.hpp"
#include "controller/audit/verify.hpp"

namespace ward::controller {
namespace {

constexpr std::int64_t kMaxAuditPage = 1000;

Result<std::int64_t> query_int(const Call& call, std::string_view name, std::int64_t fallback,
                               std::int64_t min, std::int64_t max) {
  auto text = call.http.request().query_param(name);
  if (!text) return fallback;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size() || v < min || v > max) {
    return Error::invalid_argument("query parameter " + std::string(name) +
                                   ": expected an integer from " + std::to_string(min) + " to " +
                                   std::to_string(max) + ", got " + quote(*text));
  }
  return v;
}

}  // namespace

Result<http::Response> handle_audit_list(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::int64_t after, query_int(call, "after", 0, 0, INT64_MAX));
  WARD_ASSIGN_OR_RETURN(std::int64_t limit, query_int(call, "limit", 100, 1, kMaxAuditPage));
  WARD_ASSIGN_OR_RETURN(std::vector<audit::Entry> entries,
                        ctx.store.read_value<std::vector<audit::Entry>>(
                            [&](store::Tx& tx) { return audit::list_entries(tx, after, limit); }));
  nlohmann::json list = nlohmann::json::array();
  for (const audit::Entry& e : entries)
    list.push_back(audit::entry_to_json(e));
  nlohmann::json next = nullptr;
  if (static_cast<std::int64_t>(entries.size()) == limit) next = entries.back().seq;
  return json_response(200, {{"entries", list}, {"next", next}});
}

Result<http::Response> handle_audit_verify(ApiContext& ctx, Call&) {
  WARD_ASSIGN_OR_RETURN(audit::VerifyReport report,
                        audit::verify(ctx.store, ctx.audit.public_key_pem()));
  nlohmann::json problems = nlohmann::json::array();
  for (const audit::Problem& p : report.problems)
    problems.push_back(p.message);
  return json_response(200, {{"ok", report.ok()},
                             {"entries", report.entries},
                             {"checkpoints", report.checkpoints},
                             {"verified_through", report.verified_through},
                             {"problems", problems}});
}

Result<http::Response> handle_audit_export(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::int64_t after, query_int(call, "after", 0, 0, INT64_MAX));
  std::string body;
  WARD_RETURN_IF_ERROR(audit::export_jsonl(ctx.store, after, [&](std::string_view line) -> Status {
    body.append(line);
    return ok();
  }));
  http::Response r;
  r.status = 200;
  r.headers.set("Content-Type", "application/x-ndjson");
  r.body = std::move(body);
  return r;
}

}  // namespace ward::controller
