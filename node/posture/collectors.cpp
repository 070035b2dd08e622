#include <cstdint>
#include <sstream>

#include "node/posture/posture.hpp"

namespace ward::node::posture {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// A value fit to report: 1..128 printable ASCII characters.
std::optional<std::string> clean_value(std::string_view v) {
  if (v.empty() || v.size() > 128) return std::nullopt;
  for (char c : v) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      return std::nullopt;
  }
  return std::string(v);
}

bool safe_dev_name(std::string_view n) {
  if (n.empty() || n.size() > 64 || n == "." || n == "..") return false;
  for (char c : n) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return false;
  }
  return true;
}

// Recursion bounded by depth: a dm-crypt mapping at any layer below `dev` counts.
std::optional<bool> dev_on_crypt(const HostView& host, const std::string& dev, int depth) {
  if (depth > 8 || !safe_dev_name(dev)) return std::nullopt;
  const std::string base = "/sys/class/block/" + dev;
  if (!host.exists(base)) return std::nullopt;
  if (auto uuid = host.read(base + "/dm/uuid", 4096)) {
    if (trim(*uuid).starts_with("CRYPT-")) return true;
  }
  auto slaves = host.list_dir(base + "/slaves");
  if (!slaves) return false;  // a plain disk or partition
  bool all_known = true;
  for (const std::string& s : *slaves) {
    auto r = dev_on_crypt(host, s, depth + 1);
    if (r && *r) return true;
    if (!r) all_known = false;
  }
  if (!all_known) return std::nullopt;
  return false;
}

// The major:minor of the filesystem mounted last on "/" (later mounts shadow earlier).
std::optional<std::string> root_dev_numbers(std::string_view mountinfo) {
  std::optional<std::string> found;
  std::istringstream in{std::string(mountinfo)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, majmin, root, mountpoint;
    if (!(f >> id >> parent >> majmin >> root >> mountpoint)) continue;
    if (mountpoint == "/") found = majmin;
  }
  return found;
}

}  // namespace

OsRelease parse_os_release(std::string_view text) {
  OsRelease out;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (key == "ID") out.id = clean_value(value);
    if (key == "VERSION_ID") out.version_id = clean_value(value);
  }
  return out;
}

OsRelease collect_os(const HostView& host) {
  for (std::string_view p : {"/etc/os-release", "/usr/lib/os-release"}) {
    if (auto text = host.read(p)) return parse_os_release(*text);
  }
  return {};
}

std::optional<std::string> collect_kernel(const HostView& host) {
  auto text = host.read("/proc/sys/kernel/osrelease", 4096);
  if (!text) return std::nullopt;
  return clean_value(trim(*text));
}

std::optional<bool> collect_disk_encrypted(const HostView& host) {
  auto info = host.read("/proc/self/mountinfo", 1 << 20);
  if (!info) return std::nullopt;
  auto majmin = root_dev_numbers(*info);
  if (!majmin || majmin->starts_with("0:") || !safe_dev_name(*majmin)) return std::nullopt;
  auto uevent = host.read("/sys/dev/block/" + *majmin + "/uevent", 4096);
  if (!uevent) return std::nullopt;
  std::istringstream in(*uevent);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("DEVNAME="))
      return dev_on_crypt(host, std::string(trim(line.substr(8))), 0);
  }
  return std::nullopt;
}

std::optional<bool> collect_firewall(const HostView& host, const NftTableLister& lister) {
  for (std::string_view p : {"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"}) {
    if (auto names = host.read(p, 4096); names && !trim(*names).empty()) return true;
  }
  if (!lister) return std::nullopt;
  auto tables = lister();
  if (!tables) return std::nullopt;
  for (const auto& [family, name] : *tables) {
    if (!(family == "inet" && name.starts_with("ward_"))) return true;
  }
  return false;
}

std::optional<bool> collect_secure_boot(const HostView& host) {
  if (!host.exists("/sys/firmware/efi")) return false;
  auto var =
      host.read("/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c", 64);
  if (!var || var->size() != 5) return std::nullopt;
  const auto value = static_cast<std::uint8_t>((*var)[4]);
  if (value == 1) return true;
  if (value == 0) return false;
  return std::nullopt;
}

nlohmann::json collect_facts(const HostView& host, const CollectOptions& options) {
  nlohmann::json facts = nlohmann::json::object();
  OsRelease os = collect_os(host);
  if (os.id) facts[std::string(kFactOs)] = *os.id;
  if (os.version_id) facts[std::string(kFactOsVersion)] = *os.version_id;
  if (auto k = collect_kernel(host)) facts[std::string(kFactKernel)] = *k;
  if (auto v = clean_value(options.ward_version)) facts[std::string(kFactWardVersion)] = *v;
  if (auto d = collect_disk_encrypted(host)) facts[std::string(kFactDiskEncrypted)] = *d;
  if (auto f = collect_firewall(host, options.nft_lister)) facts[std::string(kFactFirewall)] = *f;
  if (auto s = collect_secure_boot(host)) facts[std::string(kFactSecureBoot)] = *s;
  return facts;
}

}  // namespace ward::node::posture
