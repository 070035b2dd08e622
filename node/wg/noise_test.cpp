#include "node/wg/noise.hpp"

#include <cstring>

#include <catch2/catch.hpp>

#include "node/wg/test_util.hpp"

namespace ward::wg {
namespace {

constexpr std::int64_t kWall = 1'700'000'000LL * kSecond;

struct Pair {
  StaticIdentity a{generate_private_key()};
  StaticIdentity b{generate_private_key()};
  Handshake a_hs;  // a's handshake state for peer b
  Handshake b_hs;  // b's handshake state for peer a
  Pair() {
    a_hs.init(a, b.public_key());
    b_hs.init(b, a.public_key());
  }
  Handshake* b_find(const PublicKey& k) { return k == a.public_key() ? &b_hs : nullptr; }
};

bool keys_equal(const Key& x, const Key& y) {
  return std::memcmp(x.data(), y.data(), kKeyLen) == 0;
}

// Runs a full handshake a -> b; returns both sides' session keys.
std::pair<std::optional<SessionKeys>, std::optional<SessionKeys>> run(Pair& p, std::int64_t wall,
                                                                      Nanos now) {
  Initiation init;
  if (!p.a_hs.create_initiation(p.a, 11, wall, init)) return {};
  Handshake* hs =
      consume_initiation(p.b, init, now, [&](const PublicKey& k) { return p.b_find(k); });
  if (hs != &p.b_hs) return {};
  Response resp;
  if (!p.b_hs.create_response(22, resp)) return {};
  if (!p.a_hs.consume_response(p.a, resp)) return {};
  return {p.a_hs.begin_session(), p.b_hs.begin_session()};
}

TEST_CASE("IKpsk2 handshake yields matching transport keys", "[unit]") {
  Pair p;
  auto [ka, kb] = run(p, kWall, 0);
  REQUIRE(ka);
  REQUIRE(kb);
  CHECK(ka->initiator);
  CHECK_FALSE(kb->initiator);
  CHECK(keys_equal(ka->send, kb->recv));
  CHECK(keys_equal(ka->recv, kb->send));
  CHECK_FALSE(keys_equal(ka->send, ka->recv));
  CHECK(ka->local_index == 11);
  CHECK(ka->remote_index == 22);
  CHECK(kb->local_index == 22);
  CHECK(kb->remote_index == 11);
  // Both handshakes are zeroed after the session began.
  CHECK(p.a_hs.state() == HandshakeState::kZeroed);
  CHECK(p.b_hs.state() == HandshakeState::kZeroed);
  CHECK_FALSE(p.a_hs.begin_session());
  // Keys actually carry data.
  auto msg = test::bytes("ping");
  std::vector<std::uint8_t> ct(msg.size() + kTagLen), pt(msg.size());
  aead_encrypt(ct, ka->send.span(), 0, msg, {});
  REQUIRE(aead_decrypt(pt, kb->recv.span(), 0, ct, {}));
  CHECK(pt == msg);
}

TEST_CASE("handshakes with the same preshared key succeed, mismatched fail", "[unit]") {
  Pair p;
  Key psk;
  random_bytes(psk.span());
  p.a_hs.set_preshared_key(psk);
  SECTION("same psk") {
    p.b_hs.set_preshared_key(psk);
    auto [ka, kb] = run(p, kWall, 0);
    REQUIRE(ka);
    REQUIRE(kb);
    CHECK(keys_equal(ka->send, kb->recv));
  }
  SECTION("responder has no psk: the initiator rejects the response") {
    Initiation init;
    REQUIRE(p.a_hs.create_initiation(p.a, 1, kWall, init));
    REQUIRE(consume_initiation(p.b, init, 0, [&](const PublicKey& k) { return p.b_find(k); }));
    Response resp;
    REQUIRE(p.b_hs.create_response(2, resp));
    CHECK_FALSE(p.a_hs.consume_response(p.a, resp));
    CHECK(p.a_hs.state() == HandshakeState::kCreatedInitiation);
    CHECK_FALSE(p.a_hs.begin_session());
  }
}

TEST_CASE("initiation replay: an old or equal timestamp is refused", "[unit]") {
  Pair p;
  auto find = [&](const PublicKey& k) { return p.b_find(k); };
  Initiation first;
  REQUIRE(p.a_hs.create_initiation(p.a, 1, kWall, first));
  REQUIRE(consume_initiation(p.b, first, 0, find));
  // The very same message again (a replay), even after the flood interval.
  CHECK(consume_initiation(p.b, first, kSecond, find) == nullptr);
  // A fresh message with the same coarse timestamp is a replay too.
  Initiation same;
  REQUIRE(p.a_hs.create_initiation(p.a, 2, kWall + 1, same));
  CHECK(consume_initiation(p.b, same, kSecond, find) == nullptr);
  // An older one as well.
  Initiation older;
  REQUIRE(p.a_hs.create_initiation(p.a, 3, kWall - kSecond, older));
  CHECK(consume_initiation(p.b, older, kSecond, find) == nullptr);
  // A newer one passes once the flood interval (1/50 s) has passed since the last.
  Initiation newer;
  REQUIRE(p.a_hs.create_initiation(p.a, 4, kWall + kSecond, newer));
  CHECK(consume_initiation(p.b, newer, kSecond / 100, find) == nullptr);  // flood
  CHECK(consume_initiation(p.b, newer, kSecond, find) == &p.b_hs);
}

TEST_CASE("initiations from unknown keys or tampered messages are refused", "[unit]") {
  Pair p;
  Initiation init;
  REQUIRE(p.a_hs.create_initiation(p.a, 1, kWall, init));
  CHECK(consume_initiation(p.b, init, 0, [](const PublicKey&) -> Handshake* { return nullptr; }) ==
        nullptr);
  auto find = [&](const PublicKey& k) { return p.b_find(k); };
  for (int field = 0; field < 3; ++field) {
    Initiation bad = init;
    if (field == 0) bad.ephemeral[5] ^= 1;
    if (field == 1) bad.encrypted_static[5] ^= 1;
    if (field == 2) bad.encrypted_timestamp[5] ^= 1;
    CHECK(consume_initiation(p.b, bad, 0, find) == nullptr);
  }
  CHECK(p.b_hs.state() == HandshakeState::kZeroed);
  // Addressed to someone else: c cannot read it.
  StaticIdentity c{generate_private_key()};
  CHECK(consume_initiation(c, init, 0, find) == nullptr);
  CHECK(consume_initiation(p.b, init, 0, find) == &p.b_hs);
}

TEST_CASE("responses out of state or with a wrong index are refused", "[unit]") {
  Pair p;
  Response resp;
  CHECK_FALSE(p.b_hs.create_response(2, resp));  // no initiation consumed
  Initiation init;
  REQUIRE(p.a_hs.create_initiation(p.a, 1, kWall, init));
  REQUIRE(consume_initiation(p.b, init, 0, [&](const PublicKey& k) { return p.b_find(k); }));
  REQUIRE(p.b_hs.create_response(2, resp));
  Response wrong_index = resp;
  wrong_index.receiver = 99;
  CHECK_FALSE(p.a_hs.consume_response(p.a, wrong_index));
  Response tampered = resp;
  tampered.ephemeral[0] ^= 1;
  CHECK_FALSE(p.a_hs.consume_response(p.a, tampered));
  CHECK(p.a_hs.consume_response(p.a, resp));
  CHECK_FALSE(p.a_hs.consume_response(p.a, resp));  // already consumed
}

TEST_CASE("low-order public keys never produce a handshake message", "[unit]") {
  StaticIdentity a{generate_private_key()};
  for (const char* low : {"0000000000000000000000000000000000000000000000000000000000000000",
                          "0100000000000000000000000000000000000000000000000000000000000000",
                          "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"}) {
    auto bytes = test::unhex(low);
    PublicKey bad;
    std::memcpy(bad.data(), bytes.data(), 32);
    Handshake hs;
    hs.init(a, bad);
    Initiation init;
    CHECK_FALSE(hs.create_initiation(a, 1, kWall, init));
    CHECK(hs.state() == HandshakeState::kZeroed);

    // An initiation carrying a low-order ephemeral is refused by the responder.
    StaticIdentity b{generate_private_key()};
    Handshake b_hs;
    b_hs.init(b, a.public_key());
    Handshake a_hs;
    a_hs.init(a, b.public_key());
    REQUIRE(a_hs.create_initiation(a, 1, kWall, init));
    init.ephemeral = bad;
    CHECK(consume_initiation(b, init, 0, [&](const PublicKey&) { return &b_hs; }) == nullptr);
  }
}

TEST_CASE("a device without a private key refuses handshakes", "[unit]") {
  StaticIdentity none{PrivateKey{}};
  CHECK_FALSE(none.has_key());
  StaticIdentity b{generate_private_key()};
  Handshake hs;
  hs.init(none, b.public_key());
  Initiation init;
  CHECK_FALSE(hs.create_initiation(none, 1, kWall, init));
}

}  // namespace
}  // namespace ward::wg
