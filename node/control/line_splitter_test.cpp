#include "node/control/line_splitter.hpp"

#include <catch2/catch.hpp>

using ward::node::control::LineSplitter;
using Lines = std::vector<std::string>;

TEST_CASE("lines split across arbitrary chunk boundaries", "[unit]") {
  const std::string stream =
      "{\"type\":\"a\"}\n{\"type\":\"bb\"}\r\n\n{\"type\":\"ccc\"}\n{\"partial";
  for (std::size_t step = 1; step <= stream.size(); ++step) {
    LineSplitter s(64);
    Lines all;
    for (std::size_t i = 0; i < stream.size(); i += step) {
      auto r = s.feed(std::string_view(stream).substr(i, step));
      REQUIRE(r);
      all.insert(all.end(), r->begin(), r->end());
    }
    REQUIRE(all == Lines{"{\"type\":\"a\"}", "{\"type\":\"bb\"}", "{\"type\":\"ccc\"}"});
    REQUIRE(s.pending() == 9);
  }
}

TEST_CASE("a line of exactly the limit passes; one byte more fails and stays failed", "[unit]") {
  LineSplitter s(8);
  auto ok = s.feed("12345678\n1234");
  REQUIRE(ok);
  REQUIRE(*ok == Lines{"12345678"});
  REQUIRE(s.feed("5678\r\n"));
  auto bad = s.feed("123456789");  // no newline yet: rejected before buffering more
  REQUIRE_FALSE(bad);
  REQUIRE(bad.error().message().find("longer than 8 bytes") != std::string::npos);
  REQUIRE(s.pending() == 0);
  REQUIRE_FALSE(s.feed("\n"));  // stays failed
  s.reset();
  auto again = s.feed("ab\n");
  REQUIRE(again);
  REQUIRE(*again == Lines{"ab"});
}

TEST_CASE("an oversize line is rejected even when it arrives in small chunks", "[unit]") {
  LineSplitter s(16);
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i)
    failed = !s.feed("xxxx").has_value();
  REQUIRE(failed);
  LineSplitter t(4);
  REQUIRE_FALSE(t.feed("12345\n"));
  LineSplitter u(4);
  REQUIRE_FALSE(u.feed("1234\r\r\n"));  // '\r' inside the line counts
}
