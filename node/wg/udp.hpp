// The engine's UDP socket: one dual-stack IPv6 socket (IPv4 peers appear as v4-mapped
// addresses), non-blocking, batched with recvmmsg/sendmmsg, and with UDP GSO
// (UDP_SEGMENT: one send carries up to 64 equal-size datagrams) and UDP GRO (one receive
// returns several coalesced datagrams) where the kernel supports them, falling back to
// plain batching where it does not. Move-only RAII owner; not thread-safe.
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <span>
#include <sys/socket.h>
#include <vector>

#include "common/base/result.hpp"
#include "node/wg/endpoint.hpp"
#include "node/wg/output.hpp"

namespace ward::wg {

Endpoint endpoint_from_sockaddr(const sockaddr_in6& sa);
sockaddr_in6 sockaddr_from_endpoint(const Endpoint& e);

// Reusable receive buffers for one recvmmsg call; with GRO a message expands to several
// datagrams.
class RecvBatch {
 public:
  static constexpr std::size_t kMaxMessages = 32;
  static constexpr std::size_t kSlotSize = 65536;
  RecvBatch();
  std::size_t size() const { return views_.size(); }
  std::span<const std::uint8_t> datagram(std::size_t i) const {
    return {storage_.data() + views_[i].offset, views_[i].len};
  }
  // The same bytes, writable (the data plane decrypts in place).
  std::span<std::uint8_t> mutable_datagram(std::size_t i) {
    return {storage_.data() + views_[i].offset, views_[i].len};
  }
  const Endpoint& source(std::size_t i) const { return views_[i].source; }

 private:
  friend class UdpSocket;
  struct View {
    std::size_t offset;
    std::size_t len;
    Endpoint source;
  };
  std::uint8_t* slot(std::size_t i) { return storage_.data() + i * kSlotSize; }
  std::vector<std::uint8_t> storage_;
  std::vector<View> views_;
};

class UdpSocket {
 public:
  // Binds [::]:port (0 picks a free port). offload enables GSO/GRO when available.
  static Result<UdpSocket> bind(std::uint16_t port, bool offload = true);
  UdpSocket(UdpSocket&& other) noexcept;
  UdpSocket& operator=(UdpSocket&& other) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }
  bool gso() const { return gso_; }
  bool gro() const { return gro_; }

  // Fills `batch` with whatever is waiting (possibly nothing).
  Status receive(RecvBatch& batch);
  // Sends every datagram; consecutive equal-size datagrams to one destination go out as
  // one GSO send. Datagrams that would block are dropped, as UDP may. Returns the number
  // of messages the kernel took.
  std::size_t send(std::span<const Output::Datagram> datagrams);

 private:
  UdpSocket(int fd, std::uint16_t port, bool gso, bool gro)
      : fd_(fd), port_(port), gso_(gso), gro_(gro) {}
  int fd_ = -1;
  std::uint16_t port_ = 0;
  bool gso_ = false;
  bool gro_ = false;
  std::vector<iovec> iov_;
};

}  // namespace ward::wg
