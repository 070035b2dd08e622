#include "node/netlink/kernel_backend.hpp"

#include <linux/netlink.h>
#include <linux/wireguard.h>

#include "node/netlink/socket.hpp"
#include "node/netlink/wg_genl.hpp"

namespace ward::node::netlink {

Result<WgState> KernelWgBackend::get() {
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_GENERIC));
  WARD_ASSIGN_OR_RETURN(std::uint16_t family, resolve_genl_family(sock, WG_GENL_NAME));
  WARD_ASSIGN_OR_RETURN(auto req, build_get_device(iface_, family, sock.next_seq()));
  std::vector<DeviceMessage> messages;
  Status s = sock.dump(req, [&](const nlmsghdr* nlh) -> Status {
    const auto* p = reinterpret_cast<const std::uint8_t*>(nlh);
    WARD_ASSIGN_OR_RETURN(auto parsed, parse_device_messages({p, nlh->nlmsg_len}, family));
    for (auto& m : parsed)
      messages.push_back(std::move(m));
    return ok();
  });
  if (!s) return s.error().context("reading WireGuard device " + iface_);
  return state_from_dump(messages);
}

Status KernelWgBackend::apply(const WgChange& change) {
  if (change.empty()) return ok();
  WARD_ASSIGN_OR_RETURN(NetlinkSocket sock, NetlinkSocket::open(NETLINK_GENERIC));
  WARD_ASSIGN_OR_RETURN(std::uint16_t family, resolve_genl_family(sock, WG_GENL_NAME));
  WARD_ASSIGN_OR_RETURN(auto messages,
                        build_set_device(iface_, change, family, sock.next_seq() + 1));
  for (const auto& m : messages) {
    Status s = sock.request(m.span());
    if (!s) return s.error().context("configuring WireGuard device " + iface_);
  }
  return ok();
}

bool kernel_has_wireguard() {
  auto sock = NetlinkSocket::open(NETLINK_GENERIC);
  if (!sock) return false;
  return resolve_genl_family(*sock, WG_GENL_NAME).ok();
}

}  // namespace ward::node::netlink
