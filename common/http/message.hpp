// HTTP/1.1 message types shared by the codec, the server and the client.
//
// Plain values with no I/O. Header names compare case-insensitively (ASCII); repeated
// headers are kept in arrival order. Nothing here validates content: the parsers only
// produce well-formed messages, and the serializers (serialize.hpp) refuse ill-formed ones.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ward::http {

// Bounds a parser enforces while it parses (a message is rejected as soon as it crosses
// one, before the rest is buffered). max_header_bytes counts the target, header names and
// values plus 4 bytes per field; http-parser's own process-wide cap (80 KiB of raw header
// bytes, whitespace included) applies on top, so larger values than that have no effect.
struct Limits {
  std::size_t max_header_bytes = 16 * 1024;  // request/status line + all header lines
  std::size_t max_headers = 100;             // header fields (trailers included)
  std::size_t max_body_bytes = 1024 * 1024;  // decoded body (after de-chunking)
};

// ASCII case-insensitive equality, for header names and tokens.
bool iequals(std::string_view a, std::string_view b);

class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  // Appends a field, keeping any existing ones of the same name.
  void add(std::string name, std::string value);
  // Replaces every field of that name with one field (appended if none existed).
  void set(std::string name, std::string value);
  // Removes every field of that name; returns how many were removed.
  std::size_t remove(std::string_view name);

  // The first value of the named field, if any.
  std::optional<std::string_view> get(std::string_view name) const;
  // Every value of the named field, in arrival order.
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

struct Request {
  std::string method = "GET";  // as sent, e.g. "GET", "POST"
  std::string target = "/";    // the raw request-target, e.g. "/v1/x?a=1"
  std::string path = "/";      // target's path, not percent-decoded
  std::string query;           // target's query without '?', not decoded ("" if none)
  Headers headers;
  std::string body;        // decoded (de-chunked) body
  int version_minor = 1;   // HTTP/1.<version_minor>; parsers accept 1.0 and 1.1
  bool keep_alive = true;  // the connection may carry another request after this

  // The percent-decoded value of the first query parameter `name` ('+' means space), or
  // nullopt when absent or not decodable.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string reason;  // empty: the standard phrase for status
  Headers headers;
  std::string body;

  // A response with Content-Type text/plain; charset=utf-8 (a trailing newline is added
  // if missing, for human readers of error bodies).
  static Response text(int status, std::string body);
  // A response with Content-Type application/json.
  static Response json(int status, std::string body);
};

// The standard reason phrase of a status code ("Not Found"), or "Unknown".
std::string_view reason_phrase(int status);

// Decodes %XX escapes (and '+' as space when plus_is_space); nullopt on a malformed
// escape or a decoded NUL byte.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

}  // namespace ward::http
