// libFuzzer target: a UAPI get=1 response (from whatever process serves the socket) must
// parse or be rejected cleanly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "node/uapi/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ward::node::uapi::parse_get_response(text).ok();
  (void)ward::node::uapi::parse_set_response(text).ok();
  return 0;
}
