// The one place where Ward errors become HTTP answers, for the node and admin APIs.
//
// Every error body has the shape of docs/protocol.md:
//   {"error": {"code": "invalid_argument", "message": "$.role: expected one of ..."}}
// Client mistakes map to 4xx; kCorruption, kIo and kInternal map to 500 and their
// message is replaced by a generic one (the caller logs the real one): internal detail
// such as file paths or SQL never reaches a client. Messages must never carry secrets
// (ward::Error's contract already forbids it).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/base/error.hpp"
#include "common/http/message.hpp"

namespace ward::controller {

// 400, 401, 403, 404, 409, 503 or 500, per docs/protocol.md.
int http_status(ErrorCode code);

// True for the codes that are the controller's fault (500).
bool is_server_error(ErrorCode code);

// The JSON error answer for error, with http_status(error.code()).
http::Response error_response(const Error& error);
// The same with an explicit status (429 for a login lockout, with Retry-After).
http::Response error_response(const Error& error, int status);

// application/json with the serialized body.
http::Response json_response(int status, const nlohmann::json& body);
// 204 No Content.
http::Response no_content();

}  // namespace ward::controller
