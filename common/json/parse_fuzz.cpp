// libFuzzer target for ward::json::parse and ObjectReader. Invariants: never crashes or
// throws; a parsed document re-serialises to text that parses to an equal document;
// reading arbitrary fields of any document records errors instead of failing.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/json/parse.hpp"
#include "common/json/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ward::json::ParseLimits limits;
  limits.max_depth = 32;
  auto doc = ward::json::parse(text, limits);
  if (!doc) return 0;
  auto again = ward::json::parse(doc->dump(), limits);
  if (!again || *again != *doc) std::abort();
  ward::json::ObjectReader r(*doc);
  (void)r.optional<std::string>("name");
  (void)r.optional<std::uint16_t>("port");
  (void)r.optional<bool>("enabled");
  (void)r.optional_string("note", 8);
  for (auto& peer : r.optional_array("peers", 16).objects()) {
    (void)peer.required<std::int32_t>("id");
    (void)peer.optional_child("meta");
  }
  if (auto c = r.optional_child("child")) (void)c->required_int<int>("n", -5, 5);
  (void)r.finish();
  return 0;
}
