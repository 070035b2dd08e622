#include "controller/publish/publisher.hpp"

#include <algorithm>

#include "controller/publish/delta.hpp"

namespace ward::publish {
namespace {

std::optional<Terminal> terminal_of(policy::DeviceStatus s) {
  switch (s) {
    case policy::DeviceStatus::kRevoked:
      return Terminal::kRevoked;
    case policy::DeviceStatus::kQuarantined:
      return Terminal::kQuarantined;
    case policy::DeviceStatus::kExpired:
      return Terminal::kExpired;
    case policy::DeviceStatus::kPending:
    case policy::DeviceStatus::kActive:
      break;
  }
  return std::nullopt;
}

std::string default_reason(Terminal kind) {
  return "device " + std::string(terminal_name(kind));
}

}  // namespace

Publisher::Publisher(std::unique_ptr<policy::Compiler> compiler, PublisherOptions options)
    : compiler_(std::move(compiler)), options_(std::move(options)) {
  options_.serial_floor = std::min(options_.serial_floor, kMaxSerial / 2);
  options_.history_depth = std::max<std::size_t>(options_.history_depth, 1);
  high_water_ = options_.serial_floor;
  for (const std::string& id : compiler_->device_ids()) {
    DeviceState st;
    st.netmap = compiler_->netmap(id);
    st.serial = options_.serial_floor + 1;
    bump(st.serial);
    devices_.emplace(id, std::move(st));
  }
}

const WireFilter& Publisher::filter_of(DeviceState& st) {
  if (!st.filter) st.filter = std::make_shared<const WireFilter>(wire_filter(st.netmap->filters));
  return *st.filter;
}

std::string Publisher::full_message(DeviceState& st) {
  return render_netmap(*st.netmap, filter_of(st), st.serial, options_.overlay);
}

std::uint64_t Publisher::next_new_serial() const {
  return std::max(high_water_, options_.serial_floor) + 1;
}

bool Publisher::send(SubscriptionId id, std::string line, Time now) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return false;
  Subscription& sub = it->second;
  if (!sub.sink->send(std::move(line))) {
    drop(id);
    return false;
  }
  keepalives_.erase({sub.keepalive_due, id});
  sub.keepalive_due = now + options_.keepalive_interval;
  keepalives_.insert({sub.keepalive_due, id});
  return true;
}

void Publisher::drop(SubscriptionId id) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  keepalives_.erase({it->second.keepalive_due, id});
  if (auto d = devices_.find(it->second.device_id); d != devices_.end() && d->second.sub == id)
    d->second.sub = kClosedSubscription;
  subs_.erase(it);
}

void Publisher::unsubscribe(SubscriptionId id) {
  drop(id);
}

void Publisher::terminate(std::string_view device_id, Terminal kind, std::string_view reason) {
  auto d = devices_.find(device_id);
  if (d == devices_.end() || d->second.sub == kClosedSubscription) return;
  SubscriptionId id = d->second.sub;
  std::shared_ptr<Sink> sink = subs_.at(id).sink;
  drop(id);
  sink->send(render_terminal(kind, reason.empty() ? default_reason(kind) : std::string(reason)));
  sink->close();
}

bool Publisher::pending_mentions(std::string_view device_id) const {
  for (const Change& c : pending_) {
    if (const auto* dc = std::get_if<DeviceChange>(&c); dc && dc->device.id == device_id)
      return true;
    if (const auto* dr = std::get_if<DeviceRemoval>(&c); dr && dr->device_id == device_id)
      return true;
  }
  return false;
}

Result<SubscriptionId> Publisher::subscribe(std::string_view device_id,
                                            std::optional<std::uint64_t> last_serial,
                                            std::shared_ptr<Sink> sink, Time now) {
  if (pending_mentions(device_id)) flush(now);
  const policy::Device* dev = compiler_->device(device_id);
  auto it = devices_.find(device_id);
  if (!dev || it == devices_.end()) return Error::not_found("no device " + quote(device_id));
  if (auto kind = terminal_of(dev->status)) {
    sink->send(render_terminal(*kind, default_reason(*kind)));
    sink->close();
    return kClosedSubscription;
  }
  DeviceState& st = it->second;
  if (st.sub != kClosedSubscription) {
    std::shared_ptr<Sink> old = subs_.at(st.sub).sink;
    drop(st.sub);
    old->close();
  }

  std::string first;
  if (last_serial && *last_serial == st.serial) {
    first = render_keepalive(st.serial);
  } else {
    std::optional<WireDelta> delta;
    if (last_serial) {
      for (std::size_t i = 0; i < st.history.size(); ++i) {
        if (st.history[i].base_serial == *last_serial) {
          delta = compose(st.history, i);
          break;
        }
      }
    }
    if (delta && delta->peer_ops() <= st.netmap->peers.size() + 1) {
      first = render_delta(*delta, st.netmap->persistent_keepalive);
    } else {
      if (last_serial && *last_serial > st.serial && *last_serial < kMaxSerial) {
        // The node saw a serial we no longer remember issuing: never go backwards.
        st.serial = *last_serial + 1;
        st.history.clear();
        bump(st.serial);
      }
      first = full_message(st);
    }
  }

  SubscriptionId id = next_sub_++;
  Subscription sub{std::string(device_id), std::move(sink), now + options_.keepalive_interval};
  keepalives_.insert({sub.keepalive_due, id});
  subs_.emplace(id, std::move(sub));
  st.sub = id;
  if (!send(id, std::move(first), now)) return kClosedSubscription;
  return id;
}

Time Publisher::note_change(Change change, Time now) {
  // Terminal news goes out at once; the recompute for the peers waits for the batch.
  if (const auto* dc = std::get_if<DeviceChange>(&change)) {
    if (auto kind = terminal_of(dc->device.status)) terminate(dc->device.id, *kind, dc->reason);
  } else if (const auto* dr = std::get_if<DeviceRemoval>(&change)) {
    terminate(dr->device_id, Terminal::kRevoked,
              dr->reason.empty() ? std::string("device removed") : dr->reason);
  }
  pending_.push_back(std::move(change));
  if (!deadline_) deadline_ = now + options_.coalesce_window;
  return *deadline_;
}

FlushResult Publisher::flush(Time now) {
  FlushResult result;
  std::vector<Change> batch = std::move(pending_);
  pending_.clear();
  deadline_.reset();
  std::vector<std::string> changed;
  auto merge = [&changed](std::vector<std::string> ids) {
    changed.insert(changed.end(), std::make_move_iterator(ids.begin()),
                   std::make_move_iterator(ids.end()));
  };
  // Only the last policy of a batch matters (set_policy recompiles everything).
  std::size_t last_policy = batch.size();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (std::holds_alternative<PolicyChange>(batch[i])) last_policy = i;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Change& c = batch[i];
    if (auto* dc = std::get_if<DeviceChange>(&c)) {
      std::string id = dc->device.id;
      auto r = compiler_->upsert_device(std::move(dc->device));
      if (r) {
        merge(std::move(*r));
        continue;
      }
      result.errors.push_back(r.error().context("while updating device " + quote(id)));
      if (compiler_->device(id)) {
        // Fail closed: a device whose new state cannot be compiled keeps no access.
        if (auto removed = compiler_->remove_device(id)) merge(std::move(*removed));
      }
    } else if (auto* dr = std::get_if<DeviceRemoval>(&c)) {
      if (auto r = compiler_->remove_device(dr->device_id)) merge(std::move(*r));
    } else if (auto* uc = std::get_if<UserChange>(&c)) {
      std::string email = uc->user.email;
      auto r = compiler_->upsert_user(std::move(uc->user));
      if (r)
        merge(std::move(*r));
      else
        result.errors.push_back(r.error().context("while updating user " + quote(email)));
    } else if (auto* pc = std::get_if<PolicyChange>(&c); pc && i == last_policy) {
      merge(compiler_->set_policy(std::move(pc->policy)));
    }
  }
  auto secs = std::chrono::floor<std::chrono::seconds>(now);
  if (secs > compiler_->now()) merge(compiler_->advance_time(policy::Time(secs)));
  result.published = on_netmaps_changed(changed, now);
  return result;
}

std::vector<std::string> Publisher::on_netmaps_changed(const std::vector<std::string>& ids_in,
                                                       Time now) {
  std::vector<std::string> ids = ids_in;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::string> published;
  for (const std::string& id : ids) {
    std::shared_ptr<const policy::Netmap> nm = compiler_->netmap(id);
    auto it = devices_.find(id);
    if (!nm) {
      if (it != devices_.end()) {
        terminate(id, Terminal::kRevoked, "device removed");
        devices_.erase(it);
      }
      continue;
    }
    if (it == devices_.end()) {
      DeviceState st;
      st.netmap = std::move(nm);
      st.serial = next_new_serial();
      bump(st.serial);
      devices_.emplace(id, std::move(st));
      published.push_back(id);
      continue;
    }
    DeviceState& st = it->second;
    if (st.netmap == nm) continue;
    auto after = std::make_shared<const WireFilter>(wire_filter(nm->filters));
    WireDelta step = wire_diff(*st.netmap, filter_of(st), *nm, after);
    st.netmap = std::move(nm);
    st.filter = std::move(after);
    if (step.empty()) continue;
    step.base_serial = st.serial;
    step.serial = ++st.serial;
    bump(st.serial);
    published.push_back(id);
    const policy::Device* dev = compiler_->device(id);
    auto kind = dev ? terminal_of(dev->status) : std::nullopt;
    if (kind) {
      terminate(id, *kind, {});
    } else if (st.sub != kClosedSubscription) {
      std::string msg = step.peer_ops() <= st.netmap->peers.size() + 1
                            ? render_delta(step, st.netmap->persistent_keepalive)
                            : full_message(st);
      send(st.sub, std::move(msg), now);
    }
    st.history.push_back(std::move(step));
    while (st.history.size() > options_.history_depth)
      st.history.pop_front();
  }
  return published;
}

void Publisher::tick(Time now) {
  if (deadline_ && now >= *deadline_) {
    flush(now);
  } else if (auto e = compiler_->next_expiry(); e && now >= Time(*e)) {
    on_netmaps_changed(
        compiler_->advance_time(policy::Time(std::chrono::floor<std::chrono::seconds>(now))), now);
  }
  // A clock stepped back would postpone every keepalive by the step: re-base them.
  if (!keepalives_.empty() &&
      keepalives_.rbegin()->first > now + options_.keepalive_interval + options_.keepalive_slack) {
    std::set<std::pair<Time, SubscriptionId>> rebased;
    for (auto& [id, sub] : subs_) {
      sub.keepalive_due = std::min(sub.keepalive_due, now + options_.keepalive_interval);
      rebased.insert({sub.keepalive_due, id});
    }
    keepalives_ = std::move(rebased);
  }
  while (!keepalives_.empty() && keepalives_.begin()->first <= now + options_.keepalive_slack) {
    SubscriptionId id = keepalives_.begin()->second;
    const Subscription& sub = subs_.at(id);
    auto d = devices_.find(sub.device_id);
    if (d == devices_.end()) {
      drop(id);
      continue;
    }
    send(id, render_keepalive(d->second.serial), now);
  }
}

std::optional<Time> Publisher::next_wakeup() const {
  std::optional<Time> at = deadline_;
  auto earlier = [&at](Time t) {
    if (!at || t < *at) at = t;
  };
  if (auto e = compiler_->next_expiry()) earlier(Time(*e));
  if (!keepalives_.empty()) earlier(keepalives_.begin()->first);
  return at;
}

std::optional<std::uint64_t> Publisher::serial(std::string_view device_id) const {
  auto it = devices_.find(device_id);
  if (it == devices_.end()) return std::nullopt;
  return it->second.serial;
}

}  // namespace ward::publish
