// libFuzzer target for the address and prefix parsers. Invariants checked on every input:
// parsing never crashes; whatever parses prints canonically and re-parses to an equal
// value; a parsed prefix contains its own address and last address.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/net/ip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto ip = ward::net::IpAddress::parse(text)) {
    auto again = ward::net::IpAddress::parse(ip->to_string());
    if (!again || *again != *ip || again->to_string() != ip->to_string()) std::abort();
  }
  if (auto p = ward::net::Prefix::parse_masked(text)) {
    auto again = ward::net::Prefix::parse(p->to_string());
    if (!again || *again != *p) std::abort();
    if (!p->contains(p->address()) || !p->contains(p->last()) || !p->contains(*p)) std::abort();
  }
  if (auto a = ward::net::InterfaceAddress::parse(text)) {
    auto again = ward::net::InterfaceAddress::parse(a->to_string());
    if (!again || *again != *a || !a->network().contains(a->address)) std::abort();
  }
  return 0;
}
