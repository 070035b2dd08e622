// MAC1/MAC2 and cookie replies (whitepaper section 5.4.4 and 5.4.7; the Linux driver's
// cookie.c), and the per-source handshake rate limiter (ratelimiter.c).
//
//   mac1 = MAC(HASH("mac1----" || receiver static public), msg[0:mac1_offset])
//   mac2 = MAC(cookie, msg[0:mac2_offset]) or zeros without a fresh cookie
//   cookie = MAC(secret, source address || source port), secret rotated every 120 s
//   cookie reply = XAEAD(HASH("cookie--" || responder static public), random 24-byte
//                        nonce, cookie, AD = mac1 of the message being answered)
//
// Pure: `now` is passed in. The secret and reply nonces come from the OpenSSL CSPRNG.
// Not thread-safe; the owner serialises calls.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "node/wg/crypto.hpp"
#include "node/wg/endpoint.hpp"
#include "node/wg/messages.hpp"
#include "node/wg/noise.hpp"

namespace ward::wg {

inline constexpr Nanos kCookieSecretMaxAge = 120 * kSecond;
inline constexpr Nanos kCookieSecretLatency = 5 * kSecond;

// mac1/mac2 offsets for a handshake message (initiation or response) by its length;
// nullopt for anything else.
struct MacOffsets {
  std::size_t mac1;
  std::size_t mac2;
};
std::optional<MacOffsets> mac_offsets(std::size_t message_len);

enum class MacState {
  kInvalidMac,          // drop
  kValidMacNoCookie,    // mac1 good; under load this earns a cookie reply
  kValidMacWithCookie,  // mac1 and mac2 good
};

// Responder side, one per device: checks mac1/mac2 on incoming handshake messages and
// makes cookie replies.
class CookieChecker {
 public:
  // Re-keys for our static public key (all zero when the device has no key).
  void init(const PublicKey& local_static);

  // `message` is a whole initiation or response. check_cookie is true under load.
  MacState validate(Bytes message, const Endpoint& source, bool check_cookie, Nanos now);
  // A reply to `message` (whose mac1 must already have validated), for the sender index
  // `receiver` found in it.
  CookieReply create_reply(Bytes message, std::uint32_t receiver, const Endpoint& source,
                           Nanos now);

 private:
  void make_cookie(Mac& out, const Endpoint& source, Nanos now);

  Hash mac1_key_{};
  Key cookie_key_;
  Key secret_;
  std::optional<Nanos> secret_birthdate_;
};

// Initiator side, one per peer: stamps mac1/mac2 on our outgoing handshake messages and
// consumes the peer's cookie replies.
class CookieMaker {
 public:
  void init(const PublicKey& remote_static);

  // Fills mac1 and mac2 of `message` (an initiation or response being sent) in place.
  void add_macs(MutBytes message, Nanos now);
  // Decrypts a reply to the last message we stamped; true and stores the cookie on success.
  bool consume_reply(const CookieReply& reply, Nanos now);
  bool has_fresh_cookie(Nanos now) const;

 private:
  Hash mac1_key_{};
  Key cookie_key_;
  SecretArray<kMacLen> cookie_;
  std::optional<Nanos> cookie_birthdate_;
  Mac last_mac1_sent_{};
  bool have_sent_mac1_ = false;
};

// Token bucket per source address (IPv4 /32, IPv6 /64): 20 handshake messages a second
// with a burst of 5, as in the Linux driver. Entries idle for a second are collected.
class RateLimiter {
 public:
  explicit RateLimiter(std::size_t max_entries = 65536) : max_entries_(max_entries) {}
  bool allow(const Endpoint& source, Nanos now);
  std::size_t size() const { return table_.size(); }

 private:
  struct Entry {
    Nanos last = 0;
    Nanos tokens = 0;
  };
  struct SourceKey {
    std::uint64_t prefix;
    std::uint8_t family;
    friend bool operator==(const SourceKey&, const SourceKey&) = default;
  };
  struct SourceKeyHash {
    std::size_t operator()(const SourceKey& k) const {
      return std::hash<std::uint64_t>()(k.prefix * 0x9e3779b97f4a7c15ULL + k.family);
    }
  };
  void collect(Nanos now);

  std::size_t max_entries_;
  std::unordered_map<SourceKey, Entry, SourceKeyHash> table_;
  Nanos last_gc_ = 0;
};

}  // namespace ward::wg
