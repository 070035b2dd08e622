#include "controller/api/netmap_hub.hpp"

#include "common/log/log.hpp"
#include "controller/api/inventory_view.hpp"
#include "controller/api/views.hpp"
#include "controller/policy/policy_parser.hpp"

namespace ward::controller {
namespace {

struct Loaded {
  policy::Inventory inventory;
  std::shared_ptr<const policy::Policy> policy;
  std::int64_t version = 0;
};

Result<Loaded> load(store::Store& store, spdlog::logger& log) {
  Loaded out;
  std::optional<store::PolicyVersion> stored;
  WARD_RETURN_IF_ERROR(store.read([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(out.inventory, load_inventory(tx, log));
    auto p = tx.latest_policy();
    if (p) {
      stored = std::move(*p);
    } else if (p.error().code() != ErrorCode::kNotFound) {
      return p.error();
    }
    return ok();
  }));
  if (!stored) {
    log::info(log, "no policy stored: nothing is allowed until one is set");
    out.policy = std::make_shared<const policy::Policy>();
    return out;
  }
  auto parsed =
      policy::parse_policy(stored->text, "policy-v" + std::to_string(stored->version) + ".hujson");
  if (!parsed) {
    // Fail closed: a policy this build cannot read allows nothing.
    log::error(log, "stored policy does not load: nothing is allowed",
               {{"version", stored->version}, {"problem", parsed.error().message()}});
    out.policy = std::make_shared<const policy::Policy>();
    return out;
  }
  out.policy = std::make_shared<const policy::Policy>(std::move(parsed->policy));
  out.version = stored->version;
  return out;
}

}  // namespace

Result<std::unique_ptr<NetmapHub>> NetmapHub::create(store::Store& store, NetmapHubOptions options,
                                                     Time now,
                                                     std::shared_ptr<spdlog::logger> log) {
  WARD_ASSIGN_OR_RETURN(Loaded loaded, load(store, *log));
  const std::size_t devices = loaded.inventory.devices.size();
  auto compiler = policy::Compiler::create(loaded.policy, std::move(loaded.inventory),
                                           std::chrono::floor<std::chrono::seconds>(now));
  if (!compiler) return compiler.error().context("compiling the stored policy and inventory");
  publish::PublisherOptions po;
  po.overlay = options.overlay;
  po.serial_floor = options.serial_floor;
  po.coalesce_window = options.coalesce_window;
  po.keepalive_interval = options.keepalive_interval;
  auto publisher = std::make_unique<publish::Publisher>(std::move(*compiler), po);
  log::info(*log, "policy compiled", {{"policy_version", loaded.version}, {"devices", devices}});
  return std::unique_ptr<NetmapHub>(
      new NetmapHub(store, std::move(publisher), loaded.version, std::move(log)));
}

NetmapHub::NetmapHub(store::Store& store, std::unique_ptr<publish::Publisher> publisher,
                     std::int64_t policy_version, std::shared_ptr<spdlog::logger> log)
    : store_(store),
      publisher_(std::move(publisher)),
      policy_version_(policy_version),
      log_(std::move(log)) {}

Result<publish::SubscriptionId> NetmapHub::subscribe(std::string_view device_id,
                                                     std::optional<std::uint64_t> last_serial,
                                                     std::shared_ptr<publish::Sink> sink,
                                                     Time now) {
  auto r = publisher_->subscribe(device_id, last_serial, std::move(sink), now);
  reschedule();
  return r;
}

void NetmapHub::unsubscribe(publish::SubscriptionId id) {
  publisher_->unsubscribe(id);
  reschedule();
}

void NetmapHub::device_changed(std::int64_t device_id, std::string reason, Time now) {
  const std::string public_id = device_public_id(device_id);
  std::optional<policy::Device> device;
  Status s = store_.read([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(store::Device d, tx.device_by_id(device_id));
    std::optional<store::User> owner;
    if (d.user_id) {
      WARD_ASSIGN_OR_RETURN(store::User u, tx.user_by_id(*d.user_id));
      owner = std::move(u);
    }
    WARD_ASSIGN_OR_RETURN(policy::Device pd, policy_device(d, owner));
    device = std::move(pd);
    return ok();
  });
  if (!s) {
    // Fail closed: a device we cannot read or convert loses whatever access it had.
    log::error(*log_, "device change could not be applied: removing it from policy",
               {{"device", public_id}, {"problem", s.error().message()}});
    publisher_->note_change(publish::DeviceRemoval{public_id, "the controller could not read it"},
                            now);
  } else {
    publisher_->note_change(publish::DeviceChange{std::move(*device), std::move(reason)}, now);
  }
  reschedule();
}

void NetmapHub::user_changed(std::int64_t user_id, Time now) {
  std::optional<store::User> user;
  std::vector<store::Device> devices;
  Status s = store_.read([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(store::User u, tx.user_by_id(user_id));
    user = std::move(u);
    WARD_ASSIGN_OR_RETURN(devices, tx.list_devices(user_id));
    return ok();
  });
  if (!s) {
    log::error(*log_, "user change could not be applied",
               {{"user", user_id}, {"problem", s.error().message()}});
    return;
  }
  publisher_->note_change(publish::UserChange{policy_user(*user)}, now);
  for (const store::Device& d : devices) {
    auto pd = policy_device(d, user);
    if (!pd) {
      publisher_->note_change(
          publish::DeviceRemoval{device_public_id(d.id), "the controller could not read it"}, now);
      continue;
    }
    publisher_->note_change(publish::DeviceChange{std::move(*pd), ""}, now);
  }
  reschedule();
}

void NetmapHub::policy_changed(std::shared_ptr<const policy::Policy> policy, std::int64_t version,
                               Time now) {
  policy_version_ = version;
  publisher_->note_change(publish::PolicyChange{std::move(policy)}, now);
  reschedule();
}

void NetmapHub::flush(Time now) {
  if (publisher_->has_pending_changes()) report(publisher_->flush(now));
  reschedule();
}

void NetmapHub::tick(Time now) {
  // Flush here rather than inside Publisher::tick so that refused changes are logged.
  if (publisher_->has_pending_changes()) report(publisher_->flush(now));
  publisher_->tick(now);
  reschedule();
}

void NetmapHub::set_scheduler(Scheduler scheduler) {
  scheduler_ = std::move(scheduler);
  reschedule();
}

void NetmapHub::report(const publish::FlushResult& result) {
  for (const Error& e : result.errors) {
    log::error(*log_, "policy change refused; the device reaches nothing",
               {{"problem", e.message()}});
  }
  if (!result.published.empty()) {
    log::debug(*log_, "netmaps published", {{"devices", result.published.size()}});
  }
}

void NetmapHub::reschedule() {
  if (scheduler_) scheduler_(publisher_->next_wakeup());
}

}  // namespace ward::controller
