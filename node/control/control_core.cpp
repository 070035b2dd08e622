#include "node/control/control_core.hpp"

#include <type_traits>
#include <variant>

namespace ward::node::control {

ControlCore::ControlCore(WgKey own_public_key, SysTime cert_not_after, DecodeLimits decode_limits,
                         ValidateLimits validate_limits)
    : own_(own_public_key),
      not_after_(cert_not_after),
      decode_limits_(decode_limits),
      validate_limits_(validate_limits) {}

std::optional<std::uint64_t> ControlCore::resume_serial() const {
  if (!map_) return std::nullopt;
  return map_->serial;
}

std::vector<Action> ControlCore::accept(Netmap map, SysTime now) {
  if (now >= not_after_) {
    return {Action{.kind = ActionKind::kRejected,
                   .reason = "netmap " + std::to_string(map.serial) +
                             " ignored: the device certificate has expired"}};
  }
  failed_closed_ = false;
  quarantined_ = false;
  stop_reason_.clear();
  map_ = std::move(map);
  return {Action{.kind = ActionKind::kApply, .netmap = *map_}};
}

std::vector<Action> ControlCore::on_line(std::string_view line, SysTime now) {
  if (stopped_) return {};
  auto msg = decode_stream_message(line, decode_limits_);
  if (!msg) {
    return {Action{.kind = ActionKind::kRejected,
                   .reason = "stream message rejected: " + msg.error().message()}};
  }
  return std::visit(
      [&](auto& m) -> std::vector<Action> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Terminal>) {
          std::string reason = std::string(terminal_kind_name(m.kind)) + ": " + m.reason;
          if (m.kind == TerminalKind::kQuarantined) {
            quarantined_ = true;
            map_.reset();
            stop_reason_ = reason;
            return {Action{.kind = ActionKind::kDropAll, .reason = reason},
                    Action{.kind = ActionKind::kQuarantined, .reason = reason}};
          }
          return terminate(std::move(reason));
        } else if constexpr (std::is_same_v<T, Keepalive>) {
          return {};
        } else if constexpr (std::is_same_v<T, Netmap>) {
          if (Status s = validate_netmap(m, own_, validate_limits_); !s) {
            return {Action{.kind = ActionKind::kRejected,
                           .reason = "netmap " + std::to_string(m.serial) +
                                     " rejected: " + s.error().message()}};
          }
          return accept(std::move(m), now);
        } else {
          static_assert(std::is_same_v<T, Delta>);
          if (!map_ || map_->serial != m.base_serial) {
            return {Action{.kind = ActionKind::kReconnect, .serial = resume_serial()}};
          }
          auto next = apply_delta(*map_, m, own_, validate_limits_);
          if (!next) {
            return {Action{.kind = ActionKind::kRejected,
                           .reason = "delta " + std::to_string(m.serial) +
                                     " rejected: " + next.error().message()},
                    Action{.kind = ActionKind::kReconnect}};
          }
          return accept(std::move(*next), now);
        }
      },
      *msg);
}

std::vector<Action> ControlCore::terminate(std::string reason) {
  if (stopped_) return {};
  stopped_ = true;
  quarantined_ = false;
  map_.reset();
  stop_reason_ = std::move(reason);
  return {Action{.kind = ActionKind::kDropAll, .reason = stop_reason_},
          Action{.kind = ActionKind::kStop, .reason = stop_reason_}};
}

std::vector<Action> ControlCore::tick(SysTime now) {
  if (stopped_ || failed_closed_ || now < not_after_) return {};
  failed_closed_ = true;
  map_.reset();
  return {Action{.kind = ActionKind::kDropAll,
                 .reason = "device certificate expired without renewal (fail closed)"}};
}

}  // namespace ward::node::control
