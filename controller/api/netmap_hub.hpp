// NetmapHub: the controller's live policy state and the netmap stream (docs/protocol.md,
// "The stream"). It owns the publish::Publisher — and through it the policy::Compiler —
// built from the store at start-up, and is told about every committed change by the API
// (devices, users, policy versions), which it turns into incremental recomputes,
// coalesced and pushed to the devices' streams.
//
// Contracts:
// - Changes are reported AFTER their transaction committed; the hub re-reads what it
//   needs from the store, so it never sees a state that was rolled back.
// - Fail closed: a stored policy that no longer parses is replaced by the empty policy
//   (nothing allowed) and logged; a device that does not convert reaches nothing.
// - Timers: the hub never sleeps. After every call it hands the scheduler the time at
//   which tick() must run next (nullopt: nothing due); the server arms one timer.
// - Serials never go down across restarts: pass serial_floor = max(persisted
//   high_water(), now in Unix ms) (publisher.hpp, "Serials"); persist high_water().
//
// Threading: the loop thread only. The hub must outlive every stream it serves (the HTTP
// server is destroyed first).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "common/base/result.hpp"
#include "controller/publish/publisher.hpp"
#include "controller/store/store.hpp"

namespace ward::controller {

struct NetmapHubOptions {
  publish::Overlay overlay;
  std::uint64_t serial_floor = 0;
  std::chrono::milliseconds coalesce_window{50};
  std::chrono::milliseconds keepalive_interval{25'000};
};

class NetmapHub {
 public:
  using Time = publish::Time;
  using Scheduler = std::function<void(std::optional<Time>)>;

  // Loads the inventory and the newest policy version from the store and compiles.
  static Result<std::unique_ptr<NetmapHub>> create(store::Store& store, NetmapHubOptions options,
                                                   Time now, std::shared_ptr<spdlog::logger> log);

  // Read-only view for queries (netmap, policy test, inventory). Reflects flushed changes:
  // call flush() first to see changes reported within the coalescing window.
  const policy::Compiler& compiler() const { return publisher_->compiler(); }
  // The policy version in force (0: none stored, or the stored one failed to load).
  std::int64_t policy_version() const { return policy_version_; }

  // Streams (publisher.hpp's contract). NotFound for a device the compiler does not know.
  Result<publish::SubscriptionId> subscribe(std::string_view device_id,
                                            std::optional<std::uint64_t> last_serial,
                                            std::shared_ptr<publish::Sink> sink, Time now);
  void unsubscribe(publish::SubscriptionId id);

  // Committed changes. reason: for a terminal status, the message nodes get (no secrets).
  void device_changed(std::int64_t device_id, std::string reason, Time now);
  // Groups, or disabled/enabled (which changes every device of the user).
  void user_changed(std::int64_t user_id, Time now);
  void policy_changed(std::shared_ptr<const policy::Policy> policy, std::int64_t version, Time now);

  // Applies queued changes now (queries that must see them).
  void flush(Time now);
  // Does what is due (flush, rule expiry, keepalives). Called by the server's timer.
  void tick(Time now);
  std::optional<Time> next_wakeup() const { return publisher_->next_wakeup(); }
  std::uint64_t high_water() const { return publisher_->high_water(); }
  std::size_t stream_count() const { return publisher_->subscription_count(); }

  void set_scheduler(Scheduler scheduler);

 private:
  NetmapHub(store::Store& store, std::unique_ptr<publish::Publisher> publisher,
            std::int64_t policy_version, std::shared_ptr<spdlog::logger> log);
  void report(const publish::FlushResult& result);
  void reschedule();

  store::Store& store_;
  std::unique_ptr<publish::Publisher> publisher_;
  std::int64_t policy_version_ = 0;
  std::shared_ptr<spdlog::logger> log_;
  Scheduler scheduler_;
};

}  // namespace ward::controller
