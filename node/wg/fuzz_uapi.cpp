// libFuzzer target: the UAPI set parser and the get renderer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "node/wg/uapi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ward::wg::Device device([] { return ward::wg::Nanos{0}; });
  ward::wg::Output out;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ward::wg::uapi_set(device, text, ward::wg::Time{}, out);
  (void)ward::wg::uapi_get(device);
  (void)ward::wg::parse_endpoint(text);
  (void)ward::wg::parse_prefix(text);
  if (device.peers().size() > 64) device.remove_all_peers();
  return 0;
}
