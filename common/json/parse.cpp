#include "common/json/parse.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "common/json/path.hpp"

namespace ward::json {
namespace {

using nlohmann::json;

// Builds the document like nlohmann's own DOM parser, but refuses duplicate keys and
// excessive depth, and remembers how each open container was reached (for paths).
class StrictBuilder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit StrictBuilder(int max_depth) : max_depth_(max_depth) {}

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(number_integer_t v) { return add(v); }
  bool number_unsigned(number_unsigned_t v) { return add(v); }
  bool number_float(number_float_t v, const string_t&) { return add(v); }
  bool string(string_t& v) { return add(std::move(v)); }
  bool binary(binary_t&) {
    error_ = "binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(string_t& k) {
    if (stack_.back()->contains(k)) {
      error_ = "duplicate key " + quote(k) + " in the object at " + path(false);
      return false;
    }
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    parse_error_position_ = position;
    parse_error_id_ = ex.id;
    parse_error_what_ = ex.what();
    return false;
  }

  json take_root() { return std::move(root_); }
  const std::optional<std::string>& error() const { return error_; }
  std::size_t parse_error_position() const { return parse_error_position_; }
  int parse_error_id() const { return parse_error_id_; }
  const std::string& parse_error_what() const { return parse_error_what_; }

 private:
  // The slot the next value goes into, with its path segment.
  json* slot(std::string& segment) {
    if (stack_.empty()) {
      segment = "";
      return &root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      segment = path_index("", top->size());
      top->push_back(nullptr);
      return &top->back();
    }
    segment = path_key("", key_);
    return &(*top)[key_];
  }

  template <class V>
  bool add(V&& v) {
    std::string segment;
    *slot(segment) = json(std::forward<V>(v));
    return true;
  }

  bool open(json container) {
    if (static_cast<int>(stack_.size()) >= max_depth_) {
      std::string where = path(true);
      if (where.size() > 200) where = where.substr(0, 200) + "...";
      error_ = "nesting deeper than " + std::to_string(max_depth_) + " levels at " + where;
      return false;
    }
    std::string segment;
    json* s = slot(segment);
    *s = std::move(container);
    stack_.push_back(s);
    segments_.push_back(std::move(segment));
    return true;
  }

  bool close() {
    stack_.pop_back();
    segments_.pop_back();
    return true;
  }

  // Path of the innermost open container; with_next adds the slot being opened.
  std::string path(bool with_next) const {
    std::string p = "$";
    for (const auto& s : segments_)
      p += s;
    if (with_next && !stack_.empty()) {
      const json* top = stack_.back();
      p = top->is_array() ? path_index(p, top->size()) : path_key(p, key_);
    }
    return p;
  }

  int max_depth_;
  json root_;
  std::vector<json*> stack_;
  std::vector<std::string> segments_;
  std::string key_;
  std::optional<std::string> error_;
  std::size_t parse_error_position_ = 0;
  int parse_error_id_ = 0;
  std::string parse_error_what_;
};

// nlohmann's message without its prefix and without the "last read: '<input>'" part, so
// no input bytes reach the message.
std::string describe(const StrictBuilder& b) {
  if (b.parse_error_id() == 406) return "number is out of range";
  const std::string& what = b.parse_error_what();
  std::string detail = what;
  if (auto col = what.find(", column "); col != std::string::npos) {
    if (auto colon = what.find(": ", col); colon != std::string::npos) {
      detail = what.substr(colon + 2);
    }
  }
  if (auto lr = detail.find("; last read: '"); lr != std::string::npos) {
    auto expected = detail.rfind("'; expected ");
    if (expected != std::string::npos && expected >= lr) {
      detail = detail.substr(0, lr) + detail.substr(expected + 1);
    } else {
      detail = detail.substr(0, lr);
    }
  }
  return detail;
}

}  // namespace

Result<nlohmann::json> parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error::invalid_argument("JSON document is " + std::to_string(text.size()) +
                                   " bytes; the limit is " + std::to_string(limits.max_bytes));
  }
  StrictBuilder builder(limits.max_depth);
  bool ok_parse = false;
  try {
    ok_parse = json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    return Error::internal(std::string("JSON parser failed: ") + e.what());
  }
  if (ok_parse) return builder.take_root();
  if (builder.error()) return Error::invalid_argument("invalid JSON: " + *builder.error());
  // The byte that failed is the last one read (position counts bytes read, 1-based).
  const std::size_t idx = std::min(
      builder.parse_error_position() > 0 ? builder.parse_error_position() - 1 : std::size_t{0},
      text.size());
  const std::string_view before = text.substr(0, idx);
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t nl = before.rfind('\n');
  const std::size_t column = nl == std::string_view::npos ? idx + 1 : idx - nl;
  return Error::invalid_argument("invalid JSON at line " + std::to_string(line) + ", column " +
                                 std::to_string(column) + ": " + describe(builder));
}

}  // namespace ward::json
