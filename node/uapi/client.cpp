#include "node/uapi/client.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace ward::node::uapi {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Milliseconds left until deadline, at least 0.
int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

Status wait_for(int fd, short events, Clock::time_point deadline, const std::string& path) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r > 0) return ok();
    if (r == 0) return Error::io("UAPI " + path + ": timed out");
    if (errno != EINTR) return Error::from_errno("UAPI poll " + path, errno);
  }
}

// A growable byte buffer that wipes every allocation it lets go of.
class WipingBuffer {
 public:
  ~WipingBuffer() {
    if (!buf_.empty()) secure_wipe(buf_.data(), buf_.size());
  }
  char* tail(std::size_t want) {
    if (buf_.size() - len_ < want) {
      std::vector<char> bigger(std::max(buf_.size() * 2, len_ + want));
      if (len_ > 0) std::memcpy(bigger.data(), buf_.data(), len_);
      if (!buf_.empty()) secure_wipe(buf_.data(), buf_.size());
      buf_.swap(bigger);
    }
    return buf_.data() + len_;
  }
  void grow(std::size_t n) { len_ += n; }
  std::string_view view() const { return {buf_.data(), len_}; }

 private:
  std::vector<char> buf_;
  std::size_t len_ = 0;
};

bool valid_iface_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

Result<std::string> socket_path_for(std::string_view iface, std::string_view dir) {
  bool okname = !iface.empty() && iface.size() <= 15 && iface != "." && iface != "..";
  for (char c : iface)
    okname = okname && valid_iface_char(c);
  if (!okname)
    return Error::invalid_argument(
        "expected an interface name of 1..15 characters [A-Za-z0-9_.-], got " + quote(iface));
  std::string p(dir);
  p += "/";
  p += iface;
  p += ".sock";
  return p;
}

UapiClient::UapiClient(std::string socket_path, std::chrono::milliseconds timeout,
                       ParseLimits limits)
    : path_(std::move(socket_path)), timeout_(timeout), limits_(limits) {}

Result<SecretString> UapiClient::exchange(std::string_view request) {
  const auto deadline = Clock::now() + timeout_;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path))
    return Error::invalid_argument("UAPI socket path too long: " + quote(path_));
  std::memcpy(addr.sun_path, path_.data(), path_.size());

  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return Error::from_errno("UAPI socket", errno);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED)
      return Error::unavailable("no WireGuard UAPI listener on " + path_);
    if (e != EINPROGRESS && e != EAGAIN) return Error::from_errno("UAPI connect " + path_, e);
    WARD_RETURN_IF_ERROR(wait_for(fd.get(), POLLOUT, deadline, path_));
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len);
    if (soerr != 0) return Error::from_errno("UAPI connect " + path_, soerr);
  }

  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      WARD_RETURN_IF_ERROR(wait_for(fd.get(), POLLOUT, deadline, path_));
      continue;
    }
    return Error::from_errno("UAPI send " + path_, errno);
  }

  WipingBuffer buf;
  for (;;) {
    const std::string_view have = buf.view();
    if (have.size() >= 2 && have.substr(have.size() - 2) == "\n\n") break;
    if (have.size() > limits_.max_response_bytes)
      return Error::corruption("UAPI response from " + path_ + " exceeds " +
                               std::to_string(limits_.max_response_bytes) + " bytes");
    char* dst = buf.tail(16384);
    const ssize_t n = ::recv(fd.get(), dst, 16384, 0);
    if (n > 0) {
      buf.grow(static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return Error::corruption("UAPI " + path_ + " closed the connection mid-response");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      WARD_RETURN_IF_ERROR(wait_for(fd.get(), POLLIN, deadline, path_));
      continue;
    }
    return Error::from_errno("UAPI recv " + path_, errno);
  }
  return SecretString(std::string(buf.view()));
}

Result<WgState> UapiBackend::get() {
  WARD_ASSIGN_OR_RETURN(SecretString resp, client_.exchange(kGetRequest));
  auto st = parse_get_response(resp.reveal(), client_.limits());
  if (!st) return st.error().context("UAPI get on " + client_.socket_path());
  return st;
}

Status UapiBackend::apply(const WgChange& change) {
  if (change.empty()) return ok();
  const SecretString req = encode_set_request(change);
  WARD_ASSIGN_OR_RETURN(SecretString resp, client_.exchange(req.reveal()));
  Status s = parse_set_response(resp.reveal());
  if (!s) return s.error().context("UAPI set on " + client_.socket_path());
  return ok();
}

}  // namespace ward::node::uapi
