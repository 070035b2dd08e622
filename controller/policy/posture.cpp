#include "controller/policy/posture.hpp"

#include <cctype>
#include <vector>

namespace ward::policy {

namespace {

bool is_attr_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '_' || c == '-' ||
         c == '.';
}

class CondLexer {
 public:
  explicit CondLexer(std::string_view s) : s_(s) {}
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t'))
      ++i_;
  }
  bool done() {
    skip();
    return i_ >= s_.size();
  }
  std::string_view word() {
    skip();
    std::size_t st = i_;
    while (i_ < s_.size() && is_attr_char(s_[i_]))
      ++i_;
    return s_.substr(st, i_ - st);
  }
  bool eat(std::string_view tok) {
    skip();
    if (s_.substr(i_, tok.size()) == tok) {
      i_ += tok.size();
      return true;
    }
    return false;
  }
  // A keyword operator: tok followed by something that cannot continue a word.
  bool eat_keyword(std::string_view tok) {
    skip();
    if (s_.substr(i_, tok.size()) != tok) return false;
    std::size_t after = i_ + tok.size();
    if (after < s_.size() && is_attr_char(s_[after])) return false;
    i_ = after;
    return true;
  }
  // A quoted ('...' or "...") or bare (number, true, false, version) literal.
  Result<std::string> literal() {
    skip();
    if (i_ >= s_.size()) return Error::invalid_argument("expected a value");
    char q = s_[i_];
    if (q == '\'' || q == '"') {
      std::size_t end = s_.find(q, i_ + 1);
      if (end == std::string_view::npos) {
        return Error::invalid_argument("unterminated quoted value; expected a closing " +
                                       std::string(1, q));
      }
      std::string v(s_.substr(i_ + 1, end - i_ - 1));
      i_ = end + 1;
      return v;
    }
    std::string_view w = word();
    if (w.empty()) {
      return Error::invalid_argument("expected a quoted value, a number or true/false, found " +
                                     quote(s_.substr(i_)));
    }
    return std::string(w);
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

std::optional<std::vector<unsigned long long>> version_parts(std::string_view v) {
  if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) v.remove_prefix(1);
  std::size_t cut = v.find_first_of("-+");
  if (cut != std::string_view::npos) v = v.substr(0, cut);
  if (v.empty()) return std::nullopt;
  std::vector<unsigned long long> parts;
  unsigned long long cur = 0;
  bool have = false;
  for (char c : v) {
    if (c >= '0' && c <= '9') {
      if (cur > 1'000'000'000'000ULL) return std::nullopt;
      cur = cur * 10 + static_cast<unsigned>(c - '0');
      have = true;
    } else if (c == '.') {
      if (!have) return std::nullopt;
      parts.push_back(cur);
      cur = 0;
      have = false;
    } else {
      return std::nullopt;
    }
  }
  if (!have) return std::nullopt;
  parts.push_back(cur);
  return parts;
}

}  // namespace

std::optional<int> compare_versions(std::string_view a, std::string_view b) {
  auto pa = version_parts(a);
  auto pb = version_parts(b);
  if (!pa || !pb) return std::nullopt;
  std::size_t n = std::max(pa->size(), pb->size());
  for (std::size_t i = 0; i < n; ++i) {
    unsigned long long x = i < pa->size() ? (*pa)[i] : 0;
    unsigned long long y = i < pb->size() ? (*pb)[i] : 0;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

bool is_known_posture_attribute(std::string_view a) {
  static constexpr std::string_view kKnown[] = {"node:os",          "node:osVersion",
                                                "ward:version",     "disk:encrypted",
                                                "firewall:enabled", "secureboot:enabled"};
  for (std::string_view k : kKnown) {
    if (a == k) return true;
  }
  return a.size() > 7 && a.substr(0, 7) == "custom:";
}

std::string_view posture_op_name(PostureOp op) {
  switch (op) {
    case PostureOp::kEq:
      return "==";
    case PostureOp::kNe:
      return "!=";
    case PostureOp::kLt:
      return "<";
    case PostureOp::kLe:
      return "<=";
    case PostureOp::kGt:
      return ">";
    case PostureOp::kGe:
      return ">=";
    case PostureOp::kIn:
      return "IN";
    case PostureOp::kNotIn:
      return "NOT IN";
    case PostureOp::kIsSet:
      return "IS SET";
    case PostureOp::kNotSet:
      return "NOT SET";
  }
  return "?";
}

Result<PostureCondition> parse_posture_condition(std::string_view text) {
  PostureCondition c;
  c.text = std::string(text);
  CondLexer lx(text);
  std::string_view attr = lx.word();
  if (attr.empty() || attr.find(':') == std::string_view::npos || attr.front() == ':' ||
      attr.back() == ':') {
    return Error::invalid_argument(
        "expected an attribute like node:os or custom:name at the "
        "start of posture condition " +
        quote(text));
  }
  c.attribute = std::string(attr);
  if (lx.eat("=="))
    c.op = PostureOp::kEq;
  else if (lx.eat("!="))
    c.op = PostureOp::kNe;
  else if (lx.eat("<="))
    c.op = PostureOp::kLe;
  else if (lx.eat(">="))
    c.op = PostureOp::kGe;
  else if (lx.eat("<"))
    c.op = PostureOp::kLt;
  else if (lx.eat(">"))
    c.op = PostureOp::kGt;
  else if (lx.eat_keyword("IN"))
    c.op = PostureOp::kIn;
  else if (lx.eat_keyword("NOT IN"))
    c.op = PostureOp::kNotIn;
  else if (lx.eat_keyword("IS SET"))
    c.op = PostureOp::kIsSet;
  else if (lx.eat_keyword("NOT SET"))
    c.op = PostureOp::kNotSet;
  else {
    return Error::invalid_argument(
        "expected an operator (==, !=, <, <=, >, >=, IN, NOT IN, IS SET, NOT SET) after " +
        quote(attr) + " in posture condition " + quote(text));
  }
  if (c.op == PostureOp::kIn || c.op == PostureOp::kNotIn) {
    if (!lx.eat("[")) {
      return Error::invalid_argument("expected '[' after " + std::string(posture_op_name(c.op)) +
                                     " in posture condition " + quote(text));
    }
    while (true) {
      if (lx.eat("]")) break;
      WARD_ASSIGN_OR_RETURN(std::string v, lx.literal());
      c.values.push_back(std::move(v));
      if (lx.eat(",")) continue;
      if (lx.eat("]")) break;
      return Error::invalid_argument("expected ',' or ']' in the list of posture condition " +
                                     quote(text));
    }
    if (c.values.empty()) {
      return Error::invalid_argument("empty list in posture condition " + quote(text) +
                                     "; expected at least one value");
    }
  } else if (c.op != PostureOp::kIsSet && c.op != PostureOp::kNotSet) {
    auto v = lx.literal();
    if (!v) return v.error().context("posture condition " + quote(text));
    c.values.push_back(std::move(*v));
    bool ordering = c.op == PostureOp::kLt || c.op == PostureOp::kLe || c.op == PostureOp::kGt ||
                    c.op == PostureOp::kGe;
    if (ordering && !compare_versions(c.values[0], c.values[0])) {
      return Error::invalid_argument(
          "posture condition " + quote(text) + " compares with " + quote(c.values[0]) +
          "; expected a version or number like '13.4.1' for " + std::string(posture_op_name(c.op)));
    }
  }
  if (!lx.done()) {
    return Error::invalid_argument("unexpected text at the end of posture condition " +
                                   quote(text));
  }
  return c;
}

bool condition_holds(const PostureCondition& c, const PostureFacts& facts) {
  auto it = facts.find(c.attribute);
  if (c.op == PostureOp::kNotSet) return it == facts.end();
  if (it == facts.end()) return false;
  const std::string& fact = it->second;
  switch (c.op) {
    case PostureOp::kIsSet:
      return true;
    case PostureOp::kEq:
      return fact == c.values[0];
    case PostureOp::kNe:
      return fact != c.values[0];
    case PostureOp::kIn:
    case PostureOp::kNotIn: {
      bool found = false;
      for (const std::string& v : c.values)
        found = found || v == fact;
      return c.op == PostureOp::kIn ? found : !found;
    }
    case PostureOp::kLt:
    case PostureOp::kLe:
    case PostureOp::kGt:
    case PostureOp::kGe: {
      auto cmp = compare_versions(fact, c.values[0]);
      if (!cmp) return false;
      if (c.op == PostureOp::kLt) return *cmp < 0;
      if (c.op == PostureOp::kLe) return *cmp <= 0;
      if (c.op == PostureOp::kGt) return *cmp > 0;
      return *cmp >= 0;
    }
    case PostureOp::kNotSet:
      break;
  }
  return false;
}

bool posture_holds(const Posture& posture, const PostureFacts& facts) {
  for (const PostureCondition& c : posture.conditions) {
    if (!condition_holds(c, facts)) return false;
  }
  return true;
}

}  // namespace ward::policy
