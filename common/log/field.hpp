// Field: one key/value pair attached to a structured log line (see log.hpp write()).
//
// A Field holds views of its key and string value: build Fields only in the argument
// list of a logging call, never store them. Secrets cannot become Fields (the
// constructors for SecretString/SecretBytes are deleted), in the same spirit as there
// being no fmt formatter for them.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "common/base/secret.hpp"

namespace ward::log {

class Field {
 public:
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

  Field(std::string_view key, std::string_view v) : key_(key), value_(v) {}
  Field(std::string_view key, const char* v) : key_(key), value_(std::string_view(v)) {}
  Field(std::string_view key, const std::string& v) : key_(key), value_(std::string_view(v)) {}
  Field(std::string_view key, bool v) : key_(key), value_(v) {}
  template <std::signed_integral T>
  Field(std::string_view key, T v) : key_(key), value_(static_cast<std::int64_t>(v)) {}
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) Field(std::string_view key, T v)
      : key_(key), value_(static_cast<std::uint64_t>(v)) {}
  Field(std::string_view key, double v) : key_(key), value_(v) {}

  Field(std::string_view key, const SecretString&) = delete;
  Field(std::string_view key, const SecretBytes&) = delete;

  std::string_view key() const { return key_; }
  const Value& value() const { return value_; }

 private:
  std::string_view key_;
  Value value_;
};

}  // namespace ward::log
