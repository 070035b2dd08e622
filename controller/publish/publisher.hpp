// Publisher: the netmap stream's pure core (docs/protocol.md, "The stream"). It owns the
// policy Compiler, turns inventory/policy changes into coalesced incremental recomputes,
// and pushes `netmap` / `delta` / `keepalive` / `revoked|quarantined|expired` lines to
// the devices' streams. No sockets, no clock: `now` is passed in and timers are expressed
// as "call tick() at next_wakeup()".
//
// Stream contract (what nodes and tests rely on):
// - The first message of a subscription is:
//   * the full `netmap`, when no serial was given, the serial is unknown (not current and
//     not in the history), or the delta would be larger than the map;
//   * a `delta` from N when the node gave ?serial=N and N is one of the last
//     history_depth serials of the device (all the steps it missed, composed);
//   * a `keepalive` carrying the current serial when N is the current serial: the node is
//     up to date and gets nothing else until its map changes.
//   If N is ahead of the device's serial (e.g. a restart with a clock stepped back), the
//   device's serial jumps to N + 1 first, so a node never sees a serial go down.
// - Afterwards a message goes to a device when, and only when, its WIRE netmap changes
//   (wire.hpp: provenance and rule order do not count), with a strictly larger serial:
//   a `delta` from the previous serial, or a full `netmap` when that is smaller.
// - A device whose status becomes revoked / quarantined / expired, or that is removed,
//   gets the terminal message at once (in note_change(), before any recompute) and its
//   stream is closed; its peers' maps drop it at the next flush. A subscribe() for such a
//   device gets the terminal message and is closed immediately.
// - A `keepalive` (with the current serial) goes to every stream that sent nothing for
//   keepalive_interval; up to keepalive_slack early so that wakeups batch.
// - One stream per device: a new subscription closes the older one (no message).
//
// Serials: per device, strictly increasing for the life of the process; every serial
// issued is > options.serial_floor and <= kMaxSerial. Across restarts pass
//   serial_floor = max(persisted high_water(), current Unix time in milliseconds)
// Each device's serial grows by one per published change (changes are coalesced per
// flush), so a run's serials stay below the wall-clock milliseconds of any later start
// unless a device changed more than once per millisecond on average; persisting
// high_water() (on shutdown and, say, every minute) also covers a clock stepped back.
//
// Coalescing: note_change() queues a change and returns the flush deadline (the first
// queued change's time + coalesce_window); changes queued before the deadline are
// applied together by flush() (one incremental recompute per change, one publish).
// subscribe() for a device with a queued change flushes first.
//
// Fail closed: a device change the compiler refuses removes the device from the
// compiler (it and its peers lose the access it had) and is reported by flush().
//
// Thread-safety: none; use from one thread (the server's loop). Sinks are called from
// within Publisher calls and must not call back into the Publisher synchronously
// (http::ResponseStream never runs its on_closed inside send()/close()).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/base/result.hpp"
#include "controller/policy/compiler.hpp"
#include "controller/publish/wire.hpp"

namespace ward::publish {

// The open end of one device's stream. The server adapts http::ResponseStream.
class Sink {
 public:
  virtual ~Sink() = default;
  // One complete line ("...\n"). False if the stream is gone (the subscription is dropped).
  virtual bool send(std::string line) = 0;
  // Ends the stream (after a terminal message, or when replaced by a newer stream).
  virtual void close() = 0;
};

struct PublisherOptions {
  Overlay overlay;
  std::uint64_t serial_floor = 0;  // see "Serials" above; must be < kMaxSerial / 2
  std::size_t history_depth = 8;   // deltas kept per device for reconnects
  std::chrono::milliseconds coalesce_window{50};
  std::chrono::milliseconds keepalive_interval{25'000};
  std::chrono::milliseconds keepalive_slack{1'000};
};

// Changes the server reports (already committed to its store).
struct DeviceChange {
  policy::Device device;  // new or updated (status, tags, user, key, addresses, posture...)
  std::string reason;     // for a terminal status: the message's reason (no secrets)
};
struct DeviceRemoval {
  std::string device_id;
  std::string reason;
};
struct UserChange {
  policy::User user;
};
struct PolicyChange {
  std::shared_ptr<const policy::Policy> policy;  // null = empty policy (deny all)
};
using Change = std::variant<DeviceChange, DeviceRemoval, UserChange, PolicyChange>;

using SubscriptionId = std::uint64_t;
// subscribe() returns this when the stream was closed at once (terminal device).
inline constexpr SubscriptionId kClosedSubscription = 0;

struct FlushResult {
  std::vector<std::string> published;  // devices that got a new serial, sorted
  std::vector<Error> errors;           // changes the compiler refused
};

class Publisher {
 public:
  // Every device of the compiler starts at serial options.serial_floor + 1.
  Publisher(std::unique_ptr<policy::Compiler> compiler, PublisherOptions options);

  // Read-only access for queries (netmap, policy test). Reflects flushed changes only.
  const policy::Compiler& compiler() const { return *compiler_; }

  // Opens a stream for an authenticated device. last_serial: the ?serial= the node sent.
  // Sends the first message (see the contract) before returning. not_found for a device
  // the compiler does not know.
  Result<SubscriptionId> subscribe(std::string_view device_id,
                                   std::optional<std::uint64_t> last_serial,
                                   std::shared_ptr<Sink> sink, Time now);
  // The stream went away (http::ResponseStream on_closed). Unknown or stale ids are ignored.
  void unsubscribe(SubscriptionId id);

  // Queues a change; returns the flush deadline (call tick() then).
  Time note_change(Change change, Time now);
  // Applies every queued change, moves the compiler's clock to now (rule expiry) and
  // publishes. Harmless with nothing queued.
  FlushResult flush(Time now);
  // For callers that changed the compiler by other means: publish these devices' current
  // netmaps (wire-unchanged ones get nothing). Returns the devices that got a new serial.
  std::vector<std::string> on_netmaps_changed(const std::vector<std::string>& device_ids, Time now);

  // Does whatever is due at now: flush (deadline reached), rule expiry, keepalives.
  void tick(Time now);
  // When tick() must next run (nullopt: nothing scheduled). Re-read after every call.
  std::optional<Time> next_wakeup() const;

  std::optional<std::uint64_t> serial(std::string_view device_id) const;
  // The largest serial issued so far (persist it; see "Serials").
  std::uint64_t high_water() const { return high_water_; }
  std::size_t subscription_count() const { return subs_.size(); }
  bool has_pending_changes() const { return !pending_.empty(); }

 private:
  struct DeviceState {
    std::shared_ptr<const policy::Netmap> netmap;  // as last published
    std::shared_ptr<const WireFilter> filter;      // its wire filter (lazily built)
    std::uint64_t serial = 0;
    std::deque<WireDelta> history;  // consecutive steps ending at `serial`
    SubscriptionId sub = kClosedSubscription;
  };
  struct Subscription {
    std::string device_id;
    std::shared_ptr<Sink> sink;
    Time keepalive_due;
  };

  const WireFilter& filter_of(DeviceState& st);
  std::string full_message(DeviceState& st);
  // Sends a line on a subscription; drops it if the sink is gone. True if sent.
  bool send(SubscriptionId id, std::string line, Time now);
  void drop(SubscriptionId id);
  void terminate(std::string_view device_id, Terminal kind, std::string_view reason);
  bool pending_mentions(std::string_view device_id) const;
  std::uint64_t next_new_serial() const;
  void bump(std::uint64_t serial) { high_water_ = std::max(high_water_, serial); }

  std::unique_ptr<policy::Compiler> compiler_;
  PublisherOptions options_;
  std::map<std::string, DeviceState, std::less<>> devices_;
  std::unordered_map<SubscriptionId, Subscription> subs_;
  std::set<std::pair<Time, SubscriptionId>> keepalives_;
  SubscriptionId next_sub_ = 1;
  std::uint64_t high_water_ = 0;
  std::vector<Change> pending_;
  std::optional<Time> deadline_;
};

}  // namespace ward::publish
