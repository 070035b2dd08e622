#include "node/wg/messages.hpp"

#include <vector>

#include <catch2/catch.hpp>

namespace ward::wg {
namespace {

TEST_CASE("handshake messages round-trip at their exact sizes", "[unit]") {
  Initiation in;
  in.sender = 0x04030201;
  for (std::size_t i = 0; i < in.ephemeral.size(); ++i)
    in.ephemeral[i] = static_cast<std::uint8_t>(i);
  in.encrypted_static.fill(0xaa);
  in.encrypted_timestamp.fill(0xbb);
  in.mac1.fill(0xcc);
  in.mac2.fill(0xdd);
  std::array<std::uint8_t, kInitiationLen> buf;
  serialize(in, buf);
  CHECK(buf[0] == 1);
  CHECK(buf[4] == 1);
  CHECK(buf[7] == 4);
  CHECK(buf[kInitiationMac1Offset] == 0xcc);
  CHECK(buf[kInitiationMac2Offset] == 0xdd);
  CHECK(classify(buf) == MessageType::kInitiation);
  auto back = parse_initiation(buf);
  REQUIRE(back);
  CHECK(back->sender == in.sender);
  CHECK(back->ephemeral == in.ephemeral);
  CHECK(back->encrypted_static == in.encrypted_static);
  CHECK(back->encrypted_timestamp == in.encrypted_timestamp);
  CHECK(back->mac1 == in.mac1);
  CHECK(back->mac2 == in.mac2);

  Response r;
  r.sender = 7;
  r.receiver = 9;
  r.ephemeral.fill(3);
  r.encrypted_nothing.fill(4);
  r.mac1.fill(5);
  r.mac2.fill(6);
  std::array<std::uint8_t, kResponseLen> rb;
  serialize(r, rb);
  CHECK(rb[kResponseMac1Offset] == 5);
  CHECK(rb[kResponseMac2Offset] == 6);
  auto rr = parse_response(rb);
  REQUIRE(rr);
  CHECK(rr->sender == 7);
  CHECK(rr->receiver == 9);
  CHECK(rr->ephemeral == r.ephemeral);
  CHECK(rr->encrypted_nothing == r.encrypted_nothing);

  CookieReply c;
  c.receiver = 0xdeadbeef;
  c.nonce.fill(1);
  c.encrypted_cookie.fill(2);
  std::array<std::uint8_t, kCookieReplyLen> cb;
  serialize(c, cb);
  auto cr = parse_cookie_reply(cb);
  REQUIRE(cr);
  CHECK(cr->receiver == 0xdeadbeef);
  CHECK(cr->nonce == c.nonce);
  CHECK(cr->encrypted_cookie == c.encrypted_cookie);
}

TEST_CASE("parsers reject wrong lengths, types and reserved bytes", "[unit]") {
  std::vector<std::uint8_t> init(kInitiationLen, 0);
  init[0] = 1;
  CHECK(parse_initiation(init));
  for (std::size_t len : {std::size_t{0}, std::size_t{3}, kInitiationLen - 1, kInitiationLen + 1}) {
    std::vector<std::uint8_t> p(len, 0);
    if (len) p[0] = 1;
    CHECK_FALSE(parse_initiation(p));
    CHECK_FALSE(classify(p));
  }
  for (int reserved : {1, 2, 3}) {
    auto p = init;
    p[reserved] = 1;
    CHECK_FALSE(parse_initiation(p));
    CHECK_FALSE(classify(p));
  }
  auto wrong_type = init;
  wrong_type[0] = 2;
  CHECK_FALSE(parse_initiation(wrong_type));
  CHECK_FALSE(classify(wrong_type));  // type 2 needs 92 bytes
  std::vector<std::uint8_t> five(kInitiationLen, 0);
  five[0] = 5;
  CHECK_FALSE(classify(five));
  std::vector<std::uint8_t> resp(kResponseLen, 0);
  resp[0] = 2;
  CHECK(parse_response(resp));
  CHECK_FALSE(parse_cookie_reply(resp));
  resp.pop_back();
  CHECK_FALSE(parse_response(resp));
}

TEST_CASE("transport header needs at least a header and a tag", "[unit]") {
  std::vector<std::uint8_t> p(kTransportMinLen, 0);
  TransportHeader h{0x11223344, 0x0102030405060708ULL};
  serialize(h, std::span<std::uint8_t, kTransportHeaderLen>(p.data(), kTransportHeaderLen));
  auto back = parse_transport_header(p);
  REQUIRE(back);
  CHECK(back->receiver == 0x11223344);
  CHECK(back->counter == 0x0102030405060708ULL);
  CHECK(classify(p) == MessageType::kTransport);
  p.pop_back();
  CHECK_FALSE(parse_transport_header(p));
  CHECK_FALSE(classify(p));
}

TEST_CASE("padding rounds to 16 within the MTU", "[unit]") {
  CHECK(padded_length(0, 1420) == 0);
  CHECK(padded_length(1, 1420) == 16);
  CHECK(padded_length(16, 1420) == 16);
  CHECK(padded_length(17, 1420) == 32);
  CHECK(padded_length(1419, 1420) == 1420);  // 1424 would exceed the MTU
  CHECK(padded_length(1420, 1420) == 1420);
  CHECK(padded_length(1500, 1420) == 1500);  // oversized packets are not padded
}

}  // namespace
}  // namespace ward::wg
