#include "node/netlink/wg_genl.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

namespace ward::node::netlink {
namespace {

bool valid_ifname(std::string_view n) {
  if (n.empty() || n.size() >= 16) return false;
  for (char c : n)
    if (c == '\0' || c == '/' || c == ' ' || c == ':') return false;
  return true;
}

nlmsghdr* start_msg(std::uint8_t* buf, std::uint16_t family_id, std::uint8_t cmd,
                    std::uint16_t flags, std::uint32_t seq) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = family_id;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  g->cmd = cmd;
  g->version = WG_GENL_VERSION;
  return nlh;
}

struct SockaddrBuf {
  union {
    sockaddr_in v4;
    sockaddr_in6 v6;
  } u{};
  std::size_t len = 0;
};

SockaddrBuf to_sockaddr(const Endpoint& e) {
  SockaddrBuf s;
  if (e.ip.is_v4()) {
    s.u.v4.sin_family = AF_INET;
    s.u.v4.sin_port = htons(e.port);
    std::memcpy(&s.u.v4.sin_addr, e.ip.bytes().data(), 4);
    s.len = sizeof(sockaddr_in);
  } else {
    s.u.v6.sin6_family = AF_INET6;
    s.u.v6.sin6_port = htons(e.port);
    std::memcpy(&s.u.v6.sin6_addr, e.ip.bytes().data(), 16);
    s.len = sizeof(sockaddr_in6);
  }
  return s;
}

}  // namespace

std::size_t default_buffer_size() {
  const long page = ::sysconf(_SC_PAGESIZE);
  return page > 0 && page < 8192 ? static_cast<std::size_t>(page) : 8192;
}

Result<std::vector<SecretBytes>> build_set_device(std::string_view ifname, const WgChange& change,
                                                  std::uint16_t family_id, std::uint32_t first_seq,
                                                  std::size_t buffer_size) {
  if (!valid_ifname(ifname)) return Error::invalid_argument("bad interface name " + quote(ifname));
  if (buffer_size < 256 || buffer_size > (1u << 20))
    return Error::invalid_argument("netlink buffer size out of range");
  const std::string name(ifname);
  std::vector<SecretBytes> out;
  SecretBytes buf(buffer_size);
  std::size_t peer_i = 0;   // next peer to emit
  std::size_t aip_i = 0;    // next allowed IP of that peer
  bool continuing = false;  // that peer's first part went out in an earlier message
  bool first = true;
  std::uint32_t seq = first_seq;
  const std::size_t n_peers = change.peers.size();

  for (;;) {
    std::memset(buf.data(), 0, buf.size());
    nlmsghdr* nlh =
        start_msg(buf.data(), family_id, WG_CMD_SET_DEVICE, NLM_F_REQUEST | NLM_F_ACK, seq++);
    mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, name.c_str());
    if (first) {
      if (change.private_key) {
        if (change.private_key->size() != WG_KEY_LEN)
          return Error::invalid_argument("private key must be 32 bytes");
        mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, change.private_key->data());
      }
      if (change.listen_port) mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, *change.listen_port);
      if (change.replace_peers) mnl_attr_put_u32(nlh, WGDEVICE_A_FLAGS, WGDEVICE_F_REPLACE_PEERS);
    }
    const std::size_t start_peer = peer_i;
    const std::size_t start_aip = aip_i;
    const bool start_continuing = continuing;
    if (peer_i < n_peers) {
      nlattr* peers_nest = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
      for (; peer_i < n_peers; ++peer_i) {
        const WgPeerChange& p = change.peers[peer_i];
        nlattr* peer_nest = mnl_attr_nest_start_check(nlh, buffer_size, 0);
        bool fits = peer_nest != nullptr;
        fits = fits && mnl_attr_put_check(nlh, buffer_size, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
                                          p.public_key.bytes().data());
        std::uint32_t flags = 0;
        if (p.remove) flags |= WGPEER_F_REMOVE_ME;
        if (p.update_only && !p.remove) flags |= WGPEER_F_UPDATE_ONLY;
        if (fits && !continuing && !p.remove) {
          if (p.replace_allowed_ips) flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
          if (p.preshared_key)
            fits = fits && mnl_attr_put_check(nlh, buffer_size, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN,
                                              p.preshared_key->data());
          if (p.endpoint) {
            const SockaddrBuf sa = to_sockaddr(*p.endpoint);
            fits = fits && mnl_attr_put_check(nlh, buffer_size, WGPEER_A_ENDPOINT, sa.len, &sa.u);
          }
          if (p.persistent_keepalive)
            fits = fits &&
                   mnl_attr_put_u16_check(nlh, buffer_size, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
                                          *p.persistent_keepalive);
        }
        if (fits && flags) fits = mnl_attr_put_u32_check(nlh, buffer_size, WGPEER_A_FLAGS, flags);
        if (!fits) {  // toobig_peers: this peer starts the next message
          if (peer_nest) mnl_attr_nest_cancel(nlh, peer_nest);
          break;
        }
        const bool has_ips = !p.remove && p.replace_allowed_ips && !p.replace_allowed_ips->empty();
        if (has_ips) {
          const auto& ips = *p.replace_allowed_ips;
          nlattr* ips_nest = mnl_attr_nest_start_check(nlh, buffer_size, WGPEER_A_ALLOWEDIPS);
          bool split = ips_nest == nullptr;
          for (; !split && aip_i < ips.size(); ++aip_i) {
            const net::Prefix& ip = ips[aip_i];
            nlattr* ip_nest = mnl_attr_nest_start_check(nlh, buffer_size, 0);
            bool ok = ip_nest != nullptr;
            ok = ok && mnl_attr_put_u16_check(nlh, buffer_size, WGALLOWEDIP_A_FAMILY,
                                              ip.address().is_v4() ? AF_INET : AF_INET6);
            ok = ok && mnl_attr_put_check(nlh, buffer_size, WGALLOWEDIP_A_IPADDR,
                                          ip.address().bytes().size(), ip.address().bytes().data());
            ok = ok && mnl_attr_put_u8_check(nlh, buffer_size, WGALLOWEDIP_A_CIDR_MASK,
                                             static_cast<std::uint8_t>(ip.bits()));
            if (!ok) {
              if (ip_nest) mnl_attr_nest_cancel(nlh, ip_nest);
              split = true;
              break;
            }
            mnl_attr_nest_end(nlh, ip_nest);
          }
          if (split) {  // toobig_allowedips: continue this peer in the next message
            if (ips_nest) mnl_attr_nest_end(nlh, ips_nest);
            mnl_attr_nest_end(nlh, peer_nest);
            continuing = true;
            break;
          }
          mnl_attr_nest_end(nlh, ips_nest);
        }
        mnl_attr_nest_end(nlh, peer_nest);
        aip_i = 0;
        continuing = false;
      }
      mnl_attr_nest_end(nlh, peers_nest);
    }
    if (!first && peer_i == start_peer && aip_i == start_aip && continuing == start_continuing)
      return Error::invalid_argument("a single peer does not fit in a netlink message of " +
                                     std::to_string(buffer_size) + " bytes");
    first = false;
    out.emplace_back(std::span<const std::uint8_t>(buf.data(), nlh->nlmsg_len));
    if (peer_i >= n_peers) break;
  }
  return out;
}

Result<std::vector<std::uint8_t>> build_get_device(std::string_view ifname, std::uint16_t family_id,
                                                   std::uint32_t seq) {
  if (!valid_ifname(ifname)) return Error::invalid_argument("bad interface name " + quote(ifname));
  std::vector<std::uint8_t> buf(256);
  nlmsghdr* nlh = start_msg(buf.data(), family_id, WG_CMD_GET_DEVICE,
                            NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq);
  mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, std::string(ifname).c_str());
  buf.resize(nlh->nlmsg_len);
  return buf;
}

namespace {

struct ParseCtx {
  Error err{ErrorCode::kCorruption, ""};
  bool failed = false;
  int fail(std::string msg) {
    if (!failed) err = Error::corruption("WireGuard netlink: " + std::move(msg));
    failed = true;
    return MNL_CB_ERROR;
  }
};

struct AipCtx {
  ParseCtx* ctx;
  int family = -1;
  std::vector<std::uint8_t> addr;
  int cidr = -1;
};

int parse_aip_attr(const nlattr* a, void* data) {
  auto* c = static_cast<AipCtx*>(data);
  switch (mnl_attr_get_type(a)) {
    case WGALLOWEDIP_A_FAMILY:
      if (mnl_attr_validate(a, MNL_TYPE_U16) < 0) return c->ctx->fail("bad allowed-IP family");
      c->family = mnl_attr_get_u16(a);
      break;
    case WGALLOWEDIP_A_IPADDR: {
      const auto len = mnl_attr_get_payload_len(a);
      if (len != 4 && len != 16) return c->ctx->fail("bad allowed-IP address length");
      const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
      c->addr.assign(p, p + len);
      break;
    }
    case WGALLOWEDIP_A_CIDR_MASK:
      if (mnl_attr_validate(a, MNL_TYPE_U8) < 0) return c->ctx->fail("bad CIDR attribute");
      c->cidr = mnl_attr_get_u8(a);
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

struct PeerCtx {
  ParseCtx* ctx;
  PeerAttrs* peer;
  bool has_key = false;
};

int parse_aips(const nlattr* a, void* data) {
  auto* pc = static_cast<PeerCtx*>(data);
  AipCtx ac{pc->ctx};
  if (mnl_attr_parse_nested(a, parse_aip_attr, &ac) < 0)
    return pc->ctx->fail(pc->ctx->failed ? "" : "malformed allowed IP");
  const bool v4 = ac.family == AF_INET && ac.addr.size() == 4 && ac.cidr >= 0 && ac.cidr <= 32;
  const bool v6 = ac.family == AF_INET6 && ac.addr.size() == 16 && ac.cidr >= 0 && ac.cidr <= 128;
  if (!v4 && !v6) return pc->ctx->fail("allowed IP with bad family, address or CIDR");
  auto p = net::Prefix::make(net::IpAddress::from_bytes(ac.addr), ac.cidr);
  if (!p) return pc->ctx->fail(p.error().message());
  pc->peer->allowed_ips.push_back(*p);
  return MNL_CB_OK;
}

int parse_peer_attr(const nlattr* a, void* data) {
  auto* pc = static_cast<PeerCtx*>(data);
  PeerAttrs& p = *pc->peer;
  const auto len = mnl_attr_get_payload_len(a);
  const auto* payload = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
  switch (mnl_attr_get_type(a)) {
    case WGPEER_A_PUBLIC_KEY: {
      auto k = WgKey::from_bytes({payload, len});
      if (!k) return pc->ctx->fail("bad peer public key length");
      p.public_key = *k;
      pc->has_key = true;
      break;
    }
    case WGPEER_A_PRESHARED_KEY:
      if (len != WG_KEY_LEN) return pc->ctx->fail("bad preshared key length");
      p.preshared_key = SecretBytes(std::span<const std::uint8_t>(payload, len));
      break;
    case WGPEER_A_FLAGS:
      if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) return pc->ctx->fail("bad peer flags");
      p.flags = mnl_attr_get_u32(a);
      break;
    case WGPEER_A_ENDPOINT: {
      if (len < sizeof(sockaddr)) return pc->ctx->fail("short endpoint");
      sa_family_t fam = 0;
      std::memcpy(&fam, payload, sizeof(fam));
      if (fam == AF_INET && len == sizeof(sockaddr_in)) {
        sockaddr_in sa{};
        std::memcpy(&sa, payload, sizeof(sa));
        p.endpoint = Endpoint{net::IpAddress::v4(ntohl(sa.sin_addr.s_addr)), ntohs(sa.sin_port)};
      } else if (fam == AF_INET6 && len == sizeof(sockaddr_in6)) {
        sockaddr_in6 sa{};
        std::memcpy(&sa, payload, sizeof(sa));
        std::array<std::uint8_t, 16> b{};
        std::memcpy(b.data(), &sa.sin6_addr, 16);
        p.endpoint = Endpoint{net::IpAddress::v6(b), ntohs(sa.sin6_port)};
      } else {
        return pc->ctx->fail("endpoint with bad family or length");
      }
      break;
    }
    case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
      if (mnl_attr_validate(a, MNL_TYPE_U16) < 0) return pc->ctx->fail("bad keepalive");
      p.persistent_keepalive = mnl_attr_get_u16(a);
      break;
    case WGPEER_A_LAST_HANDSHAKE_TIME: {
      struct {
        std::int64_t sec;
        std::int64_t nsec;
      } ts{};
      if (len != sizeof(ts)) return pc->ctx->fail("bad handshake time");
      std::memcpy(&ts, payload, sizeof(ts));
      p.last_handshake_sec = ts.sec;
      p.last_handshake_nsec = ts.nsec;
      break;
    }
    case WGPEER_A_RX_BYTES:
      if (mnl_attr_validate(a, MNL_TYPE_U64) < 0) return pc->ctx->fail("bad rx_bytes");
      p.rx_bytes = mnl_attr_get_u64(a);
      break;
    case WGPEER_A_TX_BYTES:
      if (mnl_attr_validate(a, MNL_TYPE_U64) < 0) return pc->ctx->fail("bad tx_bytes");
      p.tx_bytes = mnl_attr_get_u64(a);
      break;
    case WGPEER_A_PROTOCOL_VERSION:
      if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) return pc->ctx->fail("bad protocol version");
      p.protocol_version = mnl_attr_get_u32(a);
      break;
    case WGPEER_A_ALLOWEDIPS:
      p.has_allowed_ips = true;
      if (mnl_attr_parse_nested(a, parse_aips, pc) < 0)
        return pc->ctx->fail("malformed allowed IPs");
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

struct DevCtx {
  ParseCtx* ctx;
  DeviceMessage* dev;
};

int parse_peers(const nlattr* a, void* data) {
  auto* dc = static_cast<DevCtx*>(data);
  dc->dev->peers.emplace_back();
  PeerCtx pc{dc->ctx, &dc->dev->peers.back()};
  if (mnl_attr_parse_nested(a, parse_peer_attr, &pc) < 0) return dc->ctx->fail("malformed peer");
  if (!pc.has_key) return dc->ctx->fail("peer without a public key");
  return MNL_CB_OK;
}

int parse_dev_attr(const nlattr* a, void* data) {
  auto* dc = static_cast<DevCtx*>(data);
  DeviceMessage& d = *dc->dev;
  switch (mnl_attr_get_type(a)) {
    case WGDEVICE_A_IFINDEX:
      if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) return dc->ctx->fail("bad ifindex");
      d.ifindex = mnl_attr_get_u32(a);
      break;
    case WGDEVICE_A_IFNAME:
      if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 || mnl_attr_get_payload_len(a) > 16)
        return dc->ctx->fail("bad ifname");
      // Bounded by the attribute, never by a NUL the validation is trusted to have found.
      d.ifname.assign(mnl_attr_get_str(a),
                      ::strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a)));
      break;
    case WGDEVICE_A_PRIVATE_KEY: {
      if (mnl_attr_get_payload_len(a) != WG_KEY_LEN) return dc->ctx->fail("bad private key length");
      const auto* p = static_cast<const std::uint8_t*>(mnl_attr_get_payload(a));
      d.private_key = SecretBytes(std::span<const std::uint8_t>(p, WG_KEY_LEN));
      break;
    }
    case WGDEVICE_A_LISTEN_PORT:
      if (mnl_attr_validate(a, MNL_TYPE_U16) < 0) return dc->ctx->fail("bad listen port");
      d.listen_port = mnl_attr_get_u16(a);
      break;
    case WGDEVICE_A_FWMARK:
      if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) return dc->ctx->fail("bad fwmark");
      d.fwmark = mnl_attr_get_u32(a);
      break;
    case WGDEVICE_A_FLAGS:
      if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) return dc->ctx->fail("bad device flags");
      d.flags = mnl_attr_get_u32(a);
      break;
    case WGDEVICE_A_PEERS:
      if (mnl_attr_parse_nested(a, parse_peers, dc) < 0) return dc->ctx->fail("malformed peers");
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

// mnl_nlmsg_ok() compares (int)nlmsg_len with the remaining length, so a length above
// INT_MAX turns negative and passes: a crafted dump would walk past the buffer (found by
// fuzz_genl). This check stays unsigned and also bounds every header read.
bool message_fits(const nlmsghdr* nlh, int remaining) {
  if (remaining < static_cast<int>(sizeof(nlmsghdr))) return false;
  // libmnl walks attributes up to NLMSG_ALIGN(nlmsg_len): the aligned length must fit too
  // (the kernel always pads its messages; a buffer cut inside the padding is malformed).
  return nlh->nlmsg_len >= sizeof(nlmsghdr) &&
         nlh->nlmsg_len <= static_cast<std::uint32_t>(remaining) &&
         NLMSG_ALIGN(static_cast<std::uint64_t>(nlh->nlmsg_len)) <=
             static_cast<std::uint64_t>(remaining);
}

}  // namespace

Result<std::vector<DeviceMessage>> parse_device_messages(std::span<const std::uint8_t> buffer,
                                                         std::uint16_t family_id) {
  std::vector<DeviceMessage> out;
  const auto* data = buffer.data();
  int len = static_cast<int>(buffer.size());
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(data);
  bool done = false;
  while (message_fits(nlh, len)) {
    if (nlh->nlmsg_type == NLMSG_DONE) {
      done = true;
      break;
    }
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr)))
        return Error::corruption("WireGuard netlink: truncated error message");
      const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      // The kernel sends -errno; anything else (INT_MIN included) is a malformed reply.
      if (e->error != 0)
        return Error::from_errno("WireGuard netlink",
                                 e->error < 0 && e->error > -4096 ? -e->error : EPROTO);
      nlh = mnl_nlmsg_next(nlh, &len);
      continue;
    }
    if (nlh->nlmsg_type != family_id)
      return Error::corruption("WireGuard netlink: unexpected message type " +
                               std::to_string(nlh->nlmsg_type));
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(genlmsghdr)))
      return Error::corruption("WireGuard netlink: message shorter than its genl header");
    const auto* g = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
    DeviceMessage dev;
    dev.cmd = g->cmd;
    ParseCtx ctx;
    DevCtx dc{&ctx, &dev};
    if (mnl_attr_parse(nlh, sizeof(genlmsghdr), parse_dev_attr, &dc) < 0) {
      if (ctx.failed) return ctx.err;
      return Error::corruption("WireGuard netlink: malformed attributes");
    }
    if (ctx.failed) return ctx.err;
    out.push_back(std::move(dev));
    nlh = mnl_nlmsg_next(nlh, &len);
  }
  if (!done && len != 0)
    return Error::corruption("WireGuard netlink: trailing bytes after the last message");
  return out;
}

Result<WgState> state_from_dump(const std::vector<DeviceMessage>& messages) {
  WgState st;
  bool device_seen = false;
  for (const DeviceMessage& m : messages) {
    if (m.cmd != WG_CMD_GET_DEVICE) return Error::corruption("WireGuard netlink: not a GET reply");
    if (!device_seen) {
      if (m.private_key) {
        bool zero = true;
        for (auto b : m.private_key->span())
          zero = zero && b == 0;
        if (!zero) st.private_key = *m.private_key;
      }
      st.listen_port = m.listen_port.value_or(0);
      st.fwmark = m.fwmark.value_or(0);
      device_seen = true;
    }
    for (const PeerAttrs& p : m.peers) {
      if (!st.peers.empty() && st.peers.back().public_key == p.public_key) {
        auto& ips = st.peers.back().allowed_ips;  // continuation of a split peer
        ips.insert(ips.end(), p.allowed_ips.begin(), p.allowed_ips.end());
        continue;
      }
      WgPeerState s;
      s.public_key = p.public_key;
      s.allowed_ips = p.allowed_ips;
      s.endpoint = p.endpoint;
      s.persistent_keepalive = p.persistent_keepalive.value_or(0);
      if (p.preshared_key) {
        bool zero = true;
        for (auto b : p.preshared_key->span())
          zero = zero && b == 0;
        s.has_preshared_key = !zero;
      }
      s.last_handshake_sec = p.last_handshake_sec;
      s.last_handshake_nsec = p.last_handshake_nsec;
      s.rx_bytes = p.rx_bytes;
      s.tx_bytes = p.tx_bytes;
      s.protocol_version = p.protocol_version;
      st.peers.push_back(std::move(s));
    }
  }
  for (auto& p : st.peers)
    normalize_prefixes(p.allowed_ips);
  return st;
}

}  // namespace ward::node::netlink
