// Test support: blocking TCP helpers with deadlines, for real-traffic checks across
// network namespaces (create the socket inside a namespace with Netns::run_in; it stays
// there).
//
//   auto l = listen_tcp(8080);                         // in the server's namespace
//   auto c = connect_tcp("100.64.0.2", 8080, 3s);      // in the client's namespace
//   if (c.err == ETIMEDOUT) ...                        // dropped, not refused
//   auto s = accept_tcp(l->get(), 3s);  send_all(...); recv_exact(...);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "common/base/result.hpp"

namespace ward::testing {

// An owned file descriptor (closed on destruction).
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();

 private:
  int fd_ = -1;
};

// A listening TCP socket on the wildcard address (IPv6 dual-stack when v6) and port.
Result<UniqueFd> listen_tcp(std::uint16_t port, bool v6 = false);

struct TcpConnect {
  UniqueFd fd;  // valid when connected
  int err = 0;  // 0, or the errno: ETIMEDOUT when nothing answered within the limit,
                // ECONNREFUSED for a reset, EHOSTUNREACH / ENETUNREACH / ENOKEY ...
};
// Connects to an IPv4 or IPv6 literal within the limit.
TcpConnect connect_tcp(const std::string& ip, std::uint16_t port, std::chrono::milliseconds limit);

// Accepts one connection within the limit (unavailable on timeout).
Result<UniqueFd> accept_tcp(int listen_fd, std::chrono::milliseconds limit);

// Writes all of data / reads exactly n bytes within the limit.
Status send_all(int fd, const std::string& data, std::chrono::milliseconds limit);
Result<std::string> recv_exact(int fd, std::size_t n, std::chrono::milliseconds limit);

}  // namespace ward::testing
