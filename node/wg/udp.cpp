#include "node/wg/udp.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/udp.h>
#include <unistd.h>

namespace ward::wg {
namespace {

constexpr std::uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::size_t kMaxGsoSegments = 64;
constexpr std::size_t kMaxGsoBytes = 65000;
constexpr std::size_t kSendChunk = 64;

}  // namespace

Endpoint endpoint_from_sockaddr(const sockaddr_in6& sa) {
  Endpoint e;
  const auto* a = reinterpret_cast<const std::uint8_t*>(&sa.sin6_addr);
  if (std::memcmp(a, kV4MappedPrefix, 12) == 0) {
    e.family = 4;
    std::memcpy(e.addr.data(), a + 12, 4);
  } else {
    e.family = 6;
    std::memcpy(e.addr.data(), a, 16);
  }
  e.port = ntohs(sa.sin6_port);
  return e;
}

sockaddr_in6 sockaddr_from_endpoint(const Endpoint& e) {
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(e.port);
  auto* a = reinterpret_cast<std::uint8_t*>(&sa.sin6_addr);
  if (e.family == 4) {
    std::memcpy(a, kV4MappedPrefix, 12);
    std::memcpy(a + 12, e.addr.data(), 4);
  } else {
    std::memcpy(a, e.addr.data(), 16);
  }
  return sa;
}

RecvBatch::RecvBatch() : storage_(kMaxMessages * kSlotSize) {
  views_.reserve(kMaxMessages * 64);
}

Result<UdpSocket> UdpSocket::bind(std::uint16_t port, bool offload) {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno("socket(AF_INET6, SOCK_DGRAM)", errno);
  int off = 0;
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  int buf = 8 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  sa.sin6_port = htons(port);
  sa.sin6_addr = in6addr_any;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    const int err = errno;
    ::close(fd);
    return Error::from_errno("bind udp port " + std::to_string(port), err);
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  bool gro = false;
  bool gso = false;
  if (offload) {
    int one = 1;
    gro = ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
    // GSO is per send (a cmsg); probe that the option exists at all.
    int seg = 0;
    socklen_t sl = sizeof seg;
    gso = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &seg, &sl) == 0;
  }
  return UdpSocket(fd, ntohs(sa.sin6_port), gso, gro);
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept
    : fd_(other.fd_), port_(other.port_), gso_(other.gso_), gro_(other.gro_) {
  other.fd_ = -1;
}

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    port_ = other.port_;
    gso_ = other.gso_;
    gro_ = other.gro_;
    other.fd_ = -1;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Status UdpSocket::receive(RecvBatch& batch) {
  constexpr std::size_t kN = RecvBatch::kMaxMessages;
  mmsghdr msgs[kN];
  iovec iov[kN];
  sockaddr_in6 addrs[kN];
  alignas(cmsghdr) std::uint8_t control[kN][CMSG_SPACE(sizeof(int))];
  for (std::size_t i = 0; i < kN; ++i) {
    iov[i] = {batch.slot(i), RecvBatch::kSlotSize};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &addrs[i];
    msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
    msgs[i].msg_hdr.msg_control = control[i];
    msgs[i].msg_hdr.msg_controllen = sizeof control[i];
  }
  batch.views_.clear();
  int n;
  do {
    n = ::recvmmsg(fd_, msgs, kN, MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return ok();
    return Error::from_errno("recvmmsg", errno);
  }
  for (int i = 0; i < n; ++i) {
    const msghdr& h = msgs[i].msg_hdr;
    if ((h.msg_flags & MSG_TRUNC) || addrs[i].sin6_family != AF_INET6) continue;
    std::size_t seg = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int v = 0;
        std::memcpy(&v, CMSG_DATA(c), sizeof v);
        if (v > 0) seg = static_cast<std::size_t>(v);
      }
    }
    const Endpoint source = endpoint_from_sockaddr(addrs[i]);
    const std::size_t total = msgs[i].msg_len;
    if (seg == 0) seg = total;
    const std::size_t base = static_cast<std::size_t>(i) * RecvBatch::kSlotSize;
    for (std::size_t off = 0; off < total; off += seg) {
      batch.views_.push_back({base + off, std::min(seg, total - off), source});
    }
  }
  return ok();
}

std::size_t UdpSocket::send(std::span<const Output::Datagram> datagrams) {
  std::size_t taken = 0;
  mmsghdr msgs[kSendChunk];
  sockaddr_in6 addrs[kSendChunk];
  alignas(cmsghdr) std::uint8_t control[kSendChunk][CMSG_SPACE(sizeof(std::uint16_t))];
  iov_.resize(datagrams.size());
  std::size_t i = 0;
  while (i < datagrams.size()) {
    // Build up to kSendChunk messages, each a run of datagrams for one GSO send.
    std::size_t nmsg = 0;
    const std::size_t iov_base = i;
    while (i < datagrams.size() && nmsg < kSendChunk) {
      const auto& first = datagrams[i];
      const std::size_t size = first.bytes.size();
      std::size_t j = i + 1;
      std::size_t bytes = size;
      if (gso_) {
        while (j < datagrams.size() && j - i < kMaxGsoSegments && datagrams[j].to == first.to &&
               datagrams[j].bytes.size() <= size &&
               bytes + datagrams[j].bytes.size() <= kMaxGsoBytes) {
          bytes += datagrams[j].bytes.size();
          ++j;
          if (datagrams[j - 1].bytes.size() < size) break;  // a short one ends the run
        }
      }
      for (std::size_t k = i; k < j; ++k) {
        iov_[k] = {const_cast<std::uint8_t*>(datagrams[k].bytes.data()), datagrams[k].bytes.size()};
      }
      msghdr& h = msgs[nmsg].msg_hdr;
      msgs[nmsg] = {};
      addrs[nmsg] = sockaddr_from_endpoint(first.to);
      h.msg_name = &addrs[nmsg];
      h.msg_namelen = sizeof addrs[nmsg];
      h.msg_iov = &iov_[i];
      h.msg_iovlen = j - i;
      if (j - i > 1) {
        h.msg_control = control[nmsg];
        h.msg_controllen = sizeof control[nmsg];
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto seg = static_cast<std::uint16_t>(size);
        std::memcpy(CMSG_DATA(c), &seg, sizeof seg);
      }
      ++nmsg;
      i = j;
    }
    (void)iov_base;
    std::size_t off = 0;
    while (off < nmsg) {
      const int r = ::sendmmsg(fd_, msgs + off, static_cast<unsigned>(nmsg - off), MSG_DONTWAIT);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (msgs[off].msg_hdr.msg_controllen != 0 &&
            (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
          // The kernel or route refuses GSO: stop using it; this run is lost, like a drop.
          gso_ = false;
        }
        ++off;  // a per-destination error affects one message: skip it
        continue;
      }
      off += static_cast<std::size_t>(r);
      taken += static_cast<std::size_t>(r);
    }
  }
  return taken;
}

}  // namespace ward::wg
