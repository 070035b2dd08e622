#include "controller/api/password_check.hpp"

#include <exception>
#include <memory>
#include <utility>

#include "common/uv/work_queue.hpp"
#include "controller/api/errors.hpp"
#include "controller/identity/password.hpp"

namespace ward::controller {
namespace {

// Checks and wipes. Runs on a pool thread (or inline); touches nothing but its arguments.
bool check_and_wipe(SecretString& password, const std::string& encoded) {
  bool matched = false;
  if (encoded.empty()) {
    identity::verify_password_dummy(password);
  } else {
    matched = identity::verify_password(password, encoded).ok();
  }
  password.clear();
  return matched;
}

// What travels from the handler to the pool thread and back.
struct Pending {
  SecretString password;
  std::string encoded;
  bool matched = false;
};

}  // namespace

Result<http::Response> check_password_then(ApiContext& ctx, Call& call, SecretString password,
                                           std::string encoded, AfterPassword next) {
  std::shared_ptr<http::DeferredResponse> reply;
  if (ctx.password_work != nullptr) reply = call.http.defer();
  if (!reply) {
    const bool matched = check_and_wipe(password, encoded);
    return next(ctx, call, matched);
  }
  call.deferred = true;
  auto pending = std::make_shared<Pending>();
  pending->password = std::move(password);
  pending->encoded = std::move(encoded);
  ApiContext* c = &ctx;
  CallInfo info = call;
  const std::string path = call.http.request().path;
  const std::string peer = call.http.peer_address();
  Status queued = ctx.password_work->submit(
      [pending] { pending->matched = check_and_wipe(pending->password, pending->encoded); },
      [c, pending, reply, info = std::move(info), path, peer, next = std::move(next)]() mutable {
        Result<http::Response> result = Error::internal("password check continuation did not run");
        try {
          // info.now stays the arrival time: a TOTP code is judged for when it was sent.
          result = next(*c, info, pending->matched);
        } catch (const std::exception& e) {
          result = Error::internal(std::string("password check continuation threw: ") + e.what());
        }
        http::Response resp = finish_call(*c, info, path, std::move(result));
        log_request(*c, info.spec, resp.status, peer);
        reply->respond(std::move(resp));
      });
  if (!queued) {
    // Nothing was checked or recorded: the client may simply retry.
    c->log->warn("password check refused: {}", queued.error().message());
    http::Response busy = error_response(
        Error::unavailable("the controller is busy checking passwords; try again shortly"), 503);
    busy.headers.set("Retry-After", "1");
    log_request(ctx, call.spec, busy.status, peer);
    reply->respond(std::move(busy));
  }
  return http::Response{};  // discarded: the reply answers
}

}  // namespace ward::controller
