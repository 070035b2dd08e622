// libFuzzer target: WireGuard generic-netlink dumps from the kernel must parse or be
// rejected cleanly (attribute lengths, families, CIDRs, key sizes).
#include <cstddef>
#include <cstdint>
#include <span>

#include "node/netlink/wg_genl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto msgs = ward::node::netlink::parse_device_messages(std::span(data, size), 0x1c);
  if (msgs) (void)ward::node::netlink::state_from_dump(*msgs).ok();
  return 0;
}
