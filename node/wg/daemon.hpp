// The ward-wg daemon core: one TUN interface, one UDP socket and the UAPI socket
// /var/run/wireguard/IFACE.sock around a Device, driven by a single-threaded poll loop
// with batched UDP I/O. It behaves like `wireguard-go IFACE` towards `wg`.
//
// Lifetime: create() builds the interface and sockets; run() loops until stop() (safe to
// call from a signal handler) and then removes the UAPI socket file.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "common/base/result.hpp"
#include "node/wg/device.hpp"
#include "node/wg/offload.hpp"
#include "node/wg/tun.hpp"
#include "node/wg/udp.hpp"

namespace ward::wg {

class Daemon {
 public:
  // offload: TUN TSO/GRO via virtio_net_hdr and UDP GSO/GRO, each used only where the
  // kernel accepts it (ward-wg turns it off with WARD_WG_NO_OFFLOAD=1).
  static Result<std::unique_ptr<Daemon>> create(
      const std::string& interface_name, const std::string& socket_dir = "/var/run/wireguard",
      bool offload = true);
  ~Daemon();

  Status run();
  void stop() { stop_.store(true); }
  const std::string& socket_path() const { return socket_path_; }
  Device& device() { return device_; }

 private:
  struct Client {
    int fd = -1;
    std::string buffer;
  };

  Daemon(TunDevice tun, UdpSocket udp, int listen_fd, std::string socket_path, bool offload);
  void flush();
  void handle_udp(Time now);
  void handle_tun(Time now);
  void accept_clients();
  // False when the client should be closed.
  bool handle_client(Client& c, Time now);
  void apply_listen_port();
  static Time clock_now();

  TunDevice tun_;
  UdpSocket udp_;
  int listen_fd_ = -1;
  std::string socket_path_;
  Device device_;
  Output out_;
  RecvBatch batch_;
  std::vector<std::uint8_t> tun_buf_;
  std::vector<std::uint8_t> gso_scratch_;
  TcpCoalescer coalescer_;
  std::vector<Client> clients_;
  std::atomic<bool> stop_{false};
  bool offload_ = true;
  // Under-load detection: handshake messages seen in the current one-second window.
  Nanos load_window_start_ = 0;
  std::uint32_t load_window_handshakes_ = 0;
  Nanos under_load_until_ = 0;
  Nanos last_mtu_check_ = 0;
};

}  // namespace ward::wg
