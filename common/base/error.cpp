#include "common/base/error.hpp"

#include <cstring>

namespace ward {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kPermissionDenied: return "permission_denied";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

Error Error::from_errno(std::string_view what, int err) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);  // glibc's strerror is thread-safe for valid errno values
  return io(std::move(msg));
}

Error Error::context(std::string_view ctx) const& {
  Error copy = *this;
  return std::move(copy).context(ctx);
}

Error Error::context(std::string_view ctx) && {
  std::string msg;
  msg.reserve(ctx.size() + 2 + message_.size());
  msg.append(ctx).append(": ").append(message_);
  message_ = std::move(msg);
  return std::move(*this);
}

std::string Error::to_string() const {
  std::string out(error_code_name(code_));
  out += ": ";
  out += message_;
  return out;
}

std::string quote(std::string_view input, std::size_t max_len) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool cut = input.size() > max_len;
  if (cut) input = input.substr(0, max_len);
  std::string out;
  out.reserve(input.size() + 8);
  out.push_back('"');
  for (unsigned char c : input) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  out.push_back('"');
  if (cut) out += "...";
  return out;
}

}  // namespace ward
