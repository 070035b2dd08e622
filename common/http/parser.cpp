#include "common/http/parser.hpp"

#include <utility>

#include "common/http/parser_core.hpp"

namespace ward::http {

RequestParser::RequestParser(Limits limits)
    : core_(std::make_unique<detail::ParserCore>(HTTP_REQUEST, limits)) {}
RequestParser::~RequestParser() = default;
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;

std::size_t RequestParser::feed(std::string_view data) {
  return core_->feed(data);
}
ParseState RequestParser::state() const {
  return core_->state();
}
const ParseError& RequestParser::error() const {
  return core_->error();
}
const Request& RequestParser::partial() const {
  return core_->request();
}

Request RequestParser::take() {
  Request out = std::move(core_->request());
  core_->reset();
  return out;
}

ResponseParser::ResponseParser(Limits limits)
    : core_(std::make_unique<detail::ParserCore>(HTTP_RESPONSE, limits)) {}
ResponseParser::~ResponseParser() = default;
ResponseParser::ResponseParser(ResponseParser&&) noexcept = default;
ResponseParser& ResponseParser::operator=(ResponseParser&&) noexcept = default;

void ResponseParser::expect_no_body() {
  core_->set_expect_no_body();
}
std::size_t ResponseParser::feed(std::string_view data) {
  return core_->feed(data);
}
void ResponseParser::feed_eof() {
  core_->feed_eof();
}
ParseState ResponseParser::state() const {
  return core_->state();
}
const ParseError& ResponseParser::error() const {
  return core_->error();
}
const Response& ResponseParser::partial() const {
  return core_->response();
}
std::string ResponseParser::drain_body() {
  return core_->drain_body();
}
bool ResponseParser::keep_alive() const {
  return core_->keep_alive();
}

Response ResponseParser::take() {
  Response out = std::move(core_->response());
  core_->reset();
  return out;
}

}  // namespace ward::http
