#include "node/netlink/socket.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <linux/genetlink.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <vector>

#include <libmnl/libmnl.h>

namespace ward::node::netlink {

Result<NetlinkSocket> NetlinkSocket::open(int protocol) {
  mnl_socket* s = mnl_socket_open2(protocol, SOCK_CLOEXEC);
  if (!s) return Error::from_errno("netlink socket", errno);
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int e = errno;
    mnl_socket_close(s);
    return Error::from_errno("netlink bind", e);
  }
  timeval tv{5, 0};
  ::setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int one = 1;
  // Extended acks make kernel errors more specific; ignore if unsupported.
  mnl_socket_setsockopt(s, NETLINK_EXT_ACK, &one, sizeof(one));
  NetlinkSocket sock(s, mnl_socket_get_portid(s));
  sock.seq_ = static_cast<std::uint32_t>(std::time(nullptr));
  return sock;
}

NetlinkSocket::NetlinkSocket(NetlinkSocket&& o) noexcept
    : sock_(o.sock_), portid_(o.portid_), seq_(o.seq_) {
  o.sock_ = nullptr;
}

NetlinkSocket& NetlinkSocket::operator=(NetlinkSocket&& o) noexcept {
  if (this != &o) {
    if (sock_) mnl_socket_close(sock_);
    sock_ = o.sock_;
    portid_ = o.portid_;
    seq_ = o.seq_;
    o.sock_ = nullptr;
  }
  return *this;
}

NetlinkSocket::~NetlinkSocket() {
  if (sock_) mnl_socket_close(sock_);
}

namespace {

struct CbState {
  const std::function<Status(const nlmsghdr*)>* on_msg = nullptr;
  Status status;
};

int data_cb(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<CbState*>(data);
  if (!st->on_msg) return MNL_CB_OK;
  Status s = (*st->on_msg)(nlh);
  if (!s) {
    st->status = std::move(s);
    return MNL_CB_ERROR;
  }
  return MNL_CB_OK;
}

}  // namespace

Status NetlinkSocket::request(std::span<const std::uint8_t> message, int* errno_out) {
  if (errno_out) *errno_out = 0;
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  const std::uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(sock_, message.data(), message.size()) < 0)
    return Error::from_errno("netlink send", errno);
  std::vector<std::uint8_t> buf(MNL_SOCKET_BUFFER_SIZE * 4);
  CbState st;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("netlink receive", errno);
    }
    const int r = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid_, data_cb, &st);
    if (r < 0) {
      if (!st.status.ok()) return st.status;
      const int e = errno;
      if (errno_out) *errno_out = e;
      return Error::from_errno("netlink request", e);
    }
    if (r == MNL_CB_STOP) return ok();
  }
}

Status NetlinkSocket::dump(std::span<const std::uint8_t> message,
                           const std::function<Status(const nlmsghdr*)>& on_msg) {
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(message.data());
  const std::uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(sock_, message.data(), message.size()) < 0)
    return Error::from_errno("netlink send", errno);
  std::vector<std::uint8_t> buf(std::max<std::size_t>(MNL_SOCKET_BUFFER_SIZE, 8192) * 4);
  CbState st;
  st.on_msg = &on_msg;
  for (;;) {
    const ssize_t n = mnl_socket_recvfrom(sock_, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("netlink receive", errno);
    }
    const int r = mnl_cb_run(buf.data(), static_cast<std::size_t>(n), seq, portid_, data_cb, &st);
    if (r < 0) {
      if (!st.status.ok()) return st.status;
      return Error::from_errno("netlink dump", errno);
    }
    if (r == MNL_CB_STOP) return ok();
  }
}

Result<std::uint16_t> resolve_genl_family(NetlinkSocket& genl, std::string_view name) {
  std::vector<std::uint8_t> buf(256);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nlh->nlmsg_seq = genl.next_seq();
  auto* g = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  g->cmd = CTRL_CMD_GETFAMILY;
  g->version = 1;
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, std::string(name).c_str());
  std::optional<std::uint16_t> id;
  int err = 0;
  auto on_msg = [&](const nlmsghdr* m) -> Status {
    mnl_attr_parse(
        m, sizeof(genlmsghdr),
        [](const nlattr* a, void* data) {
          if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
              mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
            *static_cast<std::optional<std::uint16_t>*>(data) = mnl_attr_get_u16(a);
          return MNL_CB_OK;
        },
        &id);
    return ok();
  };
  // GETFAMILY answers with one message then the ack; dump() handles both shapes.
  (void)err;
  Status s = genl.dump(std::span<const std::uint8_t>(buf.data(), nlh->nlmsg_len), on_msg);
  if (!s) {
    if (s.error().message().find(std::strerror(ENOENT)) != std::string::npos)
      return Error::not_found("generic netlink family " + quote(name) + " is not available");
    return s.error();
  }
  if (!id) return Error::not_found("generic netlink family " + quote(name) + " is not available");
  return *id;
}

}  // namespace ward::node::netlink
