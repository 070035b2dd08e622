// FilterBackend on libnftables: each apply() runs one rendered script (render.hpp) with
// nft_run_cmd_from_buffer, i.e. one atomic netlink transaction; on error the previous
// ruleset stays in force and the error carries nft's message.
//
// Acts in the network namespace of the CALLING THREAD (libnftables opens its netlink
// socket per call). Not thread-safe; one backend per interface.
#pragma once

#include <cstdint>
#include <string>

#include "common/base/result.hpp"
#include "node/netmap/netmap.hpp"
#include "node/reconcile/backends.hpp"

namespace ward::node::filter {

// Runs an nft script; returns nft's output (e.g. JSON listings). Error with nft's message.
Result<std::string> run_nft(const std::string& script, bool json_output = false);

struct FilterStats {
  std::size_t accept_rules = 0;       // accept rules for new flows in ward_in
  std::uint64_t dropped_packets = 0;  // the default-drop counter since the last apply
  std::uint64_t dropped_bytes = 0;
};

class NftFilterBackend final : public FilterBackend {
 public:
  // iface must be a valid interface name (checked on use).
  explicit NftFilterBackend(std::string iface) : iface_(std::move(iface)) {}
  Status apply(const FilterRules& rules) override;
  Status remove() override;
  // Reads the live table back (`list table` as JSON). not_found if the table is absent.
  Result<FilterStats> stats();

 private:
  std::string iface_;
};

}  // namespace ward::node::filter
