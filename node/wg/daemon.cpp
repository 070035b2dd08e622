#include "node/wg/daemon.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "node/wg/uapi.hpp"

namespace ward::wg {
namespace {

constexpr std::size_t kMaxRequest = 1 << 20;
constexpr std::size_t kMaxClients = 16;
constexpr std::uint32_t kUnderLoadHandshakesPerSecond = 128;

// Wipes a string's whole allocation (requests carry private and preshared keys).
void wipe_string(std::string& s) {
  s.resize(s.capacity());
  secure_wipe(s.data(), s.size());
  s.clear();
}

Nanos to_nanos(const timespec& ts) {
  return static_cast<Nanos>(ts.tv_sec) * kSecond + ts.tv_nsec;
}

Result<int> listen_unix(const std::string& dir, const std::string& path) {
  if (::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
    return Error::from_errno("mkdir " + dir, errno);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path)
    return Error::invalid_argument("socket path too long: " + quote(path));
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  // A live socket means another daemon serves this interface; a dead one is stale.
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) {
    const bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(probe);
    if (live) return Error::already_exists("another daemon is serving " + quote(path));
  }
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::from_errno("socket(AF_UNIX)", errno);
  const mode_t old = ::umask(0077);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  const int err = errno;
  ::umask(old);
  if (rc < 0 || ::listen(fd, 16) < 0) {
    ::close(fd);
    return Error::from_errno("bind/listen " + path, rc < 0 ? err : errno);
  }
  return fd;
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 1000);
        continue;
      }
      return;
    }
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::create(const std::string& name, DaemonOptions options) {
  WARD_ASSIGN_OR_RETURN(TunDevice tun, TunDevice::create(name, options.offload));
  WARD_RETURN_IF_ERROR(tun.set_mtu(1420));
  WARD_ASSIGN_OR_RETURN(UdpSocket udp, UdpSocket::bind(0, options.offload));
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return Error::from_errno("eventfd", errno);
  const std::string path = options.socket_dir + "/" + tun.name() + ".sock";
  auto listen_fd = listen_unix(options.socket_dir, path);
  if (!listen_fd) {
    ::close(wake_fd);
    return listen_fd.error();
  }
  return std::unique_ptr<Daemon>(
      new Daemon(std::move(tun), std::move(udp), *listen_fd, wake_fd, path, std::move(options)));
}

Daemon::Daemon(TunDevice tun, UdpSocket udp, int listen_fd, int wake_fd, std::string socket_path,
               DaemonOptions options)
    : tun_(std::move(tun)),
      udp_(std::move(udp)),
      listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      socket_path_(std::move(socket_path)),
      options_(std::move(options)),
      tun_buf_(65536 + kVnetHdrLen) {
  device_.set_listen_port(udp_.port());
  out_.set_defer_seal(true);
}

void Daemon::stop() {
  stop_.store(true);
  const std::uint64_t one = 1;
  // Nothing to do on failure: the counter is already non-zero, so the poll wakes anyway.
  (void)!::write(wake_fd_, &one, sizeof one);
}

void Daemon::warn(const std::string& message) {
  if (options_.warn)
    options_.warn(message);
  else
    std::fprintf(stderr, "ward-wg: %s\n", message.c_str());
}

Daemon::~Daemon() {
  close_uapi();
  ::close(wake_fd_);
}

void Daemon::close_uapi() {
  for (Client& c : clients_) {
    ::close(c.fd);
    wipe_string(c.buffer);
  }
  clients_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(socket_path_.c_str());
    listen_fd_ = -1;
  }
}

Time Daemon::clock_now() {
  timespec mono{}, wall{};
  ::clock_gettime(CLOCK_BOOTTIME, &mono);
  ::clock_gettime(CLOCK_REALTIME, &wall);
  return Time{to_nanos(mono), to_nanos(wall)};
}

void Daemon::flush() {
  const auto jobs = out_.seal_jobs();
  if (pool_) {
    pool_->run(jobs.size(), [&](std::size_t i) {
      seal_datagram(jobs[i], out_.datagram_bytes(jobs[i].datagram));
    });
    out_.sealed_all();
  } else {
    out_.seal_all();
  }
  if (!out_.datagrams().empty()) (void)udp_.send(out_.datagrams());
  if (tun_.offload()) {
    coalescer_.clear();
    for (const auto& p : out_.tun_packets())
      coalescer_.add(p.bytes);
    coalescer_.finish_batch();
    for (std::size_t i = 0; i < coalescer_.size(); ++i)
      (void)tun_.write(coalescer_.pieces(i));
  } else {
    for (const auto& p : out_.tun_packets())
      (void)tun_.write(p.bytes);
  }
  out_.clear();
}

void Daemon::open_group(Time now) {
  if (group_.empty()) return;
  auto run = [&](std::size_t k) {
    (void)open_datagram(open_jobs_[k], batch_.mutable_datagram(group_[k]));
  };
  if (pool_) {
    pool_->run(group_.size(), run);
  } else {
    for (std::size_t k = 0; k < group_.size(); ++k)
      run(k);
  }
  for (std::size_t k = 0; k < group_.size(); ++k) {
    device_.finish_open(open_jobs_[k], batch_.datagram(group_[k]), batch_.source(group_[k]), now,
                        out_);
    open_jobs_[k].key.clear();
  }
  group_.clear();
}

void Daemon::handle_udp(Time now) {
  for (int round = 0; round < 8; ++round) {
    if (!udp_.receive(batch_) || batch_.size() == 0) return;
    if (open_jobs_.size() < batch_.size()) open_jobs_.resize(batch_.size());
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      auto d = batch_.datagram(i);
      if (!d.empty() && d[0] == 4) {
        // Transport data joins the group; its AEAD runs when the group is opened.
        if (device_.begin_open(d, now, open_jobs_[group_.size()])) group_.push_back(i);
        continue;
      }
      // Anything else is handled in arrival order after the transport data before it.
      open_group(now);
      if (!d.empty() && (d[0] == 1 || d[0] == 2)) {
        if (now.mono - load_window_start_ > kSecond) {
          load_window_start_ = now.mono;
          load_window_handshakes_ = 0;
        }
        if (++load_window_handshakes_ > kUnderLoadHandshakesPerSecond)
          under_load_until_ = now.mono + kSecond;
        device_.set_under_load(now.mono < under_load_until_);
      }
      device_.receive_datagram(d, batch_.source(i), now, out_);
    }
    open_group(now);
    flush();
  }
}

void Daemon::handle_tun(Time now) {
  for (int i = 0; i < 64; ++i) {
    auto n = tun_.read(tun_buf_);
    if (!n || !*n) break;
    const std::size_t len = **n;
    if (!tun_.offload()) {
      device_.send_ip_packet(std::span<const std::uint8_t>(tun_buf_.data(), len), now, out_);
    } else if (len > kVnetHdrLen) {
      const VnetHdr h =
          VnetHdr::parse(std::span<const std::uint8_t, kVnetHdrLen>(tun_buf_.data(), kVnetHdrLen));
      (void)gso_split(MutBytes(tun_buf_.data() + kVnetHdrLen, len - kVnetHdrLen), h, gso_scratch_,
                      [&](Bytes segment) { device_.send_ip_packet(segment, now, out_); });
    }
    if (out_.datagrams().size() >= 128) flush();
  }
  flush();
}

void Daemon::accept_clients() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    if (clients_.size() >= kMaxClients) {
      ::close(fd);
      continue;
    }
    clients_.push_back(Client{fd, {}});
    clients_.back().buffer.reserve(1 << 16);  // fewer reallocations leaving key copies
  }
}

void Daemon::apply_listen_port() {
  auto udp = UdpSocket::bind(device_.listen_port(), options_.offload);
  if (!udp) {
    warn(udp.error().to_string());
    device_.set_listen_port(udp_.port());
    return;
  }
  udp_ = std::move(*udp);
  device_.set_listen_port(udp_.port());
}

bool Daemon::handle_client(Client& c, Time now) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n == 0) return false;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    c.buffer.append(buf, static_cast<std::size_t>(n));
    secure_wipe(buf, static_cast<std::size_t>(n));
    if (c.buffer.size() > kMaxRequest) return false;
  }
  for (;;) {
    const auto end = c.buffer.find("\n\n");
    if (end == std::string::npos) return true;
    std::string request = c.buffer.substr(0, end + 1);
    c.buffer.erase(0, end + 2);
    if (c.buffer.empty()) wipe_string(c.buffer);
    if (request == "get=1\n") {
      std::string resp = uapi_get(device_);
      write_all(c.fd, resp);
      secure_wipe(resp.data(), resp.size());
    } else if (request.rfind("set=1\n", 0) == 0) {
      auto r = uapi_set(device_, std::string_view(request).substr(6), now, out_);
      wipe_string(request);
      if (r.error != 0) warn("set rejected: " + r.message);
      if (r.listen_port_changed) apply_listen_port();
      flush();
      write_all(c.fd, "errno=" + std::to_string(r.error) + "\n\n");
    } else {
      write_all(c.fd, "errno=" + std::to_string(EINVAL) + "\n\n");
      return false;
    }
  }
}

Status Daemon::run() {
  if (listen_fd_ < 0) return Error::internal("run() called again after the engine stopped");
  if (!pool_) pool_ = std::make_unique<CryptoPool>(CryptoPool::default_workers());
  Status st = loop();
  close_uapi();
  return st;
}

Status Daemon::loop() {
  std::vector<pollfd> fds;
  while (!stop_.load()) {
    Time now = clock_now();
    int timeout_ms = 1000;
    if (auto dl = device_.next_deadline()) {
      const Nanos wait = *dl - now.mono;
      timeout_ms = wait <= 0 ? 0 : static_cast<int>(std::min<Nanos>(wait / 1'000'000 + 1, 1000));
    }
    fds.clear();
    fds.push_back({udp_.fd(), POLLIN, 0});
    fds.push_back({tun_.fd(), POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    fds.push_back({wake_fd_, POLLIN, 0});
    for (const Client& c : clients_)
      fds.push_back({c.fd, POLLIN, 0});
    const int rc = ::poll(fds.data(), fds.size(), timeout_ms);
    if (rc < 0 && errno != EINTR) return Error::from_errno("poll", errno);
    now = clock_now();
    if (rc > 0) {
      if (fds[0].revents & POLLIN) handle_udp(now);
      if (fds[1].revents & POLLIN) handle_tun(now);
      if (fds[1].revents & (POLLERR | POLLHUP))
        return Error::unavailable("TUN device " + quote(tun_.name()) + " went away");
      if (fds[2].revents & POLLIN) accept_clients();
      for (std::size_t i = 4; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        auto it = std::find_if(clients_.begin(), clients_.end(),
                               [&](const Client& c) { return c.fd == fds[i].fd; });
        if (it == clients_.end()) continue;
        if (!handle_client(*it, now)) {
          ::close(it->fd);
          wipe_string(it->buffer);
          clients_.erase(it);
        }
      }
    }
    if (now.mono - last_mtu_check_ > kSecond) {
      last_mtu_check_ = now.mono;
      if (auto mtu = tun_.mtu(); mtu && *mtu > 0) device_.set_mtu(static_cast<std::size_t>(*mtu));
    }
    device_.tick(now, out_);
    flush();
  }
  return ok();
}

}  // namespace ward::wg
