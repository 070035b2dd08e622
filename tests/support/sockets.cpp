#include "tests/support/sockets.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ward::testing {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for events on fd until the deadline: 1 ready, 0 timed out, -1 error (errno).
int wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    reset();
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<UniqueFd> listen_tcp(std::uint16_t port, bool v6) {
  UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Error::from_errno("socket", errno);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = 0;
  if (v6) {
    int zero = 0;
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    sa.sin6_addr = in6addr_any;
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  if (rc != 0) return Error::from_errno("bind port " + std::to_string(port), errno);
  if (::listen(fd.get(), 16) != 0) return Error::from_errno("listen", errno);
  return fd;
}

TcpConnect connect_tcp(const std::string& ip, std::uint16_t port, std::chrono::milliseconds limit) {
  TcpConnect out;
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, ip.c_str(), &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    len = sizeof *s4;
  } else if (::inet_pton(AF_INET6, ip.c_str(), &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    len = sizeof *s6;
  } else {
    out.err = EINVAL;
    return out;
  }
  UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) {
    out.err = errno;
    return out;
  }
  const auto deadline = Clock::now() + limit;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    if (errno != EINPROGRESS) {
      out.err = errno;
      return out;
    }
    const int r = wait_fd(fd.get(), POLLOUT, deadline);
    if (r <= 0) {
      out.err = r == 0 ? ETIMEDOUT : errno;
      return out;
    }
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
      out.err = soerr;
      return out;
    }
  }
  // Back to blocking mode; send_all/recv_exact poll with their own deadlines.
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  out.fd = std::move(fd);
  return out;
}

Result<UniqueFd> accept_tcp(int listen_fd, std::chrono::milliseconds limit) {
  const int r = wait_fd(listen_fd, POLLIN, Clock::now() + limit);
  if (r < 0) return Error::from_errno("poll", errno);
  if (r == 0) return Error::unavailable("accept: no connection within the limit");
  UniqueFd fd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!fd.valid()) return Error::from_errno("accept", errno);
  return fd;
}

Status send_all(int fd, const std::string& data, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  std::size_t done = 0;
  while (done < data.size()) {
    const int r = wait_fd(fd, POLLOUT, deadline);
    if (r < 0) return Error::from_errno("poll", errno);
    if (r == 0) return Error::unavailable("send: timed out");
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::from_errno("send", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return ok();
}

Result<std::string> recv_exact(int fd, std::size_t n, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    const int r = wait_fd(fd, POLLIN, deadline);
    if (r < 0) return Error::from_errno("poll", errno);
    if (r == 0)
      return Error::unavailable("recv: timed out after " + std::to_string(out.size()) + " of " +
                                std::to_string(n) + " bytes");
    const std::size_t want = std::min(sizeof buf, n - out.size());
    const ssize_t got = ::recv(fd, buf, want, 0);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::from_errno("recv", errno);
    }
    if (got == 0)
      return Error::unavailable("recv: connection closed after " + std::to_string(out.size()) +
                                " of " + std::to_string(n) + " bytes");
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

}  // namespace ward::testing
