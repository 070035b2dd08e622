// A blocking netlink socket on libmnl (NETLINK_ROUTE or NETLINK_GENERIC) with request/ack
// and dump helpers. Acts in the network namespace of the thread that OPENED it.
// Not thread-safe; one request at a time. Receive timeout: 5 s.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "common/base/result.hpp"

struct mnl_socket;
struct nlmsghdr;

namespace ward::node::netlink {

class NetlinkSocket {
 public:
  static Result<NetlinkSocket> open(int protocol);
  NetlinkSocket(NetlinkSocket&&) noexcept;
  NetlinkSocket& operator=(NetlinkSocket&&) noexcept;
  ~NetlinkSocket();

  std::uint32_t next_seq() { return ++seq_; }
  std::uint32_t portid() const { return portid_; }

  // Sends one message (its nlmsg_seq must be set) and waits for the kernel's ack; the
  // error carries the kernel's errno (e.g. EEXIST) in `errno_out` when not null.
  Status request(std::span<const std::uint8_t> message, int* errno_out = nullptr);
  // Sends a dump request and calls on_msg for every reply message until NLMSG_DONE.
  Status dump(std::span<const std::uint8_t> message,
              const std::function<Status(const nlmsghdr*)>& on_msg);

 private:
  NetlinkSocket(mnl_socket* s, std::uint32_t portid) : sock_(s), portid_(portid) {}
  mnl_socket* sock_ = nullptr;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 0;
};

// Resolves a generic-netlink family id by name (CTRL_CMD_GETFAMILY). not_found if the
// kernel does not know the family (e.g. no wireguard module).
Result<std::uint16_t> resolve_genl_family(NetlinkSocket& genl, std::string_view name);

}  // namespace ward::node::netlink
