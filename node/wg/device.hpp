// Device: the pure WireGuard engine core. It owns our static identity, the peers, the
// index table and the allowed-IPs routing table, and turns inputs into outputs:
//
//   receive_datagram(udp payload, source, now, out)  -> replies to send; decrypted IP
//                                                       packets for the TUN device
//   send_ip_packet(ip packet from TUN, now, out)     -> encrypted datagrams, or the packet
//                                                       is staged and a handshake begins
//   tick(now, out)                                   -> timer-driven keepalives,
//                                                       handshake retries, key zeroing
//
// It never touches a socket, a TUN device, a thread or the clock: `now` carries monotonic
// time (timers, key ages) and wall time (TAI64N, last-handshake time). Call tick() at or
// after next_deadline(). Not thread-safe: one thread drives a Device.
//
// Security behaviour callers rely on: a handshake message without a valid mac1 is dropped;
// under load (set_under_load) one without a valid mac2 earns a cookie reply instead and is
// rate limited per source; decrypted packets whose source address is not in the sending
// peer's allowed IPs are dropped; replayed or stale counters are dropped; low-order keys
// produce no packet; key material is wiped when dropped and 540 s after the last session.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/base/result.hpp"
#include "node/wg/allowed_ips.hpp"
#include "node/wg/cookie.hpp"
#include "node/wg/messages.hpp"
#include "node/wg/output.hpp"
#include "node/wg/peer.hpp"
#include "node/wg/timers.hpp"

namespace ward::wg {

struct Time {
  Nanos mono = 0;         // monotonic nanoseconds
  std::int64_t wall = 0;  // nanoseconds since the Unix epoch
};

// Why packets were dropped; for diagnostics and tests.
struct DropCounters {
  std::uint64_t malformed = 0;         // not a WireGuard message / not an IP packet
  std::uint64_t invalid_mac = 0;       // mac1 (or, under load, mac2) wrong
  std::uint64_t rate_limited = 0;      // handshake over the per-source limit
  std::uint64_t handshake_failed = 0;  // unknown peer, bad crypto, replayed timestamp
  std::uint64_t unknown_index = 0;     // receiver index matches nothing
  std::uint64_t decrypt_failed = 0;    // bad tag or expired keypair
  std::uint64_t replayed = 0;          // counter outside or already in the window
  std::uint64_t bad_source = 0;        // inner source not in the peer's allowed IPs
  std::uint64_t no_route = 0;          // no peer for the destination
  std::uint64_t no_endpoint = 0;       // peer has no endpoint yet
  std::uint64_t cookies_sent = 0;      // not a drop: cookie replies sent under load
  std::uint64_t early_answered = 0;    // not a drop: kept initiations answered late
};

// How many initiations from keys that are not (yet) peers a Device keeps, and for how long
// (see Device::answer_early_initiations).
inline constexpr std::size_t kMaxEarlyInitiations = 16;
inline constexpr Nanos kEarlyInitiationLifetime = kRekeyTimeout;

// A transport data message between the phases of a split receive (see
// Device::begin_open): which keypair it names, its counter and a copy of that keypair's
// receive key (wiped on destruction and by the next begin_open that reuses it).
struct OpenJob {
  std::uint32_t receiver = 0;
  std::uint64_t counter = 0;
  Key key;
  bool opened = false;  // set by open_datagram: the tag verified
};

// Phase 2 of a split receive: decrypts datagram (a type-4 message) in place, so that on
// success its bytes [kTransportHeaderLen, size - kTagLen) hold the plaintext. Touches
// only its arguments: any thread may run it, for distinct datagrams concurrently.
// Returns (and records in job.opened) whether the tag verified.
bool open_datagram(OpenJob& job, std::span<std::uint8_t> datagram);

class Device {
 public:
  // jitter: source of REKEY_TIMEOUT jitter in [0, 333 ms); default draws from the CSPRNG.
  explicit Device(PeerTimers::Jitter jitter = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Sets (or, with an all-zero key, removes) our private key. Peers with our own public key
  // are removed; all handshakes restart and current sessions stop sending. Setting the
  // key it already has changes nothing.
  void set_private_key(const PrivateKey& key);
  const StaticIdentity& identity() const { return identity_; }
  void set_listen_port(std::uint16_t port) { listen_port_ = port; }
  std::uint16_t listen_port() const { return listen_port_; }
  // The TUN MTU, bounding padding. Default 1420.
  void set_mtu(std::size_t mtu) { mtu_ = mtu; }
  // REKEY_AFTER_TIME (default 120 s). Only interop tests shorten it, to force rekeys.
  void set_rekey_after_time(Nanos t) { rekey_after_time_ = t; }
  // The I/O layer reports handshake backlog: under load, mac2 cookies are required.
  void set_under_load(bool under_load) { under_load_ = under_load; }

  // Adds a peer (or returns the existing one's id). Fails for our own public key.
  Result<PeerId> add_peer(const PublicKey& key);
  Status remove_peer(const PublicKey& key);
  void remove_all_peers();
  Peer* find_peer(const PublicKey& key);
  const Peer* find_peer(const PublicKey& key) const;
  // Peers in the order they were added.
  std::vector<const Peer*> peers() const;

  Status set_preshared_key(const PublicKey& key, const Key& psk);
  Status set_endpoint(const PublicKey& key, const Endpoint& endpoint);
  // Enabling persistent keepalive sends a keepalive at once (as the kernel does).
  Status set_persistent_keepalive(const PublicKey& key, std::uint16_t seconds, Time now,
                                  Output& out);
  Status add_allowed_ip(const PublicKey& key, const IpPrefix& prefix);
  Status clear_allowed_ips(const PublicKey& key);
  const AllowedIps& allowed_ips() const { return allowed_ips_; }

  void receive_datagram(Bytes datagram, const Endpoint& from, Time now, Output& out);

  // Answers initiations that arrived, at most kEarlyInitiationLifetime ago, from a key
  // that was not a peer then and is one now. When a controller adds a tunnel, both ends
  // get the new peer within milliseconds, and the initiator's first initiation often
  // arrives before the responder has it; the protocol alone would answer only the
  // initiator's retry, REKEY_TIMEOUT (5 s) later. So an initiation whose MAC1 is valid
  // and whose static key decrypts, but names no peer, is kept (the latest per key, at
  // most kMaxEarlyInitiations, oldest evicted); call this after configuring peers
  // (uapi_set does, before it starts any keepalive) and each kept initiation whose key is
  // now a peer goes through every check again (MAC, timestamp, flood, PSK), exactly as if
  // it had just arrived. This answers nothing an attacker could not get by replaying the
  // same initiation after the peer was added: the response is useful only to the holder
  // of the initiator's ephemeral key. Keys that are still not peers stay kept until they
  // expire; a new private key forgets them all.
  void answer_early_initiations(Time now, Output& out);

  // receive_datagram for transport data messages, split so that the AEAD (phase 2,
  // open_datagram) can run on other threads:
  //   1. begin_open: on this Device's thread; finds the keypair the message names and
  //      checks it may still receive. False (the drop counted) means discard the message.
  //   2. open_datagram(job, datagram) on any thread.
  //   3. finish_open: on this Device's thread with the same `now`, in the order the
  //      messages arrived: replay window, key confirmation, roaming, timers and the source
  //      check, exactly as receive_datagram does; the plaintext goes to `out` as a view
  //      of `datagram` (Output::add_tun_view): its bytes must stay valid and unchanged
  //      until `out` is cleared.
  // Between phases 1 and 3 of a group of messages the caller must make no other Device
  // call except finish_open for earlier messages of the group (handshake messages end a
  // group). A keypair dropped in between makes finish_open discard the message.
  [[nodiscard]] bool begin_open(Bytes datagram, Time now, OpenJob& job);
  void finish_open(const OpenJob& job, Bytes datagram, const Endpoint& from, Time now, Output& out);
  void send_ip_packet(Bytes packet, Time now, Output& out);
  void tick(Time now, Output& out);
  std::optional<Nanos> next_deadline() const;

  const DropCounters& drops() const { return drops_; }

 private:
  struct IndexEntry {
    PeerId peer;
    bool is_keypair;
  };

  Peer* peer_by_id(PeerId id);
  std::uint32_t allocate_index(PeerId peer);
  void release_handshake_index(Peer& peer);
  void drop_keypair(std::unique_ptr<Keypair>& kp);
  void clear_keypairs(Peer& peer);
  void zero_key_material(Peer& peer);
  void add_new_keypair(Peer& peer, const SessionKeys& keys, Time now);
  Keypair* keypair_for_index(Peer& peer, std::uint32_t index);

  void send_to_peer(Peer& peer, Bytes bytes, Output& out);
  void send_initiation(Peer& peer, bool is_retry, Time now, Output& out);
  void send_response(Peer& peer, Time now, Output& out);
  void send_cookie_reply(Bytes message, std::uint32_t sender, const Endpoint& from, Time now,
                         Output& out);
  void send_keepalive(Peer& peer, Time now, Output& out);
  void send_staged(Peer& peer, Time now, Output& out);
  // Whether kp may encrypt now; marks it invalid once expired or exhausted.
  bool usable_for_sending(Keypair* kp, Time now);
  // Encrypts one plaintext (possibly empty: a keepalive) to the peer's endpoint.
  void encrypt_to_peer(Peer& peer, Keypair& kp, Bytes plaintext, Output& out);
  void after_data_sent(Peer& peer, bool sent_data, Time now, Output& out);
  void stage(Peer& peer, Bytes packet);

  void handle_handshake(MessageType type, Bytes datagram, const Endpoint& from, Time now,
                        Output& out);
  void handle_transport(Bytes datagram, const Endpoint& from, Time now, Output& out);
  // The keypair a transport message's receiver index names, if it may still receive;
  // counts the drop otherwise.
  Keypair* receiving_keypair(std::uint32_t receiver, Time now, Peer** peer);
  // Everything after a successful decryption; the plaintext is out's last TUN packet.
  // peer and kp come from receiving_keypair, called with the same `now` just before.
  void accept_transport(Peer& peer, Keypair& kp, std::uint64_t counter, std::size_t wire_len,
                        const Endpoint& from, Time now, Output& out);
  void run_timers(Peer& peer, Time now, Output& out);
  void keep_early_initiation(const PublicKey& key, Bytes datagram, const Endpoint& from,
                             Nanos now);

  PeerTimers::Jitter jitter_;
  StaticIdentity identity_;
  CookieChecker cookie_checker_;
  RateLimiter rate_limiter_;
  AllowedIps allowed_ips_;
  std::unordered_map<PeerId, std::unique_ptr<Peer>> peers_;
  std::vector<PeerId> peer_order_;
  std::map<PublicKey, PeerId> peer_by_key_;
  std::unordered_map<std::uint32_t, IndexEntry> index_;
  PeerId next_peer_id_ = 1;
  std::uint16_t listen_port_ = 0;
  std::size_t mtu_ = 1420;
  bool under_load_ = false;
  Nanos rekey_after_time_ = kRekeyAfterTime;
  DropCounters drops_;
  struct EarlyInitiation {
    PublicKey key;  // the initiator's static key, as its initiation claims it
    std::array<std::uint8_t, kInitiationLen> datagram;
    Endpoint from;
    Nanos received = 0;
  };
  std::vector<EarlyInitiation> early_;  // at most kMaxEarlyInitiations, one per key
};

}  // namespace ward::wg
