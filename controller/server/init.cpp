#include "controller/server/init.hpp"

#include <cerrno>
#include <charconv>
#include <dirent.h>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto/encoding.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/signing_key.hpp"
#include "common/crypto/x509.hpp"
#include "common/net/ip.hpp"
#include "common/uv/address.hpp"
#include "controller/api/context.hpp"
#include "controller/audit/log.hpp"
#include "controller/identity/tokens.hpp"
#include "controller/server/data_dir.hpp"
#include "controller/server/server_cert.hpp"
#include "controller/store/settings.hpp"
#include "controller/store/sqlite_store.hpp"

namespace ward::controller {
namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds kCaLifetime{10LL * 365 * 24 * 3600};

// What an interrupted init may leave behind (never alongside ward.db).
const std::set<std::string> kLeftovers = {std::string(kStagingDir),
                                          std::string(kMasterKeyFile),
                                          std::string(kMasterKeyFile) + ".tmp",
                                          "ward.db-wal",
                                          "ward.db-shm",
                                          std::string(kCaCertFile)};

Status check_target_dir(const std::string& dir) {
  std::error_code ec;
  const auto st = fs::symlink_status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Error::io("cannot inspect " + dir + ": " + ec.message());
  }
  if (!fs::exists(st)) {
    const fs::path parent = fs::path(dir).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (::mkdir(dir.c_str(), 0700) != 0) return Error::from_errno("mkdir " + dir, errno);
    return ok();
  }
  if (!fs::is_directory(st)) return Error::already_exists(dir + " exists and is not a directory");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == kDatabaseFile) {
      return Error::already_exists(dir + " already holds a controller (" + name +
                                   "); refusing to overwrite it");
    }
    if (!kLeftovers.count(name)) {
      return Error::already_exists(dir + " is not empty (" + quote(name) +
                                   "); init needs a new or empty directory");
    }
  }
  if (ec) return Error::io("cannot list " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return Error::from_errno("chmod " + dir, errno);
  return ok();
}

Result<std::string> random_ula48() {
  std::array<std::uint8_t, 16> b{};
  b[0] = 0xfd;
  WARD_RETURN_IF_ERROR(crypto::random_bytes(std::span<std::uint8_t>(b.data() + 1, 5)));
  return net::Prefix::make(net::IpAddress::v6(b), 48)->to_string();
}

Result<std::string> sealed_key_pem(const SecretBytes& mk, const crypto::SigningKey& key,
                                   std::string_view aad) {
  const SecretString pem = key.to_pem();
  return seal_to_text(mk, pem.reveal(), aad);
}

Status rename_into(const std::string& staging, const std::string& dir, std::string_view name) {
  const std::string from = join_path(staging, name);
  const std::string to = join_path(dir, name);
  if (::access(from.c_str(), F_OK) != 0) return ok();
  if (::rename(from.c_str(), to.c_str()) != 0) return Error::from_errno("rename " + from, errno);
  return ok();
}

}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  const std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  std::int64_t mult = 0;
  if (unit.empty() || unit == "s")
    mult = 1;
  else if (unit == "m")
    mult = 60;
  else if (unit == "h")
    mult = 3600;
  else if (unit == "d")
    mult = 86400;
  if (ec != std::errc() || mult == 0 || n < 1 || n > 10LL * 366 * 86400 / mult) {
    return Error::invalid_argument(
        "bad duration " + quote(text) +
        "; expected a number with s, m, h or d (e.g. 24h), at most 10 years");
  }
  return std::chrono::seconds(n * mult);
}

Status run_init(const InitOptions& options, std::ostream& out) {
  if (options.data_dir.empty()) return Error::invalid_argument("--data-dir is required");
  if (!uv::SocketAddress::parse(options.listen)) {
    return Error::invalid_argument("--listen " + quote(options.listen) +
                                   ": expected HOST:PORT with an IP address (e.g. 0.0.0.0:8443)");
  }
  WARD_ASSIGN_OR_RETURN(net::Prefix v4, net::Prefix::parse(options.overlay_v4));
  if (!v4.address().is_v4() || v4.bits() > 30) {
    return Error::invalid_argument("--overlay-v4 " + quote(options.overlay_v4) +
                                   ": expected an IPv4 prefix of /30 or larger");
  }
  std::string v6_text = options.overlay_v6;
  if (v6_text.empty()) {
    WARD_ASSIGN_OR_RETURN(v6_text, random_ula48());
  }
  WARD_ASSIGN_OR_RETURN(net::Prefix v6, net::Prefix::parse(v6_text));
  if (!v6.address().is_v6() || v6.bits() > 120) {
    return Error::invalid_argument("--overlay-v6 " + quote(v6_text) +
                                   ": expected an IPv6 prefix of /120 or larger");
  }
  const std::vector<std::string> names =
      options.names.empty() ? std::vector<std::string>{"localhost", "127.0.0.1"} : options.names;
  if (auto split = split_server_names(names); !split) return split.error();

  const std::string& dir = options.data_dir;
  WARD_RETURN_IF_ERROR(check_target_dir(dir));
  const std::string staging = join_path(dir, kStagingDir);
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (ec) return Error::io("cannot remove " + staging + ": " + ec.message());
  if (::mkdir(staging.c_str(), 0700) != 0) return Error::from_errno("mkdir " + staging, errno);

  const auto now = std::chrono::system_clock::now();
  const store::Time tnow = store::to_time(now);
  WARD_ASSIGN_OR_RETURN(SecretBytes master_key, crypto::random_secret(kMasterKeySize));
  WARD_RETURN_IF_ERROR(write_file_atomic(
      join_path(staging, kMasterKeyFile),
      std::string_view(reinterpret_cast<const char*>(master_key.data()), master_key.size()), 0600));

  WARD_ASSIGN_OR_RETURN(auto ca_key, crypto::SigningKey::generate(crypto::KeyType::kEcdsaP256));
  WARD_ASSIGN_OR_RETURN(auto ca, crypto::create_ca(ca_key, "Ward controller CA", kCaLifetime, now));
  WARD_ASSIGN_OR_RETURN(ServerCert server,
                        issue_server_cert(ca, ca_key, names, kServerCertLifetime, now));
  const crypto::Certificate& server_cert = server.cert;
  const crypto::SigningKey& server_key = server.key;
  WARD_ASSIGN_OR_RETURN(auto audit_key, crypto::SigningKey::generate(crypto::KeyType::kEd25519));
  WARD_ASSIGN_OR_RETURN(SecretString bootstrap,
                        identity::generate_token(identity::TokenKind::kBootstrap));

  WARD_ASSIGN_OR_RETURN(std::string ca_sealed, sealed_key_pem(master_key, ca_key, kCaKeyAad));
  WARD_ASSIGN_OR_RETURN(std::string server_sealed,
                        sealed_key_pem(master_key, server_key, kServerKeyAad));
  WARD_ASSIGN_OR_RETURN(std::string audit_sealed,
                        sealed_key_pem(master_key, audit_key, kAuditKeyAad));
  const std::string bootstrap_hash = crypto::hex_encode(identity::token_hash(bootstrap.reveal()));

  {
    WARD_ASSIGN_OR_RETURN(auto store, store::open_sqlite_store(join_path(staging, kDatabaseFile)));
    audit::Log log(audit_key);
    if (Status tx_status = store->transaction([&](store::Tx& tx) -> Status {
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kListen, options.listen, tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kOverlayV4, v4.to_string(), tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kOverlayV6, v6.to_string(), tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kCaCertPem, ca.to_pem(), tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kCaKeySealed, ca_sealed, tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kServerCertPem, server_cert.to_pem(), tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kServerKeySealed, server_sealed, tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kAuditKeySealed, audit_sealed, tnow));
          WARD_RETURN_IF_ERROR(tx.set_setting(setting::kBootstrapTokenHash, bootstrap_hash, tnow));
          WARD_RETURN_IF_ERROR(store::set_seconds_setting(tx, store::kDeviceCertLifetime,
                                                          options.device_cert_lifetime, tnow));
          // The controller's own overlay addresses (offset 1) are never handed to a device.
          for (const net::Prefix& p : {v4, v6}) {
            WARD_RETURN_IF_ERROR(
                tx.reserve_address(net::AddressAllocator(p, {}).gateway().to_string(), tnow));
          }
          audit::Event event{audit::Actor::system(),
                             "",
                             "controller.init",
                             "controller",
                             audit::Outcome::kSuccess,
                             {{"listen", options.listen},
                              {"names", names},
                              {"overlay_v4", v4.to_string()},
                              {"overlay_v6", v6.to_string()},
                              {"ca_serial", ca.serial_hex()},
                              {"device_cert_lifetime_s", options.device_cert_lifetime.count()}}};
          WARD_RETURN_IF_ERROR(log.append(tx, event, tnow));
          WARD_RETURN_IF_ERROR(log.checkpoint(tx, tnow));
          return ok();
        });
        !tx_status)
      return tx_status.error();
  }  // the store closes here: the WAL is checkpointed into ward.db
  WARD_RETURN_IF_ERROR(fsync_path(join_path(staging, kDatabaseFile)));
  // The CA certificate is public: administrators copy it to pin it in wardctl (--ca) and
  // ward-node (--ca-file). The database's copy stays the one serve uses.
  WARD_RETURN_IF_ERROR(write_file_atomic(join_path(staging, kCaCertFile), ca.to_pem(), 0644));
  WARD_RETURN_IF_ERROR(rename_into(staging, dir, kCaCertFile));
  WARD_RETURN_IF_ERROR(rename_into(staging, dir, kMasterKeyFile));
  WARD_RETURN_IF_ERROR(rename_into(staging, dir, "ward.db-wal"));
  WARD_RETURN_IF_ERROR(rename_into(staging, dir, "ward.db-shm"));
  WARD_RETURN_IF_ERROR(rename_into(staging, dir, kDatabaseFile));  // the commit point
  WARD_RETURN_IF_ERROR(fsync_path(dir));
  fs::remove_all(staging, ec);

  out << "Ward controller initialised in " << dir << "\n"
      << "  listen:  " << options.listen << "\n"
      << "  overlay: " << v4.to_string() << ", " << v6.to_string() << "\n"
      << "  CA certificate: " << join_path(dir, kCaCertFile)
      << " (copy it to admin workstations and nodes; it is public)\n"
      << "  CA fingerprint (SHA-256): " << ca.fingerprint_sha256_hex() << "\n\n"
      << "One-time bootstrap token (shown only now; it creates the first owner):\n"
      << bootstrap.reveal() << "\n";
  out.flush();
  return ok();
}

}  // namespace ward::controller
