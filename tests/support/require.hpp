// Test support for Catch2 tests (header-only; include from test sources only).
//
//   Netns* a = ward::testing::required(topo.add_namespace("a"));
//   ward::testing::required(topo.link(*a, {...}, *b, {...}));
//
// required() REQUIREs that a Result holds a value, printing its error and the caller's
// line otherwise, and returns the value. A failing REQUIRE throws (Catch2), so the
// destructors of what the test set up so far (namespaces, processes) still run.
#pragma once

#include <source_location>
#include <string>
#include <utility>

#include <catch2/catch.hpp>

#include "common/base/result.hpp"

namespace ward::testing {

template <class T>
T required(Result<T> r, std::source_location at = std::source_location::current()) {
  INFO("required at " << at.file_name() << ":" << at.line());
  INFO((r ? std::string("ok") : r.error().to_string()));
  REQUIRE(r.ok());
  return std::move(r).value();
}

inline void required(const Status& s, std::source_location at = std::source_location::current()) {
  INFO("required at " << at.file_name() << ":" << at.line());
  INFO((s ? std::string("ok") : s.error().to_string()));
  REQUIRE(s.ok());
}

}  // namespace ward::testing
