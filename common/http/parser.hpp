// Incremental HTTP/1.1 request and response parsers (pure: no I/O, no clock), wrapping
// http-parser 2.9. Safe for untrusted input and for fuzzing.
//
// Both parsers consume at most one message per feed() and then stop, so the bytes after
// a message (pipelined requests) stay with the caller for the next message. Limits are
// enforced as bytes arrive: a message is rejected the moment it crosses a bound (a
// declared Content-Length over max_body_bytes is rejected before any body byte).
//
//   RequestParser p(limits);
//   std::size_t used = p.feed(bytes);        // bytes.substr(used) belongs to the next request
//   if (p.state() == ParseState::kError) answer(p.error().status) and close;
//   if (p.state() == ParseState::kComplete) { Request r = p.take(); ... }  // p is reset
//
// Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/http/message.hpp"

namespace ward::http {

enum class ParseState {
  kIdle,      // no byte of a message seen yet (leading CR/LF does not count)
  kHeaders,   // inside the start line or headers
  kBody,      // headers complete; reading the body
  kComplete,  // a whole message is ready for take()
  kError,     // the input is malformed or over a limit; the parser stays here
};

struct ParseError {
  // What a server should answer: 400 (malformed), 413 (body over limit), 414 (target over
  // limit), 431 (headers over limit), 501 (unknown method or Transfer-Encoding), 505
  // (HTTP version other than 1.x). Response parsers use the same codes descriptively.
  int status = 400;
  // For logs; names what was wrong, with bad input quoted (ward::quote).
  std::string message;
};

namespace detail {
class ParserCore;
}

class RequestParser {
 public:
  explicit RequestParser(Limits limits = {});
  ~RequestParser();
  RequestParser(RequestParser&&) noexcept;
  RequestParser& operator=(RequestParser&&) noexcept;

  // Parses as much of `data` as belongs to the current request and returns how many bytes
  // it used. Returns 0 without consuming while the state is kComplete or kError.
  std::size_t feed(std::string_view data);

  ParseState state() const;
  // Valid in kError.
  const ParseError& error() const;
  // In kBody/kComplete: the request's headers (e.g. to answer "Expect: 100-continue").
  const Request& partial() const;
  // Valid in kComplete: moves the request out and resets the parser for the next one.
  Request take();

 private:
  std::unique_ptr<detail::ParserCore> core_;
};

class ResponseParser {
 public:
  explicit ResponseParser(Limits limits = {});
  ~ResponseParser();
  ResponseParser(ResponseParser&&) noexcept;
  ResponseParser& operator=(ResponseParser&&) noexcept;

  // The next response answers a HEAD request: it has no body whatever its headers say.
  // Call before feeding that response; take() clears it.
  void expect_no_body();

  // Parses as much of `data` as belongs to the current response; see RequestParser::feed.
  // Interim 1xx responses (other than 101) are skipped.
  std::size_t feed(std::string_view data);
  // The connection ended: completes a body delimited by connection close, or fails a
  // response that was cut short (state becomes kError). No effect in kIdle.
  void feed_eof();

  ParseState state() const;
  const ParseError& error() const;
  // In kBody/kComplete: status and headers of the response being parsed.
  const Response& partial() const;
  // In kBody/kComplete: moves out the body bytes parsed so far (for streaming consumers);
  // the undrained body is what counts against max_body_bytes.
  std::string drain_body();
  // Whether the connection may carry another exchange after the current response
  // (valid once headers are complete).
  bool keep_alive() const;
  // Valid in kComplete: moves the response out and resets the parser.
  Response take();

 private:
  std::unique_ptr<detail::ParserCore> core_;
};

}  // namespace ward::http
