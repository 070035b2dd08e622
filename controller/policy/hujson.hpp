// HuJSON ("human JSON": JSON with // and /* */ comments and trailing commas), the format
// of Tailscale and headscale policy files, parsed into a tree that remembers where every
// value came from so later (semantic) errors can name the ORIGINAL line and column.
//
// Why not nlohmann-json directly: nlohmann rejects trailing commas, silently keeps the
// last of duplicate keys (a policy could hide a rule that way) and reports no positions
// for values. This parser is strict JSON (RFC 8259) plus the two HuJSON extensions:
// duplicate object keys are an error, strings must be valid UTF-8 without raw control
// characters, numbers follow JSON grammar. Limits: input at most kMaxInputBytes, nesting
// at most kMaxDepth; both are errors, never crashes.
//
// Errors read "<name>:<line>:<column>: <what was wrong>; expected <what>" with 1-based
// line and byte column of the original text. No exceptions escape.
// Thread-safety: Documents are immutable values once parsed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"

namespace ward::policy::hujson {

inline constexpr std::size_t kMaxInputBytes = 4 * 1024 * 1024;
inline constexpr int kMaxDepth = 64;

struct Member;

struct Value {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  std::size_t offset = 0;  // byte offset of the value's first character in the source
  bool boolean = false;
  double number = 0;
  std::string text;             // kString: the decoded string; kNumber: its source text
  std::vector<Value> items;     // kArray
  std::vector<Member> members;  // kObject, in source order (keys are unique)

  bool is_null() const { return kind == Kind::kNull; }
  bool is_string() const { return kind == Kind::kString; }
  bool is_array() const { return kind == Kind::kArray; }
  bool is_object() const { return kind == Kind::kObject; }
  bool is_bool() const { return kind == Kind::kBool; }
  bool is_number() const { return kind == Kind::kNumber; }
  // The member with this key, or nullptr.
  const Value* find(std::string_view key) const;
};

struct Member {
  std::string key;
  std::size_t key_offset = 0;
  Value value;
};

// "string", "array", ... for messages.
std::string_view kind_name(Value::Kind kind);

// Maps byte offsets of a source text to "name:line:column".
class SourceMap {
 public:
  SourceMap() = default;
  SourceMap(std::string name, std::string_view text);
  // 1-based line and column of a byte offset (offsets past the end clamp to the end).
  std::pair<std::size_t, std::size_t> line_col(std::size_t offset) const;
  // "name:line:col".
  std::string where(std::size_t offset) const;
  // An invalid_argument Error "name:line:col: message".
  Error error(std::size_t offset, std::string_view message) const;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::vector<std::size_t> line_starts_;
  std::size_t size_ = 0;
};

struct Document {
  SourceMap source;
  Value root;
};

// Parses text (HuJSON) into a Document. name is used in error messages (a file name).
// Inputs longer than max_bytes are refused.
Result<Document> parse(std::string_view text, std::string name,
                       std::size_t max_bytes = kMaxInputBytes);

}  // namespace ward::policy::hujson
