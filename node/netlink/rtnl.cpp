#include "node/netlink/rtnl.hpp"

#include <cerrno>
#include <cstring>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "node/netlink/socket.hpp"

namespace ward::node::netlink {
namespace {

int family_of(const net::IpAddress& ip) {
  return ip.is_v4() ? AF_INET : AF_INET6;
}

struct Msg {
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(1024);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  std::span<const std::uint8_t> span() const { return {buf.data(), nlh->nlmsg_len}; }
};

Status address_op(const std::string& iface, const net::InterfaceAddress& a, bool add) {
  WARD_ASSIGN_OR_RETURN(int ifindex, interface_index(iface));
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_ROUTE));
  Msg m;
  m.nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  m.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? (NLM_F_CREATE | NLM_F_REPLACE) : 0);
  m.nlh->nlmsg_seq = sock.next_seq();
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<std::uint8_t>(family_of(a.address));
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(a.bits);
  ifa->ifa_index = static_cast<std::uint32_t>(ifindex);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  const auto bytes = a.address.bytes();
  mnl_attr_put(m.nlh, IFA_LOCAL, bytes.size(), bytes.data());
  mnl_attr_put(m.nlh, IFA_ADDRESS, bytes.size(), bytes.data());
  if (a.address.is_v6() && add) mnl_attr_put_u32(m.nlh, IFA_FLAGS, IFA_F_NODAD);
  int err = 0;
  Status s = sock.request(m.span(), &err);
  if (!s) {
    if (add && err == EEXIST) return ok();
    if (!add && (err == EADDRNOTAVAIL || err == ENOENT || err == ESRCH)) return ok();
    return s.error().context((add ? "adding address " : "removing address ") + a.to_string() +
                             " on " + iface);
  }
  return ok();
}

Status route_op(const std::string& iface, const net::Prefix& p, bool add) {
  WARD_ASSIGN_OR_RETURN(int ifindex, interface_index(iface));
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_ROUTE));
  Msg m;
  m.nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
  m.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? (NLM_F_CREATE | NLM_F_REPLACE) : 0);
  m.nlh->nlmsg_seq = sock.next_seq();
  auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(rtmsg)));
  rt->rtm_family = static_cast<std::uint8_t>(family_of(p.address()));
  rt->rtm_dst_len = static_cast<std::uint8_t>(p.bits());
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = kWardRouteProtocol;
  rt->rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
  rt->rtm_type = add ? RTN_UNICAST : RTN_UNSPEC;
  const auto bytes = p.address().bytes();
  mnl_attr_put(m.nlh, RTA_DST, bytes.size(), bytes.data());
  mnl_attr_put_u32(m.nlh, RTA_OIF, static_cast<std::uint32_t>(ifindex));
  int err = 0;
  Status s = sock.request(m.span(), &err);
  if (!s) {
    if (add && err == EEXIST) return ok();
    if (!add && (err == ESRCH || err == ENOENT)) return ok();
    return s.error().context((add ? "adding route " : "removing route ") + p.to_string() + " via " +
                             iface);
  }
  return ok();
}

struct AttrTable {
  const nlattr* tb[64] = {};
};

int collect_attr(const nlattr* a, void* data) {
  auto* t = static_cast<AttrTable*>(data);
  const auto type = mnl_attr_get_type(a);
  if (type < 64) t->tb[type] = a;
  return MNL_CB_OK;
}

Result<net::IpAddress> addr_from_attr(const nlattr* a, int family) {
  const auto len = mnl_attr_get_payload_len(a);
  const std::size_t want = family == AF_INET ? 4 : 16;
  if (len != want) return Error::corruption("rtnetlink: address attribute of wrong length");
  return net::IpAddress::from_bytes(
      {static_cast<const std::uint8_t*>(mnl_attr_get_payload(a)), want});
}

}  // namespace

Result<int> interface_index(const std::string& iface) {
  const unsigned idx = ::if_nametoindex(iface.c_str());
  if (idx == 0) return Error::not_found("no network interface " + quote(iface));
  return static_cast<int>(idx);
}

Result<std::vector<net::InterfaceAddress>> RtnlAddressBackend::list() {
  WARD_ASSIGN_OR_RETURN(int ifindex, interface_index(iface_));
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_ROUTE));
  Msg m;
  m.nlh->nlmsg_type = RTM_GETADDR;
  m.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  m.nlh->nlmsg_seq = sock.next_seq();
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_UNSPEC;
  std::vector<net::InterfaceAddress> out;
  Status s = sock.dump(m.span(), [&](const nlmsghdr* nlh) -> Status {
    if (nlh->nlmsg_type != RTM_NEWADDR) return ok();
    const auto* msg = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    if (static_cast<int>(msg->ifa_index) != ifindex) return ok();
    if (msg->ifa_family != AF_INET && msg->ifa_family != AF_INET6) return ok();
    AttrTable t;
    mnl_attr_parse(nlh, sizeof(ifaddrmsg), collect_attr, &t);
    const nlattr* a = t.tb[IFA_LOCAL] ? t.tb[IFA_LOCAL] : t.tb[IFA_ADDRESS];
    if (!a) return ok();
    WARD_ASSIGN_OR_RETURN(net::IpAddress ip, addr_from_attr(a, msg->ifa_family));
    out.push_back(net::InterfaceAddress{ip, msg->ifa_prefixlen});
    return ok();
  });
  if (!s) return s.error().context("listing addresses on " + iface_);
  return out;
}

Status RtnlAddressBackend::add(const net::InterfaceAddress& a) {
  return address_op(iface_, a, true);
}
Status RtnlAddressBackend::remove(const net::InterfaceAddress& a) {
  return address_op(iface_, a, false);
}

Result<bool> RtnlAddressBackend::is_up() {
  WARD_ASSIGN_OR_RETURN(int ifindex, interface_index(iface_));
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_ROUTE));
  Msg m;
  m.nlh->nlmsg_type = RTM_GETLINK;
  m.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  m.nlh->nlmsg_seq = sock.next_seq();
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  std::optional<bool> up;
  Status s = sock.dump(m.span(), [&](const nlmsghdr* nlh) -> Status {
    if (nlh->nlmsg_type != RTM_NEWLINK) return ok();
    const auto* msg = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    if (msg->ifi_index == ifindex) up = (msg->ifi_flags & IFF_UP) != 0;
    return ok();
  });
  if (!s) return s.error().context("reading link state of " + iface_);
  if (!up) return Error::not_found("no link information for " + quote(iface_));
  return *up;
}

Status RtnlAddressBackend::set_up() {
  WARD_ASSIGN_OR_RETURN(int ifindex, interface_index(iface_));
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_ROUTE));
  Msg m;
  m.nlh->nlmsg_type = RTM_NEWLINK;
  m.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  m.nlh->nlmsg_seq = sock.next_seq();
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  Status s = sock.request(m.span());
  if (!s) return s.error().context("setting " + iface_ + " up");
  return ok();
}

Result<std::vector<net::Prefix>> RtnlRouteBackend::list() {
  WARD_ASSIGN_OR_RETURN(int ifindex, interface_index(iface_));
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_ROUTE));
  std::vector<net::Prefix> out;
  for (int family : {AF_INET, AF_INET6}) {
    Msg m;
    m.nlh->nlmsg_type = RTM_GETROUTE;
    m.nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    m.nlh->nlmsg_seq = sock.next_seq();
    auto* rt = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(m.nlh, sizeof(rtmsg)));
    rt->rtm_family = static_cast<std::uint8_t>(family);
    Status s = sock.dump(m.span(), [&](const nlmsghdr* nlh) -> Status {
      if (nlh->nlmsg_type != RTM_NEWROUTE) return ok();
      const auto* msg = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
      if (msg->rtm_protocol != kWardRouteProtocol || msg->rtm_family != family) return ok();
      AttrTable t;
      mnl_attr_parse(nlh, sizeof(rtmsg), collect_attr, &t);
      std::uint32_t table = msg->rtm_table;
      if (t.tb[RTA_TABLE]) table = mnl_attr_get_u32(t.tb[RTA_TABLE]);
      if (table != RT_TABLE_MAIN) return ok();
      if (!t.tb[RTA_OIF] || mnl_attr_get_u32(t.tb[RTA_OIF]) != static_cast<std::uint32_t>(ifindex))
        return ok();
      net::IpAddress dst = family == AF_INET ? net::IpAddress() : net::IpAddress::v6({});
      if (t.tb[RTA_DST]) {
        WARD_ASSIGN_OR_RETURN(dst, addr_from_attr(t.tb[RTA_DST], family));
      }
      WARD_ASSIGN_OR_RETURN(net::Prefix p, net::Prefix::make(dst, msg->rtm_dst_len));
      out.push_back(p);
      return ok();
    });
    if (!s) return s.error().context("listing routes via " + iface_);
  }
  return out;
}

Status RtnlRouteBackend::add(const net::Prefix& p) {
  return route_op(iface_, p, true);
}
Status RtnlRouteBackend::remove(const net::Prefix& p) {
  return route_op(iface_, p, false);
}

}  // namespace ward::node::netlink
