// Linux TUN device (IFF_TUN | IFF_NO_PI, non-blocking): the OS glue that carries inner IP
// packets between the kernel and the engine. Move-only RAII owner of the fd; closing it
// removes the interface (unless something else holds it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "node/wg/crypto.hpp"

namespace ward::wg {

class TunDevice {
 public:
  // Creates (or attaches to) the TUN interface `name` (at most 15 characters). With
  // offload, every packet read or written starts with a 10-byte virtio_net_hdr and the
  // kernel may hand over TCP super-packets (TSO) and partial checksums; offload() says
  // whether that is on (it is switched off if the kernel refuses it).
  static Result<TunDevice> create(std::string_view name, bool offload = true);
  TunDevice(TunDevice&& other) noexcept;
  TunDevice& operator=(TunDevice&& other) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  bool offload() const { return offload_; }

  // One packet into buf; nullopt when none is waiting (EAGAIN).
  Result<std::optional<std::size_t>> read(MutBytes buf);
  Status write(Bytes packet);
  // One packet given as pieces to concatenate (writev); at most kMaxPieces of them.
  static constexpr std::size_t kMaxPieces = 256;
  Status write(std::span<const Bytes> pieces);
  Status set_mtu(int mtu);
  Result<int> mtu() const;

 private:
  TunDevice(int fd, std::string name, bool offload)
      : fd_(fd), name_(std::move(name)), offload_(offload) {}
  int fd_ = -1;
  std::string name_;
  bool offload_ = false;
};

}  // namespace ward::wg
