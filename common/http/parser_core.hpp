// Internal to common/http: the http-parser wrapper behind RequestParser and ResponseParser.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <http_parser.h>

#include "common/http/message.hpp"
#include "common/http/parser.hpp"

namespace ward::http::detail {

class ParserCore {
 public:
  ParserCore(http_parser_type type, Limits limits);
  ParserCore(const ParserCore&) = delete;
  ParserCore& operator=(const ParserCore&) = delete;

  std::size_t feed(std::string_view data);
  void feed_eof();
  // Starts over for the next message (keeps limits; clears expect_no_body).
  void reset();

  ParseState state() const { return state_; }
  const ParseError& error() const { return error_; }
  Request& request() { return request_; }
  Response& response() { return response_; }
  bool keep_alive() const { return keep_alive_; }
  void set_expect_no_body() { expect_no_body_ = true; }
  // Moves the body out; only body bytes still held count against max_body_bytes.
  std::string drain_body();

 private:
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, std::size_t len);
  static int on_status(http_parser* p, const char* at, std::size_t len);
  static int on_header_field(http_parser* p, const char* at, std::size_t len);
  static int on_header_value(http_parser* p, const char* at, std::size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, std::size_t len);
  static int on_message_complete(http_parser* p);

  // Records an error raised by a callback; returns the non-zero value that aborts parsing.
  int fail(int status, std::string message);
  int add_header_bytes(std::size_t n, bool is_target);
  int flush_field();
  int check_request_head();
  int check_response_head();
  void set_parser_error(enum http_errno err);
  std::string& body();

  http_parser parser_;
  http_parser_settings settings_;
  http_parser_type type_;
  Limits limits_;

  ParseState state_ = ParseState::kIdle;
  ParseError error_;
  Request request_;
  Response response_;
  bool keep_alive_ = false;
  bool expect_no_body_ = false;

  // Per-message bookkeeping.
  std::size_t header_bytes_ = 0;
  std::size_t header_count_ = 0;
  std::size_t body_held_ = 0;
  bool in_trailers_ = false;
  bool last_was_value_ = false;
  std::string field_;
  std::string value_;
  std::string url_;
  std::string start_bytes_;  // first bytes of the message, to classify a bad method

  // http-parser (non-strict build) accepts any two bytes after chunk data; Ward requires
  // CRLF. on_body records where each chunk's data ends in the current feed; feed() checks.
  const char* feed_base_ = nullptr;
  std::vector<std::size_t> chunk_ends_;
  std::string_view pending_crlf_;  // CRLF bytes still expected at the next feed's start
  void check_chunk_terminators(std::string_view used);
};

}  // namespace ward::http::detail
