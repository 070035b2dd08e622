#include "common/http/router.hpp"

#include <algorithm>

#include "common/base/error.hpp"
#include "common/http/message.hpp"
#include "common/http/serialize.hpp"

namespace ward::http {

namespace {

// Splits "/a/b/c" into {"a","b","c"}; "/" into {""}. Requires a leading '/'.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::optional<std::string_view> PathParams::get(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

Status Router::add(std::string_view method, std::string_view pattern, std::size_t id) {
  if (!is_token(method)) return Error::invalid_argument("invalid route method " + quote(method));
  if (pattern.empty() || pattern.front() != '/') {
    return Error::invalid_argument("route pattern " + quote(pattern) + " must start with '/'");
  }
  Route route{std::string(method), std::string(pattern), {}, id};
  for (std::string_view seg : split_path(pattern)) {
    const bool opens = seg.find('{') != std::string_view::npos;
    const bool closes = seg.find('}') != std::string_view::npos;
    if (!opens && !closes) {
      route.segments.push_back({false, std::string(seg)});
      continue;
    }
    const bool whole = seg.size() > 2 && seg.front() == '{' && seg.back() == '}' &&
                       seg.find_first_of("{}", 1) == seg.size() - 1;
    if (!whole) {
      return Error::invalid_argument("route pattern " + quote(pattern) +
                                     ": a parameter must be a whole segment like {id}");
    }
    std::string name(seg.substr(1, seg.size() - 2));
    for (const Segment& s : route.segments) {
      if (s.is_param && s.text == name) {
        return Error::invalid_argument("route pattern " + quote(pattern) + " repeats parameter " +
                                       quote(name));
      }
    }
    route.segments.push_back({true, std::move(name)});
  }
  for (const Route& r : routes_) {
    if (r.method == route.method && r.pattern == route.pattern) {
      return Error::already_exists("route " + route.method + " " + quote(pattern) +
                                   " is already registered");
    }
  }
  routes_.push_back(std::move(route));
  return ok();
}

bool Router::matches(const Route& route, const std::vector<std::string_view>& segs,
                     PathParams* params) {
  if (route.segments.size() != segs.size()) return false;
  PathParams found;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const Segment& s = route.segments[i];
    if (!s.is_param) {
      if (s.text != segs[i]) return false;
      continue;
    }
    auto value = percent_decode(segs[i], false);
    if (!value || value->empty() || *value == "." || *value == ".." ||
        value->find('/') != std::string::npos) {
      return false;
    }
    found.add(s.text, std::move(*value));
  }
  if (params != nullptr) *params = std::move(found);
  return true;
}

bool Router::more_specific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch out;
  if (path.empty() || path.front() != '/') return out;
  const auto segs = split_path(path);

  const Route* best = nullptr;
  const Route* best_get = nullptr;  // for HEAD served by GET
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (!matches(r, segs, nullptr)) continue;
    allowed.push_back(r.method);
    if (r.method == "GET") allowed.push_back("HEAD");
    if (r.method == method && (best == nullptr || more_specific(r, *best))) best = &r;
    if (method == "HEAD" && r.method == "GET" &&
        (best_get == nullptr || more_specific(r, *best_get))) {
      best_get = &r;
    }
  }
  if (best == nullptr && best_get != nullptr) {
    best = best_get;
    out.head_only = true;
  } else if (best != nullptr && method == "HEAD") {
    out.head_only = true;
  }
  if (best != nullptr) {
    out.kind = RouteMatch::Kind::kFound;
    out.id = best->id;
    matches(*best, segs, &out.params);
    return out;
  }
  if (allowed.empty()) return out;
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  out.kind = RouteMatch::Kind::kMethodNotAllowed;
  for (const std::string& m : allowed) {
    if (!out.allow.empty()) out.allow += ", ";
    out.allow += m;
  }
  return out;
}

}  // namespace ward::http
