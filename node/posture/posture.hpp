// Posture facts: what the node reports about its host in POST /v1/posture, keyed exactly
// as the policy language names them:
//   node:os (string, os-release ID), node:osVersion (string, VERSION_ID),
//   node:kernel (string), ward:version (string), disk:encrypted (bool),
//   firewall:enabled (bool), secureboot:enabled (bool).
// A fact that cannot be determined is ABSENT from the map; a boolean is never guessed
// true (policy that requires a fact fails closed on its absence).
//
// Collectors read only through `HostView`, whose root directory is injectable, so tests
// run them against fixture trees. Pure apart from HostView's file reads; not thread-safe
// per object.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"

namespace ward::node::posture {

inline constexpr std::string_view kFactOs = "node:os";
inline constexpr std::string_view kFactOsVersion = "node:osVersion";
inline constexpr std::string_view kFactKernel = "node:kernel";
inline constexpr std::string_view kFactWardVersion = "ward:version";
inline constexpr std::string_view kFactDiskEncrypted = "disk:encrypted";
inline constexpr std::string_view kFactFirewall = "firewall:enabled";
inline constexpr std::string_view kFactSecureBoot = "secureboot:enabled";

// Files relative to a root ("/" in production, a fixture directory in tests). Reads are
// bounded (max_bytes); a missing file is not_found.
class HostView {
 public:
  explicit HostView(std::string root = "/") : root_(std::move(root)) {}
  std::string path(std::string_view rel) const;  // rel starts with '/'
  Result<std::string> read(std::string_view rel, std::size_t max_bytes = 64 * 1024) const;
  bool exists(std::string_view rel) const;
  // Entry names of a directory (no "." / ".."), sorted; not_found if missing.
  Result<std::vector<std::string>> list_dir(std::string_view rel) const;

 private:
  std::string root_;
};

// nftables tables present on the host as (family, name); an error if nftables cannot be
// asked (no libnftables permission, no netlink). Injected so tests need no netlink.
using NftTableLister = std::function<Result<std::vector<std::pair<std::string, std::string>>>()>;

// Individual collectors. nullopt = unknown (the fact is left out).
struct OsRelease {
  std::optional<std::string> id;          // ID=
  std::optional<std::string> version_id;  // VERSION_ID=
};
// Parses os-release text (shell-style KEY=value, optional single/double quotes).
OsRelease parse_os_release(std::string_view text);
OsRelease collect_os(const HostView& host);  // /etc/os-release, then /usr/lib/os-release
std::optional<std::string> collect_kernel(const HostView& host);  // /proc/sys/kernel/osrelease

// True if the block device behind "/" is, or sits on, a dm-crypt mapping (a dm device
// whose /sys/block/dm-N/dm/uuid starts with "CRYPT-"), following
// /sys/class/block/<dev>/slaves recursively (LVM on LUKS, LUKS on RAID...). False if the
// device resolved and no layer is dm-crypt. nullopt if "/" is not on a block device we can
// resolve (overlayfs, tmpfs, btrfs' anonymous device numbers, missing /sys).
std::optional<bool> collect_disk_encrypted(const HostView& host);

// The rule: a host firewall is active when nftables holds at least one table that is not
// Ward's own (Ward's tables are "ward_<iface>" in family inet), or when the legacy
// iptables kernel module has any table loaded (/proc/net/ip_tables_names or
// ip6_tables_names non-empty). False when nftables could be listed, held no other table,
// and no legacy table is loaded. nullopt when nftables could not be listed and no legacy
// table is loaded (we cannot tell).
std::optional<bool> collect_firewall(const HostView& host, const NftTableLister& lister);

// EFI variable SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c: 4 attribute bytes, then
// the value byte (1 = enabled). False when the host did not boot through EFI
// (/sys/firmware/efi absent: no Secure Boot there). nullopt if EFI but the variable is
// missing or malformed.
std::optional<bool> collect_secure_boot(const HostView& host);

struct CollectOptions {
  std::string ward_version;
  NftTableLister nft_lister;  // empty: nftables cannot be asked
};

// Every fact, as a JSON object (strings and booleans only).
nlohmann::json collect_facts(const HostView& host, const CollectOptions& options);

}  // namespace ward::node::posture
