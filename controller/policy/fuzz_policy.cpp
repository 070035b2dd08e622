// libFuzzer target: the policy parser (HuJSON front end, aliases, ports, postures, tests)
// must reject any input cleanly, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/policy/policy_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ward::policy::parse_policy(text, "fuzz.hujson");
  if (parsed) {
    (void)parsed->warnings.size();
  }
  return 0;
}
