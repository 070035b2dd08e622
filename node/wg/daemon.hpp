// The ward-wg daemon core: one TUN interface, one UDP socket and the UAPI socket
// /var/run/wireguard/IFACE.sock around a Device, driven by a poll loop with batched I/O.
// It behaves like `wireguard-go IFACE` towards `wg`.
//
// Threads: the thread that calls run() (the poll thread) owns the Device, the sockets
// and every buffer. The AEAD work of each batch is spread over a CryptoPool (started by
// run(), so after any fork): on the way out the Device leaves sealing jobs in its Output
// (deferred sealing), the pool seals them in parallel, and the poll thread then sends the
// batch in the order the Device produced it; on the way in the poll thread looks up each
// transport message's keypair (Device::begin_open), the pool decrypts the group in place
// in the receive buffers, and the poll thread finishes them in arrival order (replay
// window, roaming, source check). So the packets of a peer leave and enter in order, and
// no Device state is touched off the poll thread.
//
// Copies: a TSO super-packet read from TUN is split in place in the read buffer and each
// segment copied once, into its datagram, where it is sealed in place. A received
// datagram is decrypted in place in the receive buffer; the Output and the TcpCoalescer
// refer to that plaintext (views), and the TUN write gathers it with writev. So the
// receive buffers must not be refilled before the batch is flushed, which handle_udp
// does at the end of every round.
//
// Lifetime: create() builds the interface and sockets; run() loops until stop() (safe to
// call from a signal handler or another thread; it wakes the poll at once) or a fatal
// error (the TUN device went away), and before returning stops serving UAPI: it closes
// the listener and its clients and removes the socket file, so `wg` and the node get
// "no such socket" instead of a listener no one answers. The destructor closes the TUN
// device (the kernel removes the interface).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/base/result.hpp"
#include "node/wg/crypto_pool.hpp"
#include "node/wg/device.hpp"
#include "node/wg/offload.hpp"
#include "node/wg/tun.hpp"
#include "node/wg/udp.hpp"

namespace ward::wg {

struct DaemonOptions {
  std::string socket_dir = "/var/run/wireguard";
  // TUN TSO/GRO via virtio_net_hdr and UDP GSO/GRO, each used only where the kernel
  // accepts it (ward-wg turns it off with WARD_WG_NO_OFFLOAD=1).
  bool offload = true;
  // Receives the engine's warnings (a rejected UAPI set, a listen port it could not
  // bind), on the poll thread; they never contain key material. Empty: written to stderr
  // as "ward-wg: ...".
  std::function<void(const std::string&)> warn;
};

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(const std::string& interface_name,
                                                DaemonOptions options = {});
  ~Daemon();

  Status run();
  // Async-signal-safe and thread-safe: run() returns within one poll wakeup.
  void stop();
  const std::string& socket_path() const { return socket_path_; }
  Device& device() { return device_; }

 private:
  struct Client {
    int fd = -1;
    std::string buffer;
  };

  Daemon(TunDevice tun, UdpSocket udp, int listen_fd, int wake_fd, std::string socket_path,
         DaemonOptions options);
  void warn(const std::string& message);
  void flush();
  // Decrypts and finishes the pending group of transport messages of batch_.
  void open_group(Time now);
  void handle_udp(Time now);
  void handle_tun(Time now);
  Status loop();
  // Closes the UAPI listener and every client and removes the socket file; idempotent.
  void close_uapi();
  void accept_clients();
  // False when the client should be closed.
  bool handle_client(Client& c, Time now);
  void apply_listen_port();
  static Time clock_now();

  TunDevice tun_;
  UdpSocket udp_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd written by stop()
  std::string socket_path_;
  DaemonOptions options_;
  Device device_;
  Output out_;
  RecvBatch batch_;
  std::unique_ptr<CryptoPool> pool_;  // created by run()
  // The current group of transport messages: batch_ index and split-receive job each.
  std::vector<std::size_t> group_;
  std::vector<OpenJob> open_jobs_;
  std::vector<std::uint8_t> tun_buf_;
  std::vector<std::uint8_t> gso_scratch_;
  TcpCoalescer coalescer_;
  std::vector<Client> clients_;
  std::atomic<bool> stop_{false};
  // Under-load detection: handshake messages seen in the current one-second window.
  Nanos load_window_start_ = 0;
  std::uint32_t load_window_handshakes_ = 0;
  Nanos under_load_until_ = 0;
  Nanos last_mtu_check_ = 0;
};

}  // namespace ward::wg
