// Udp: a bound UDP socket that receives datagrams through a callback and sends them.
//
// Contract: the receive callback runs on the loop thread for each datagram (the data view
// is valid only during the call); it never runs after the owner is destroyed and may
// destroy the owner. Send completions never run inside send(); a send still queued when
// the owner is destroyed completes with an error. Movable, not copyable.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/uv/address.hpp"
#include "common/uv/loop.hpp"

namespace ward::uv {

class Udp {
 public:
  using RecvCallback = std::function<void(std::string_view data, const SocketAddress& from)>;
  using SendCallback = std::function<void(const Status& result)>;

  // Binds to `local` (port 0 picks one) and starts receiving.
  static Result<Udp> bind(Loop& loop, const SocketAddress& local, RecvCallback on_recv);

  ~Udp();
  Udp(Udp&& other) noexcept;
  Udp& operator=(Udp&& other) noexcept;
  Udp(const Udp&) = delete;
  Udp& operator=(const Udp&) = delete;

  Result<SocketAddress> local_address() const;

  // Queues one datagram. done (optional) runs later with ok() once it was handed to the
  // kernel, or the error (never inside this call).
  void send(const SocketAddress& to, std::string data, SendCallback done = {});

 private:
  struct Box;
  explicit Udp(Box* box) : box_(box) {}
  Box* box_ = nullptr;
};

}  // namespace ward::uv
