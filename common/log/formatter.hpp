// The spdlog formatter behind ward::log: text or JSON lines, timestamps in UTC RFC 3339
// with milliseconds ("2026-01-02T03:04:05.678Z").
//
// Contracts:
// - One message is exactly one line: in text mode control characters in the message and
//   the logger name are escaped (\n, \r, \t, \xNN) so input cannot forge extra lines; in
//   JSON mode the whole line is one JSON object serialised by nlohmann-json (invalid
//   UTF-8 is replaced with U+FFFD, never an exception).
// - Structured fields (see ScopedFields) follow the standard keys: in text mode as
//   key=value (values quoted JSON-style when they are empty or contain spaces, quotes,
//   '=', backslashes or control characters); in JSON mode as extra members, with a key
//   that collides with ts/level/logger/msg renamed to field_<key>.
// Thread-safety: format() may be called concurrently (it holds no mutable state); fields
// are passed per thread, so loggers must be synchronous (as ward::log makes them).
#pragma once

#include <memory>
#include <span>

#include <spdlog/formatter.h>

#include "common/log/field.hpp"
#include "common/log/level.hpp"

namespace ward::log {

std::unique_ptr<spdlog::formatter> make_formatter(Format format);

namespace detail {
// While alive, lines formatted on this thread carry these fields.
class ScopedFields {
 public:
  explicit ScopedFields(std::span<const Field> fields);
  ~ScopedFields();
  ScopedFields(const ScopedFields&) = delete;
  ScopedFields& operator=(const ScopedFields&) = delete;

 private:
  std::span<const Field> previous_;
};
}  // namespace detail

}  // namespace ward::log
