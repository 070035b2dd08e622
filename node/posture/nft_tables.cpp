#include "node/posture/nft_tables.hpp"

#include "common/base/error.hpp"
#include "common/json/parse.hpp"
#include "node/filter/nft_backend.hpp"

namespace ward::node::posture {

Result<std::vector<std::pair<std::string, std::string>>> parse_nft_tables(std::string_view text) {
  WARD_ASSIGN_OR_RETURN(nlohmann::json doc, json::parse(text, {.max_bytes = 1 << 20}));
  std::vector<std::pair<std::string, std::string>> out;
  if (!doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array())
    return Error::invalid_argument("nft output: expected {\"nftables\": [...]}");
  for (const auto& item : doc["nftables"]) {
    if (!item.is_object() || !item.contains("table")) continue;
    const auto& t = item["table"];
    if (!t.is_object() || !t.contains("family") || !t.contains("name") ||
        !t["family"].is_string() || !t["name"].is_string())
      return Error::invalid_argument("nft output: a table without family and name");
    out.emplace_back(t["family"].get<std::string>(), t["name"].get<std::string>());
  }
  return out;
}

NftTableLister system_nft_lister() {
  return []() -> Result<std::vector<std::pair<std::string, std::string>>> {
    WARD_ASSIGN_OR_RETURN(std::string out, filter::run_nft("list tables", true));
    if (out.empty()) return std::vector<std::pair<std::string, std::string>>{};
    return parse_nft_tables(out);
  };
}

}  // namespace ward::node::posture
