// HTTP/1.1 serializers (pure). They refuse anything that could split or smuggle a message:
// a method or header name that is not a token, a target, reason or header value with CR,
// LF, NUL or other control bytes, a status outside 100-599. Framing headers are the
// serializer's job: any Content-Length / Transfer-Encoding in the given headers is dropped
// and replaced by the correct one.
#pragma once

#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/http/message.hpp"

namespace ward::http {

// "METHOD target HTTP/1.1", the headers (Host must be among them for HTTP/1.1), then
// Content-Length when the body is non-empty or the method is POST, PUT or PATCH.
Result<std::string> serialize_request(const Request& request);

// Status line, headers, Content-Length (omitted for 204 and 304, which carry no body),
// body. Final responses only: a 1xx status is refused. For a response to HEAD pass head_only:
// Content-Length still describes the body but the body is not written.
Result<std::string> serialize_response(const Response& response, bool head_only = false);

// Status line and headers of a streaming response, with Transfer-Encoding: chunked; the
// body follows as encode_chunk() pieces ended by kLastChunk.
Result<std::string> serialize_chunked_head(int status, std::string_view reason,
                                           const Headers& headers);

// One chunk of a chunked body ("<hex size>\r\n<data>\r\n"). Empty data yields "" (an
// empty chunk would end the body).
std::string encode_chunk(std::string_view data);

// Ends a chunked body (no trailers).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Validation used by the serializers, exposed for callers that build headers from input.
bool is_token(std::string_view s);
bool is_valid_field_value(std::string_view s);

}  // namespace ward::http
