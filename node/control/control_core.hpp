// The control client's pure core: what to do with each stream message and with the
// passage of time. No I/O; time is passed in. Not thread-safe.
//
// Rules (each returns the actions to perform IN ORDER):
// - netmap: validated (validate_netmap); a valid one becomes the current map -> kApply.
//   An invalid one -> kRejected; the last good map stays.
// - delta: applied to the current map when its base_serial is ours (apply_delta, which
//   validates) -> kApply. No map or another base -> kReconnect (asking ?serial= of the
//   map we have). A delta that fails -> kRejected, then kReconnect for a full map.
// - keepalive: nothing.
// - revoked / expired: kDropAll, then kStop; the map is forgotten and every later message
//   is ignored. Drop-all is the FIRST action: nothing is applied before it.
// - quarantined: kDropAll, then kQuarantined; the map is forgotten. Quarantine is
//   reversible: the daemon keeps asking the controller (the stream is closed after the
//   message, so it reconnects), and the first valid netmap after unquarantine is applied
//   as usual and ends the quarantine.
// - tick(now) at or after the certificate's notAfter (fail closed): kDropAll once; the
//   map is forgotten. Maps that arrive while the certificate is expired are not applied.
//   A renewed certificate (renewed()) lets the next map be applied again.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/netmap/decode.hpp"
#include "node/netmap/netmap.hpp"
#include "node/netmap/validate.hpp"
#include "node/netmap/wg_key.hpp"

namespace ward::node::control {

enum class ActionKind {
  kApply,        // reconcile to `netmap`
  kDropAll,      // remove every peer and filter accept now
  kStop,         // stop the control client (revoked / expired): final
  kQuarantined,  // no access until the controller sends a netmap again; keep reconnecting
  kReconnect,    // drop the stream and reconnect (with ?serial=`serial` if set)
  kRejected,     // a message was refused; log `reason`, keep the last good map
};

struct Action {
  ActionKind kind;
  std::optional<Netmap> netmap;         // kApply
  std::string reason;                   // kDropAll, kStop, kRejected
  std::optional<std::uint64_t> serial;  // kReconnect
};

class ControlCore {
 public:
  using SysTime = std::chrono::system_clock::time_point;

  ControlCore(WgKey own_public_key, SysTime cert_not_after, DecodeLimits decode_limits = {},
              ValidateLimits validate_limits = {});

  std::vector<Action> on_line(std::string_view line, SysTime now);
  std::vector<Action> tick(SysTime now);
  // The controller refused us outside the stream (e.g. /v1/renew answered 403 for a
  // revoked device): kDropAll then kStop, as for a terminal stream message.
  std::vector<Action> terminate(std::string reason);
  void renewed(SysTime cert_not_after) { not_after_ = cert_not_after; }

  // The serial to resume from (?serial=), if we hold a map.
  std::optional<std::uint64_t> resume_serial() const;
  const std::optional<Netmap>& netmap() const { return map_; }
  bool stopped() const { return stopped_; }
  // Quarantined and no netmap received since (reason in stop_reason()).
  bool quarantined() const { return quarantined_; }
  bool failed_closed() const { return failed_closed_; }
  SysTime deadline() const { return not_after_; }
  // Why the core stopped or is quarantined ("revoked: ..."), empty while running.
  const std::string& stop_reason() const { return stop_reason_; }

 private:
  std::vector<Action> accept(Netmap map, SysTime now);

  WgKey own_;
  SysTime not_after_;
  DecodeLimits decode_limits_;
  ValidateLimits validate_limits_;
  std::optional<Netmap> map_;
  bool stopped_ = false;
  bool quarantined_ = false;
  bool failed_closed_ = false;
  std::string stop_reason_;
};

}  // namespace ward::node::control
