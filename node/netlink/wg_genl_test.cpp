#include "node/netlink/wg_genl.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <map>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <libmnl/libmnl.h>

using namespace ward::node;
using namespace ward::node::netlink;

namespace {

constexpr std::uint16_t kFamily = 0x1d;

WgKey key_n(unsigned n) {
  std::array<std::uint8_t, 32> b{};
  b[0] = 0x77;
  b[1] = static_cast<std::uint8_t>(n >> 8);
  b[2] = static_cast<std::uint8_t>(n);
  return WgKey(b);
}

ward::net::Prefix pfx(const std::string& s) {
  return ward::net::Prefix::parse(s).value();
}

ward::SecretBytes secret(std::uint8_t fill) {
  ward::SecretBytes k(32);
  for (auto& b : k.span())
    b = fill;
  return k;
}

std::vector<DeviceMessage> parse_all(const std::vector<ward::SecretBytes>& msgs) {
  std::vector<DeviceMessage> out;
  for (const auto& m : msgs) {
    auto p = parse_device_messages(m.span(), kFamily);
    REQUIRE(p);
    REQUIRE(p->size() == 1);
    out.push_back(std::move((*p)[0]));
  }
  return out;
}

// What the kernel would end up with: consecutive nests of one key are one peer.
std::vector<PeerAttrs> merged_peers(const std::vector<DeviceMessage>& msgs) {
  std::vector<PeerAttrs> peers;
  for (const auto& m : msgs) {
    for (const auto& p : m.peers) {
      if (!peers.empty() && peers.back().public_key == p.public_key) {
        CHECK((p.flags & WGPEER_F_REPLACE_ALLOWEDIPS) == 0);  // a continuation appends
        peers.back().allowed_ips.insert(peers.back().allowed_ips.end(), p.allowed_ips.begin(),
                                        p.allowed_ips.end());
      } else {
        peers.push_back(p);
      }
    }
  }
  return peers;
}

WgChange big_change(unsigned n_peers, unsigned ips_per_peer) {
  WgChange c;
  c.private_key = secret(0x11);
  c.listen_port = 51820;
  c.replace_peers = true;
  for (unsigned i = 0; i < n_peers; ++i) {
    WgPeerChange p;
    p.public_key = key_n(i);
    p.endpoint = Endpoint::parse("192.0.2." + std::to_string(i % 250 + 1) + ":51820").value();
    p.persistent_keepalive = 25;
    std::vector<ward::net::Prefix> ips;
    for (unsigned k = 0; k < ips_per_peer; ++k) {
      const std::uint32_t base = 0x64400000u + i * 4096 + k;  // 100.64.x.y
      ips.push_back(ward::net::Prefix::make(ward::net::IpAddress::v4(base), 32).value());
    }
    p.replace_allowed_ips = ips;
    c.peers.push_back(p);
  }
  return c;
}

// A GET reply message as the kernel sends it, for the peers given.
std::vector<std::uint8_t> get_reply(const WgState& st, const std::vector<std::size_t>& peer_idx,
                                    bool with_device, std::uint32_t flags = NLM_F_MULTI) {
  std::vector<std::uint8_t> buf(65536);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = kFamily;
  nlh->nlmsg_flags = static_cast<std::uint16_t>(flags);
  auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  g->cmd = WG_CMD_GET_DEVICE;
  g->version = 1;
  mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
  mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg7");
  if (with_device) {
    mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, 32, st.private_key.data());
    mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, st.listen_port);
    mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, st.fwmark);
  }
  nlattr* peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
  for (std::size_t i : peer_idx) {
    const WgPeerState& p = st.peers[i];
    nlattr* pn = mnl_attr_nest_start(nlh, 0);
    mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, 32, p.public_key.bytes().data());
    std::array<std::uint8_t, 32> zero{};
    mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, 32, zero.data());
    if (p.endpoint) {
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      sa.sin_port = htons(p.endpoint->port);
      std::memcpy(&sa.sin_addr, p.endpoint->ip.bytes().data(), 4);
      mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sa), &sa);
    }
    mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p.persistent_keepalive);
    struct {
      std::int64_t s, ns;
    } ts{p.last_handshake_sec, p.last_handshake_nsec};
    mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
    mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, p.rx_bytes);
    mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, p.tx_bytes);
    mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
    nlattr* ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
    for (const auto& ip : p.allowed_ips) {
      nlattr* in = mnl_attr_nest_start(nlh, 0);
      mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, ip.address().is_v4() ? AF_INET : AF_INET6);
      mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, ip.address().bytes().size(),
                   ip.address().bytes().data());
      mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, static_cast<std::uint8_t>(ip.bits()));
      mnl_attr_nest_end(nlh, in);
    }
    mnl_attr_nest_end(nlh, ips);
    mnl_attr_nest_end(nlh, pn);
  }
  mnl_attr_nest_end(nlh, peers);
  buf.resize(nlh->nlmsg_len);
  return buf;
}

}  // namespace

TEST_CASE("genl: a small SET_DEVICE round-trips through mnl parsing", "[unit]") {
  WgChange c;
  c.private_key = secret(0x41);
  c.listen_port = 4242;
  c.replace_peers = true;
  WgPeerChange gone;
  gone.public_key = key_n(1);
  gone.remove = true;
  WgPeerChange upd;
  upd.public_key = key_n(2);
  upd.update_only = true;
  upd.endpoint = Endpoint::parse("[2001:db8::2]:7").value();
  WgPeerChange add;
  add.public_key = key_n(3);
  add.endpoint = Endpoint::parse("192.0.2.3:51820").value();
  add.persistent_keepalive = 25;
  add.replace_allowed_ips = std::vector{pfx("100.64.0.3/32"), pfx("fd7a:115c:a1e0::3/128")};
  c.peers = {gone, upd, add};

  auto msgs = build_set_device("wg0", c, kFamily, 100);
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 1);
  const auto* nlh = reinterpret_cast<const nlmsghdr*>((*msgs)[0].data());
  CHECK(nlh->nlmsg_seq == 100);
  CHECK(nlh->nlmsg_type == kFamily);
  CHECK((nlh->nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK)) == (NLM_F_REQUEST | NLM_F_ACK));
  auto parsed = parse_all(*msgs);
  const DeviceMessage& d = parsed[0];
  CHECK(d.cmd == WG_CMD_SET_DEVICE);
  CHECK(d.ifname == "wg0");
  REQUIRE(d.private_key);
  CHECK(*d.private_key == secret(0x41));
  CHECK(d.listen_port == std::optional<std::uint16_t>(4242));
  CHECK(d.flags == WGDEVICE_F_REPLACE_PEERS);
  REQUIRE(d.peers.size() == 3);
  CHECK(d.peers[0].public_key == key_n(1));
  CHECK(d.peers[0].flags == WGPEER_F_REMOVE_ME);
  CHECK_FALSE(d.peers[0].endpoint);
  CHECK(d.peers[1].flags == WGPEER_F_UPDATE_ONLY);
  CHECK(d.peers[1].endpoint == Endpoint::parse("[2001:db8::2]:7").value());
  CHECK_FALSE(d.peers[1].has_allowed_ips);
  CHECK(d.peers[2].flags == WGPEER_F_REPLACE_ALLOWEDIPS);
  CHECK(d.peers[2].persistent_keepalive == std::optional<std::uint16_t>(25));
  CHECK(d.peers[2].allowed_ips == *add.replace_allowed_ips);
}

TEST_CASE("genl: 1000 peers split into several messages whose union is the config", "[unit]") {
  const WgChange c = big_change(1000, 3);
  const std::size_t bufsize = default_buffer_size();
  auto msgs = build_set_device("wg0", c, kFamily, 1, bufsize);
  REQUIRE(msgs);
  CHECK(msgs->size() > 10);
  for (std::size_t i = 0; i < msgs->size(); ++i) {
    CHECK((*msgs)[i].size() <= bufsize);
    CHECK(reinterpret_cast<const nlmsghdr*>((*msgs)[i].data())->nlmsg_seq == i + 1);
  }
  auto parsed = parse_all(*msgs);
  // Device attributes only in the first message; every message names the interface.
  CHECK(parsed[0].private_key.has_value());
  CHECK(parsed[0].flags == WGDEVICE_F_REPLACE_PEERS);
  for (std::size_t i = 1; i < parsed.size(); ++i) {
    CHECK(parsed[i].ifname == "wg0");
    CHECK_FALSE(parsed[i].private_key.has_value());
    CHECK_FALSE(parsed[i].listen_port.has_value());
    CHECK(parsed[i].flags == 0);
  }
  auto peers = merged_peers(parsed);
  REQUIRE(peers.size() == 1000);
  for (std::size_t i = 0; i < 1000; ++i) {
    INFO("peer " << i);
    CHECK(peers[i].public_key == c.peers[i].public_key);
    CHECK(peers[i].endpoint == c.peers[i].endpoint);
    CHECK(peers[i].persistent_keepalive == c.peers[i].persistent_keepalive);
    CHECK(peers[i].allowed_ips == *c.peers[i].replace_allowed_ips);
    CHECK((peers[i].flags & WGPEER_F_REPLACE_ALLOWEDIPS) != 0);
  }
}

TEST_CASE("genl: one peer with many allowed IPs continues across messages", "[unit]") {
  const WgChange c = big_change(2, 1500);
  auto msgs = build_set_device("wg0", c, kFamily, 1, 4096);
  REQUIRE(msgs);
  CHECK(msgs->size() > 3);
  auto parsed = parse_all(*msgs);
  // The continuation nests carry the key but no endpoint and no REPLACE flag.
  bool saw_continuation = false;
  for (std::size_t i = 1; i < parsed.size(); ++i) {
    if (!parsed[i].peers.empty() &&
        parsed[i].peers[0].public_key == parsed[i - 1].peers.back().public_key) {
      saw_continuation = true;
      CHECK_FALSE(parsed[i].peers[0].endpoint.has_value());
      CHECK((parsed[i].peers[0].flags & WGPEER_F_REPLACE_ALLOWEDIPS) == 0);
    }
  }
  CHECK(saw_continuation);
  auto peers = merged_peers(parsed);
  REQUIRE(peers.size() == 2);
  CHECK(peers[0].allowed_ips == *c.peers[0].replace_allowed_ips);
  CHECK(peers[1].allowed_ips == *c.peers[1].replace_allowed_ips);
}

TEST_CASE("genl: bad inputs to the builder", "[unit]") {
  CHECK_FALSE(build_set_device("", WgChange{}, kFamily, 1));
  CHECK_FALSE(build_set_device("averyveryverylongname", WgChange{}, kFamily, 1));
  CHECK_FALSE(build_set_device("wg0", WgChange{}, kFamily, 1, 16));
  WgChange badkey;
  badkey.private_key = ward::SecretBytes(31);
  CHECK_FALSE(build_set_device("wg0", badkey, kFamily, 1));
  auto empty = build_set_device("wg0", WgChange{}, kFamily, 1);
  REQUIRE(empty);
  CHECK(empty->size() == 1);
  auto get = build_get_device("wg0", kFamily, 9);
  REQUIRE(get);
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(get->data());
  CHECK((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
  const auto* g = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
  CHECK(g->cmd == WG_CMD_GET_DEVICE);
}

TEST_CASE("genl: GET dump parsing merges a peer split across messages", "[unit]") {
  WgState st;
  st.private_key = secret(0x50);
  st.listen_port = 51820;
  st.fwmark = 0x42;
  for (unsigned i = 0; i < 3; ++i) {
    WgPeerState p;
    p.public_key = key_n(i);
    p.endpoint = Endpoint::parse("192.0.2." + std::to_string(i + 1) + ":51820").value();
    p.persistent_keepalive = static_cast<std::uint16_t>(i * 10);
    p.last_handshake_sec = 1700000000 + i;
    p.last_handshake_nsec = 999;
    p.rx_bytes = 1000 + i;
    p.tx_bytes = 2000 + i;
    p.allowed_ips = {pfx("100.64.0." + std::to_string(i + 1) + "/32")};
    st.peers.push_back(p);
  }
  // Peer 1 split: its second half arrives first in message 2.
  WgState half_a = st;
  half_a.peers[1].allowed_ips = {pfx("100.64.0.2/32")};
  WgState half_b = st;
  half_b.peers[1].allowed_ips = {pfx("fd7a:115c:a1e0::2/128")};
  std::vector<std::uint8_t> dump = get_reply(half_a, {0, 1}, true);
  auto second = get_reply(half_b, {1, 2}, false);
  dump.insert(dump.end(), second.begin(), second.end());
  std::vector<std::uint8_t> done(16);
  auto* dn = mnl_nlmsg_put_header(done.data());
  dn->nlmsg_type = NLMSG_DONE;
  dump.insert(dump.end(), done.begin(), done.begin() + dn->nlmsg_len);

  auto msgs = parse_device_messages(dump, kFamily);
  REQUIRE(msgs);
  REQUIRE(msgs->size() == 2);
  auto got = state_from_dump(*msgs);
  REQUIRE(got);
  CHECK(got->private_key == st.private_key);
  CHECK(got->listen_port == 51820);
  CHECK(got->fwmark == 0x42);
  REQUIRE(got->peers.size() == 3);
  CHECK(got->peers[1].allowed_ips ==
        std::vector{pfx("100.64.0.2/32"), pfx("fd7a:115c:a1e0::2/128")});
  CHECK(got->peers[2].last_handshake_sec == 1700000002);
  CHECK(got->peers[2].last_handshake_nsec == 999);
  CHECK(got->peers[2].rx_bytes == 1002);
  CHECK(got->peers[2].tx_bytes == 2002);
  CHECK(got->peers[2].persistent_keepalive == 20);
  CHECK(got->peers[2].protocol_version == 1);
  CHECK_FALSE(got->peers[0].has_preshared_key);
}

TEST_CASE("genl: malformed replies are refused", "[unit]") {
  WgState st;
  st.private_key = secret(1);
  WgPeerState p;
  p.public_key = key_n(1);
  p.allowed_ips = {pfx("100.64.0.1/32")};
  st.peers.push_back(p);
  auto good = get_reply(st, {0}, true);
  REQUIRE(parse_device_messages(good, kFamily));

  // Truncated.
  std::vector<std::uint8_t> cut(good.begin(), good.end() - 9);
  CHECK_FALSE(parse_device_messages(cut, kFamily));
  // Wrong family id.
  CHECK_FALSE(parse_device_messages(good, kFamily + 1));
  // Garbage tail shorter than a header.
  auto tail = good;
  tail.push_back(1);
  tail.push_back(2);
  CHECK_FALSE(parse_device_messages(tail, kFamily));
  // A CIDR beyond 32 for IPv4.
  WgState wide = st;
  auto bad_cidr = get_reply(wide, {0}, true);
  // Find the CIDR attribute (type 3, u8 value 32) and corrupt it to 33.
  bool patched = false;
  for (std::size_t i = 0; i + 5 < bad_cidr.size(); ++i) {
    if (bad_cidr[i] == 5 && bad_cidr[i + 1] == 0 && bad_cidr[i + 2] == WGALLOWEDIP_A_CIDR_MASK &&
        bad_cidr[i + 3] == 0 && bad_cidr[i + 4] == 32) {
      bad_cidr[i + 4] = 33;
      patched = true;
    }
  }
  REQUIRE(patched);
  CHECK_FALSE(parse_device_messages(bad_cidr, kFamily));
  // A kernel error message.
  std::vector<std::uint8_t> err(64);
  auto* e = mnl_nlmsg_put_header(err.data());
  e->nlmsg_type = NLMSG_ERROR;
  auto* ne = static_cast<nlmsgerr*>(mnl_nlmsg_put_extra_header(e, sizeof(nlmsgerr)));
  ne->error = -ENODEV;
  err.resize(e->nlmsg_len);
  auto r = parse_device_messages(err, kFamily);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("No such device") != std::string::npos);
  // A GET fold of a SET message is refused.
  DeviceMessage set;
  set.cmd = WG_CMD_SET_DEVICE;
  CHECK_FALSE(state_from_dump({set}));
}

TEST_CASE("genl: a length field above INT_MAX is refused, not followed", "[unit]") {
  // Found by fuzz_genl: nlmsg_len 0xffff3f3a cast to int is negative, which libmnl's
  // mnl_nlmsg_ok() accepted, and the walk read past the buffer.
  const std::vector<std::uint8_t> crash = {0x3a, 0x3f, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00,
                                           0x00, 0xff, 0xef, 0x34, 0x00, 0x00, 0x00, 0x00,
                                           0x00, 0x00, 0x00, 0x00, 0x69, 0xff};
  auto r = parse_device_messages(crash, kFamily);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ward::ErrorCode::kCorruption);
  // A length of exactly the buffer is fine to follow; one byte more is not.
  std::vector<std::uint8_t> hdr(sizeof(nlmsghdr), 0);
  auto* h = reinterpret_cast<nlmsghdr*>(hdr.data());
  h->nlmsg_type = NLMSG_DONE;
  h->nlmsg_len = sizeof(nlmsghdr);
  CHECK(parse_device_messages(hdr, kFamily));
  h->nlmsg_len = sizeof(nlmsghdr) + 1;
  CHECK_FALSE(parse_device_messages(hdr, kFamily));
}

TEST_CASE("genl: a message whose aligned length runs past the buffer is refused unread", "[unit]") {
  // Found by fuzz_genl: nlmsg_len 27 fits a 27-byte buffer, but libmnl walks attributes to
  // NLMSG_ALIGN(27) = 28, so an IFNAME attribute of 8 bytes ending in the padding made its
  // string read one byte past the buffer (ASan, in the sanitizer build of this test).
  std::vector<std::uint8_t> buf(27, 0);
  auto* h = reinterpret_cast<nlmsghdr*>(buf.data());
  h->nlmsg_len = 27;
  h->nlmsg_type = kFamily;
  buf[sizeof(nlmsghdr)] = WG_CMD_GET_DEVICE;  // genlmsghdr.cmd
  std::uint8_t* attr = buf.data() + sizeof(nlmsghdr) + 4;
  attr[0] = 8;  // nla_len: 4 header + "abc" + the NUL that is not in the buffer
  attr[2] = WGDEVICE_A_IFNAME;
  attr[4] = 'a', attr[5] = 'b', attr[6] = 'c';
  CHECK_FALSE(parse_device_messages(std::span<const std::uint8_t>(buf.data(), 27), kFamily));
}
