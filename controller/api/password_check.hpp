// Internal to ward_api: a handler's password check off the loop thread.
//
// check_password_then() checks `password` against the argon2id hash `encoded` (against a
// fixed dummy hash when `encoded` is empty; that never matches) and then runs `next` on
// the loop thread with the result; `next` returns the answer as a handler would and may
// use only the CallInfo (the HTTP exchange is gone by then).
//
// When the ApiContext has a work queue, the check runs on the queue: this
// returns at once with call.deferred set, and the dispatcher's finishing (change reports,
// error audit, request log line) and the answer follow once `next` has run. A client that
// disconnects meanwhile does not cancel anything: `next` still runs (so a failure is
// still counted and audited) and only the answer is discarded. With the queue full, the
// call is answered 503 with Retry-After without checking anything. The exchange is
// answered through http::RequestContext::defer(). Without a queue, everything runs inline
// before this returns.
//
// The password is wiped on the thread that checked it, right after the check; `next`
// (and what it captured) is destroyed on the loop thread after it ran.
#pragma once

#include <functional>
#include <string>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/http/message.hpp"
#include "controller/api/handlers.hpp"

namespace ward::controller {

using AfterPassword =
    std::function<Result<http::Response>(ApiContext& ctx, CallInfo& call, bool password_matched)>;

Result<http::Response> check_password_then(ApiContext& ctx, Call& call, SecretString password,
                                           std::string encoded, AfterPassword next);

// The dispatcher's finishing of a call whose handler produced `result` (api.cpp): reports
// committed changes, logs server errors, audits refused state changes, and returns the
// answer. log_request writes the one log line per answered call.
http::Response finish_call(ApiContext& ctx, CallInfo& call, const std::string& path,
                           Result<http::Response> result);
void log_request(ApiContext& ctx, const RouteSpec& spec, int status, const std::string& peer);

}  // namespace ward::controller
