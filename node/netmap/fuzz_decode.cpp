// libFuzzer target: a stream line from the controller must decode or be rejected cleanly;
// a decoded netmap is then validated as the daemon would, which must not crash either.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "node/netmap/decode.hpp"
#include "node/netmap/validate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto msg = ward::node::decode_stream_message(line);
  if (msg) {
    if (const auto* map = std::get_if<ward::node::Netmap>(&*msg)) {
      (void)ward::node::validate_netmap(*map, ward::crypto::WgPublicKey{}).ok();
    }
  }
  return 0;
}
