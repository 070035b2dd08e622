#include "common/http/serialize.hpp"

#include <cstdio>
#include <cstring>

#include "common/base/error.hpp"

namespace ward::http {

namespace {

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_visible_target(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool is_framing_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding");
}

Status append_headers(std::string& out, const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (is_framing_header(name)) continue;
    if (!is_token(name)) return Error::invalid_argument("invalid header name " + quote(name));
    if (!is_valid_field_value(value)) {
      return Error::invalid_argument("invalid value for header " + quote(name) + ": " +
                                     quote(value));
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
  return ok();
}

Status append_status_line(std::string& out, int status, std::string_view reason) {
  if (status < 100 || status > 599) {
    return Error::invalid_argument("HTTP status " + std::to_string(status) +
                                   " out of range 100-599");
  }
  if (reason.empty()) reason = reason_phrase(status);
  if (!is_valid_field_value(reason)) {
    return Error::invalid_argument("invalid reason phrase " + quote(reason));
  }
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(reason);
  out.append("\r\n");
  return ok();
}

}  // namespace

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool is_valid_field_value(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

Result<std::string> serialize_request(const Request& request) {
  if (!is_token(request.method)) {
    return Error::invalid_argument("invalid method " + quote(request.method));
  }
  if (!is_visible_target(request.target)) {
    return Error::invalid_argument("invalid request target " + quote(request.target));
  }
  std::string out;
  out.reserve(128 + request.body.size());
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  WARD_RETURN_IF_ERROR(append_headers(out, request.headers));
  const bool needs_length = !request.body.empty() || request.method == "POST" ||
                            request.method == "PUT" || request.method == "PATCH";
  if (needs_length) {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n").append(request.body);
  return out;
}

Result<std::string> serialize_response(const Response& response, bool head_only) {
  std::string out;
  out.reserve(128 + response.body.size());
  if (response.status >= 100 && response.status < 200) {
    return Error::invalid_argument("status " + std::to_string(response.status) +
                                   " is interim; only final responses are serialized");
  }
  WARD_RETURN_IF_ERROR(append_status_line(out, response.status, response.reason));
  WARD_RETURN_IF_ERROR(append_headers(out, response.headers));
  const bool bodyless = response.status == 204 || response.status == 304;
  if (bodyless && !response.body.empty()) {
    return Error::invalid_argument("status " + std::to_string(response.status) +
                                   " cannot carry a body");
  }
  if (!bodyless) {
    out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  }
  out.append("\r\n");
  if (!head_only) out.append(response.body);
  return out;
}

Result<std::string> serialize_chunked_head(int status, std::string_view reason,
                                           const Headers& headers) {
  if (status < 200 || status == 204 || status == 304) {
    return Error::invalid_argument("status " + std::to_string(status) +
                                   " cannot carry a streamed body");
  }
  std::string out;
  WARD_RETURN_IF_ERROR(append_status_line(out, status, reason));
  WARD_RETURN_IF_ERROR(append_headers(out, headers));
  out.append("Transfer-Encoding: chunked\r\n\r\n");
  return out;
}

std::string encode_chunk(std::string_view data) {
  if (data.empty()) return {};
  char size[20];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out;
  out.reserve(static_cast<std::size_t>(n) + data.size() + 2);
  out.append(size, static_cast<std::size_t>(n)).append(data).append("\r\n");
  return out;
}

}  // namespace ward::http
