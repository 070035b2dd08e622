#include "common/net/ip.hpp"

#include <unordered_set>

#include <catch2/catch.hpp>

namespace {

using ward::net::Family;
using ward::net::InterfaceAddress;
using ward::net::IpAddress;
using ward::net::Prefix;

IpAddress ip(std::string_view s) {
  auto r = IpAddress::parse(s);
  INFO(std::string(s) + (r ? "" : ": " + r.error().message()));
  REQUIRE(r);
  return *r;
}

Prefix pfx(std::string_view s) {
  auto r = Prefix::parse(s);
  INFO(std::string(s) + (r ? "" : ": " + r.error().message()));
  REQUIRE(r);
  return *r;
}

std::string parse_error(std::string_view s) {
  auto r = IpAddress::parse(s);
  INFO(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ward::ErrorCode::kInvalidArgument);
  return r.error().message();
}

std::string prefix_error(std::string_view s) {
  auto r = Prefix::parse(s);
  INFO(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ward::ErrorCode::kInvalidArgument);
  return r.error().message();
}

}  // namespace

TEST_CASE("IPv4 parse and print", "[unit]") {
  auto a = ip("192.0.2.1");
  CHECK(a.is_v4());
  CHECK_FALSE(a.is_v6());
  CHECK(a.family() == Family::kV4);
  CHECK(a.v4_host_order() == 0xc0000201u);
  REQUIRE(a.bytes().size() == 4);
  CHECK(a.bytes()[0] == 192);
  CHECK(a.bytes()[3] == 1);
  CHECK(a.to_string() == "192.0.2.1");
  CHECK(ip("0.0.0.0").to_string() == "0.0.0.0");
  CHECK(ip("255.255.255.255").v4_host_order() == 0xffffffffu);
  CHECK(IpAddress::v4(0x64400001u).to_string() == "100.64.0.1");
  CHECK(IpAddress::v4(0x64400001u) == ip("100.64.0.1"));
  const std::uint8_t raw[4] = {10, 1, 2, 3};
  CHECK(IpAddress::from_bytes(raw) == ip("10.1.2.3"));
  CHECK(IpAddress() == ip("0.0.0.0"));
}

TEST_CASE("IPv4 parse rejects malformed input with a quoted message", "[unit]") {
  CHECK(parse_error("010.1.1.1") ==
        "invalid IPv4 address \"010.1.1.1\": octet \"010\" has a leading zero, which is "
        "ambiguous (octal or decimal?); expected a dotted quad like 192.0.2.1");
  CHECK(parse_error("1.2.3.256") ==
        "invalid IPv4 address \"1.2.3.256\": octet \"256\" is out of range; expected 0-255");
  CHECK(parse_error("1.2.3") ==
        "invalid IPv4 address \"1.2.3\": expected a dotted quad like 192.0.2.1 (four decimal "
        "octets 0-255)");
  CHECK(parse_error("") ==
        "invalid IP address \"\": expected an IPv4 address like 192.0.2.1 or an IPv6 address "
        "like 2001:db8::1");
  CHECK(parse_error("example.com").find("\"example.com\"") != std::string::npos);
  CHECK(parse_error("1234") ==
        "invalid IP address \"1234\": expected an IPv4 address like 192.0.2.1 or an IPv6 "
        "address like 2001:db8::1");
  for (const char* bad : {"1.2.3.4.", ".1.2.3.4", "1.2.3.4.5", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
                          "1.2.3.-4", "1.2.3.+4", "1.2.3.0x4", "1.2.3.1000", "00.1.1.1",
                          "1.2.3.4/32", "1.2.3.4%eth0", "١.2.3.4"}) {
    INFO(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
}

TEST_CASE("IPv6 parse and RFC 5952 printing", "[unit]") {
  CHECK(ip("2001:db8::1").to_string() == "2001:db8::1");
  CHECK(ip("::").to_string() == "::");
  CHECK(ip("::1").to_string() == "::1");
  CHECK(ip("1::").to_string() == "1::");
  CHECK(ip("2001:db8:0:0:1:0:0:1").to_string() == "2001:db8::1:0:0:1");  // first run on tie
  CHECK(ip("2001:0db8:0000:0000:0000:0000:0000:0001").to_string() == "2001:db8::1");
  CHECK(ip("2001:DB8::ABCD").to_string() == "2001:db8::abcd");              // lower case
  CHECK(ip("2001:db8:0:1:1:1:1:1").to_string() == "2001:db8:0:1:1:1:1:1");  // one 0 stays
  CHECK(ip("2001:db8::1:1:1:1:1").to_string() == "2001:db8:0:1:1:1:1:1");
  CHECK(ip("2001:0:0:1:0:0:0:1").to_string() == "2001:0:0:1::1");  // longest run wins
  CHECK(ip("0:0:0:1:0:0:0:0").to_string() == "0:0:0:1::");
  CHECK(ip("1:0:0:0:0:0:0:0").to_string() == "1::");
  CHECK(ip("0:0:0:0:0:0:0:1").to_string() == "::1");
  CHECK(ip("fe80::0001:00ab").to_string() == "fe80::1:ab");
  CHECK(ip("1:2:3:4:5:6:7:8").to_string() == "1:2:3:4:5:6:7:8");
  CHECK(ip("1:2:3:4:5:6::").to_string() == "1:2:3:4:5:6::");
  CHECK(ip("::2:3:4:5:6:7:8").to_string() == "0:2:3:4:5:6:7:8");
  CHECK(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").to_string() ==
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

  auto a = ip("2001:db8::1");
  CHECK(a.is_v6());
  CHECK(a.family() == Family::kV6);
  REQUIRE(a.bytes().size() == 16);
  CHECK(a.bytes()[0] == 0x20);
  CHECK(a.bytes()[1] == 0x01);
  CHECK(a.bytes()[2] == 0x0d);
  CHECK(a.bytes()[3] == 0xb8);
  CHECK(a.bytes()[15] == 0x01);
  std::array<std::uint8_t, 16> b{};
  b[15] = 1;
  CHECK(IpAddress::v6(b) == ip("::1"));
  CHECK(IpAddress::from_bytes(b) == ip("::1"));
}

TEST_CASE("IPv6 with embedded IPv4 and v4-mapped addresses stay v6", "[unit]") {
  auto m = ip("::ffff:1.2.3.4");
  CHECK(m.is_v6());
  CHECK(m != ip("1.2.3.4"));
  CHECK(m.to_string() == "::ffff:1.2.3.4");
  CHECK(ip("::FFFF:0102:0304").to_string() == "::ffff:1.2.3.4");
  CHECK(ip("::ffff:0:0").to_string() == "::ffff:0.0.0.0");
  CHECK(ip("64:ff9b::1.2.3.4").to_string() == "64:ff9b::102:304");
  CHECK(ip("1:2:3:4:5:6:1.2.3.4").to_string() == "1:2:3:4:5:6:102:304");
  CHECK(ip("::1.2.3.4").to_string() == "::102:304");
  CHECK_FALSE(IpAddress::parse("1:2:3:4:5:6:7:1.2.3.4"));
  CHECK_FALSE(IpAddress::parse("::ffff:1.2.3.4:5"));
  CHECK_FALSE(IpAddress::parse("::ffff:01.2.3.4"));
  CHECK_FALSE(IpAddress::parse("::ffff:1.2.3"));
}

TEST_CASE("IPv6 parse rejects malformed input", "[unit]") {
  CHECK(parse_error("fe80::1%eth0") ==
        "invalid IPv6 address \"fe80::1%eth0\": zone ids (\"%...\") are not supported; "
        "expected an IPv6 address like 2001:db8::1");
  CHECK(parse_error("1::2::3") ==
        "invalid IPv6 address \"1::2::3\": \"::\" may appear only once; expected an IPv6 "
        "address like 2001:db8::1");
  CHECK(parse_error("1:2:3:4:5:6:7") ==
        "invalid IPv6 address \"1:2:3:4:5:6:7\": expected 8 groups or \"::\"; expected an IPv6 "
        "address like 2001:db8::1");
  CHECK(parse_error("12345::") ==
        "invalid IPv6 address \"12345::\": each group must be 1-4 hex digits; expected an IPv6 "
        "address like 2001:db8::1");
  CHECK(parse_error("2001:db8::g") ==
        "invalid IPv6 address \"2001:db8::g\": unexpected character \"g\"; expected an IPv6 "
        "address like 2001:db8::1");
  for (const char* bad : {":", ":::", ":1::", "1:", "1::2:", "::1:", "1:2:3:4:5:6:7:8:9",
                          "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4::5:6:7:8", "[::1]",
                          "::1 ", "2001:db8::1/64", "1:::2", "::-1", "::+1", "::0x1"}) {
    INFO(bad);
    CHECK_FALSE(IpAddress::parse(bad));
  }
  // "::" standing for exactly one zero group is legal input.
  CHECK(ip("1:2:3::5:6:7:8").to_string() == "1:2:3:0:5:6:7:8");
}

TEST_CASE("IpAddress order, equality and hash", "[unit]") {
  CHECK(ip("255.255.255.255") < ip("::"));  // every v4 before every v6
  CHECK(ip("9.0.0.0") < ip("10.0.0.0"));
  CHECK(ip("10.0.0.0") < ip("10.0.0.1"));
  CHECK(ip("::1") < ip("::2"));
  CHECK(ip("1::") > ip("::ffff"));
  std::unordered_set<IpAddress> set{ip("10.0.0.1"), ip("::a00:1"), ip("10.0.0.1")};
  CHECK(set.size() == 2);
  CHECK(std::hash<IpAddress>{}(ip("10.0.0.1")) ==
        std::hash<IpAddress>{}(IpAddress::v4(0x0a000001)));
}

TEST_CASE("Round trip: parse(to_string(x)) == x", "[unit]") {
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int i = 0; i < 20000; ++i) {
    std::array<std::uint8_t, 16> b{};
    auto r = next();
    for (int k = 0; k < 16; ++k) {
      // Mostly zero groups, to exercise compression.
      b[k] = (r >> (k * 4) & 3) == 0 ? static_cast<std::uint8_t>(next()) : 0;
    }
    auto a6 = IpAddress::v6(b);
    auto back6 = IpAddress::parse(a6.to_string());
    REQUIRE(back6);
    REQUIRE(*back6 == a6);
    auto a4 = IpAddress::v4(static_cast<std::uint32_t>(next()));
    auto back4 = IpAddress::parse(a4.to_string());
    REQUIRE(back4);
    REQUIRE(*back4 == a4);
  }
}

TEST_CASE("Prefix parse, print and host bits", "[unit]") {
  auto p = pfx("10.0.0.0/8");
  CHECK(p.bits() == 8);
  CHECK(p.family() == Family::kV4);
  CHECK(p.address() == ip("10.0.0.0"));
  CHECK(p.to_string() == "10.0.0.0/8");
  CHECK(pfx("0.0.0.0/0").to_string() == "0.0.0.0/0");
  CHECK(pfx("::/0").to_string() == "::/0");
  CHECK(pfx("2001:DB8::/32").to_string() == "2001:db8::/32");
  CHECK(pfx("1.2.3.4").to_string() == "1.2.3.4/32");  // bare address is a host prefix
  CHECK(pfx("1.2.3.4").is_host());
  CHECK(pfx("::1").to_string() == "::1/128");
  CHECK(pfx("::1").is_host());
  CHECK_FALSE(pfx("::/127").is_host());
  CHECK(pfx("1.2.3.4/32").is_host());
  CHECK_FALSE(pfx("1.2.3.4/31").is_host());

  CHECK(prefix_error("10.0.0.1/8") == "host bits set in \"10.0.0.1/8\"; did you mean 10.0.0.0/8?");
  CHECK(prefix_error("2001:db8::1/32") ==
        "host bits set in \"2001:db8::1/32\"; did you mean 2001:db8::/32?");
  CHECK(prefix_error("1.2.3.4/0") == "host bits set in \"1.2.3.4/0\"; did you mean 0.0.0.0/0?");
  CHECK(prefix_error("10.0.0.0/33") ==
        "invalid prefix length in \"10.0.0.0/33\": expected a decimal number 0-32");
  CHECK(prefix_error("::/129") ==
        "invalid prefix length in \"::/129\": expected a decimal number 0-128");
  CHECK(prefix_error("10.0.0.0/") ==
        "invalid prefix length in \"10.0.0.0/\": expected a decimal number 0-32");
  CHECK(prefix_error("10.0.0.0/08") ==
        "invalid prefix length in \"10.0.0.0/08\": expected a decimal number 0-32");
  CHECK(prefix_error("10.0.0/8") ==
        "in prefix \"10.0.0/8\": invalid IPv4 address \"10.0.0\": expected a dotted quad like "
        "192.0.2.1 (four decimal octets 0-255)");
  for (const char* bad : {"10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/ 8", "/8",
                          "10.0.0.0/8 ", "::/0x10", "::/1000"}) {
    INFO(bad);
    CHECK_FALSE(Prefix::parse(bad));
  }
}

TEST_CASE("Prefix parse_masked and make clear host bits", "[unit]") {
  auto p = Prefix::parse_masked("10.1.2.3/8");
  REQUIRE(p);
  CHECK(p->to_string() == "10.0.0.0/8");
  auto q = Prefix::parse_masked("2001:db8:ffff:ffff::1/33");
  REQUIRE(q);
  CHECK(q->to_string() == "2001:db8:8000::/33");
  auto r = Prefix::parse_masked("255.255.255.255/0");
  REQUIRE(r);
  CHECK(r->to_string() == "0.0.0.0/0");
  CHECK(Prefix::parse_masked("1.2.3.4")->to_string() == "1.2.3.4/32");
  CHECK_FALSE(Prefix::parse_masked("1.2.3.4/33"));

  auto m = Prefix::make(ip("192.168.1.77"), 26);
  REQUIRE(m);
  CHECK(m->to_string() == "192.168.1.64/26");
  CHECK(Prefix::make(ip("192.168.1.77"), 32)->to_string() == "192.168.1.77/32");
  CHECK(Prefix::make(ip("::1"), 128)->to_string() == "::1/128");
  auto bad = Prefix::make(ip("10.0.0.0"), 33);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() ==
        "invalid prefix length 33 for IPv4 address 10.0.0.0: expected 0-32");
  CHECK_FALSE(Prefix::make(ip("::"), -1));
  CHECK_FALSE(Prefix::make(ip("::"), 129));
}

TEST_CASE("Prefix contains and overlaps", "[unit]") {
  auto p8 = pfx("10.0.0.0/8");
  CHECK(p8.contains(ip("10.0.0.0")));
  CHECK(p8.contains(ip("10.255.255.255")));
  CHECK_FALSE(p8.contains(ip("11.0.0.0")));
  CHECK_FALSE(p8.contains(ip("9.255.255.255")));
  CHECK(pfx("0.0.0.0/0").contains(ip("255.255.255.255")));
  CHECK(pfx("::/0").contains(ip("ffff::1")));
  CHECK(pfx("1.2.3.4/32").contains(ip("1.2.3.4")));
  CHECK_FALSE(pfx("1.2.3.4/32").contains(ip("1.2.3.5")));
  CHECK(pfx("::1/128").contains(ip("::1")));
  CHECK_FALSE(pfx("::1/128").contains(ip("::")));
  CHECK(pfx("10.0.0.0/31").contains(ip("10.0.0.1")));
  CHECK_FALSE(pfx("10.0.0.0/31").contains(ip("10.0.0.2")));
  CHECK(pfx("2001:db8::/33").contains(ip("2001:db8:7fff::1")));
  CHECK_FALSE(pfx("2001:db8::/33").contains(ip("2001:db8:8000::")));

  // Never across families, even for /0 and v4-mapped addresses.
  CHECK_FALSE(pfx("0.0.0.0/0").contains(ip("::")));
  CHECK_FALSE(pfx("::/0").contains(ip("1.2.3.4")));
  CHECK_FALSE(pfx("::/0").contains(pfx("0.0.0.0/0")));
  CHECK_FALSE(pfx("0.0.0.0/0").contains(pfx("::/0")));
  CHECK_FALSE(pfx("::ffff:0:0/96").contains(ip("1.2.3.4")));
  CHECK_FALSE(pfx("0.0.0.0/0").overlaps(pfx("::/0")));
  CHECK_FALSE(pfx("::/0").overlaps(pfx("0.0.0.0/0")));

  // Prefix containment.
  CHECK(p8.contains(p8));
  CHECK(p8.contains(pfx("10.1.0.0/16")));
  CHECK_FALSE(pfx("10.1.0.0/16").contains(p8));
  CHECK(pfx("0.0.0.0/0").contains(p8));
  CHECK_FALSE(p8.contains(pfx("11.0.0.0/16")));
  CHECK(pfx("::/0").contains(pfx("2001:db8::/32")));

  // Overlap both ways.
  CHECK(p8.overlaps(pfx("10.1.0.0/16")));
  CHECK(pfx("10.1.0.0/16").overlaps(p8));
  CHECK(p8.overlaps(p8));
  CHECK_FALSE(p8.overlaps(pfx("11.0.0.0/8")));
  CHECK_FALSE(pfx("11.0.0.0/8").overlaps(p8));
  CHECK_FALSE(pfx("10.0.0.0/25").overlaps(pfx("10.0.0.128/25")));
  CHECK(pfx("fd00::/8").overlaps(pfx("fd12:3456::/48")));
  CHECK(pfx("fd12:3456::/48").overlaps(pfx("fd00::/8")));
  CHECK_FALSE(pfx("fd00::/8").overlaps(pfx("fe80::/10")));
}

TEST_CASE("Prefix last address", "[unit]") {
  CHECK(pfx("10.0.0.0/8").last() == ip("10.255.255.255"));
  CHECK(pfx("100.64.0.0/10").last() == ip("100.127.255.255"));
  CHECK(pfx("0.0.0.0/0").last() == ip("255.255.255.255"));
  CHECK(pfx("1.2.3.4/32").last() == ip("1.2.3.4"));
  CHECK(pfx("fd00::/48").last() == ip("fd00:0:0:ffff:ffff:ffff:ffff:ffff"));
  CHECK(pfx("::/0").last() == ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

TEST_CASE("Prefix order and hash", "[unit]") {
  CHECK(pfx("10.0.0.0/8") < pfx("10.0.0.0/16"));
  CHECK(pfx("10.0.0.0/16") < pfx("11.0.0.0/8"));
  CHECK(pfx("255.0.0.0/8") < pfx("::/0"));
  std::unordered_set<Prefix> set{pfx("10.0.0.0/8"), pfx("10.0.0.0/16"), pfx("10.0.0.0/8"),
                                 *Prefix::parse_masked("10.9.9.9/8")};
  CHECK(set.size() == 2);
}

TEST_CASE("InterfaceAddress", "[unit]") {
  auto a = InterfaceAddress::parse("100.64.0.5/10");
  REQUIRE(a);
  CHECK(a->address == ip("100.64.0.5"));
  CHECK(a->bits == 10);
  CHECK(a->network() == pfx("100.64.0.0/10"));
  CHECK(a->to_string() == "100.64.0.5/10");
  auto b = InterfaceAddress::parse("fd00::5/64");
  REQUIRE(b);
  CHECK(b->network().to_string() == "fd00::/64");
  CHECK(b->to_string() == "fd00::5/64");
  auto bare = InterfaceAddress::parse("100.64.0.5");
  REQUIRE_FALSE(bare);
  CHECK(bare.error().message() ==
        "invalid interface address \"100.64.0.5\": expected an address with a prefix length, "
        "like 100.64.0.5/10 or fd00::5/64");
  CHECK_FALSE(InterfaceAddress::parse("100.64.0.5/33"));
  CHECK_FALSE(InterfaceAddress::parse("100.64.0/10"));
}
