#include "node/daemon/link.hpp"

#include <cerrno>
#include <ctime>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <memory>
#include <net/if.h>
#include <vector>

#include <libmnl/libmnl.h>

#include "common/base/error.hpp"

namespace ward::node::daemon {
namespace {

Status check_name(const std::string& iface) {
  if (iface.empty() || iface.size() >= IFNAMSIZ)
    return Error::invalid_argument("interface name " + quote(iface) +
                                   ": expected 1..15 characters");
  return ok();
}

// Sends one request and waits for its ack; returns the kernel's errno (0 = success).
Result<int> transact(nlmsghdr* nlh) {
  std::unique_ptr<mnl_socket, decltype(&mnl_socket_close)> nl(mnl_socket_open(NETLINK_ROUTE),
                                                              &mnl_socket_close);
  if (!nl) return Error::from_errno("open rtnetlink socket", errno);
  if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return Error::from_errno("bind rtnetlink socket", errno);
  const unsigned portid = mnl_socket_get_portid(nl.get());
  const unsigned seq = nlh->nlmsg_seq = static_cast<unsigned>(time(nullptr));
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0)
    return Error::from_errno("send rtnetlink request", errno);
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  ssize_t n = mnl_socket_recvfrom(nl.get(), buf.data(), buf.size());
  if (n < 0) return Error::from_errno("receive rtnetlink answer", errno);
  if (mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid, nullptr, nullptr) < 0)
    return errno;
  return 0;
}

}  // namespace

bool link_exists(const std::string& iface) {
  return if_nametoindex(iface.c_str()) != 0;
}

Status create_wireguard_link(const std::string& iface) {
  WARD_RETURN_IF_ERROR(check_name(iface));
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, iface.c_str());
  nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
  mnl_attr_nest_end(nlh, info);
  WARD_ASSIGN_OR_RETURN(int err, transact(nlh));
  if (err == 0 || err == EEXIST) return ok();
  if (err == EOPNOTSUPP) return Error::not_found("the kernel has no WireGuard support");
  return Error::from_errno("create interface " + iface, err);
}

Status delete_link(const std::string& iface) {
  WARD_RETURN_IF_ERROR(check_name(iface));
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_DELLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, iface.c_str());
  WARD_ASSIGN_OR_RETURN(int err, transact(nlh));
  if (err == 0 || err == ENODEV) return ok();
  return Error::from_errno("delete interface " + iface, err);
}

}  // namespace ward::node::daemon
