#include "controller/wardctl/api_error.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace ward::wardctl {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
    cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp >= 0x80 && cp <= 0x9F) return 0;  // C1 controls
  return n;
}

}  // namespace

std::string terminal_safe_text(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = start;
    while (end < text.size() && text[end] != '\n' && text[end] != '\t')
      ++end;
    out += terminal_safe(text.substr(start, end - start));
    if (end == text.size()) break;
    out += text[end];
    start = end + 1;
  }
  return out;
}

std::string terminal_safe(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  std::size_t i = 0;
  while (i < text.size()) {
    std::string piece;
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t used = 1;
    if (b >= 0x20 && b < 0x7F) {
      piece.assign(1, text[i]);
    } else if (const std::size_t n = b >= 0x80 ? utf8_len(text, i) : 0; n != 0) {
      piece.assign(text.substr(i, n));
      used = n;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      piece = buf;
    }
    if (out.size() + piece.size() > max_bytes) {
      out += "...";
      break;
    }
    out += piece;
    i += used;
  }
  return out;
}

std::optional<ErrorCode> error_code_from_name(std::string_view name) {
  static constexpr std::array kCodes = {ErrorCode::kInvalidArgument, ErrorCode::kNotFound,
                                        ErrorCode::kAlreadyExists,   ErrorCode::kPermissionDenied,
                                        ErrorCode::kUnauthenticated, ErrorCode::kUnavailable,
                                        ErrorCode::kCorruption,      ErrorCode::kIo,
                                        ErrorCode::kInternal};
  for (ErrorCode c : kCodes) {
    if (error_code_name(c) == name) return c;
  }
  return std::nullopt;
}

ErrorCode error_code_for_status(int status) {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return ErrorCode::kInvalidArgument;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 404:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kAlreadyExists;
    case 429:
    case 503:
      return ErrorCode::kUnavailable;
    default:
      break;
  }
  if (status >= 400 && status < 500) return ErrorCode::kInvalidArgument;
  return ErrorCode::kInternal;
}

Error error_from_response(int status, std::string_view body,
                          std::optional<std::string_view> retry_after) {
  ErrorCode code = error_code_for_status(status);
  std::string message;
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const auto& e = doc["error"];
    if (e.contains("code") && e["code"].is_string()) {
      if (auto c = error_code_from_name(e["code"].get<std::string>())) code = *c;
    }
    if (e.contains("message") && e["message"].is_string()) {
      message = terminal_safe(e["message"].get<std::string>(), kMaxApiMessage);
    }
  }
  if (message.empty()) {
    message =
        "the controller answered HTTP " + std::to_string(status) + " without an error message";
  }
  if (status == 429) {
    message += retry_after ? " (try again in " + terminal_safe(*retry_after, 16) + " s)"
                           : " (too many attempts; try again later)";
  }
  return Error(code, std::move(message));
}

}  // namespace ward::wardctl
