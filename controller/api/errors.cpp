#include "controller/api/errors.hpp"

namespace ward::controller {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kCorruption:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

bool is_server_error(ErrorCode code) {
  return http_status(code) >= 500 && code != ErrorCode::kUnavailable;
}

http::Response error_response(const Error& error) {
  return error_response(error, http_status(error.code()));
}

http::Response error_response(const Error& error, int status) {
  const std::string message =
      is_server_error(error.code()) ? "internal error; see the controller log" : error.message();
  nlohmann::json body = {
      {"error", {{"code", std::string(error_code_name(error.code()))}, {"message", message}}}};
  return json_response(status, body);
}

http::Response json_response(int status, const nlohmann::json& body) {
  // error_handler_t::replace: a stored string that is not UTF-8 must not throw here.
  return http::Response::json(status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

http::Response no_content() {
  http::Response r;
  r.status = 204;
  return r;
}

}  // namespace ward::controller
