#include "node/filter/render.hpp"

#include <catch2/catch.hpp>

using namespace ward::node;
using namespace ward::node::filter;

namespace {
ward::net::Prefix pfx(const char* s) {
  return ward::net::Prefix::parse(s).value();
}

const char* kHeader =
    "table inet ward_wg0 {\n}\n"
    "flush table inet ward_wg0\n"
    "table inet ward_wg0 {\n"
    "\tchain input {\n"
    "\t\ttype filter hook input priority filter; policy accept;\n"
    "\t\tiifname \"wg0\" jump ward_in\n"
    "\t}\n"
    "\tchain forward {\n"
    "\t\ttype filter hook forward priority filter; policy accept;\n"
    "\t\tiifname \"wg0\" counter drop comment \"ward: no forwarding from the tunnel\"\n"
    "\t}\n"
    "\tchain ward_in {\n"
    "\t\tct state established,related accept\n"
    "\t\tct state invalid counter drop\n";
const char* kFooter =
    "\t\tcounter drop comment \"ward: default drop\"\n"
    "\t}\n"
    "}\n";
}  // namespace

TEST_CASE("render: empty filter admits only established traffic", "[unit]") {
  auto s = render_ruleset("wg0", FilterRules{});
  REQUIRE(s);
  CHECK(*s == std::string(kHeader) + kFooter);
}

TEST_CASE("render: the protocol.md example", "[unit]") {
  FilterRules r;
  r.inbound = {FilterRule{{pfx("100.64.0.7/32"), pfx("fd7a:115c:a1e0::7/128")}, {6}, {{443, 443}}},
               FilterRule{{pfx("100.64.0.9/32")}, {1, 58}, {}}};
  auto s = render_ruleset("wg0", r);
  REQUIRE(s);
  CHECK(*s == std::string(kHeader) +
                  "\t\tip saddr 100.64.0.7 meta l4proto 6 th dport 443 accept\n"
                  "\t\tip6 saddr fd7a:115c:a1e0::7 meta l4proto 6 th dport 443 accept\n"
                  "\t\tip saddr 100.64.0.9 meta l4proto 1 accept\n" +
                  kFooter);
}

TEST_CASE("render: sets, ranges, any-port and any-protocol rules", "[unit]") {
  FilterRules r;
  r.inbound = {
      // Two sources, two protocols, overlapping and adjacent port ranges merged.
      FilterRule{{pfx("100.64.0.3/32"), pfx("100.64.1.0/24"), pfx("100.64.1.7/32")},
                 {17, 6},
                 {{8000, 8080}, {53, 53}, {8050, 8100}, {8101, 8102}}},
      FilterRule{{pfx("100.64.0.4/32")}, {6}, {}},          // TCP, any port
      FilterRule{{pfx("fd7a:115c:a1e0::/64")}, {}, {}},     // anything
      FilterRule{{pfx("fd7a:115c:a1e0::5/128")}, {1}, {}},  // ICMPv4 from v6: nothing
  };
  auto s = render_ruleset("wg0", r);
  REQUIRE(s);
  CHECK(*s == std::string(kHeader) +
                  "\t\tip saddr { 100.64.0.3, 100.64.1.0/24 } meta l4proto { 6, 17 } th dport "
                  "{ 53, 8000-8102 } accept\n"
                  "\t\tip saddr 100.64.0.4 meta l4proto 6 accept\n"
                  "\t\tip6 saddr fd7a:115c:a1e0::/64 accept\n" +
                  kFooter);
}

TEST_CASE("render: ports on a portless protocol never widen", "[unit]") {
  FilterRules r;
  r.inbound = {FilterRule{{pfx("100.64.0.3/32")}, {1}, {{1, 2}}}};
  auto s = render_ruleset("wg0", r);
  REQUIRE(s);
  CHECK(*s == std::string(kHeader) + kFooter);
}

TEST_CASE("render: table names and removal", "[unit]") {
  CHECK(table_name("wg0").value() == "ward_wg0");
  CHECK(table_name("ward-1.x").value() == "ward_ward_1_x");
  CHECK_FALSE(table_name(""));
  CHECK_FALSE(table_name("wg0\"; flush ruleset"));
  CHECK_FALSE(table_name("abcdefghijklmnop"));
  CHECK_FALSE(render_ruleset("bad name", FilterRules{}));
  CHECK(render_remove("wg0").value() == "table inet ward_wg0 {\n}\ndelete table inet ward_wg0\n");
}
