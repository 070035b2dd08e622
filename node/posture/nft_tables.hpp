// The production NftTableLister: `list tables` through libnftables (JSON output), in the
// calling thread's network namespace.
#pragma once

#include "node/posture/posture.hpp"

namespace ward::node::posture {

NftTableLister system_nft_lister();

// Parses libnftables' JSON `list tables` output into (family, name) pairs.
Result<std::vector<std::pair<std::string, std::string>>> parse_nft_tables(std::string_view json);

}  // namespace ward::node::posture
