// Where the pure core puts what it wants done: datagrams to send and decrypted IP packets
// to write to the TUN device. The caller owns one Output, hands it to Device calls, drains
// it, and clear()s it; buffers keep their capacity across clear(), so the steady state
// allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "node/wg/endpoint.hpp"

namespace ward::wg {

class Output {
 public:
  struct Datagram {
    Endpoint to;
    std::vector<std::uint8_t> bytes;
  };

  // A buffer of exactly len bytes (contents unspecified) that will be sent to `to`.
  std::span<std::uint8_t> add_datagram(const Endpoint& to, std::size_t len) {
    Datagram& d = next(datagrams_, n_datagrams_);
    d.to = to;
    d.bytes.resize(len);
    return d.bytes;
  }
  // A buffer of exactly len bytes that will be written to the TUN device.
  std::span<std::uint8_t> add_tun_packet(std::size_t len) {
    Datagram& d = next(tun_, n_tun_);
    d.to = Endpoint{};
    d.bytes.resize(len);
    return d.bytes;
  }
  // Shrinks the most recent TUN packet (after decryption revealed its true length).
  void trim_last_tun_packet(std::size_t len) { tun_[n_tun_ - 1].bytes.resize(len); }
  void drop_last_tun_packet() { --n_tun_; }

  std::span<const Datagram> datagrams() const { return {datagrams_.data(), n_datagrams_}; }
  std::span<const Datagram> tun_packets() const { return {tun_.data(), n_tun_}; }
  bool empty() const { return n_datagrams_ == 0 && n_tun_ == 0; }
  void clear() { n_datagrams_ = n_tun_ = 0; }

 private:
  static Datagram& next(std::vector<Datagram>& pool, std::size_t& n) {
    if (n == pool.size()) pool.emplace_back();
    return pool[n++];
  }
  std::vector<Datagram> datagrams_;
  std::vector<Datagram> tun_;
  std::size_t n_datagrams_ = 0;
  std::size_t n_tun_ = 0;
};

}  // namespace ward::wg
