// Admin API: enrollment keys.
#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/api/views.hpp"
#include "controller/store/settings.hpp"

namespace ward::controller {
namespace {

Result<std::map<std::int64_t, std::string>> user_emails(store::Tx& tx) {
  std::map<std::int64_t, std::string> out;
  WARD_ASSIGN_OR_RETURN(std::vector<store::User> users, tx.list_users());
  for (const store::User& u : users)
    out[u.id] = u.email;
  return out;
}

std::optional<std::string> email_of(const std::map<std::int64_t, std::string>& emails,
                                    const std::optional<std::int64_t>& id) {
  if (!id) return std::nullopt;
  auto it = emails.find(*id);
  if (it == emails.end()) return std::nullopt;
  return it->second;
}

Result<std::int64_t> key_id_param(const Call& call) {
  const std::string text = call.param("id");
  std::int64_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id < 1) {
    return Error::not_found("no enrollment key " + quote(text) + "; expected a numeric key id");
  }
  return id;
}

}  // namespace

Result<http::Response> handle_keys_list(ApiContext& ctx, Call&) {
  nlohmann::json list = nlohmann::json::array();
  if (Status tx_status = ctx.store.read([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(auto emails, user_emails(tx));
        WARD_ASSIGN_OR_RETURN(std::vector<store::EnrollmentKey> keys, tx.list_enrollment_keys());
        for (const store::EnrollmentKey& k : keys)
          list.push_back(key_json(k, email_of(emails, k.created_by)));
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, {{"keys", list}});
}

Result<http::Response> handle_keys_create(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(CreateKeyRequest req, parse_create_key(call.body()));
  nlohmann::json answer;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        std::chrono::seconds lifetime{0};
        if (req.expires_in_s) {
          lifetime = std::chrono::seconds(*req.expires_in_s);
        } else {
          WARD_ASSIGN_OR_RETURN(lifetime, store::seconds_setting(tx, store::kEnrollmentKeyLifetime,
                                                                 std::chrono::hours(1)));
        }
        identity::EnrollmentKeyRequest r;
        r.reusable = req.reusable;
        r.max_uses = req.max_uses;
        r.lifetime = lifetime;
        r.tags = req.tags;
        r.preapproved = req.preapproved;
        r.created_by = call.user->user.id;
        WARD_ASSIGN_OR_RETURN(identity::IssuedEnrollmentKey issued,
                              identity::issue_enrollment_key(r, call.now));
        // The first 8 characters ("wek_" + 4) let an operator recognise a key; 24 random
        // bits are no help to a guesser of the other 232.
        issued.record.description = std::string(issued.key.reveal().substr(0, 8));
        WARD_ASSIGN_OR_RETURN(issued.record.id, tx.create_enrollment_key(issued.record, call.now));
        WARD_ASSIGN_OR_RETURN(store::EnrollmentKey stored,
                              tx.enrollment_key_by_id(issued.record.id));
        call.target = "key:" + std::to_string(stored.id);
        WARD_RETURN_IF_ERROR(
            audit_in(ctx, tx, call, "key.create", call.target, audit::Outcome::kSuccess,
                     {{"reusable", stored.reusable},
                      {"max_uses", stored.max_uses ? nlohmann::json(*stored.max_uses)
                                                   : nlohmann::json(nullptr)},
                      {"tags", stored.tags},
                      {"preapproved", stored.preapproved},
                      {"expires_at", format_time(stored.expires_at)}}));
        answer = {{"key", std::string(issued.key.reveal())},
                  {"info", key_json(stored, call.user->user.email)}};
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(201, answer);
}

Result<http::Response> handle_key_revoke(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(std::int64_t id, key_id_param(call));
  call.target = "key:" + std::to_string(id);
  nlohmann::json answer;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(store::EnrollmentKey key, tx.enrollment_key_by_id(id));
        if (key.revoked)
          return Error::already_exists("enrollment key " + std::to_string(id) +
                                       " is already revoked");
        WARD_RETURN_IF_ERROR(tx.revoke_enrollment_key(id));
        WARD_ASSIGN_OR_RETURN(key, tx.enrollment_key_by_id(id));
        WARD_ASSIGN_OR_RETURN(auto emails, user_emails(tx));
        WARD_RETURN_IF_ERROR(
            audit_in(ctx, tx, call, "key.revoke", call.target, audit::Outcome::kSuccess));
        answer = key_json(key, email_of(emails, key.created_by));
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, answer);
}

}  // namespace ward::controller
