// Where the pure core puts what it wants done: datagrams to send and decrypted IP packets
// to write to the TUN device. The caller owns one Output, hands it to Device calls, drains
// it, and clear()s it; buffers keep their capacity across clear(), so the steady state
// allocates nothing.
//
// Deferred sealing (set_defer_seal(true)): the Device then writes each transport data
// message as header || plaintext || zero padding || 16 bytes of room for the tag, and
// records a SealJob instead of encrypting. Before sending any datagram of this Output the
// caller must run every job, either with seal_all() or with seal_datagram() on each job
// followed by sealed_all(). Jobs touch disjoint buffers, so they may run on different
// threads at once, as long as nobody adds to or clears the Output meanwhile. This is how the
// data-plane glue spreads encryption over cores while the core stays single-threaded.
//
// TUN packets either live in the Output's own buffers (add_tun_packet) or are views of a
// caller's buffer (add_tun_view: the split receive path hands out the plaintext where it
// was decrypted, in the receive buffer, without copying it); a view's bytes must stay
// valid and unchanged until the Output is cleared.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "node/wg/crypto.hpp"
#include "node/wg/endpoint.hpp"

namespace ward::wg {

// One transport message waiting for its AEAD: a copy of the send key (wiped by
// Output::clear()) and the message's counter.
struct SealJob {
  std::size_t datagram = 0;  // index into Output::datagrams()
  Key key;
  std::uint64_t counter = 0;
};

// Encrypts a datagram laid out as described above, in place. Thread-safe for distinct
// datagrams.
void seal_datagram(const SealJob& job, std::span<std::uint8_t> datagram);

class Output {
 public:
  struct Datagram {
    Endpoint to;
    std::vector<std::uint8_t> bytes;
  };
  struct TunPacket {
    Bytes bytes;                        // the packet: storage's bytes or a caller's buffer
    std::vector<std::uint8_t> storage;  // used by add_tun_packet only
  };

  void set_defer_seal(bool defer) { defer_seal_ = defer; }
  bool defer_seal() const { return defer_seal_; }
  void add_seal_job(std::size_t datagram, const Key& key, std::uint64_t counter) {
    if (n_jobs_ == jobs_.size()) jobs_.emplace_back();
    SealJob& j = jobs_[n_jobs_++];
    j.datagram = datagram;
    j.key = key;
    j.counter = counter;
  }
  std::span<const SealJob> seal_jobs() const { return {jobs_.data(), n_jobs_}; }
  // Mutable bytes of datagram i, for sealing.
  std::span<std::uint8_t> datagram_bytes(std::size_t i) { return datagrams_[i].bytes; }
  // Runs every seal job on the calling thread, then forgets them (sealed_all()).
  void seal_all() {
    for (std::size_t i = 0; i < n_jobs_; ++i)
      seal_datagram(jobs_[i], datagrams_[jobs_[i].datagram].bytes);
    sealed_all();
  }
  // Tells the Output that every job has been run elsewhere: wipes their keys and forgets
  // them, so that a second seal cannot encrypt a datagram twice.
  void sealed_all() {
    for (std::size_t i = 0; i < n_jobs_; ++i)
      jobs_[i].key.clear();
    n_jobs_ = 0;
  }

  // A buffer of exactly len bytes (contents unspecified) that will be sent to `to`.
  std::span<std::uint8_t> add_datagram(const Endpoint& to, std::size_t len) {
    Datagram& d = next(datagrams_, n_datagrams_);
    d.to = to;
    d.bytes.resize(len);
    return d.bytes;
  }
  // A buffer of exactly len bytes that will be written to the TUN device.
  std::span<std::uint8_t> add_tun_packet(std::size_t len) {
    TunPacket& t = next(tun_, n_tun_);
    t.storage.resize(len);
    t.bytes = t.storage;
    return t.storage;
  }
  // A TUN packet that is `packet` itself, not a copy (see the header comment).
  void add_tun_view(Bytes packet) { next(tun_, n_tun_).bytes = packet; }
  // Shrinks the most recent TUN packet to its first len bytes (len <= its size), after
  // decryption revealed its true length.
  void trim_last_tun_packet(std::size_t len) {
    TunPacket& t = tun_[n_tun_ - 1];
    t.bytes = t.bytes.first(std::min(len, t.bytes.size()));
  }
  void drop_last_tun_packet() { --n_tun_; }

  std::span<const Datagram> datagrams() const { return {datagrams_.data(), n_datagrams_}; }
  std::span<const TunPacket> tun_packets() const { return {tun_.data(), n_tun_}; }
  bool empty() const { return n_datagrams_ == 0 && n_tun_ == 0; }
  void clear() {
    sealed_all();
    n_datagrams_ = n_tun_ = 0;
  }

 private:
  template <class T>
  static T& next(std::vector<T>& pool, std::size_t& n) {
    if (n == pool.size()) pool.emplace_back();
    return pool[n++];
  }
  std::vector<Datagram> datagrams_;
  std::vector<TunPacket> tun_;
  std::vector<SealJob> jobs_;
  std::size_t n_datagrams_ = 0;
  std::size_t n_tun_ = 0;
  std::size_t n_jobs_ = 0;
  bool defer_seal_ = false;
};

}  // namespace ward::wg
