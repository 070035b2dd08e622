#include "controller/policy/hujson.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string>
#include <utility>

namespace ward::policy::hujson {

const Value* Value::find(std::string_view key) const {
  for (const Member& m : members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

std::string_view kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return "boolean";
    case Value::Kind::kNumber:
      return "number";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kArray:
      return "array";
    case Value::Kind::kObject:
      return "object";
  }
  return "value";
}

SourceMap::SourceMap(std::string name, std::string_view text)
    : name_(std::move(name)), size_(text.size()) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::pair<std::size_t, std::size_t> SourceMap::line_col(std::size_t offset) const {
  if (line_starts_.empty()) return {1, 1};
  offset = std::min(offset, size_);
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());
  return {line, offset - line_starts_[line - 1] + 1};
}

std::string SourceMap::where(std::size_t offset) const {
  auto [line, col] = line_col(offset);
  return name_ + ":" + std::to_string(line) + ":" + std::to_string(col);
}

Error SourceMap::error(std::size_t offset, std::string_view message) const {
  return Error::invalid_argument(where(offset) + ": " + std::string(message));
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, const SourceMap& map) : s_(text), map_(map) {}

  Result<Value> parse_document() {
    WARD_RETURN_IF_ERROR(skip_space());
    if (pos_ >= s_.size()) return map_.error(pos_, "empty document; expected a JSON object");
    Value root;
    WARD_RETURN_IF_ERROR(parse_value(root, 0));
    WARD_RETURN_IF_ERROR(skip_space());
    if (pos_ < s_.size()) {
      return map_.error(pos_, "unexpected " + describe_here() + " after the top-level value");
    }
    return root;
  }

 private:
  std::string describe_here() const {
    if (pos_ >= s_.size()) return "end of input";
    return quote(s_.substr(pos_, 1));
  }

  Error expected(std::string_view what) const {
    return map_.error(pos_, "expected " + std::string(what) + ", found " + describe_here());
  }

  // Skips whitespace and comments.
  Status skip_space() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '/') {
        while (pos_ < s_.size() && s_[pos_] != '\n')
          ++pos_;
      } else if (c == '/' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '*') {
        std::size_t start = pos_;
        std::size_t end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) {
          return map_.error(start, "unterminated /* comment; expected */");
        }
        pos_ = end + 2;
      } else if (c == '/') {
        return map_.error(pos_, "stray '/'; expected // or /* to start a comment");
      } else {
        break;
      }
    }
    return ok();
  }

  Status parse_value(Value& out, int depth) {
    if (depth > kMaxDepth) {
      return map_.error(pos_, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    if (pos_ >= s_.size()) return expected("a value");
    out.offset = pos_;
    char c = s_[pos_];
    switch (c) {
      case '{':
        return parse_object(out, depth);
      case '[':
        return parse_array(out, depth);
      case '"':
        out.kind = Value::Kind::kString;
        return parse_string(out.text);
      case 't':
        return parse_literal(out, "true", Value::Kind::kBool, true);
      case 'f':
        return parse_literal(out, "false", Value::Kind::kBool, false);
      case 'n':
        return parse_literal(out, "null", Value::Kind::kNull, false);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        if (c == '\'') return expected("a value (strings use double quotes)");
        return expected("a value");
    }
  }

  Status parse_literal(Value& out, std::string_view word, Value::Kind kind, bool b) {
    if (s_.substr(pos_, word.size()) != word) return expected("a value");
    pos_ += word.size();
    out.kind = kind;
    out.boolean = b;
    return ok();
  }

  Status parse_number(Value& out) {
    std::size_t start = pos_;
    auto digit = [&](std::size_t i) { return i < s_.size() && s_[i] >= '0' && s_[i] <= '9'; };
    if (s_[pos_] == '-') ++pos_;
    if (!digit(pos_)) return expected("a digit");
    if (s_[pos_] == '0') {
      ++pos_;
      if (digit(pos_)) return map_.error(start, "leading zeros are not allowed in numbers");
    } else {
      while (digit(pos_))
        ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digit(pos_)) return expected("a digit after '.'");
      while (digit(pos_))
        ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digit(pos_)) return expected("a digit in the exponent");
      while (digit(pos_))
        ++pos_;
    }
    out.kind = Value::Kind::kNumber;
    out.text = std::string(s_.substr(start, pos_ - start));
    out.number = std::strtod(out.text.c_str(), nullptr);
    return ok();
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  Result<std::uint32_t> hex4() {
    if (pos_ + 4 > s_.size()) return expected("four hex digits after \\u");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return map_.error(pos_ + i, "expected a hex digit in \\u escape");
    }
    pos_ += 4;
    return v;
  }

  // Length of a valid UTF-8 sequence at pos_ (lead byte >= 0x80), or 0.
  std::size_t utf8_len() const {
    auto b = [&](std::size_t i) -> unsigned {
      return i < s_.size() ? static_cast<unsigned char>(s_[i]) : 0u;
    };
    unsigned c0 = b(pos_);
    auto cont = [&](std::size_t i) { return (b(i) & 0xC0) == 0x80; };
    if (c0 >= 0xC2 && c0 <= 0xDF) return cont(pos_ + 1) ? 2 : 0;
    if (c0 >= 0xE0 && c0 <= 0xEF) {
      unsigned c1 = b(pos_ + 1);
      if (c0 == 0xE0 && c1 < 0xA0) return 0;   // overlong
      if (c0 == 0xED && c1 >= 0xA0) return 0;  // surrogate
      return cont(pos_ + 1) && cont(pos_ + 2) ? 3 : 0;
    }
    if (c0 >= 0xF0 && c0 <= 0xF4) {
      unsigned c1 = b(pos_ + 1);
      if (c0 == 0xF0 && c1 < 0x90) return 0;
      if (c0 == 0xF4 && c1 >= 0x90) return 0;
      return cont(pos_ + 1) && cont(pos_ + 2) && cont(pos_ + 3) ? 4 : 0;
    }
    return 0;
  }

  Status parse_string(std::string& out) {
    std::size_t start = pos_;
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= s_.size()) return map_.error(start, "unterminated string; expected '\"'");
      unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return ok();
      }
      if (c < 0x20) {
        return map_.error(pos_, "control character in string; expected it escaped");
      }
      if (c == '\\') {
        ++pos_;
        if (pos_ >= s_.size()) return map_.error(start, "unterminated string; expected '\"'");
        char e = s_[pos_++];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            WARD_ASSIGN_OR_RETURN(std::uint32_t cp, hex4());
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (s_.substr(pos_, 2) != "\\u") {
                return map_.error(pos_, "lone UTF-16 surrogate; expected a low surrogate");
              }
              pos_ += 2;
              WARD_ASSIGN_OR_RETURN(std::uint32_t lo, hex4());
              if (lo < 0xDC00 || lo > 0xDFFF) {
                return map_.error(pos_ - 6, "invalid UTF-16 low surrogate");
              }
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return map_.error(pos_ - 6, "lone UTF-16 low surrogate");
            }
            append_utf8(out, cp);
            break;
          }
          default:
            return map_.error(pos_ - 2,
                              "invalid escape " + quote(std::string("\\") + e) +
                                  "; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
        }
        continue;
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      std::size_t n = utf8_len();
      if (n == 0) return map_.error(pos_, "invalid UTF-8 in string");
      out.append(s_.substr(pos_, n));
      pos_ += n;
    }
  }

  Status parse_array(Value& out, int depth) {
    out.kind = Value::Kind::kArray;
    ++pos_;
    while (true) {
      WARD_RETURN_IF_ERROR(skip_space());
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return ok();
      }
      Value item;
      WARD_RETURN_IF_ERROR(parse_value(item, depth + 1));
      out.items.push_back(std::move(item));
      WARD_RETURN_IF_ERROR(skip_space());
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;  // a trailing comma is allowed: the loop then sees ']'
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return ok();
      }
      return expected("',' or ']'");
    }
  }

  Status parse_object(Value& out, int depth) {
    out.kind = Value::Kind::kObject;
    ++pos_;
    while (true) {
      WARD_RETURN_IF_ERROR(skip_space());
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return ok();
      }
      if (pos_ >= s_.size() || s_[pos_] != '"') return expected("a string key or '}'");
      Member m;
      m.key_offset = pos_;
      WARD_RETURN_IF_ERROR(parse_string(m.key));
      for (const Member& other : out.members) {
        if (other.key == m.key) {
          return map_.error(m.key_offset, "duplicate key " + quote(m.key) + " (first at " +
                                              map_.where(other.key_offset) + ")");
        }
      }
      WARD_RETURN_IF_ERROR(skip_space());
      if (pos_ >= s_.size() || s_[pos_] != ':') return expected("':' after object key");
      ++pos_;
      WARD_RETURN_IF_ERROR(skip_space());
      WARD_RETURN_IF_ERROR(parse_value(m.value, depth + 1));
      out.members.push_back(std::move(m));
      WARD_RETURN_IF_ERROR(skip_space());
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return ok();
      }
      return expected("',' or '}'");
    }
  }

  std::string_view s_;
  const SourceMap& map_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<Document> parse(std::string_view text, std::string name, std::size_t max_bytes) {
  Document doc;
  if (text.size() > max_bytes) {
    return Error::invalid_argument(name + ": input is " + std::to_string(text.size()) +
                                   " bytes; expected at most " + std::to_string(max_bytes));
  }
  doc.source = SourceMap(std::move(name), text);
  // A UTF-8 byte order mark is tolerated (editors on Windows write one); it is blanked in
  // a copy so offsets still refer to the original text.
  std::string without_bom;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    without_bom.assign(text);
    without_bom[0] = without_bom[1] = without_bom[2] = ' ';
    text = without_bom;
  }
  Parser parser(text, doc.source);
  WARD_ASSIGN_OR_RETURN(doc.root, parser.parse_document());
  return doc;
}

}  // namespace ward::policy::hujson
