// Mapping the controller's error answers to ward::Error (pure).
//
// The body shape is {"error": {"code": "<error_code_name>", "message": "..."}} (see
// docs/protocol.md). The code comes from the body when it names a known code, else from
// the HTTP status. The message is the API's, made safe for a terminal (control bytes
// escaped, at most kMaxApiMessage bytes); a body that is not of that shape yields a
// message naming the status only (bodies are never echoed: they are untrusted). 429 adds
// the Retry-After delay when given.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/base/error.hpp"

namespace ward::wardctl {

inline constexpr std::size_t kMaxApiMessage = 1024;

std::optional<ErrorCode> error_code_from_name(std::string_view name);
ErrorCode error_code_for_status(int status);

Error error_from_response(int status, std::string_view body,
                          std::optional<std::string_view> retry_after = std::nullopt);

// Escapes bytes that could drive a terminal (C0/C1 controls, DEL, invalid UTF-8) as \xNN
// and cuts the result at max_bytes (then appends "...").
std::string terminal_safe(std::string_view text, std::size_t max_bytes = SIZE_MAX);
// The same for multi-line text (a policy file): newlines and tabs are kept as they are;
// every other control character is escaped.
std::string terminal_safe_text(std::string_view text);

}  // namespace ward::wardctl
