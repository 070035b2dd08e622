#include "node/wg/tun.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace ward::wg {
namespace {

Status ifreq_ioctl(const std::string& name, unsigned long req, ifreq& ifr) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return Error::from_errno("socket", errno);
  std::memset(ifr.ifr_name, 0, IFNAMSIZ);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  const int rc = ::ioctl(s, req, &ifr);
  const int err = errno;
  ::close(s);
  if (rc < 0) return Error::from_errno("ioctl on " + name, err);
  return ok();
}

}  // namespace

Result<TunDevice> TunDevice::create(std::string_view name, bool offload) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('/') != std::string_view::npos) {
    return Error::invalid_argument("interface name must be 1-15 characters without '/', got " +
                                   quote(name));
  }
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open /dev/net/tun", errno);
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  std::memcpy(ifr.ifr_name, name.data(), name.size());
  if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
    const int err = errno;
    ::close(fd);
    if (err == EBUSY)
      return Error::already_exists("interface " + quote(name) +
                                   " is already held by another process (another WireGuard "
                                   "daemon such as wireguard-go or ward-wg?)");
    if (err == EINVAL)
      return Error::invalid_argument(
          "TUNSETIFF " + quote(name) +
          ": invalid argument; most likely an interface of that name exists and is not a "
          "plain TUN device (a kernel WireGuard interface left behind? `ip link del` it)");
    return Error::from_errno("TUNSETIFF " + std::string(name), err);
  }
  if (offload) {
    int hdr_len = 10;
    const unsigned features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    if (::ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0 || ::ioctl(fd, TUNSETOFFLOAD, features) < 0) {
      // Keep the header format (already negotiated) but without offloads the kernel only
      // sends plain packets; callers still parse the header.
      ::ioctl(fd, TUNSETOFFLOAD, 0u);
    }
  }
  return TunDevice(fd, std::string(ifr.ifr_name), offload);
}

TunDevice::TunDevice(TunDevice&& other) noexcept
    : fd_(other.fd_), name_(std::move(other.name_)), offload_(other.offload_) {
  other.fd_ = -1;
}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    name_ = std::move(other.name_);
    offload_ = other.offload_;
    other.fd_ = -1;
  }
  return *this;
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::optional<std::size_t>> TunDevice::read(MutBytes buf) {
  for (;;) {
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n >= 0) return std::optional<std::size_t>(static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<std::size_t>();
    return Error::from_errno("read tun", errno);
  }
}

Status TunDevice::write(Bytes packet) {
  for (;;) {
    const ssize_t n = ::write(fd_, packet.data(), packet.size());
    if (n >= 0) return ok();
    if (errno == EINTR) continue;
    return Error::from_errno("write tun", errno);
  }
}

Status TunDevice::set_mtu(int mtu) {
  ifreq ifr{};
  ifr.ifr_mtu = mtu;
  return ifreq_ioctl(name_, SIOCSIFMTU, ifr);
}

Result<int> TunDevice::mtu() const {
  ifreq ifr{};
  WARD_RETURN_IF_ERROR(ifreq_ioctl(name_, SIOCGIFMTU, ifr));
  return ifr.ifr_mtu;
}

Status TunDevice::write(std::span<const Bytes> pieces) {
  if (pieces.size() > kMaxPieces)
    return Error::invalid_argument("too many pieces for one TUN write: " +
                                   std::to_string(pieces.size()));
  iovec iov[kMaxPieces];
  for (std::size_t i = 0; i < pieces.size(); ++i)
    iov[i] = {const_cast<std::uint8_t*>(pieces[i].data()), pieces[i].size()};
  for (;;) {
    const ssize_t n = ::writev(fd_, iov, static_cast<int>(pieces.size()));
    if (n >= 0) return ok();
    if (errno == EINTR) continue;
    return Error::from_errno("write tun", errno);
  }
}

}  // namespace ward::wg
