#include "node/wg/noise.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace ward::wg {
namespace {

constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
constexpr Nanos kInitiationInterval = kSecond / 50;  // INITIATIONS_PER_SECOND

Bytes sv(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct InitialState {
  Hash chaining_key{};
  Hash hash{};
  InitialState() {
    wg::hash(chaining_key, {sv(kConstruction)});
    wg::hash(hash, {chaining_key, sv(kIdentifier)});
  }
};

const InitialState& initial_state() {
  static const InitialState s;
  return s;
}

// C0 and H = HASH(HASH(C0 || identifier) || responder static).
void handshake_init(Key& ck, Hash& h, const PublicKey& responder_static) {
  ck.assign(initial_state().chaining_key);
  wg::hash(h, {initial_state().hash, responder_static});
}

void mix_hash(Hash& h, Bytes data) {
  wg::hash(h, {h, data});
}

// msg.ephemeral = e; H = HASH(H || e); C = KDF1(C, e).
void mix_ephemeral(Key& ck, Hash& h, const PublicKey& e) {
  mix_hash(h, e);
  kdf1(ck.span(), ck.span(), e);
}

// (C, k) = KDF2(C, DH(priv, pub)), or C = KDF1(C, DH) when key is null.
bool mix_dh(Key& ck, Key* key, std::span<const std::uint8_t, kKeyLen> priv, const PublicKey& pub) {
  Key dh;
  if (!x25519(dh.span(), priv, pub)) return false;
  if (key) {
    kdf2(ck.span(), key->span(), ck.span(), dh.span());
  } else {
    kdf1(ck.span(), ck.span(), dh.span());
  }
  return true;
}

bool mix_precomputed_dh(Key& ck, Key& key, const Key& dh) {
  if (dh.is_zero()) return false;
  kdf2(ck.span(), key.span(), ck.span(), dh.span());
  return true;
}

// (C, T, k) = KDF3(C, psk); H = HASH(H || T).
void mix_psk(Key& ck, Hash& h, Key& key, const Key& psk) {
  Key t;
  kdf3(ck.span(), t.span(), key.span(), ck.span(), psk.span());
  mix_hash(h, t.span());
}

// dst = AEAD(key, 0, src, H); H = HASH(H || dst).
void encrypt_and_hash(MutBytes dst, Bytes src, const Key& key, Hash& h) {
  aead_encrypt(dst, key.span(), 0, src, h);
  mix_hash(h, dst);
}

bool decrypt_and_hash(MutBytes dst, Bytes src, const Key& key, Hash& h) {
  if (!aead_decrypt(dst, key.span(), 0, src, h)) return false;
  mix_hash(h, src);
  return true;
}

}  // namespace

StaticIdentity::StaticIdentity(const PrivateKey& private_key) : private_key_(private_key) {
  has_key_ = !private_key_.is_zero() && x25519_public(public_key_, private_key_.span());
  if (!has_key_) {
    private_key_.clear();
    public_key_.fill(0);
  }
}

void Handshake::init(const StaticIdentity& local, const PublicKey& remote_static) {
  remote_static_ = remote_static;
  latest_timestamp_.fill(0);
  last_initiation_consumption_.reset();
  zero();
  set_local_identity(local);
}

void Handshake::set_local_identity(const StaticIdentity& local) {
  precomputed_ss_.clear();
  if (local.has_key() &&
      !x25519(precomputed_ss_.span(), local.private_key().span(), remote_static_)) {
    precomputed_ss_.clear();
  }
  zero();
}

void Handshake::zero() {
  state_ = HandshakeState::kZeroed;
  chaining_key_.clear();
  hash_.fill(0);
  ephemeral_private_.clear();
  remote_ephemeral_.fill(0);
  local_index_ = 0;
  remote_index_ = 0;
}

bool Handshake::create_initiation(const StaticIdentity& local, std::uint32_t local_index,
                                  std::int64_t wall_ns, Initiation& out) {
  if (!local.has_key() || precomputed_ss_.is_zero()) return false;
  Key ck, key;
  Hash h;
  handshake_init(ck, h, remote_static_);
  PrivateKey eph = generate_private_key();
  Initiation m;
  if (!x25519_public(m.ephemeral, eph.span())) return false;
  mix_ephemeral(ck, h, m.ephemeral);
  if (!mix_dh(ck, &key, eph.span(), remote_static_)) return false;   // es
  encrypt_and_hash(m.encrypted_static, local.public_key(), key, h);  // s
  if (!mix_precomputed_dh(ck, key, precomputed_ss_)) return false;   // ss
  const Tai64n ts = tai64n(wall_ns);
  encrypt_and_hash(m.encrypted_timestamp, ts, key, h);  // {t}
  m.sender = local_index;
  chaining_key_ = ck;
  hash_ = h;
  ephemeral_private_ = eph;
  local_index_ = local_index;
  remote_index_ = 0;
  state_ = HandshakeState::kCreatedInitiation;
  out = m;
  return true;
}

Handshake* consume_initiation(const StaticIdentity& local, const Initiation& msg, Nanos now,
                              const std::function<Handshake*(const PublicKey&)>& find_peer) {
  if (!local.has_key()) return nullptr;
  Key ck, key;
  Hash h;
  handshake_init(ck, h, local.public_key());
  mix_ephemeral(ck, h, msg.ephemeral);                                               // e
  if (!mix_dh(ck, &key, local.private_key().span(), msg.ephemeral)) return nullptr;  // es
  PublicKey s;
  if (!decrypt_and_hash(s, msg.encrypted_static, key, h)) return nullptr;  // s
  Handshake* hs = find_peer(s);
  if (hs == nullptr) return nullptr;
  if (!mix_precomputed_dh(ck, key, hs->precomputed_ss_)) return nullptr;  // ss
  Tai64n t;
  if (!decrypt_and_hash(t, msg.encrypted_timestamp, key, h)) return nullptr;  // {t}
  const bool replay = std::memcmp(t.data(), hs->latest_timestamp_.data(), t.size()) <= 0;
  const bool flood = hs->last_initiation_consumption_ &&
                     *hs->last_initiation_consumption_ + kInitiationInterval > now;
  if (replay || flood) return nullptr;
  hs->remote_ephemeral_ = msg.ephemeral;
  hs->latest_timestamp_ = t;
  hs->hash_ = h;
  hs->chaining_key_ = ck;
  hs->remote_index_ = msg.sender;
  hs->ephemeral_private_.clear();
  hs->local_index_ = 0;
  hs->last_initiation_consumption_ = now;
  hs->state_ = HandshakeState::kConsumedInitiation;
  return hs;
}

bool Handshake::create_response(std::uint32_t local_index, Response& out) {
  if (state_ != HandshakeState::kConsumedInitiation) return false;
  Key ck = chaining_key_;
  Hash h = hash_;
  Key key;
  PrivateKey eph = generate_private_key();
  Response m;
  if (!x25519_public(m.ephemeral, eph.span())) return false;
  mix_ephemeral(ck, h, m.ephemeral);                                      // e
  if (!mix_dh(ck, nullptr, eph.span(), remote_ephemeral_)) return false;  // ee
  if (!mix_dh(ck, nullptr, eph.span(), remote_static_)) return false;     // se
  mix_psk(ck, h, key, psk_);                                              // psk
  encrypt_and_hash(m.encrypted_nothing, {}, key, h);                      // {}
  m.sender = local_index;
  m.receiver = remote_index_;
  chaining_key_ = ck;
  hash_ = h;
  ephemeral_private_ = eph;
  local_index_ = local_index;
  state_ = HandshakeState::kCreatedResponse;
  out = m;
  return true;
}

bool Handshake::consume_response(const StaticIdentity& local, const Response& msg) {
  if (state_ != HandshakeState::kCreatedInitiation || msg.receiver != local_index_ ||
      !local.has_key()) {
    return false;
  }
  Key ck = chaining_key_;
  Hash h = hash_;
  Key key;
  mix_ephemeral(ck, h, msg.ephemeral);                                                // e
  if (!mix_dh(ck, nullptr, ephemeral_private_.span(), msg.ephemeral)) return false;   // ee
  if (!mix_dh(ck, nullptr, local.private_key().span(), msg.ephemeral)) return false;  // se
  mix_psk(ck, h, key, psk_);                                                          // psk
  if (!decrypt_and_hash({}, msg.encrypted_nothing, key, h)) return false;             // {}
  remote_ephemeral_ = msg.ephemeral;
  chaining_key_ = ck;
  hash_ = h;
  remote_index_ = msg.sender;
  state_ = HandshakeState::kConsumedResponse;
  return true;
}

std::optional<SessionKeys> Handshake::begin_session() {
  if (state_ != HandshakeState::kCreatedResponse && state_ != HandshakeState::kConsumedResponse) {
    return std::nullopt;
  }
  SessionKeys k;
  k.initiator = state_ == HandshakeState::kConsumedResponse;
  if (k.initiator) {
    kdf2(k.send.span(), k.recv.span(), chaining_key_.span(), {});
  } else {
    kdf2(k.recv.span(), k.send.span(), chaining_key_.span(), {});
  }
  k.local_index = local_index_;
  k.remote_index = remote_index_;
  zero();
  return k;
}

}  // namespace ward::wg
