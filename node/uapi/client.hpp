// UAPI over the unix stream socket a userspace WireGuard serves
// (/var/run/wireguard/IFACE.sock), and the WireGuardBackend built on it.
//
// Contracts: blocking I/O with a deadline per exchange (connect + write + read); one
// connection per exchange, as wg(8) does. Responses are bounded by ParseLimits. Buffers
// that held key material are wiped before release. Not thread-safe; one exchange at a
// time per object.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "node/reconcile/wg_types.hpp"
#include "node/uapi/protocol.hpp"

namespace ward::node::uapi {

inline constexpr std::string_view kDefaultSocketDir = "/var/run/wireguard";

// "<dir>/<iface>.sock". Error if iface is not a valid interface name (1..15 characters of
// [A-Za-z0-9_.-], not "." or "..").
Result<std::string> socket_path_for(std::string_view iface,
                                    std::string_view dir = kDefaultSocketDir);

class UapiClient {
 public:
  explicit UapiClient(std::string socket_path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5),
                      ParseLimits limits = {});

  // Sends `request`, reads until the response's terminating empty line. kUnavailable if
  // nothing listens on the socket; kIo on other socket errors or the deadline. The
  // returned buffer may hold key material: it is a SecretString.
  Result<SecretString> exchange(std::string_view request);

  const std::string& socket_path() const { return path_; }
  const ParseLimits& limits() const { return limits_; }

 private:
  std::string path_;
  std::chrono::milliseconds timeout_;
  ParseLimits limits_;
};

class UapiBackend final : public WireGuardBackend {
 public:
  explicit UapiBackend(UapiClient client) : client_(std::move(client)) {}
  Result<WgState> get() override;
  Status apply(const WgChange& change) override;

 private:
  UapiClient client_;
};

}  // namespace ward::node::uapi
