// The controller's data directory: its layout, atomic file writes, and loading a
// controller from it.
//
// Layout (all created by `ward-controller init`, directory 0700, files 0600):
//   DIR/master.key   32 random bytes; seals the CA, server and audit keys and TOTP seeds
//   DIR/ward.db      the SQLite database (WAL): everything else, including the sealed keys
//   DIR/ca.pem       the controller CA's certificate (public, 0644), for admins and nodes
//                    to pin; written by init and never read back by serve
// ward.db is the commit point of init: a directory without it holds no controller (an
// interrupted init), and init may start over there.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/crypto/signing_key.hpp"
#include "common/crypto/x509.hpp"
#include "controller/api/context.hpp"
#include "controller/audit/log.hpp"
#include "controller/store/store.hpp"

namespace ward::controller {

inline constexpr std::string_view kMasterKeyFile = "master.key";
inline constexpr std::string_view kDatabaseFile = "ward.db";
inline constexpr std::string_view kCaCertFile = "ca.pem";
inline constexpr std::string_view kStagingDir = ".init";
inline constexpr std::size_t kMasterKeySize = 32;

std::string join_path(std::string_view dir, std::string_view name);

// Writes data to path atomically: path.tmp (O_EXCL, `mode`), write, fsync, rename, fsync of
// the directory. A crash leaves either the old file (or none) or the new one.
Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode);
// fsync of a file or directory by path.
Status fsync_path(const std::string& path);

// Reads the master key; refuses a file that is not a regular 0600 file of exactly 32 bytes.
Result<SecretBytes> read_master_key(const std::string& data_dir);

// Everything `serve` needs, loaded and unsealed from the data directory.
struct LoadedController {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<audit::Log> audit;
  std::optional<crypto::Certificate> ca;
  std::optional<crypto::SigningKey> ca_key;
  std::string server_cert_pem;
  SecretString server_key_pem;
  SecretBytes master_key;
  std::string listen;  // "HOST:PORT"
  ControllerConfig config;
};
Result<LoadedController> load_controller(const std::string& data_dir);

}  // namespace ward::controller
