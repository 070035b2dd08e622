#include "node/wg/crypto.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace ward::wg {
namespace {

[[noreturn]] void fatal(const char* what) {
  std::fprintf(stderr, "ward-wg: OpenSSL failure: %s\n", what);
  std::abort();
}

void check(int rc, const char* what) {
  if (rc != 1) fatal(what);
}

// Algorithms fetched once per process (thread-safe static initialisation).
struct Algorithms {
  EVP_MD* blake2s = nullptr;
  EVP_MAC* blake2smac = nullptr;
  EVP_MAC* hmac = nullptr;
  EVP_CIPHER* chacha = nullptr;

  Algorithms() {
    blake2s = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
    blake2smac = EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr);
    hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
    if (!blake2s || !blake2smac || !hmac || !chacha) fatal("fetching WireGuard algorithms");
  }
  ~Algorithms() {
    EVP_MD_free(blake2s);
    EVP_MAC_free(blake2smac);
    EVP_MAC_free(hmac);
    EVP_CIPHER_free(chacha);
  }
};

const Algorithms& algorithms() {
  static const Algorithms algs;
  return algs;
}

// Per-thread contexts, created on a thread's first call and reused afterwards.
struct Contexts {
  EVP_MD_CTX* md = nullptr;
  EVP_MAC_CTX* mac = nullptr;
  EVP_MAC_CTX* hmac = nullptr;
  EVP_CIPHER_CTX* aead = nullptr;
  // The key `aead` holds (also kept inside OpenSSL's context), so that a packet under the
  // same key as the previous one only sets the nonce. Wiped with the context.
  std::uint8_t aead_key[kKeyLen] = {};
  bool aead_keyed = false;

  Contexts() {
    const Algorithms& a = algorithms();
    md = EVP_MD_CTX_new();
    mac = EVP_MAC_CTX_new(a.blake2smac);
    hmac = EVP_MAC_CTX_new(a.hmac);
    aead = EVP_CIPHER_CTX_new();
    if (!md || !mac || !hmac || !aead) fatal("allocating contexts");
    std::size_t size = kMacLen;
    OSSL_PARAM mac_params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                               OSSL_PARAM_construct_end()};
    check(EVP_MAC_CTX_set_params(mac, mac_params), "BLAKE2SMAC size");
    char digest[] = "BLAKE2S-256";
    OSSL_PARAM hmac_params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                OSSL_PARAM_construct_end()};
    check(EVP_MAC_CTX_set_params(hmac, hmac_params), "HMAC digest");
    // Bind the cipher once; later inits pass a null cipher so the provider context is
    // reused instead of reallocated.
    check(EVP_CipherInit_ex2(aead, a.chacha, nullptr, nullptr, 1, nullptr), "AEAD init");
  }
  ~Contexts() {
    secure_wipe(aead_key, sizeof aead_key);
    EVP_MD_CTX_free(md);
    EVP_MAC_CTX_free(mac);
    EVP_MAC_CTX_free(hmac);
    EVP_CIPHER_CTX_free(aead);
  }
};

Contexts& contexts() {
  thread_local Contexts ctx;
  return ctx;
}

void store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void hmac_raw(std::uint8_t out[kHashLen], Bytes key, std::initializer_list<Bytes> parts) {
  EVP_MAC_CTX* c = contexts().hmac;
  check(EVP_MAC_init(c, key.data(), key.size(), nullptr), "HMAC init");
  for (Bytes p : parts)
    check(EVP_MAC_update(c, p.data(), p.size()), "HMAC update");
  std::size_t n = 0;
  check(EVP_MAC_final(c, out, &n, kHashLen), "HMAC final");
  if (n != kHashLen) fatal("HMAC length");
}

void kdf(std::span<std::uint8_t, kKeyLen>* outs, int count, Bytes key, Bytes input) {
  std::uint8_t t0[kHashLen];
  std::uint8_t t[kHashLen];
  hmac_raw(t0, key, {input});
  std::uint8_t i = 1;
  hmac_raw(t, Bytes(t0, kHashLen), {Bytes(&i, 1)});
  std::memcpy(outs[0].data(), t, kHashLen);
  for (int k = 1; k < count; ++k) {
    i = static_cast<std::uint8_t>(k + 1);
    hmac_raw(t, Bytes(t0, kHashLen), {Bytes(t, kHashLen), Bytes(&i, 1)});
    std::memcpy(outs[k].data(), t, kHashLen);
  }
  secure_wipe(t0, sizeof t0);
  secure_wipe(t, sizeof t);
}

// Readies the thread's AEAD context for one message: the key is loaded only when it
// differs from the one already loaded (compared in constant time), the nonce always.
EVP_CIPHER_CTX* aead_begin(const std::uint8_t* key, const std::uint8_t* nonce, bool encrypt) {
  Contexts& x = contexts();
  const bool same = x.aead_keyed && CRYPTO_memcmp(x.aead_key, key, kKeyLen) == 0;
  check(EVP_CipherInit_ex2(x.aead, nullptr, same ? nullptr : key, nonce, encrypt ? 1 : 0, nullptr),
        "AEAD init");
  if (!same) {
    std::memcpy(x.aead_key, key, kKeyLen);
    x.aead_keyed = true;
  }
  return x.aead;
}

// The tag through a prepared parameter (cheaper than EVP_CIPHER_CTX_ctrl, which translates
// the control into a parameter lookup on every call).
void aead_get_tag(EVP_CIPHER_CTX* c, std::uint8_t* tag) {
  OSSL_PARAM p[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kTagLen),
                    OSSL_PARAM_construct_end()};
  check(EVP_CIPHER_CTX_get_params(c, p), "AEAD get tag");
}

void aead_set_tag(EVP_CIPHER_CTX* c, std::uint8_t* tag) {
  OSSL_PARAM p[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kTagLen),
                    OSSL_PARAM_construct_end()};
  check(EVP_CIPHER_CTX_set_params(c, p), "AEAD set tag");
}

bool cipher(bool encrypt, MutBytes out, const std::uint8_t* key, const std::uint8_t* nonce,
            Bytes in, Bytes ad) {
  EVP_CIPHER_CTX* c = aead_begin(key, nonce, encrypt);
  const std::size_t body = encrypt ? in.size() : in.size() - kTagLen;
  int n = 0;
  if (!ad.empty())
    check(EVP_CipherUpdate(c, nullptr, &n, ad.data(), static_cast<int>(ad.size())), "AEAD ad");
  if (!encrypt) {
    // The tag must be read before in-place decryption overwrites nothing of it (it lies
    // after the body), but copy it anyway so out may alias in.
    std::uint8_t tag[kTagLen];
    std::memcpy(tag, in.data() + body, kTagLen);
    aead_set_tag(c, tag);
  }
  if (body > 0)
    check(EVP_CipherUpdate(c, out.data(), &n, in.data(), static_cast<int>(body)), "AEAD update");
  int fin = 0;
  if (EVP_CipherFinal_ex(c, out.data() + body, &fin) != 1) return false;
  if (encrypt) aead_get_tag(c, out.data() + body);
  return true;
}

std::uint32_t rotl(std::uint32_t v, int c) {
  return (v << c) | (v >> (32 - c));
}

void quarter_round(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c, std::uint32_t& d) {
  a += b;
  d ^= a;
  d = rotl(d, 16);
  c += d;
  b ^= c;
  b = rotl(b, 12);
  a += b;
  d ^= a;
  d = rotl(d, 8);
  c += d;
  b ^= c;
  b = rotl(b, 7);
}

}  // namespace

void hash(std::span<std::uint8_t, kHashLen> out, std::initializer_list<Bytes> parts) {
  EVP_MD_CTX* c = contexts().md;
  check(EVP_DigestInit_ex2(c, algorithms().blake2s, nullptr), "BLAKE2s init");
  for (Bytes p : parts)
    check(EVP_DigestUpdate(c, p.data(), p.size()), "BLAKE2s update");
  unsigned int n = 0;
  check(EVP_DigestFinal_ex(c, out.data(), &n), "BLAKE2s final");
  if (n != kHashLen) fatal("BLAKE2s length");
}

void mac(std::span<std::uint8_t, kMacLen> out, Bytes key, Bytes message) {
  EVP_MAC_CTX* c = contexts().mac;
  check(EVP_MAC_init(c, key.data(), key.size(), nullptr), "BLAKE2SMAC init");
  check(EVP_MAC_update(c, message.data(), message.size()), "BLAKE2SMAC update");
  std::size_t n = 0;
  check(EVP_MAC_final(c, out.data(), &n, kMacLen), "BLAKE2SMAC final");
  if (n != kMacLen) fatal("BLAKE2SMAC length");
}

void hmac(std::span<std::uint8_t, kHashLen> out, Bytes key, Bytes input) {
  hmac_raw(out.data(), key, {input});
}

void kdf1(std::span<std::uint8_t, kKeyLen> t1, Bytes key, Bytes input) {
  std::span<std::uint8_t, kKeyLen> outs[] = {t1};
  kdf(outs, 1, key, input);
}

void kdf2(std::span<std::uint8_t, kKeyLen> t1, std::span<std::uint8_t, kKeyLen> t2, Bytes key,
          Bytes input) {
  std::span<std::uint8_t, kKeyLen> outs[] = {t1, t2};
  kdf(outs, 2, key, input);
}

void kdf3(std::span<std::uint8_t, kKeyLen> t1, std::span<std::uint8_t, kKeyLen> t2,
          std::span<std::uint8_t, kKeyLen> t3, Bytes key, Bytes input) {
  std::span<std::uint8_t, kKeyLen> outs[] = {t1, t2, t3};
  kdf(outs, 3, key, input);
}

void chacha20poly1305_encrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                              std::span<const std::uint8_t, 12> nonce, Bytes plaintext, Bytes ad) {
  if (out.size() != plaintext.size() + kTagLen) fatal("aead_encrypt: output size");
  (void)cipher(true, out, key.data(), nonce.data(), plaintext, ad);
}

bool chacha20poly1305_decrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                              std::span<const std::uint8_t, 12> nonce, Bytes ciphertext, Bytes ad) {
  if (ciphertext.size() < kTagLen || out.size() != ciphertext.size() - kTagLen) return false;
  return cipher(false, out, key.data(), nonce.data(), ciphertext, ad);
}

void aead_encrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key, std::uint64_t counter,
                  Bytes plaintext, Bytes ad) {
  std::uint8_t nonce[12] = {};
  store_le64(nonce + 4, counter);
  chacha20poly1305_encrypt(out, key, std::span<const std::uint8_t, 12>(nonce, 12), plaintext, ad);
}

void aead_encrypt_padded(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                         std::uint64_t counter, Bytes plaintext, std::size_t padding) {
  if (out.size() != plaintext.size() + padding + kTagLen) fatal("aead_encrypt_padded: output size");
  static constexpr std::uint8_t kZeros[64] = {};
  std::uint8_t nonce[12] = {};
  store_le64(nonce + 4, counter);
  EVP_CIPHER_CTX* c = aead_begin(key.data(), nonce, true);
  int n = 0;
  std::size_t off = 0;
  if (!plaintext.empty()) {
    check(EVP_CipherUpdate(c, out.data(), &n, plaintext.data(), static_cast<int>(plaintext.size())),
          "AEAD update");
    off = plaintext.size();
  }
  while (padding > 0) {
    const std::size_t chunk = padding < sizeof kZeros ? padding : sizeof kZeros;
    check(EVP_CipherUpdate(c, out.data() + off, &n, kZeros, static_cast<int>(chunk)), "AEAD pad");
    off += chunk;
    padding -= chunk;
  }
  int fin = 0;
  check(EVP_CipherFinal_ex(c, out.data() + off, &fin), "AEAD final");
  aead_get_tag(c, out.data() + off);
}

bool aead_decrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key, std::uint64_t counter,
                  Bytes ciphertext, Bytes ad) {
  std::uint8_t nonce[12] = {};
  store_le64(nonce + 4, counter);
  return chacha20poly1305_decrypt(out, key, std::span<const std::uint8_t, 12>(nonce, 12),
                                  ciphertext, ad);
}

void hchacha20(std::span<std::uint8_t, kKeyLen> out, std::span<const std::uint8_t, kKeyLen> key,
               std::span<const std::uint8_t, 16> nonce) {
  std::uint32_t x[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; ++i)
    x[4 + i] = load_le32(key.data() + 4 * i);
  for (int i = 0; i < 4; ++i)
    x[12 + i] = load_le32(nonce.data() + 4 * i);
  for (int r = 0; r < 10; ++r) {
    quarter_round(x[0], x[4], x[8], x[12]);
    quarter_round(x[1], x[5], x[9], x[13]);
    quarter_round(x[2], x[6], x[10], x[14]);
    quarter_round(x[3], x[7], x[11], x[15]);
    quarter_round(x[0], x[5], x[10], x[15]);
    quarter_round(x[1], x[6], x[11], x[12]);
    quarter_round(x[2], x[7], x[8], x[13]);
    quarter_round(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 4; ++i)
    store_le32(out.data() + 4 * i, x[i]);
  for (int i = 0; i < 4; ++i)
    store_le32(out.data() + 16 + 4 * i, x[12 + i]);
  secure_wipe(x, sizeof x);
}

void xaead_encrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                   std::span<const std::uint8_t, kXNonceLen> nonce, Bytes plaintext, Bytes ad) {
  Key subkey;
  hchacha20(subkey.span(), key, nonce.first<16>());
  std::uint8_t n12[12] = {};
  std::memcpy(n12 + 4, nonce.data() + 16, 8);
  chacha20poly1305_encrypt(out, subkey.span(), std::span<const std::uint8_t, 12>(n12, 12),
                           plaintext, ad);
}

bool xaead_decrypt(MutBytes out, std::span<const std::uint8_t, kKeyLen> key,
                   std::span<const std::uint8_t, kXNonceLen> nonce, Bytes ciphertext, Bytes ad) {
  Key subkey;
  hchacha20(subkey.span(), key, nonce.first<16>());
  std::uint8_t n12[12] = {};
  std::memcpy(n12 + 4, nonce.data() + 16, 8);
  return chacha20poly1305_decrypt(out, subkey.span(), std::span<const std::uint8_t, 12>(n12, 12),
                                  ciphertext, ad);
}

bool x25519(std::span<std::uint8_t, kKeyLen> out,
            std::span<const std::uint8_t, kKeyLen> private_key,
            std::span<const std::uint8_t, kKeyLen> public_key) {
  std::memset(out.data(), 0, kKeyLen);
  EVP_PKEY* priv =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), kKeyLen);
  EVP_PKEY* pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, public_key.data(), kKeyLen);
  EVP_PKEY_CTX* ctx = priv ? EVP_PKEY_CTX_new(priv, nullptr) : nullptr;
  bool ok = priv && pub && ctx && EVP_PKEY_derive_init(ctx) == 1 &&
            EVP_PKEY_derive_set_peer(ctx, pub) == 1;
  std::size_t n = kKeyLen;
  ok = ok && EVP_PKEY_derive(ctx, out.data(), &n) == 1 && n == kKeyLen;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pub);
  EVP_PKEY_free(priv);
  std::uint8_t acc = 0;
  for (auto b : out)
    acc |= b;
  if (!ok || acc == 0) {
    secure_wipe(out.data(), kKeyLen);
    return false;
  }
  return true;
}

bool x25519_public(PublicKey& out, std::span<const std::uint8_t, kKeyLen> private_key) {
  EVP_PKEY* priv =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), kKeyLen);
  std::size_t n = kKeyLen;
  bool ok = priv && EVP_PKEY_get_raw_public_key(priv, out.data(), &n) == 1 && n == kKeyLen;
  EVP_PKEY_free(priv);
  return ok;
}

PrivateKey generate_private_key() {
  PrivateKey k;
  random_bytes(k.span());
  k.data()[0] &= 248;
  k.data()[31] = static_cast<std::uint8_t>((k.data()[31] & 127) | 64);
  return k;
}

void random_bytes(MutBytes out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) fatal("RAND_bytes");
}

Tai64n tai64n(std::int64_t unix_ns) {
  Tai64n t{};
  const std::int64_t sec = unix_ns / 1'000'000'000;
  std::uint32_t nsec = static_cast<std::uint32_t>(unix_ns % 1'000'000'000);
  nsec &= ~((1u << 24) - 1);
  const std::uint64_t label = 0x400000000000000aULL + static_cast<std::uint64_t>(sec);
  for (int i = 0; i < 8; ++i)
    t[i] = static_cast<std::uint8_t>(label >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    t[8 + i] = static_cast<std::uint8_t>(nsec >> (24 - 8 * i));
  return t;
}

bool equal(Bytes a, Bytes b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ward::wg
