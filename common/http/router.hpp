// Router: maps (method, path) to a route id (pure; no I/O).
//
// Patterns are absolute paths whose segments are literals or whole-segment parameters:
// "/v1/enroll", "/v1/admin/devices/{id}". Matching is exact (no prefix match, a trailing
// slash matters). Parameter values are percent-decoded and never empty, ".", "..", nor
// contain '/'. When several patterns match, the more literal one wins: at the first
// segment where they differ, a literal beats a parameter. A GET route also answers HEAD
// unless HEAD is routed explicitly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/result.hpp"

namespace ward::http {

class PathParams {
 public:
  void add(std::string name, std::string value) {
    params_.emplace_back(std::move(name), std::move(value));
  }
  // The decoded value of {name}, or nullopt if the route has no such parameter.
  std::optional<std::string_view> get(std::string_view name) const;
  std::size_t size() const { return params_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed };
  Kind kind = Kind::kNotFound;
  std::size_t id = 0;      // kFound: the id given to add()
  bool head_only = false;  // kFound: a HEAD request served by a GET route
  PathParams params;       // kFound
  std::string allow;       // kMethodNotAllowed: "GET, HEAD, POST" for the Allow header
};

class Router {
 public:
  // Adds a route. kInvalidArgument for a method that is not a token, a pattern that does
  // not start with '/', has an empty or malformed {param} segment or a repeated parameter
  // name; kAlreadyExists for the same method and pattern twice.
  Status add(std::string_view method, std::string_view pattern, std::size_t id);

  RouteMatch match(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    bool is_param = false;
    std::string text;  // literal text, or the parameter name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    std::size_t id = 0;
  };

  // Fills params and returns true when path matches route's pattern.
  static bool matches(const Route& route, const std::vector<std::string_view>& segs,
                      PathParams* params);
  // True if a is more specific than b (both matching the same path).
  static bool more_specific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace ward::http
