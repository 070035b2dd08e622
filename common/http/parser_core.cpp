#include "common/http/parser_core.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/base/error.hpp"
#include "common/http/serialize.hpp"

namespace ward::http::detail {

namespace {

constexpr std::size_t kStartBytesKept = 32;
// Per header line: ": " and CRLF, which http-parser does not hand to callbacks.
constexpr std::size_t kFieldOverhead = 4;

ParserCore* self(http_parser* p) {
  return static_cast<ParserCore*>(p->data);
}

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Whether the message starts like a request line with a well-formed but unknown method
// ("BREW /pot HTTP/1.1"), as opposed to garbage.
bool looks_like_unknown_method(std::string_view start) {
  while (!start.empty() && (start.front() == '\r' || start.front() == '\n')) {
    start.remove_prefix(1);
  }
  const std::size_t sp = start.find(' ');
  std::string_view token = start.substr(0, sp);
  if (token.empty() || !(token.front() >= 'A' && token.front() <= 'Z')) return false;
  for (char c : token) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Whether the only transfer coding is exactly "chunked" (the one Ward supports).
bool is_plain_chunked(const std::vector<std::string_view>& values) {
  if (values.size() != 1) return false;
  return iequals(trim_ows(values[0]), "chunked");
}

}  // namespace

ParserCore::ParserCore(http_parser_type type, Limits limits) : type_(type), limits_(limits) {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = &ParserCore::on_message_begin;
  settings_.on_url = &ParserCore::on_url;
  settings_.on_status = &ParserCore::on_status;
  settings_.on_header_field = &ParserCore::on_header_field;
  settings_.on_header_value = &ParserCore::on_header_value;
  settings_.on_headers_complete = &ParserCore::on_headers_complete;
  settings_.on_body = &ParserCore::on_body;
  settings_.on_message_complete = &ParserCore::on_message_complete;
  reset();
}

void ParserCore::reset() {
  http_parser_init(&parser_, type_);
  parser_.data = this;
  state_ = ParseState::kIdle;
  error_ = {};
  request_ = {};
  response_ = {};
  keep_alive_ = false;
  expect_no_body_ = false;
  header_bytes_ = 0;
  header_count_ = 0;
  body_held_ = 0;
  in_trailers_ = false;
  last_was_value_ = false;
  field_.clear();
  value_.clear();
  url_.clear();
  start_bytes_.clear();
  chunk_ends_.clear();
  pending_crlf_ = {};
}

std::size_t ParserCore::feed(std::string_view data) {
  if (state_ == ParseState::kComplete || state_ == ParseState::kError || data.empty()) return 0;
  if (start_bytes_.size() < kStartBytesKept) {
    start_bytes_.append(data.substr(0, kStartBytesKept - start_bytes_.size()));
  }
  feed_base_ = data.data();
  chunk_ends_.clear();
  const std::size_t used = http_parser_execute(&parser_, &settings_, data.data(), data.size());
  feed_base_ = nullptr;
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_OK || err == HPE_PAUSED) {
    check_chunk_terminators(data.substr(0, used));
    return used;
  }
  if (state_ != ParseState::kError) set_parser_error(err);
  return used;
}

void ParserCore::check_chunk_terminators(std::string_view used) {
  static constexpr std::string_view kCrlf = "\r\n";
  auto expect_at = [&](std::size_t offset, std::string_view want) {
    const std::string_view got = used.substr(std::min(offset, used.size()), want.size());
    if (got != want.substr(0, got.size())) {
      state_ = ParseState::kError;
      error_ = {400, "chunk data not followed by CRLF"};
      return false;
    }
    pending_crlf_ = want.substr(got.size());
    return true;
  };
  if (!pending_crlf_.empty() && !expect_at(0, pending_crlf_)) return;
  for (std::size_t end : chunk_ends_) {
    if (!expect_at(end, kCrlf)) return;
  }
}

void ParserCore::feed_eof() {
  if (state_ == ParseState::kIdle || state_ == ParseState::kComplete ||
      state_ == ParseState::kError) {
    return;
  }
  http_parser_execute(&parser_, &settings_, nullptr, 0);
  const auto err = HTTP_PARSER_ERRNO(&parser_);
  if (state_ == ParseState::kComplete || state_ == ParseState::kError) return;
  if (err != HPE_OK && err != HPE_PAUSED) {
    set_parser_error(err);
    return;
  }
  state_ = ParseState::kError;
  error_ = {400, "connection closed before the message was complete"};
}

std::string& ParserCore::body() {
  return type_ == HTTP_REQUEST ? request_.body : response_.body;
}

std::string ParserCore::drain_body() {
  body_held_ = 0;
  return std::exchange(body(), std::string());
}

int ParserCore::fail(int status, std::string message) {
  state_ = ParseState::kError;
  error_ = {status, std::move(message)};
  return 1;
}

void ParserCore::set_parser_error(enum http_errno err) {
  const char* what =
      type_ == HTTP_REQUEST ? "malformed HTTP request: " : "malformed HTTP response: ";
  int status = 400;
  std::string detail = http_errno_description(err);
  switch (err) {
    case HPE_HEADER_OVERFLOW:
      status = 431;
      break;
    case HPE_INVALID_TRANSFER_ENCODING:
      status = 501;
      break;
    case HPE_INVALID_METHOD: {
      if (looks_like_unknown_method(start_bytes_)) status = 501;
      std::string_view start = start_bytes_;
      detail += " at " + quote(start.substr(0, start.find(' ')), kStartBytesKept);
      break;
    }
    default:
      break;
  }
  state_ = ParseState::kError;
  error_ = {status, what + detail};
}

int ParserCore::add_header_bytes(std::size_t n, bool is_target) {
  header_bytes_ += n;
  if (header_bytes_ <= limits_.max_header_bytes) return 0;
  if (is_target) {
    return fail(
        414, "request target longer than " + std::to_string(limits_.max_header_bytes) + " bytes");
  }
  return fail(431,
              "header section larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
}

int ParserCore::flush_field() {
  if (field_.empty() && value_.empty()) return 0;
  if (!in_trailers_) {
    for (char c : field_) {
      if (!is_tchar(c)) return fail(400, "invalid header name " + quote(field_));
    }
    if (field_.empty()) return fail(400, "empty header name");
    // http-parser 2.9 treats any name that merely starts with "Transfer-Encoding" as that
    // header for framing purposes; refuse such look-alikes so framing stays unambiguous.
    constexpr std::string_view kTe = "transfer-encoding";
    if (field_.size() > kTe.size() &&
        iequals(std::string_view(field_).substr(0, kTe.size()), kTe)) {
      return fail(400, "invalid header name " + quote(field_));
    }
    std::string value(trim_ows(value_));
    // http-parser lets some control bytes through (e.g. right after the colon).
    if (!is_valid_field_value(value)) {
      return fail(400, "invalid byte in value of header " + quote(field_));
    }
    if (type_ == HTTP_REQUEST) {
      request_.headers.add(std::move(field_), std::move(value));
    } else {
      response_.headers.add(std::move(field_), std::move(value));
    }
  }
  field_.clear();
  value_.clear();
  return 0;
}

int ParserCore::on_message_begin(http_parser* p) {
  ParserCore* c = self(p);
  c->state_ = ParseState::kHeaders;
  c->request_ = {};
  c->response_ = {};
  c->header_bytes_ = 0;
  c->header_count_ = 0;
  c->body_held_ = 0;
  c->in_trailers_ = false;
  c->last_was_value_ = false;
  c->field_.clear();
  c->value_.clear();
  c->url_.clear();
  return 0;
}

int ParserCore::on_url(http_parser* p, const char* at, std::size_t len) {
  ParserCore* c = self(p);
  if (int rc = c->add_header_bytes(len, true)) return rc;
  c->url_.append(at, len);
  return 0;
}

int ParserCore::on_status(http_parser* p, const char* at, std::size_t len) {
  ParserCore* c = self(p);
  if (int rc = c->add_header_bytes(len, false)) return rc;
  c->response_.reason.append(at, len);
  return 0;
}

int ParserCore::on_header_field(http_parser* p, const char* at, std::size_t len) {
  ParserCore* c = self(p);
  if (c->last_was_value_ || (c->field_.empty() && c->value_.empty())) {
    if (int rc = c->flush_field()) return rc;
    c->last_was_value_ = false;
    if (++c->header_count_ > c->limits_.max_headers) {
      return c->fail(431, "more than " + std::to_string(c->limits_.max_headers) + " header fields");
    }
    if (int rc = c->add_header_bytes(kFieldOverhead, false)) return rc;
  }
  if (int rc = c->add_header_bytes(len, false)) return rc;
  if (!c->in_trailers_) c->field_.append(at, len);
  return 0;
}

int ParserCore::on_header_value(http_parser* p, const char* at, std::size_t len) {
  ParserCore* c = self(p);
  c->last_was_value_ = true;
  if (int rc = c->add_header_bytes(len, false)) return rc;
  if (!c->in_trailers_) c->value_.append(at, len);
  return 0;
}

int ParserCore::on_headers_complete(http_parser* p) {
  ParserCore* c = self(p);
  // Any non-zero value but 1 and 2 (which mean "skip body" / "upgrade") aborts the parse.
  if (c->flush_field() != 0) return -1;
  c->last_was_value_ = false;
  c->in_trailers_ = true;  // any header callback after this is a chunked trailer
  c->keep_alive_ = http_should_keep_alive(p) != 0;
  int rc = c->type_ == HTTP_REQUEST ? c->check_request_head() : c->check_response_head();
  if (rc != 0) return -1;
  c->state_ = ParseState::kBody;
  if (c->type_ == HTTP_RESPONSE && c->expect_no_body_) return 1;  // skip the body
  return 0;
}

int ParserCore::check_request_head() {
  const auto method = static_cast<enum http_method>(parser_.method);
  request_.method = http_method_str(method);
  if (method == HTTP_CONNECT) return fail(501, "method CONNECT is not supported");
  if (parser_.http_major != 1) {
    return fail(505, "HTTP version " + std::to_string(parser_.http_major) + "." +
                         std::to_string(parser_.http_minor) + " is not supported (expected 1.x)");
  }
  request_.version_minor = parser_.http_minor >= 1 ? 1 : 0;
  request_.keep_alive = keep_alive_;

  request_.target = url_;
  for (unsigned char ch : url_) {
    // http-parser (non-strict) lets TAB and FF through in targets.
    if (ch <= 0x20 || ch == 0x7f) return fail(400, "control byte in request target " + quote(url_));
  }
  if (url_ == "*") {
    if (method != HTTP_OPTIONS) return fail(400, "request target \"*\" is only valid for OPTIONS");
    request_.path = "*";
  } else {
    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url_.data(), url_.size(), 0, &u) != 0) {
      return fail(400, "malformed request target " + quote(url_));
    }
    auto field = [&](int f) {
      return std::string_view(url_).substr(u.field_data[f].off, u.field_data[f].len);
    };
    const bool has_path = (u.field_set & (1 << UF_PATH)) != 0;
    request_.path = has_path ? std::string(field(UF_PATH)) : std::string("/");
    request_.query = (u.field_set & (1 << UF_QUERY)) ? std::string(field(UF_QUERY)) : "";
    if (request_.path.empty() || request_.path.front() != '/') {
      return fail(400, "request target " + quote(url_) + " has no absolute path");
    }
  }

  const auto hosts = request_.headers.get_all("Host");
  if (hosts.size() > 1) return fail(400, "more than one Host header");
  if (hosts.empty() && request_.version_minor == 1)
    return fail(400, "HTTP/1.1 request without Host");

  const auto codings = request_.headers.get_all("Transfer-Encoding");
  if (!codings.empty() && !is_plain_chunked(codings)) {
    return fail(501, "unsupported Transfer-Encoding " + quote(codings.front()) +
                         " (only \"chunked\" is supported)");
  }
  if ((parser_.flags & F_CONTENTLENGTH) && parser_.content_length > limits_.max_body_bytes) {
    return fail(413, "declared body of " + std::to_string(parser_.content_length) +
                         " bytes exceeds the limit of " + std::to_string(limits_.max_body_bytes));
  }
  return 0;
}

int ParserCore::check_response_head() {
  const int status = static_cast<int>(parser_.status_code);
  if (status < 100 || status > 599) {
    return fail(400, "response status " + std::to_string(status) + " out of range 100-599");
  }
  if (parser_.http_major != 1) {
    return fail(505, "HTTP version " + std::to_string(parser_.http_major) + "." +
                         std::to_string(parser_.http_minor) + " is not supported (expected 1.x)");
  }
  response_.status = status;
  const auto codings = response_.headers.get_all("Transfer-Encoding");
  if (!codings.empty() && !is_plain_chunked(codings)) {
    return fail(501, "unsupported Transfer-Encoding " + quote(codings.front()) +
                         " (only \"chunked\" is supported)");
  }
  if (!expect_no_body_ && (parser_.flags & F_CONTENTLENGTH) &&
      parser_.content_length > limits_.max_body_bytes) {
    return fail(413, "declared body of " + std::to_string(parser_.content_length) +
                         " bytes exceeds the limit of " + std::to_string(limits_.max_body_bytes));
  }
  return 0;
}

int ParserCore::on_body(http_parser* p, const char* at, std::size_t len) {
  ParserCore* c = self(p);
  if (len > c->limits_.max_body_bytes - c->body_held_) {
    return c->fail(
        413, "body exceeds the limit of " + std::to_string(c->limits_.max_body_bytes) + " bytes");
  }
  c->body().append(at, len);
  c->body_held_ += len;
  if ((p->flags & F_CHUNKED) && p->content_length == 0 && c->feed_base_ != nullptr) {
    c->chunk_ends_.push_back(static_cast<std::size_t>(at + len - c->feed_base_));
  }
  return 0;
}

int ParserCore::on_message_complete(http_parser* p) {
  ParserCore* c = self(p);
  if (c->type_ == HTTP_RESPONSE && c->response_.status >= 100 && c->response_.status < 200 &&
      c->response_.status != 101) {
    // Interim response: skip it and keep parsing for the final one.
    c->state_ = ParseState::kIdle;
    c->response_ = {};
    return 0;
  }
  c->keep_alive_ = http_should_keep_alive(p) != 0;
  if (c->type_ == HTTP_REQUEST) c->request_.keep_alive = c->keep_alive_;
  c->state_ = ParseState::kComplete;
  http_parser_pause(p, 1);  // one message per feed(); the rest stays with the caller
  return 0;
}

}  // namespace ward::http::detail
