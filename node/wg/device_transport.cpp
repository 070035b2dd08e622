// Device: the transport data path, serial (handle_transport) and split into phases
// for the data-plane glue (begin_open / open_datagram / finish_open), plus
// seal_datagram for deferred sealing. See device.hpp and output.hpp for the contracts.
#include <cstring>

#include "node/wg/device.hpp"
#include "node/wg/device_internal.hpp"

namespace ward::wg {

using detail::expired;
using detail::parse_ip;

void seal_datagram(const SealJob& job, std::span<std::uint8_t> datagram) {
  if (datagram.size() < kTransportMinLen) return;
  aead_encrypt(datagram.subspan(kTransportHeaderLen), job.key.span(), job.counter,
               datagram.subspan(kTransportHeaderLen, datagram.size() - kTransportMinLen), {});
}

Keypair* Device::receiving_keypair(std::uint32_t receiver, Time now, Peer** peer_out) {
  auto it = index_.find(receiver);
  if (it == index_.end() || !it->second.is_keypair) {
    ++drops_.unknown_index;
    return nullptr;
  }
  Peer* peer = peer_by_id(it->second.peer);
  Keypair* kp = peer ? keypair_for_index(*peer, receiver) : nullptr;
  if (!kp) {
    ++drops_.unknown_index;
    return nullptr;
  }
  if (!kp->recv_valid || expired(kp->birth, kRejectAfterTime, now.mono)) {
    ++drops_.decrypt_failed;
    return nullptr;
  }
  *peer_out = peer;
  return kp;
}

void Device::handle_transport(Bytes datagram, const Endpoint& from, Time now, Output& out) {
  auto hdr = parse_transport_header(datagram);
  if (!hdr) return;
  Peer* peer = nullptr;
  Keypair* kp = receiving_keypair(hdr->receiver, now, &peer);
  if (!kp) return;
  Bytes ct = datagram.subspan(kTransportHeaderLen);
  auto pt = out.add_tun_packet(ct.size() - kTagLen);
  if (!aead_decrypt(pt, kp->recv.span(), hdr->counter, ct, {})) {
    out.drop_last_tun_packet();
    ++drops_.decrypt_failed;
    return;
  }
  accept_transport(*peer, *kp, hdr->counter, datagram.size(), from, now, out);
}

bool Device::begin_open(Bytes datagram, Time now, OpenJob& job) {
  job.opened = false;
  if (classify(datagram) != MessageType::kTransport) {
    ++drops_.malformed;
    return false;
  }
  auto hdr = parse_transport_header(datagram);
  if (!hdr) return false;
  Peer* peer = nullptr;
  Keypair* kp = receiving_keypair(hdr->receiver, now, &peer);
  if (!kp) return false;
  job.receiver = hdr->receiver;
  job.counter = hdr->counter;
  job.key = kp->recv;
  return true;
}

bool open_datagram(OpenJob& job, std::span<std::uint8_t> datagram) {
  job.opened =
      datagram.size() >= kTransportMinLen &&
      aead_decrypt(datagram.subspan(kTransportHeaderLen, datagram.size() - kTransportMinLen),
                   job.key.span(), job.counter, datagram.subspan(kTransportHeaderLen), {});
  return job.opened;
}

void Device::finish_open(const OpenJob& job, Bytes datagram, const Endpoint& from, Time now,
                         Output& out) {
  if (!job.opened || datagram.size() < kTransportMinLen) {
    ++drops_.decrypt_failed;
    return;
  }
  Peer* peer = nullptr;
  Keypair* kp = receiving_keypair(job.receiver, now, &peer);
  if (!kp) return;
  // The plaintext stays where open_datagram left it; out refers to it (no copy).
  out.add_tun_view(datagram.subspan(kTransportHeaderLen, datagram.size() - kTransportMinLen));
  accept_transport(*peer, *kp, job.counter, datagram.size(), from, now, out);
}

void Device::accept_transport(Peer& peer_ref, Keypair& kp_ref, std::uint64_t counter,
                              std::size_t wire_len, const Endpoint& from, Time now, Output& out) {
  Peer* peer = &peer_ref;
  Keypair* kp = &kp_ref;
  if (!kp->replay.validate(counter)) {
    out.drop_last_tun_packet();
    ++drops_.replayed;
    return;
  }
  if (kp == peer->next.get()) {
    // The initiator used the keys we derived as responder: they become current.
    drop_keypair(peer->previous);
    peer->previous = std::move(peer->current);
    peer->current = std::move(peer->next);
    peer->timers.on_handshake_complete(now.mono);
    peer->last_handshake_wall_ns = now.wall;
    send_staged(*peer, now, out);
  }
  peer->endpoint = from;  // roaming: follow the last authenticated source
  // keep_key_fresh (receive side): the initiator rekeys shortly before REJECT_AFTER_TIME.
  Keypair* cur = peer->current.get();
  if (!peer->timers.sent_lastminute_handshake() && cur && cur->send_valid && cur->initiator &&
      expired(cur->birth, kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout, now.mono)) {
    peer->timers.set_sent_lastminute_handshake();
    send_initiation(*peer, false, now, out);
  }
  peer->timers.on_any_authenticated_packet_received(now.mono);
  peer->timers.on_any_authenticated_packet_traversal(now.mono);
  if (out.tun_packets().back().bytes.empty()) {  // keepalive
    out.drop_last_tun_packet();
    peer->rx_bytes += wire_len;
    return;
  }
  peer->timers.on_data_received(now.mono);
  auto ip = parse_ip(out.tun_packets().back().bytes);
  if (!ip) {
    out.drop_last_tun_packet();
    ++drops_.malformed;
    return;
  }
  auto src_peer = allowed_ips_.lookup(ip->family, ip->src);
  if (!src_peer || *src_peer != peer->id) {
    out.drop_last_tun_packet();
    ++drops_.bad_source;
    return;
  }
  out.trim_last_tun_packet(ip->total_len);
  peer->rx_bytes += wire_len;
}

}  // namespace ward::wg
