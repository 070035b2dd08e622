// libFuzzer target: the inventory file parser must reject any input cleanly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/policy/inventory.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto inv = ward::policy::parse_inventory(text, "fuzz.json");
  (void)inv.ok();
  return 0;
}
