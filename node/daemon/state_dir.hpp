// The node's state directory: its identity and what the controller told it at
// enrollment. Layout (all files written atomically: temp file + fsync + rename + fsync of
// the directory, so a crash leaves the old or the new file, never half of one):
//   wg.key       WireGuard private key, base64            0600  (made on first run)
//   tls.key      TLS private key (PKCS#8 PEM)             0600  (made on first run)
//   device.json  device id, name, addresses, overlay      0600
//   cert.pem     the device certificate                   0644
//   ca.pem       the controller's CA (pinned)             0644
//   ward-node.sock  the status/control socket             0600 (owned by the running daemon)
// The directory itself is 0700 and must belong to the effective user; open() creates it
// (parent must exist) or tightens its mode. Not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/crypto/signing_key.hpp"
#include "common/crypto/wg_key.hpp"
#include "common/net/ip.hpp"

namespace ward::node::daemon {

inline constexpr std::string_view kWgKeyFile = "wg.key";
inline constexpr std::string_view kTlsKeyFile = "tls.key";
inline constexpr std::string_view kDeviceFile = "device.json";
inline constexpr std::string_view kCertFile = "cert.pem";
inline constexpr std::string_view kCaFile = "ca.pem";
inline constexpr std::string_view kSocketFile = "ward-node.sock";

// Writes `data` to `path` atomically with `mode` (see above). The temp file is created
// O_EXCL with the final mode, so secret data is never readable by others, even briefly.
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode);
// Reads a whole file of at most max_bytes. not_found if missing.
Result<std::string> read_file(const std::string& path, std::size_t max_bytes = 256 * 1024);

struct DeviceRecord {
  std::string device_id;
  std::string name;
  std::string status;
  std::string controller;  // URL it enrolled with
  std::vector<net::InterfaceAddress> addresses;
  net::Prefix overlay_v4, overlay_v6;

  std::string to_json() const;
  static Result<DeviceRecord> from_json(std::string_view text);
};

struct Identity {
  crypto::WgPrivateKey wg_key;
  crypto::SigningKey tls_key;
  bool created = false;  // true when this run made the keys
};

class StateDir {
 public:
  static Result<StateDir> open(std::string path);

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

  // Loads wg.key and tls.key, or makes both (a half-made pair — one file without the
  // other — is an error rather than silently replaced: it needs an operator).
  Result<Identity> load_or_create_identity() const;

  // nullopt when the device has not enrolled yet (no device.json).
  Result<std::optional<DeviceRecord>> load_device() const;
  Status save_enrollment(const DeviceRecord& device, std::string_view cert_pem,
                         std::string_view ca_pem) const;
  Status save_certificate(std::string_view cert_pem) const;

 private:
  explicit StateDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace ward::node::daemon
