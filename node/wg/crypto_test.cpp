#include "node/wg/crypto.hpp"

#include <cstring>

#include <catch2/catch.hpp>

#include "node/wg/test_util.hpp"

namespace ward::wg {
namespace {

using test::bytes;
using test::hex;
using test::unhex;

const char* kSunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
    "future, sunscreen would be it.";

template <std::size_t N>
std::span<const std::uint8_t, N> fixed(const std::vector<std::uint8_t>& v) {
  REQUIRE(v.size() == N);
  return std::span<const std::uint8_t, N>(v.data(), N);
}

TEST_CASE("BLAKE2s-256 matches RFC 7693 appendix B", "[unit]") {
  Hash h;
  hash(h, {bytes("abc")});
  CHECK(hex(h) == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  // Split input hashes the same as the concatenation.
  Hash h2;
  hash(h2, {bytes("a"), bytes(""), bytes("bc")});
  CHECK(h2 == h);
}

TEST_CASE("keyed BLAKE2s-128 and HMAC-BLAKE2s match Python hashlib", "[unit]") {
  std::vector<std::uint8_t> key(32);
  for (int i = 0; i < 32; ++i)
    key[i] = static_cast<std::uint8_t>(i);
  Mac m;
  mac(m, key, bytes("abc"));
  // python3: hashlib.blake2s(b'abc', digest_size=16, key=bytes(range(32)))
  CHECK(hex(m) == "61ba5f165c194692e09d12520cc4c74a");
  Hash h;
  hmac(h, key, bytes("abc"));
  // python3: hmac.new(bytes(range(32)), b'abc', hashlib.blake2s)
  CHECK(hex(h) == "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f");
}

TEST_CASE("KDF chains HMACs as the whitepaper defines", "[unit]") {
  std::vector<std::uint8_t> key(32, 7);
  auto input = bytes("input keying material");
  Key t1, t2, t3;
  kdf3(t1.span(), t2.span(), t3.span(), key, input);
  Hash t0, e1, e2, e3;
  hmac(t0, key, input);
  std::uint8_t one = 1;
  hmac(e1, t0, {&one, 1});
  std::vector<std::uint8_t> in2(e1.begin(), e1.end());
  in2.push_back(2);
  hmac(e2, t0, in2);
  std::vector<std::uint8_t> in3(e2.begin(), e2.end());
  in3.push_back(3);
  hmac(e3, t0, in3);
  CHECK(std::memcmp(t1.data(), e1.data(), 32) == 0);
  CHECK(std::memcmp(t2.data(), e2.data(), 32) == 0);
  CHECK(std::memcmp(t3.data(), e3.data(), 32) == 0);
  Key a, b;
  kdf2(a.span(), b.span(), key, input);
  CHECK(std::memcmp(a.data(), e1.data(), 32) == 0);
  CHECK(std::memcmp(b.data(), e2.data(), 32) == 0);
  Key c;
  kdf1(c.span(), key, input);
  CHECK(std::memcmp(c.data(), e1.data(), 32) == 0);
  // Output aliasing the key (C = KDF1(C, x)) gives the same result.
  Key ck;
  ck.assign(fixed<32>(key));
  kdf1(ck.span(), ck.span(), input);
  CHECK(std::memcmp(ck.data(), e1.data(), 32) == 0);
}

TEST_CASE("ChaCha20-Poly1305 matches RFC 8439 section 2.8.2", "[unit]") {
  auto key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  auto nonce = unhex("070000004041424344454647");
  auto aad = unhex("50515253c0c1c2c3c4c5c6c7");
  auto pt = bytes(kSunscreen);
  std::vector<std::uint8_t> ct(pt.size() + kTagLen);
  chacha20poly1305_encrypt(ct, fixed<32>(key), fixed<12>(nonce), pt, aad);
  CHECK(hex(ct) ==
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69"
        "da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad67594"
        "5585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
        "1ae10b594f09e26a7e902ecbd0600691");
  std::vector<std::uint8_t> back(pt.size());
  REQUIRE(chacha20poly1305_decrypt(back, fixed<32>(key), fixed<12>(nonce), ct, aad));
  CHECK(back == pt);
  // A flipped bit anywhere, or a different AD, fails authentication.
  for (std::size_t i : {std::size_t{0}, pt.size(), ct.size() - 1}) {
    auto bad = ct;
    bad[i] ^= 1;
    CHECK_FALSE(chacha20poly1305_decrypt(back, fixed<32>(key), fixed<12>(nonce), bad, aad));
  }
  CHECK_FALSE(chacha20poly1305_decrypt(back, fixed<32>(key), fixed<12>(nonce), ct, bytes("x")));
  std::vector<std::uint8_t> tiny(3);
  std::vector<std::uint8_t> none;
  CHECK_FALSE(chacha20poly1305_decrypt(none, fixed<32>(key), fixed<12>(nonce), tiny, aad));
}

TEST_CASE("WireGuard AEAD puts the counter little-endian after 4 zero bytes", "[unit]") {
  auto key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  auto pt = bytes("hello");
  std::uint64_t counter = 0x0706050403020100ULL;
  std::vector<std::uint8_t> a(pt.size() + kTagLen), b(pt.size() + kTagLen);
  aead_encrypt(a, fixed<32>(key), counter, pt, {});
  auto nonce = unhex("000000000001020304050607");
  chacha20poly1305_encrypt(b, fixed<32>(key), fixed<12>(nonce), pt, {});
  CHECK(a == b);
  // In place, with an empty plaintext (a keepalive is exactly one tag).
  std::vector<std::uint8_t> buf(pt.begin(), pt.end());
  buf.resize(pt.size() + kTagLen);
  aead_encrypt(buf, fixed<32>(key), counter, std::span(buf).first(pt.size()), {});
  CHECK(buf == a);
  REQUIRE(aead_decrypt(std::span(buf).first(pt.size()), fixed<32>(key), counter, buf, {}));
  CHECK(std::equal(pt.begin(), pt.end(), buf.begin()));
  std::uint8_t tag[kTagLen];
  aead_encrypt(tag, fixed<32>(key), 1, {}, {});
  CHECK(aead_decrypt({}, fixed<32>(key), 1, tag, {}));
  CHECK_FALSE(aead_decrypt({}, fixed<32>(key), 2, tag, {}));
}

TEST_CASE("AEAD results do not depend on the key or direction of the call before", "[unit]") {
  // The thread's context keeps the last key loaded; every call must still use its own.
  auto k1 = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  auto k2 = k1;
  k2[31] ^= 1;
  auto pt = bytes(kSunscreen);
  auto enc = [&](const std::vector<std::uint8_t>& k, std::uint64_t n) {
    std::vector<std::uint8_t> out(pt.size() + kTagLen);
    aead_encrypt(out, fixed<32>(k), n, pt, {});
    return out;
  };
  const auto c11 = enc(k1, 1);
  const auto c21 = enc(k2, 1);
  const auto c12 = enc(k1, 2);
  CHECK(c11 != c21);
  CHECK(c11 != c12);
  std::vector<std::uint8_t> back(pt.size());
  CHECK_FALSE(aead_decrypt(back, fixed<32>(k2), 1, c11, {}));
  REQUIRE(aead_decrypt(back, fixed<32>(k1), 1, c11, {}));
  CHECK(back == pt);
  CHECK_FALSE(aead_decrypt(back, fixed<32>(k1), 1, c21, {}));
  REQUIRE(aead_decrypt(back, fixed<32>(k2), 1, c21, {}));
  CHECK(enc(k1, 1) == c11);  // after a decrypt under k2
  CHECK(enc(k2, 1) == c21);
  CHECK(enc(k2, 1) == c21);  // same key twice: only the nonce is reloaded
  CHECK(enc(k1, 2) == c12);
  // The same message under the RFC 8439 interface with an explicit nonce agrees.
  std::vector<std::uint8_t> ref(pt.size() + kTagLen);
  auto nonce = unhex("000000000200000000000000");
  chacha20poly1305_encrypt(ref, fixed<32>(k1), fixed<12>(nonce), pt, {});
  CHECK(ref == c12);
}

TEST_CASE("padded AEAD equals AEAD over the zero-padded plaintext", "[unit]") {
  auto key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{100}}) {
    for (std::size_t pad : {std::size_t{0}, std::size_t{3}, std::size_t{15}, std::size_t{200}}) {
      std::vector<std::uint8_t> pt(len, 0x42);
      std::vector<std::uint8_t> padded = pt;
      padded.resize(len + pad, 0);
      std::vector<std::uint8_t> a(len + pad + kTagLen), b(len + pad + kTagLen);
      aead_encrypt_padded(a, fixed<32>(key), 7, pt, pad);
      aead_encrypt(b, fixed<32>(key), 7, padded, {});
      CHECK(a == b);
    }
  }
}

TEST_CASE("HChaCha20 matches draft-irtf-cfrg-xchacha section 2.2.1", "[unit]") {
  std::vector<std::uint8_t> key(32);
  for (int i = 0; i < 32; ++i)
    key[i] = static_cast<std::uint8_t>(i);
  auto nonce = unhex("000000090000004a0000000031415927");
  std::array<std::uint8_t, 32> out;
  hchacha20(out, fixed<32>(key), fixed<16>(nonce));
  CHECK(hex(out) == "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
}

TEST_CASE("XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha appendix A.3.1", "[unit]") {
  auto key = unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  auto nonce = unhex("404142434445464748494a4b4c4d4e4f5051525354555657");
  auto aad = unhex("50515253c0c1c2c3c4c5c6c7");
  auto pt = bytes(kSunscreen);
  std::vector<std::uint8_t> ct(pt.size() + kTagLen);
  xaead_encrypt(ct, fixed<32>(key), fixed<24>(nonce), pt, aad);
  CHECK(hex(ct) ==
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a8"
        "2f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc3"
        "69488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49");
  std::vector<std::uint8_t> back(pt.size());
  REQUIRE(xaead_decrypt(back, fixed<32>(key), fixed<24>(nonce), ct, aad));
  CHECK(back == pt);
  auto bad_nonce = nonce;
  bad_nonce[20] ^= 1;
  CHECK_FALSE(xaead_decrypt(back, fixed<32>(key), fixed<24>(bad_nonce), ct, aad));
}

TEST_CASE("X25519 matches RFC 7748 section 6.1", "[unit]") {
  auto a_priv = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  auto b_priv = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  PublicKey a_pub, b_pub;
  REQUIRE(x25519_public(a_pub, fixed<32>(a_priv)));
  REQUIRE(x25519_public(b_pub, fixed<32>(b_priv)));
  CHECK(hex(a_pub) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  CHECK(hex(b_pub) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  Key s1, s2;
  REQUIRE(x25519(s1.span(), fixed<32>(a_priv), b_pub));
  REQUIRE(x25519(s2.span(), fixed<32>(b_priv), a_pub));
  CHECK(hex(s1.span()) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  CHECK(hex(s2.span()) == hex(s1.span()));
}

TEST_CASE("X25519 refuses low-order points", "[unit]") {
  PrivateKey priv = generate_private_key();
  // The all-zero point, the point of order 1 (u = 1), and a point of order 8.
  for (const char* low : {"0000000000000000000000000000000000000000000000000000000000000000",
                          "0100000000000000000000000000000000000000000000000000000000000000",
                          "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                          "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
                          "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"}) {
    auto pub = unhex(low);
    Key out;
    CHECK_FALSE(x25519(out.span(), priv.span(), fixed<32>(pub)));
    CHECK(out.is_zero());
  }
}

TEST_CASE("generated private keys are clamped and distinct", "[unit]") {
  PrivateKey a = generate_private_key();
  PrivateKey b = generate_private_key();
  CHECK((a.data()[0] & 7) == 0);
  CHECK((a.data()[31] & 0xc0) == 0x40);
  CHECK(std::memcmp(a.data(), b.data(), 32) != 0);
}

TEST_CASE("TAI64N is big-endian 2^62+10+seconds and coarse nanoseconds", "[unit]") {
  const std::int64_t t = 1'700'000'000LL * 1'000'000'000LL + 123'456'789;
  Tai64n ts = tai64n(t);
  CHECK(hex(ts) == "400000006553f10a" + hex(std::array<std::uint8_t, 4>{0x07, 0x00, 0x00, 0x00}));
  // Strictly increasing once the coarse step (2^24 ns) is crossed, byte-wise comparable.
  Tai64n later = tai64n(t + (1 << 24));
  CHECK(std::lexicographical_compare(ts.begin(), ts.end(), later.begin(), later.end()));
  CHECK(tai64n(t + 1) == ts);
}

}  // namespace
}  // namespace ward::wg
