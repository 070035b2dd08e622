// Admin API: policy versions, checks and questions, netmaps, the inventory
// (docs/admin-api.md, "Policy"). Questions are answered from the live compiler — exactly
// what the nodes are sent — through controller/review, which wardctl's offline mode shares.
#include <charconv>
#include <string>

#include "common/crypto/encoding.hpp"
#include "common/crypto/hash.hpp"
#include "common/log/log.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/api/netmap_hub.hpp"
#include "controller/api/views.hpp"
#include "controller/review/review.hpp"

namespace ward::controller {
namespace {

Result<NetmapHub*> hub(ApiContext& ctx) {
  if (ctx.netmaps == nullptr) return Error::unavailable("the policy service is not running");
  // Answers reflect every change committed before the request.
  ctx.netmaps->flush(ctx.now());
  return ctx.netmaps;
}

nlohmann::json version_json(const store::PolicyVersion& v, bool with_text) {
  nlohmann::json j = {{"version", v.version},
                      {"sha256", crypto::hex_encode(v.sha256)},
                      {"author", v.author},
                      {"created_at", format_time(v.created_at)}};
  if (with_text) j["text"] = v.text;
  return j;
}

// Checks text against the live inventory and stores it as a new version when it parses and
// its tests pass: 200 {"version", "sha256", "warnings"}; 400 for a parse error; 422 with
// the check report (and an error) when a test fails. Both refusals are audited.
Result<http::Response> store_policy(ApiContext& ctx, Call& call, const std::string& text,
                                    std::string_view name, nlohmann::json audit_details) {
  WARD_ASSIGN_OR_RETURN(NetmapHub * h, hub(ctx));
  const policy::Compiler& live = h->compiler();
  WARD_ASSIGN_OR_RETURN(review::CheckResult checked,
                        review::check({text, std::string(name)}, live.inventory(), live,
                                      std::chrono::floor<std::chrono::seconds>(ctx.now())));
  const auto digest = crypto::sha256(std::string_view(text));
  const std::string sha = crypto::hex_encode(digest);
  audit_details["sha256"] = sha;
  call.target = "policy";
  if (!checked.policy) {
    const std::string why = checked.report["errors"].empty()
                                ? std::string("the policy does not parse")
                                : checked.report["errors"][0].get<std::string>();
    audit_details["error"] = why;
    audit_alone(ctx, call, call.spec.action, call.target, audit::Outcome::kFailure, audit_details);
    return json_response(400, {{"error", {{"code", "invalid_argument"}, {"message", why}}},
                               {"errors", checked.report["errors"]}});
  }
  if (!checked.ok()) {
    const auto& failed = checked.report["tests"]["failed"];
    audit_details["failed_tests"] = failed.size();
    audit_alone(ctx, call, call.spec.action, call.target, audit::Outcome::kFailure, audit_details);
    nlohmann::json body = checked.report;
    body["error"] = {{"code", "invalid_argument"},
                     {"message", std::to_string(failed.size()) +
                                     " of the policy's tests fail; nothing was stored"}};
    return json_response(422, body);
  }
  store::PolicyVersion v;
  v.text = text;
  v.sha256.assign(digest.begin(), digest.end());
  v.author = call.user->user.email;
  std::int64_t version = 0;
  WARD_RETURN_IF_ERROR(ctx.store.transaction([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(version, tx.insert_policy(v, call.now));
    call.target = "policy:v" + std::to_string(version);
    audit_details["version"] = version;
    audit_details["changes"] = checked.report["changes"].size();
    return audit_in(ctx, tx, call, call.spec.action, call.target, audit::Outcome::kSuccess,
                    audit_details);
  }));
  h->policy_changed(checked.policy, version, ctx.now());
  log::info(*ctx.log, "policy stored",
            {{"version", version}, {"author", v.author}, {"sha256", sha}});
  return json_response(200, {{"version", version},
                             {"sha256", sha},
                             {"warnings", checked.report["warnings"]},
                             {"changes", checked.report["changes"]}});
}

}  // namespace

Result<http::Response> handle_policy_check(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::string text, parse_policy_text(call.body()));
  WARD_ASSIGN_OR_RETURN(NetmapHub * h, hub(ctx));
  const policy::Compiler& live = h->compiler();
  WARD_ASSIGN_OR_RETURN(review::CheckResult checked,
                        review::check({text, "policy.hujson"}, live.inventory(), live,
                                      std::chrono::floor<std::chrono::seconds>(ctx.now())));
  return json_response(200, checked.report);
}

Result<http::Response> handle_policy_set(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::string text, parse_policy_text(call.body()));
  return store_policy(ctx, call, text, "policy.hujson", nlohmann::json::object());
}

Result<http::Response> handle_policy_rollback(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::int64_t from, parse_policy_version(call.body()));
  call.target = "policy:v" + std::to_string(from);
  WARD_ASSIGN_OR_RETURN(store::PolicyVersion old,
                        ctx.store.read_value<store::PolicyVersion>(
                            [&](store::Tx& tx) { return tx.policy_by_version(from); }));
  return store_policy(ctx, call, old.text, "policy-v" + std::to_string(from) + ".hujson",
                      {{"rollback_to", from}});
}

Result<http::Response> handle_policy_get(ApiContext& ctx, Call& call) {
  std::optional<std::int64_t> version;
  if (auto text = call.http.request().query_param("version")) {
    std::int64_t n = 0;
    const char* end = text->data() + text->size();
    auto [ptr, ec] = std::from_chars(text->data(), end, n);
    if (text->empty() || ec != std::errc() || ptr != end || n < 1) {
      return Error::invalid_argument(
          "query parameter version: expected a version number >= 1, "
          "got " +
          quote(*text));
    }
    version = n;
  }
  auto v = ctx.store.read_value<store::PolicyVersion>(
      [&](store::Tx& tx) { return version ? tx.policy_by_version(*version) : tx.latest_policy(); });
  if (!v && v.error().code() == ErrorCode::kNotFound) {
    return Error::not_found(version ? "no policy version " + std::to_string(*version)
                                    : std::string("no policy has been set: nothing is allowed"));
  }
  if (!v) return v.error();
  return json_response(200, version_json(*v, true));
}

Result<http::Response> handle_policy_history(ApiContext& ctx, Call&) {
  WARD_ASSIGN_OR_RETURN(std::vector<store::PolicyVersion> versions,
                        ctx.store.read_value<std::vector<store::PolicyVersion>>(
                            [](store::Tx& tx) { return tx.list_policies(); }));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : versions)
    list.push_back(version_json(v, false));
  return json_response(
      200, {{"versions", list},
            {"current", ctx.netmaps != nullptr ? nlohmann::json(ctx.netmaps->policy_version())
                                               : nlohmann::json(nullptr)}});
}

Result<http::Response> handle_policy_test(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(PolicyTestRequest req, parse_policy_test(call.body()));
  WARD_ASSIGN_OR_RETURN(NetmapHub * h, hub(ctx));
  WARD_ASSIGN_OR_RETURN(nlohmann::json answer,
                        review::test(h->compiler(), req.src, req.dst, req.port, req.proto));
  return json_response(200, answer);
}

Result<http::Response> handle_netmap(ApiContext& ctx, Call& call) {
  const std::string ref = call.param("device");
  WARD_ASSIGN_OR_RETURN(NetmapHub * h, hub(ctx));
  // Members may see only their own devices: resolve through the store, like device routes.
  auto d = ctx.store.read_value<store::Device>([&](store::Tx& tx) {
    auto id = parse_device_public_id(ref);
    return id ? tx.device_by_id(*id) : tx.device_by_name(ref);
  });
  if (!d) {
    if (call.is_member()) return Error::permission_denied("members may see only their own devices");
    if (d.error().code() == ErrorCode::kNotFound)
      return Error::not_found("no device " + quote(ref));
    return d.error();
  }
  WARD_RETURN_IF_ERROR(member_may_see_device(call, *d));
  const auto explain = call.http.request().query_param("explain");
  const bool why = explain && (*explain == "1" || *explain == "true");
  WARD_ASSIGN_OR_RETURN(nlohmann::json answer,
                        review::netmap(h->compiler(), device_public_id(d->id), why));
  return json_response(200, answer);
}

Result<http::Response> handle_inventory(ApiContext& ctx, Call&) {
  WARD_ASSIGN_OR_RETURN(NetmapHub * h, hub(ctx));
  return json_response(200, review::inventory_json(h->compiler().inventory()));
}

}  // namespace ward::controller
