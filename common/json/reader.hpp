// ObjectReader: strict, path-aware decoding of JSON objects into C++ values.
//
//   ObjectReader r(doc, "$.device");
//   auto name = r.required_string("name", 64);
//   auto port = r.optional<std::uint16_t>("port");
//   for (ObjectReader& peer : r.array("peers").objects()) { ... peer.required<...>("key") }
//   WARD_RETURN_IF_ERROR(r.finish());
//
// Contracts:
// - Reads never fail loudly: a missing or wrong field records an error and returns a
//   value-initialised T (required) or std::nullopt (optional). Callers must call finish()
//   and must not use any value read if it returns an error.
// - finish() also reports every field nobody asked for (unknown fields) in this reader
//   and in every child/array reader made from it, so a typo never passes silently:
//   "$.device.nmae: unknown field; expected one of name, port". Call it after all reads.
//   It returns the first error recorded, with " (and N more errors)" when there are more;
//   errors() lists them all. Errors are kInvalidArgument.
// - No silent conversions: integers must be JSON integers within the range of T (no
//   floats, no strings, no narrowing); booleans must be true/false; strings must be
//   strings; null is not "absent" (an optional field that is null is a type error).
// - Messages name the full path and quote input-controlled parts with ward::quote:
//   "$.device.port: expected an unsigned 16-bit integer, got string \"80\"".
// Lifetime: the json value passed in must outlive every reader made from it. Readers
// made from one root share error state (copies are cheap handles to it).
// Thread-safety: none.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"

namespace ward::json {

class ArrayReader;

namespace detail {

struct Frame {
  const nlohmann::json* object = nullptr;  // nullptr: dead reader (error already recorded)
  std::string path;
  std::vector<std::string> known;  // keys asked for, in first-asked order
  bool checked = false;
};

struct ReadState {
  std::vector<std::string> errors;
  std::vector<std::shared_ptr<Frame>> frames;
};

// "string \"80\"", "integer -1", "number 1.5", "boolean true", "null", "object", "array".
std::string describe_value(const nlohmann::json& v);

template <class T>
concept Integer = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                  !std::same_as<T, char8_t> && !std::same_as<T, char16_t> &&
                  !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>;

template <class T>
concept Decodable = Integer<T> || std::same_as<T, bool> || std::same_as<T, std::string> ||
    std::same_as<T, double> || std::same_as<T, nlohmann::json>;

// "an unsigned 16-bit integer", "a signed 32-bit integer", "a boolean", ...
template <class T>
std::string expected_name() {
  if constexpr (Integer<T>) {
    return std::string(std::is_signed_v<T> ? "a signed " : "an unsigned ") +
           std::to_string(sizeof(T) * 8) + "-bit integer";
  } else if constexpr (std::same_as<T, bool>) {
    return "a boolean";
  } else if constexpr (std::same_as<T, std::string>) {
    return "a string";
  } else if constexpr (std::same_as<T, double>) {
    return "a number";
  } else {
    return "any JSON value";
  }
}

// Decodes v as T; on failure returns the text after "<path>: ".
template <Decodable T>
Result<T> decode(const nlohmann::json& v) {
  auto wrong = [&] {
    return Error::invalid_argument("expected " + expected_name<T>() + ", got " + describe_value(v));
  };
  if constexpr (Integer<T>) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (std::in_range<T>(u)) return static_cast<T>(u);
      return wrong();
    }
    if (v.is_number_integer()) {
      const auto i = v.get<std::int64_t>();
      if (std::in_range<T>(i)) return static_cast<T>(i);
      return wrong();
    }
    return wrong();
  } else if constexpr (std::same_as<T, bool>) {
    if (v.is_boolean()) return v.get<bool>();
    return wrong();
  } else if constexpr (std::same_as<T, std::string>) {
    if (v.is_string()) return v.get<std::string>();
    return wrong();
  } else if constexpr (std::same_as<T, double>) {
    if (v.is_number()) return v.get<double>();
    return wrong();
  } else {
    return v;
  }
}

}  // namespace detail

class ObjectReader {
 public:
  // A root reader. If j is not an object, that is the first error.
  explicit ObjectReader(const nlohmann::json& j, std::string path = "$");

  const std::string& path() const { return frame_->path; }
  // True if the key is present (it also counts as known).
  bool has(std::string_view key);
  // Marks a key as known without reading it (e.g. a field handled elsewhere).
  void allow(std::string_view key);

  template <detail::Decodable T>
  T required(std::string_view key) {
    const nlohmann::json* v = field(key, true);
    if (v == nullptr) return T{};
    return take(key, detail::decode<T>(*v)).value_or(T{});
  }

  template <detail::Decodable T>
  std::optional<T> optional(std::string_view key) {
    const nlohmann::json* v = field(key, false);
    if (v == nullptr) return std::nullopt;
    return take(key, detail::decode<T>(*v));
  }

  template <detail::Decodable T>
  T optional(std::string_view key, T fallback) {
    const nlohmann::json* v = field(key, false);
    if (v == nullptr) return fallback;
    return take(key, detail::decode<T>(*v)).value_or(std::move(fallback));
  }

  // Integers within [min, max] (inclusive), in addition to the range of T.
  template <detail::Integer T>
  T required_int(std::string_view key, T min, T max) {
    const nlohmann::json* v = field(key, true);
    if (v == nullptr) return T{};
    auto r = take(key, detail::decode<T>(*v));
    if (!r) return T{};
    return checked_range(key, *r, min, max).value_or(T{});
  }
  template <detail::Integer T>
  std::optional<T> optional_int(std::string_view key, T min, T max) {
    auto v = optional<T>(key);
    if (!v) return std::nullopt;
    return checked_range(key, *v, min, max);
  }

  // Strings of at most max_bytes bytes (UTF-8 is already validated by parse()).
  std::string required_string(std::string_view key, std::size_t max_bytes);
  std::optional<std::string> optional_string(std::string_view key, std::size_t max_bytes);

  // A nested object. Missing or not an object: an error, and a reader whose reads all
  // return defaults without adding errors.
  ObjectReader child(std::string_view key);
  // Absent: std::nullopt. Present but not an object: an error and std::nullopt.
  std::optional<ObjectReader> optional_child(std::string_view key);

  // A nested array of at most max_items elements. Missing, wrong type or too long: an
  // error and an empty ArrayReader. optional_array treats absence as empty.
  ArrayReader array(std::string_view key,
                    std::size_t max_items = std::numeric_limits<std::size_t>::max());
  ArrayReader optional_array(std::string_view key,
                             std::size_t max_items = std::numeric_limits<std::size_t>::max());

  // Records a caller-detected error at path.key (e.g. a semantic check on a value read).
  void fail(std::string_view key, std::string_view message);

  // Checks unknown fields in every reader sharing this root; returns the first error.
  Status finish();
  // Every error so far, in order, each "<path>: <message>".
  const std::vector<std::string>& errors() const { return state_->errors; }

 private:
  friend class ArrayReader;
  ObjectReader(std::shared_ptr<detail::ReadState> state, const nlohmann::json* object,
               std::string path);

  // The value at key, or nullptr (recording "missing required field" if required).
  const nlohmann::json* field(std::string_view key, bool required);
  void record(std::string message) { state_->errors.push_back(std::move(message)); }
  std::optional<std::string> optional_string_impl(std::string_view key, std::size_t max_bytes,
                                                  bool required);
  ArrayReader array_impl(std::string_view key, std::size_t max_items, bool required);

  template <class T>
  std::optional<T> take(std::string_view key, Result<T> r) {
    if (r) return std::move(r).value();
    fail(key, r.error().message());
    return std::nullopt;
  }

  template <class T>
  std::optional<T> checked_range(std::string_view key, T v, T min, T max) {
    if (v >= min && v <= max) return v;
    fail(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                  ", got " + std::to_string(v));
    return std::nullopt;
  }

  std::shared_ptr<detail::ReadState> state_;
  std::shared_ptr<detail::Frame> frame_;
};

// Elements of a JSON array, each with its index in the path ($.peers[3]).
class ArrayReader {
 public:
  std::size_t size() const { return array_ == nullptr ? 0 : array_->size(); }
  const std::string& path() const { return path_; }

  // Element i as an object (precondition: i < size()).
  ObjectReader object(std::size_t i);
  // Every element as an object; non-objects record an error and yield a dead reader.
  std::vector<ObjectReader> objects();

  // Element i decoded as T (precondition: i < size()); errors as ObjectReader::required.
  template <detail::Decodable T>
  T value(std::size_t i) {
    auto r = detail::decode<T>((*array_)[i]);
    if (r) return std::move(r).value();
    owner_.record(path_index_of(i) + ": " + r.error().message());
    return T{};
  }
  template <detail::Decodable T>
  std::vector<T> values() {
    std::vector<T> out;
    out.reserve(size());
    for (std::size_t i = 0; i < size(); ++i)
      out.push_back(value<T>(i));
    return out;
  }

 private:
  friend class ObjectReader;
  ArrayReader(ObjectReader owner, const nlohmann::json* array, std::string path)
      : owner_(std::move(owner)), array_(array), path_(std::move(path)) {}
  std::string path_index_of(std::size_t i) const;

  ObjectReader owner_;                     // shares the error state
  const nlohmann::json* array_ = nullptr;  // nullptr: absent or invalid
  std::string path_;
};

}  // namespace ward::json
