// Error values for every fallible operation in Ward.
//
// An Error is a code from a deliberately small set plus a human message. Messages name
// what was wrong and what was expected, and quote the offending input through
// ward::quote() (never a secret: callers must not pass secret material to an Error).
// Errors are cheap to copy and carry no allocation beyond the message string.
#pragma once

#include <string>
#include <string_view>

namespace ward {

enum class ErrorCode {
  kInvalidArgument,   // the caller's input is malformed or out of range
  kNotFound,          // the named thing does not exist
  kAlreadyExists,     // creating something that exists, or a single-use thing reused
  kPermissionDenied,  // authenticated but not allowed
  kUnauthenticated,   // no, or no valid, credential
  kUnavailable,       // transient: a peer or resource is not reachable now; retry may work
  kCorruption,        // stored or received data fails an integrity check
  kIo,                // an operating-system call failed
  kInternal,          // a bug or an impossible state; never the caller's fault
};

// Stable lower_snake name of a code ("invalid_argument"), used in logs and API bodies.
std::string_view error_code_name(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Error invalid_argument(std::string msg) { return {ErrorCode::kInvalidArgument, std::move(msg)}; }
  static Error not_found(std::string msg) { return {ErrorCode::kNotFound, std::move(msg)}; }
  static Error already_exists(std::string msg) { return {ErrorCode::kAlreadyExists, std::move(msg)}; }
  static Error permission_denied(std::string msg) { return {ErrorCode::kPermissionDenied, std::move(msg)}; }
  static Error unauthenticated(std::string msg) { return {ErrorCode::kUnauthenticated, std::move(msg)}; }
  static Error unavailable(std::string msg) { return {ErrorCode::kUnavailable, std::move(msg)}; }
  static Error corruption(std::string msg) { return {ErrorCode::kCorruption, std::move(msg)}; }
  static Error io(std::string msg) { return {ErrorCode::kIo, std::move(msg)}; }
  static Error internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg)}; }
  // An Io error for a failed system call: "<what>: <strerror(err)>".
  static Error from_errno(std::string_view what, int err);

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context, keeping the code: "reading config: <message>".
  Error context(std::string_view ctx) const&;
  Error context(std::string_view ctx) &&;

  // "invalid_argument: <message>".
  std::string to_string() const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  ErrorCode code_;
  std::string message_;
};

// Renders untrusted input for an error message: wrapped in double quotes, control and
// non-ASCII bytes escaped as \xNN, and cut to at most max_len input bytes with "..." so an
// attacker cannot flood a log line. Never pass secret material.
std::string quote(std::string_view input, std::size_t max_len = 64);

}  // namespace ward
