#include "controller/policy/alias.hpp"

#include <cctype>

namespace ward::policy {

namespace {
constexpr std::string_view kAliasExpectation =
    "expected a user email, group:<name>, tag:<name>, a host from `hosts`, an IP address or "
    "CIDR, *, autogroup:member, autogroup:tagged or autogroup:self";

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

bool valid_email(std::string_view s) {
  std::size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.size() > 254) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == ',' || c == ':' || c == '"') return false;
  }
  return s.find('@', at + 1) == std::string_view::npos;
}

Result<Alias> resolve_alias(const Policy& p, std::string_view text, bool allow_self,
                            bool allow_device_name) {
  Alias a;
  a.text = std::string(text);
  if (text == "*") {
    a.kind = AliasKind::kAll;
    return a;
  }
  if (text.starts_with("autogroup:")) {
    if (text == "autogroup:member")
      a.kind = AliasKind::kMember;
    else if (text == "autogroup:tagged")
      a.kind = AliasKind::kTagged;
    else if (text == "autogroup:self") {
      if (!allow_self) {
        return Error::invalid_argument(
            "autogroup:self is only allowed as a destination; expected it in dst");
      }
      a.kind = AliasKind::kSelf;
    } else {
      return Error::invalid_argument("unsupported autogroup " + quote(text) +
                                     "; expected autogroup:member, autogroup:tagged or "
                                     "autogroup:self");
    }
    return a;
  }
  if (text.starts_with("group:")) {
    if (!p.groups.contains(std::string(text))) {
      return Error::invalid_argument("unknown group " + quote(text) +
                                     "; expected a group defined in `groups`");
    }
    a.kind = AliasKind::kGroup;
    a.name = std::string(text);
    return a;
  }
  if (text.starts_with("tag:")) {
    if (!p.tag_owners.contains(std::string(text))) {
      return Error::invalid_argument("tag " + quote(text) +
                                     " has no entry in `tagOwners`; expected every tag used "
                                     "in rules to be declared there");
    }
    a.kind = AliasKind::kTag;
    a.name = std::string(text);
    return a;
  }
  if (text.find('@') != std::string_view::npos) {
    if (!valid_email(text)) {
      return Error::invalid_argument("bad user " + quote(text) +
                                     "; expected an email like alice@example.org");
    }
    a.kind = AliasKind::kUser;
    a.name = lower_ascii(text);
    return a;
  }
  if (auto h = p.hosts.find(std::string(text)); h != p.hosts.end()) {
    a.kind = AliasKind::kPrefix;
    a.name = h->first;
    a.prefix = h->second;
    return a;
  }
  bool ip_like = !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) ||
                                   text.find(':') != std::string_view::npos ||
                                   text.find('/') != std::string_view::npos);
  if (ip_like) {
    auto pr = net::Prefix::parse(text);
    if (!pr) {
      if (allow_device_name && valid_name(text)) {
        a.kind = AliasKind::kDeviceName;
        a.name = std::string(text);
        return a;
      }
      return Error::invalid_argument(pr.error().message());
    }
    a.kind = AliasKind::kPrefix;
    a.prefix = *pr;
    return a;
  }
  if (allow_device_name && valid_name(text)) {
    a.kind = AliasKind::kDeviceName;
    a.name = std::string(text);
    return a;
  }
  return Error::invalid_argument("unknown alias " + quote(text) + "; " +
                                 std::string(kAliasExpectation));
}

}  // namespace ward::policy
