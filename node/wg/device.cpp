#include "node/wg/device.hpp"

#include <algorithm>
#include <cstring>

#include "node/wg/device_internal.hpp"

namespace ward::wg {
namespace {

using detail::expired;
using detail::parse_ip;

Nanos random_jitter() {
  std::uint32_t r = 0;
  random_bytes(MutBytes(reinterpret_cast<std::uint8_t*>(&r), sizeof r));
  return static_cast<Nanos>(r % static_cast<std::uint32_t>(kRekeyTimeoutJitterMax));
}

}  // namespace

Device::Device(PeerTimers::Jitter jitter)
    : jitter_(jitter ? std::move(jitter) : PeerTimers::Jitter(random_jitter)) {
  cookie_checker_.init(PublicKey{});
}

Device::~Device() {
  remove_all_peers();
}

void Device::set_private_key(const PrivateKey& key) {
  // `wg syncconf` resends the key every time; an unchanged key must not break sessions.
  if (equal(key.span(), identity_.private_key().span()) && identity_.has_key() == !key.is_zero())
    return;
  identity_ = StaticIdentity(key);
  cookie_checker_.init(identity_.public_key());
  early_.clear();  // they were for the old key
  if (identity_.has_key()) {
    auto it = peer_by_key_.find(identity_.public_key());
    if (it != peer_by_key_.end()) (void)remove_peer(it->first);
  }
  for (PeerId id : peer_order_) {
    Peer& peer = *peers_.at(id);
    release_handshake_index(peer);
    peer.handshake.set_local_identity(identity_);
    if (peer.next) peer.next->send_valid = false;
    if (peer.current) peer.current->send_valid = false;
  }
}

Result<PeerId> Device::add_peer(const PublicKey& key) {
  if (identity_.has_key() && key == identity_.public_key()) {
    return Error::invalid_argument("peer public key is the device's own public key");
  }
  if (auto it = peer_by_key_.find(key); it != peer_by_key_.end()) return it->second;
  const PeerId id = next_peer_id_++;
  auto peer = std::make_unique<Peer>(id, key, jitter_);
  peer->handshake.init(identity_, key);
  peer->cookie.init(key);
  peers_.emplace(id, std::move(peer));
  peer_order_.push_back(id);
  peer_by_key_.emplace(key, id);
  return id;
}

Status Device::remove_peer(const PublicKey& key) {
  auto it = peer_by_key_.find(key);
  if (it == peer_by_key_.end()) return Error::not_found("no such peer");
  const PeerId id = it->second;
  Peer& peer = *peers_.at(id);
  peer.timers.stop();
  zero_key_material(peer);
  allowed_ips_.remove_by_peer(id);
  peer_by_key_.erase(it);
  std::erase(peer_order_, id);
  peers_.erase(id);
  return ok();
}

void Device::remove_all_peers() {
  while (!peer_by_key_.empty())
    (void)remove_peer(peer_by_key_.begin()->first);
}

Peer* Device::find_peer(const PublicKey& key) {
  auto it = peer_by_key_.find(key);
  return it == peer_by_key_.end() ? nullptr : peers_.at(it->second).get();
}

const Peer* Device::find_peer(const PublicKey& key) const {
  auto it = peer_by_key_.find(key);
  return it == peer_by_key_.end() ? nullptr : peers_.at(it->second).get();
}

std::vector<const Peer*> Device::peers() const {
  std::vector<const Peer*> out;
  out.reserve(peer_order_.size());
  for (PeerId id : peer_order_)
    out.push_back(peers_.at(id).get());
  return out;
}

Status Device::set_preshared_key(const PublicKey& key, const Key& psk) {
  Peer* peer = find_peer(key);
  if (!peer) return Error::not_found("no such peer");
  peer->preshared_key = psk;
  peer->handshake.set_preshared_key(psk);
  return ok();
}

Status Device::set_endpoint(const PublicKey& key, const Endpoint& endpoint) {
  Peer* peer = find_peer(key);
  if (!peer) return Error::not_found("no such peer");
  if (!endpoint.valid()) return Error::invalid_argument("endpoint must be IPv4 or IPv6");
  peer->endpoint = endpoint;
  return ok();
}

Status Device::set_persistent_keepalive(const PublicKey& key, std::uint16_t seconds, Time now,
                                        Output& out) {
  Peer* peer = find_peer(key);
  if (!peer) return Error::not_found("no such peer");
  const bool enable = peer->timers.persistent_keepalive() == 0 && seconds > 0;
  peer->timers.set_persistent_keepalive(seconds);
  if (enable) send_keepalive(*peer, now, out);
  return ok();
}

Status Device::add_allowed_ip(const PublicKey& key, const IpPrefix& prefix) {
  Peer* peer = find_peer(key);
  if (!peer) return Error::not_found("no such peer");
  if (!allowed_ips_.insert(prefix, peer->id)) {
    return Error::invalid_argument("allowed IP prefix length " + std::to_string(prefix.cidr) +
                                   " is out of range for its family");
  }
  return ok();
}

Status Device::clear_allowed_ips(const PublicKey& key) {
  Peer* peer = find_peer(key);
  if (!peer) return Error::not_found("no such peer");
  allowed_ips_.remove_by_peer(peer->id);
  return ok();
}

Peer* Device::peer_by_id(PeerId id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::uint32_t Device::allocate_index(PeerId peer) {
  for (;;) {
    std::uint32_t i = 0;
    random_bytes(MutBytes(reinterpret_cast<std::uint8_t*>(&i), sizeof i));
    if (index_.emplace(i, IndexEntry{peer, false}).second) return i;
  }
}

void Device::release_handshake_index(Peer& peer) {
  if (!peer.handshake_index) return;
  auto it = index_.find(*peer.handshake_index);
  if (it != index_.end() && !it->second.is_keypair && it->second.peer == peer.id) index_.erase(it);
  peer.handshake_index.reset();
}

void Device::drop_keypair(std::unique_ptr<Keypair>& kp) {
  if (!kp) return;
  index_.erase(kp->local_index);
  kp.reset();
}

void Device::clear_keypairs(Peer& peer) {
  drop_keypair(peer.previous);
  drop_keypair(peer.current);
  drop_keypair(peer.next);
}

void Device::zero_key_material(Peer& peer) {
  release_handshake_index(peer);
  peer.handshake.zero();
  clear_keypairs(peer);
}

void Device::add_new_keypair(Peer& peer, const SessionKeys& keys, Time now) {
  auto kp = std::make_unique<Keypair>();
  kp->send = keys.send;
  kp->recv = keys.recv;
  kp->local_index = keys.local_index;
  kp->remote_index = keys.remote_index;
  kp->initiator = keys.initiator;
  kp->birth = now.mono;
  // The handshake's index now names the keypair.
  index_[keys.local_index] = IndexEntry{peer.id, true};
  peer.handshake_index.reset();
  if (kp->initiator) {
    drop_keypair(peer.previous);
    if (peer.next) {
      peer.previous = std::move(peer.next);
      drop_keypair(peer.current);
    } else {
      peer.previous = std::move(peer.current);
    }
    peer.current = std::move(kp);
  } else {
    // A responder may not send on the new keys until the initiator has used them.
    drop_keypair(peer.next);
    peer.next = std::move(kp);
    drop_keypair(peer.previous);
  }
}

Keypair* Device::keypair_for_index(Peer& peer, std::uint32_t index) {
  for (auto* kp : {peer.current.get(), peer.previous.get(), peer.next.get()}) {
    if (kp && kp->local_index == index) return kp;
  }
  return nullptr;
}

void Device::send_to_peer(Peer& peer, Bytes bytes, Output& out) {
  if (!peer.endpoint) {
    ++drops_.no_endpoint;
    return;
  }
  auto buf = out.add_datagram(*peer.endpoint, bytes.size());
  std::memcpy(buf.data(), bytes.data(), bytes.size());
  peer.tx_bytes += bytes.size();
}

void Device::send_initiation(Peer& peer, bool is_retry, Time now, Output& out) {
  if (peer.last_sent_handshake && !expired(*peer.last_sent_handshake, kRekeyTimeout, now.mono))
    return;
  if (!peer.endpoint) {
    ++drops_.no_endpoint;
    return;
  }
  release_handshake_index(peer);
  const std::uint32_t idx = allocate_index(peer.id);
  Initiation msg;
  if (!peer.handshake.create_initiation(identity_, idx, now.wall, msg)) {
    index_.erase(idx);
    return;
  }
  peer.handshake_index = idx;
  peer.last_sent_handshake = now.mono;
  std::array<std::uint8_t, kInitiationLen> buf;
  serialize(msg, buf);
  peer.cookie.add_macs(buf, now.mono);
  peer.timers.on_any_authenticated_packet_traversal(now.mono);
  peer.timers.on_any_authenticated_packet_sent(now.mono);
  send_to_peer(peer, buf, out);
  peer.timers.on_handshake_initiated(now.mono, is_retry);
}

void Device::send_response(Peer& peer, Time now, Output& out) {
  release_handshake_index(peer);
  const std::uint32_t idx = allocate_index(peer.id);
  Response msg;
  if (!peer.handshake.create_response(idx, msg)) {
    index_.erase(idx);
    return;
  }
  peer.handshake_index = idx;
  std::array<std::uint8_t, kResponseLen> buf;
  serialize(msg, buf);
  peer.cookie.add_macs(buf, now.mono);
  auto keys = peer.handshake.begin_session();
  if (!keys) return;
  add_new_keypair(peer, *keys, now);
  peer.timers.on_session_derived(now.mono);
  peer.timers.on_any_authenticated_packet_traversal(now.mono);
  peer.timers.on_any_authenticated_packet_sent(now.mono);
  peer.last_sent_handshake = now.mono;
  send_to_peer(peer, buf, out);
}

void Device::send_cookie_reply(Bytes message, std::uint32_t sender, const Endpoint& from, Time now,
                               Output& out) {
  CookieReply reply = cookie_checker_.create_reply(message, sender, from, now.mono);
  auto buf = out.add_datagram(from, kCookieReplyLen);
  serialize(reply, std::span<std::uint8_t, kCookieReplyLen>(buf.data(), kCookieReplyLen));
  ++drops_.cookies_sent;
}

void Device::stage(Peer& peer, Bytes packet) {
  if (peer.staged.size() >= kMaxStagedPackets) peer.staged.pop_front();
  peer.staged.emplace_back(packet.begin(), packet.end());
}

void Device::send_keepalive(Peer& peer, Time now, Output& out) {
  if (peer.staged.empty()) peer.staged.emplace_back();
  send_staged(peer, now, out);
}

bool Device::usable_for_sending(Keypair* kp, Time now) {
  if (!kp || !kp->send_valid) return false;
  if (expired(kp->birth, kRejectAfterTime, now.mono) || kp->send_counter >= kRejectAfterMessages) {
    kp->send_valid = false;
    return false;
  }
  return true;
}

void Device::encrypt_to_peer(Peer& peer, Keypair& kp, Bytes plaintext, Output& out) {
  const std::size_t padded = padded_length(plaintext.size(), mtu_);
  const std::size_t len = kTransportHeaderLen + padded + kTagLen;
  auto buf = out.add_datagram(*peer.endpoint, len);
  const std::uint64_t counter = kp.send_counter++;
  serialize(TransportHeader{kp.remote_index, counter},
            std::span<std::uint8_t, kTransportHeaderLen>(buf.data(), kTransportHeaderLen));
  if (out.defer_seal()) {
    if (!plaintext.empty())
      std::memcpy(buf.data() + kTransportHeaderLen, plaintext.data(), plaintext.size());
    std::memset(buf.data() + kTransportHeaderLen + plaintext.size(), 0, padded - plaintext.size());
    out.add_seal_job(out.datagrams().size() - 1, kp.send, counter);
  } else {
    aead_encrypt_padded(buf.subspan(kTransportHeaderLen), kp.send.span(), counter, plaintext,
                        padded - plaintext.size());
  }
  peer.tx_bytes += len;
}

void Device::after_data_sent(Peer& peer, bool sent_data, Time now, Output& out) {
  peer.timers.on_any_authenticated_packet_traversal(now.mono);
  peer.timers.on_any_authenticated_packet_sent(now.mono);
  if (sent_data) peer.timers.on_data_sent(now.mono);
  // keep_key_fresh (send side): rekey after REKEY_AFTER_MESSAGES, or REKEY_AFTER_TIME for
  // the initiator.
  Keypair* kp = peer.current.get();
  if (kp && kp->send_valid &&
      (kp->send_counter > kRekeyAfterMessages ||
       (kp->initiator && expired(kp->birth, rekey_after_time_, now.mono)))) {
    send_initiation(peer, false, now, out);
  }
}

void Device::send_staged(Peer& peer, Time now, Output& out) {
  if (peer.staged.empty()) return;
  Keypair* kp = peer.current.get();
  if (!usable_for_sending(kp, now)) {
    send_initiation(peer, false, now, out);
    return;
  }
  if (!peer.endpoint) {
    drops_.no_endpoint += peer.staged.size();
    peer.staged.clear();
    return;
  }
  bool sent_data = false;
  while (!peer.staged.empty()) {
    if (!usable_for_sending(kp, now)) {
      send_initiation(peer, false, now, out);
      return;
    }
    const auto& pkt = peer.staged.front();
    sent_data |= !pkt.empty();
    encrypt_to_peer(peer, *kp, pkt, out);
    peer.staged.pop_front();
  }
  after_data_sent(peer, sent_data, now, out);
}

void Device::send_ip_packet(Bytes packet, Time now, Output& out) {
  auto ip = parse_ip(packet);
  if (!ip) {
    ++drops_.malformed;
    return;
  }
  auto id = allowed_ips_.lookup(ip->family, ip->dst);
  Peer* peer = id ? peer_by_id(*id) : nullptr;
  if (!peer) {
    ++drops_.no_route;
    return;
  }
  if (!peer->endpoint) {
    ++drops_.no_endpoint;
    return;
  }
  // Fast path: nothing queued and a live session: encrypt straight into the output.
  if (peer->staged.empty() && usable_for_sending(peer->current.get(), now)) {
    encrypt_to_peer(*peer, *peer->current, packet, out);
    after_data_sent(*peer, true, now, out);
    return;
  }
  stage(*peer, packet);
  send_staged(*peer, now, out);
}

void Device::receive_datagram(Bytes datagram, const Endpoint& from, Time now, Output& out) {
  auto type = classify(datagram);
  if (!type) {
    ++drops_.malformed;
    return;
  }
  if (*type == MessageType::kTransport) {
    handle_transport(datagram, from, now, out);
  } else {
    handle_handshake(*type, datagram, from, now, out);
  }
}

void Device::keep_early_initiation(const PublicKey& key, Bytes datagram, const Endpoint& from,
                                   Nanos now) {
  if (datagram.size() != kInitiationLen) return;
  auto it = std::find_if(early_.begin(), early_.end(),
                         [&](const EarlyInitiation& e) { return e.key == key; });
  if (it == early_.end()) {
    if (early_.size() < kMaxEarlyInitiations) {
      it = early_.emplace(early_.end());
    } else {
      it = std::min_element(early_.begin(), early_.end(),
                            [](const EarlyInitiation& x, const EarlyInitiation& y) {
                              return x.received < y.received;
                            });
    }
  }
  it->key = key;
  std::copy(datagram.begin(), datagram.end(), it->datagram.begin());
  it->from = from;
  it->received = now;
}

void Device::answer_early_initiations(Time now, Output& out) {
  std::erase_if(early_, [&](const EarlyInitiation& e) {
    return expired(e.received, kEarlyInitiationLifetime, now.mono);
  });
  std::vector<EarlyInitiation> ready;
  std::erase_if(early_, [&](EarlyInitiation& e) {
    if (!find_peer(e.key)) return false;
    ready.push_back(std::move(e));
    return true;
  });
  // Every way handle_handshake can decline an initiation it parsed is counted in one of these.
  auto declined = [this] {
    return drops_.handshake_failed + drops_.invalid_mac + drops_.rate_limited + drops_.cookies_sent;
  };
  for (const EarlyInitiation& e : ready) {
    const std::uint64_t before = declined();
    handle_handshake(MessageType::kInitiation, e.datagram, e.from, now, out);
    if (declined() == before) ++drops_.early_answered;
  }
}

void Device::handle_handshake(MessageType type, Bytes datagram, const Endpoint& from, Time now,
                              Output& out) {
  if (type == MessageType::kCookieReply) {
    auto msg = parse_cookie_reply(datagram);
    auto it = msg ? index_.find(msg->receiver) : index_.end();
    Peer* peer = it != index_.end() ? peer_by_id(it->second.peer) : nullptr;
    if (!peer || !peer->cookie.consume_reply(*msg, now.mono)) ++drops_.handshake_failed;
    return;
  }
  if (!identity_.has_key()) {
    ++drops_.handshake_failed;
    return;
  }
  const MacState mac = cookie_checker_.validate(datagram, from, under_load_, now.mono);
  bool needs_cookie = false;
  if (under_load_ && mac == MacState::kValidMacWithCookie) {
    if (!rate_limiter_.allow(from, now.mono)) {
      ++drops_.rate_limited;
      return;
    }
  } else if (under_load_ && mac == MacState::kValidMacNoCookie) {
    needs_cookie = true;
  } else if (under_load_ || mac != MacState::kValidMacNoCookie) {
    ++drops_.invalid_mac;
    return;
  }

  Peer* peer = nullptr;
  if (type == MessageType::kInitiation) {
    auto msg = parse_initiation(datagram);
    if (!msg) return;
    if (needs_cookie) {
      send_cookie_reply(datagram, msg->sender, from, now, out);
      return;
    }
    std::optional<PublicKey> not_a_peer;
    Handshake* hs = consume_initiation(identity_, *msg, now.mono, [&](const PublicKey& key) {
      Peer* p = find_peer(key);
      if (!p) not_a_peer = key;
      return p ? &p->handshake : nullptr;
    });
    if (!hs) {
      if (not_a_peer) keep_early_initiation(*not_a_peer, datagram, from, now.mono);
      ++drops_.handshake_failed;
      return;
    }
    peer = find_peer(hs->remote_static());
    release_handshake_index(*peer);
    peer->endpoint = from;
    send_response(*peer, now, out);
  } else {
    auto msg = parse_response(datagram);
    if (!msg) return;
    if (needs_cookie) {
      send_cookie_reply(datagram, msg->sender, from, now, out);
      return;
    }
    auto it = index_.find(msg->receiver);
    if (it == index_.end() || it->second.is_keypair) {
      ++drops_.unknown_index;
      return;
    }
    peer = peer_by_id(it->second.peer);
    if (!peer || !peer->handshake.consume_response(identity_, *msg)) {
      ++drops_.handshake_failed;
      return;
    }
    peer->endpoint = from;
    if (auto keys = peer->handshake.begin_session()) {
      add_new_keypair(*peer, *keys, now);
      peer->timers.on_session_derived(now.mono);
      peer->timers.on_handshake_complete(now.mono);
      peer->last_handshake_wall_ns = now.wall;
      // Sends what is staged, or a keepalive to confirm the session at once.
      send_keepalive(*peer, now, out);
    }
  }
  peer->rx_bytes += datagram.size();
  peer->timers.on_any_authenticated_packet_received(now.mono);
  peer->timers.on_any_authenticated_packet_traversal(now.mono);
}

void Device::tick(Time now, Output& out) {
  for (PeerId id : peer_order_)
    run_timers(*peers_.at(id), now, out);
}

void Device::run_timers(Peer& peer, Time now, Output& out) {
  const TimerActions a = peer.timers.poll(now.mono);
  if (a & kTimerGiveUp) peer.staged.clear();
  if (a & kTimerRetryHandshake) send_initiation(peer, true, now, out);
  if (a & kTimerNewHandshake) send_initiation(peer, false, now, out);
  if (a & kTimerSendKeepalive) send_keepalive(peer, now, out);
  if (a & kTimerZeroKeys) zero_key_material(peer);
}

std::optional<Nanos> Device::next_deadline() const {
  std::optional<Nanos> best;
  for (const auto& [id, peer] : peers_) {
    auto d = peer->timers.next_deadline();
    if (d && (!best || *d < *best)) best = d;
  }
  return best;
}

}  // namespace ward::wg
