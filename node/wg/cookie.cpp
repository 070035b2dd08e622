#include "node/wg/cookie.hpp"

#include <cstring>
#include <string_view>

namespace ward::wg {
namespace {

constexpr std::string_view kLabelMac1 = "mac1----";
constexpr std::string_view kLabelCookie = "cookie--";
constexpr Nanos kPacketCost = kSecond / 20;
constexpr Nanos kTokenMax = kPacketCost * 5;

Bytes sv(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void derive_keys(Hash& mac1_key, Key& cookie_key, const PublicKey& pub) {
  hash(mac1_key, {sv(kLabelMac1), pub});
  hash(cookie_key.span(), {sv(kLabelCookie), pub});
}

bool expired(std::optional<Nanos> birth, Nanos max_age, Nanos now) {
  return !birth || *birth + max_age <= now;
}

}  // namespace

std::optional<MacOffsets> mac_offsets(std::size_t len) {
  if (len == kInitiationLen) return MacOffsets{kInitiationMac1Offset, kInitiationMac2Offset};
  if (len == kResponseLen) return MacOffsets{kResponseMac1Offset, kResponseMac2Offset};
  return std::nullopt;
}

void CookieChecker::init(const PublicKey& local_static) {
  derive_keys(mac1_key_, cookie_key_, local_static);
}

void CookieChecker::make_cookie(Mac& out, const Endpoint& source, Nanos now) {
  if (expired(secret_birthdate_, kCookieSecretMaxAge, now)) {
    random_bytes(secret_.span());
    secret_birthdate_ = now;
  }
  std::uint8_t input[18];
  const std::size_t n = source.addr_len();
  std::memcpy(input, source.addr.data(), n);
  input[n] = static_cast<std::uint8_t>(source.port >> 8);
  input[n + 1] = static_cast<std::uint8_t>(source.port);
  mac(out, secret_.span(), Bytes(input, n + 2));
}

MacState CookieChecker::validate(Bytes message, const Endpoint& source, bool check_cookie,
                                 Nanos now) {
  auto off = mac_offsets(message.size());
  if (!off) return MacState::kInvalidMac;
  Mac computed;
  mac(computed, mac1_key_, message.first(off->mac1));
  if (!equal(computed, message.subspan(off->mac1, kMacLen))) return MacState::kInvalidMac;
  if (!check_cookie) return MacState::kValidMacNoCookie;
  Mac cookie;
  make_cookie(cookie, source, now);
  mac(computed, cookie, message.first(off->mac2));
  if (!equal(computed, message.subspan(off->mac2, kMacLen))) return MacState::kValidMacNoCookie;
  return MacState::kValidMacWithCookie;
}

CookieReply CookieChecker::create_reply(Bytes message, std::uint32_t receiver,
                                        const Endpoint& source, Nanos now) {
  CookieReply r;
  r.receiver = receiver;
  random_bytes(r.nonce);
  Mac cookie;
  make_cookie(cookie, source, now);
  auto off = mac_offsets(message.size());
  Bytes mac1 = off ? message.subspan(off->mac1, kMacLen) : Bytes{};
  xaead_encrypt(r.encrypted_cookie, cookie_key_.span(), r.nonce, cookie, mac1);
  secure_wipe(cookie.data(), cookie.size());
  return r;
}

void CookieMaker::init(const PublicKey& remote_static) {
  derive_keys(mac1_key_, cookie_key_, remote_static);
  cookie_.clear();
  cookie_birthdate_.reset();
  have_sent_mac1_ = false;
}

bool CookieMaker::has_fresh_cookie(Nanos now) const {
  return !expired(cookie_birthdate_, kCookieSecretMaxAge - kCookieSecretLatency, now);
}

void CookieMaker::add_macs(MutBytes message, Nanos now) {
  auto off = mac_offsets(message.size());
  if (!off) return;
  auto mac1 = std::span<std::uint8_t, kMacLen>(message.data() + off->mac1, kMacLen);
  mac(mac1, mac1_key_, message.first(off->mac1));
  std::memcpy(last_mac1_sent_.data(), mac1.data(), kMacLen);
  have_sent_mac1_ = true;
  auto mac2 = std::span<std::uint8_t, kMacLen>(message.data() + off->mac2, kMacLen);
  if (has_fresh_cookie(now)) {
    mac(mac2, cookie_.span(), message.first(off->mac2));
  } else {
    std::memset(mac2.data(), 0, kMacLen);
  }
}

bool CookieMaker::consume_reply(const CookieReply& reply, Nanos now) {
  if (!have_sent_mac1_) return false;
  SecretArray<kMacLen> cookie;
  if (!xaead_decrypt(cookie.span(), cookie_key_.span(), reply.nonce, reply.encrypted_cookie,
                     last_mac1_sent_)) {
    return false;
  }
  cookie_ = cookie;
  cookie_birthdate_ = now;
  have_sent_mac1_ = false;
  return true;
}

void RateLimiter::collect(Nanos now) {
  for (auto it = table_.begin(); it != table_.end();) {
    if (now - it->second.last > kSecond) {
      it = table_.erase(it);
    } else {
      ++it;
    }
  }
  last_gc_ = now;
}

bool RateLimiter::allow(const Endpoint& source, Nanos now) {
  if (now - last_gc_ > kSecond) collect(now);
  // Key: the IPv4 address, or the IPv6 /64, tagged by family.
  SourceKey key{0, source.family};
  const std::size_t n = source.family == 4 ? 4 : 8;
  for (std::size_t i = 0; i < n; ++i)
    key.prefix = key.prefix << 8 | source.addr[i];
  auto it = table_.find(key);
  if (it == table_.end()) {
    if (table_.size() >= max_entries_) return false;
    table_.emplace(key, Entry{now, kTokenMax - kPacketCost});
    return true;
  }
  Entry& e = it->second;
  Nanos tokens = e.tokens + (now - e.last);
  if (tokens > kTokenMax) tokens = kTokenMax;
  e.last = now;
  if (tokens >= kPacketCost) {
    e.tokens = tokens - kPacketCost;
    return true;
  }
  e.tokens = tokens;
  return false;
}

}  // namespace ward::wg
