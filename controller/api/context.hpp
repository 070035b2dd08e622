// ApiContext: everything the request handlers share — the store, the audit log, the
// device CA, the master key, the overlay allocators and the controller's configuration.
//
// Built once by `ward-controller serve` (controller/server) from the data directory,
// then used on the loop thread only (the allocators are not thread-safe). It must
// outlive the Api that uses it. The CA key and the master key live only in memory here
// (SigningKey / SecretBytes wipe themselves).
//
// Also here: the names of the controller's own settings and sealed secrets, which
// `ward-controller init` writes and `serve` reads (both in controller/server).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/crypto/signing_key.hpp"
#include "common/crypto/x509.hpp"
#include "common/net/allocator.hpp"
#include "common/net/ip.hpp"
#include "controller/audit/log.hpp"
#include "controller/identity/credentials.hpp"
#include "controller/identity/rate_limiter.hpp"
#include "controller/store/store.hpp"

namespace ward::uv {
class WorkQueue;
}

namespace ward::controller {

class NetmapHub;

// Setting names (store settings table). Sealed values are base64 of crypto::seal()
// under the master key with the associated data next to them.
namespace setting {
inline constexpr std::string_view kListen = "listen";         // "HOST:PORT"
inline constexpr std::string_view kOverlayV4 = "overlay_v4";  // CIDR
inline constexpr std::string_view kOverlayV6 = "overlay_v6";  // CIDR
inline constexpr std::string_view kCaCertPem = "ca_cert_pem";
inline constexpr std::string_view kCaKeySealed = "ca_key_sealed";  // aad "ward:ca-key"
inline constexpr std::string_view kServerCertPem = "server_cert_pem";
inline constexpr std::string_view kServerKeySealed = "server_key_sealed";  // "ward:server-key"
inline constexpr std::string_view kAuditKeySealed = "audit_key_sealed";    // "ward:audit-key"
// Hex SHA-256 of the bootstrap token; "used" once the first owner exists.
inline constexpr std::string_view kBootstrapTokenHash = "bootstrap_token_hash";
// The largest netmap stream serial issued (decimal), so serials never go down.
inline constexpr std::string_view kStreamHighWater = "stream_serial_high_water";
}  // namespace setting

inline constexpr std::string_view kCaKeyAad = "ward:ca-key";
inline constexpr std::string_view kServerKeyAad = "ward:server-key";
inline constexpr std::string_view kAuditKeyAad = "ward:audit-key";
// TOTP seeds are bound to their user: "ward:totp:<user id>".
std::string totp_aad(std::int64_t user_id);

// seal() under the master key, as base64 text for the settings table.
Result<std::string> seal_to_text(const SecretBytes& master_key, std::string_view plaintext,
                                 std::string_view aad);
// The inverse; Corruption for anything that does not open.
Result<SecretBytes> open_from_text(const SecretBytes& master_key, std::string_view text,
                                   std::string_view aad);

struct ControllerConfig {
  net::Prefix overlay_v4;
  net::Prefix overlay_v6;
  std::chrono::seconds device_cert_lifetime{24 * 3600};
  identity::SessionPolicy session_policy;
  std::string version = WARD_VERSION;
};

class ApiContext {
 public:
  using Clock = std::function<store::Time()>;

  // Loads every overlay address ever handed out (all devices) to seed the allocators.
  static Result<std::unique_ptr<ApiContext>> create(store::Store& store, const audit::Log& audit,
                                                    crypto::Certificate ca,
                                                    crypto::SigningKey ca_key,
                                                    SecretBytes master_key, ControllerConfig config,
                                                    Clock clock);

  store::Store& store;
  const audit::Log& audit;
  const crypto::Certificate ca;
  const crypto::SigningKey ca_key;
  const SecretBytes master_key;
  const ControllerConfig config;
  const identity::LoginThrottle throttle;
  const Clock clock;
  const store::Time started_at;
  net::AddressAllocator alloc_v4;
  net::AddressAllocator alloc_v6;
  std::shared_ptr<spdlog::logger> log;
  // The live policy and netmap streams; set by `serve` (null in handler unit tests, where
  // the policy and stream endpoints answer 503).
  NetmapHub* netmaps = nullptr;
  // Where password checks (argon2id, ~0.2 s each) run; their calls are answered afterwards
  // through a deferred HTTP response. Set by `serve`; when unset (handler unit tests) the
  // check runs inline on the loop thread. The queue must outlive every call that used it.
  uv::WorkQueue* password_work = nullptr;
  // Password checks admitted and not yet recorded, per throttle key (see begin_login).
  identity::InFlightLogins login_in_flight;

  store::Time now() const { return clock(); }

 private:
  ApiContext(store::Store& s, const audit::Log& a, crypto::Certificate c, crypto::SigningKey k,
             SecretBytes m, ControllerConfig cfg, Clock clk, net::AddressAllocator v4,
             net::AddressAllocator v6);
};

}  // namespace ward::controller
