// Test support: network namespaces for integration tests (needs root).
//
//   Topology topo("wardmn");                       // names: wardmn-<pid>-<n>-<name>
//   REQUIRE(topo.enter_hub("192.0.2.1/24"));        // this thread: private netns + bridge
//   auto a = topo.add_namespace("a");              // Result<Netns*>, lo up
//   REQUIRE(topo.join_hub(**a, "u0", "192.0.2.11/24"));
//   auto b = topo.add_namespace("b");
//   REQUIRE(topo.link(**a, {"va", "10.0.0.1/24"}, **b, {"vb", "10.0.0.2/24"}));  // veth pair
//   (*a)->exec("ping -c1 10.0.0.2");               // ip netns exec <ns> sh -c ...
//   auto fd = (*b)->run_in([] { return listen_tcp(8080); });   // on a thread inside b
//
// Cleanup is the destructors' job and also runs when a REQUIRE fails midway: ~Netns
// SIGKILLs every process still inside the namespace (ip netns pids), then deletes it
// (which removes its interfaces, veth peers included, and its nftables tables);
// ~Topology deletes its namespaces in reverse order and, if enter_hub() was called,
// returns the calling thread to the namespace it came from (the hub namespace itself
// disappears with its last process). A Topology also deletes namespaces with its prefix
// left behind by test processes that no longer exist (a crashed run).
//
// Threading: a Topology belongs to the thread that made it; enter_hub() changes only that
// thread's namespace, and children it forks (popen, fork) start in the hub. run_in() runs
// its function on a new thread and joins it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/base/result.hpp"
#include "tests/support/process.hpp"

namespace ward::testing {

class Netns {
 public:
  // Creates the namespace (ip netns add) and sets its loopback up.
  static Result<std::unique_ptr<Netns>> create(const std::string& name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  // `ip netns exec <name> sh -c <command>` (its own mount namespace with this namespace's
  // /sys, as ip does it).
  CommandResult exec(const std::string& command, bool merge_stderr = false) const;
  // argv prefixed with `ip netns exec <name>`, for ChildProcess::spawn.
  std::vector<std::string> exec_argv(std::vector<std::string> argv) const;
  // Processes currently inside the namespace.
  std::vector<pid_t> pids() const;
  // Kills every process inside (SIGKILL) and waits up to 5 s for them to go.
  void kill_all() const;

  // Runs f() on a new thread that has entered this namespace and joins it. Returns f's
  // result wrapped in a Result: an error only if the thread could not enter (so an f
  // returning Result<T> gives Result<Result<T>>). Sockets f creates belong to this
  // namespace for their whole life, whichever thread uses them later.
  template <class F>
  auto run_in(F&& f) const -> Result<std::invoke_result_t<F&>>;

  // Makes the calling thread enter this namespace (for run_in).
  Status enter_this_thread() const;

 private:
  explicit Netns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// One end of a veth pair: the interface name and, optionally, an address (CIDR).
struct LinkEnd {
  std::string ifname;
  std::string cidr;
};

class Topology {
 public:
  explicit Topology(std::string prefix);
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Unique among concurrently running test processes: the pid (decimal).
  const std::string& tag() const { return tag_; }
  // A short unique tag for interface names (IFNAMSIZ allows 15 characters): the pid mod 100000.
  const std::string& short_tag() const { return short_tag_; }

  // The calling thread leaves for a fresh, private network namespace (the hub) with lo up
  // and a bridge `br0` holding bridge_cidr (e.g. "192.0.2.1/24"). At most once.
  Status enter_hub(const std::string& bridge_cidr);
  bool in_hub() const { return original_netns_fd_ >= 0; }

  // A new named namespace <prefix>-<pid>-<n>-<name>, lo up. Owned by the topology.
  Result<Netns*> add_namespace(const std::string& name);

  // A veth pair from the hub's bridge into ns: `ifname` inside ns with cidr, up; the hub
  // end (h<n> in the hub) enslaved to br0. Needs enter_hub().
  Status join_hub(const Netns& ns, const std::string& ifname, const std::string& cidr);

  // A veth pair between two namespaces, both ends up and addressed (an empty cidr
  // leaves that end without an address).
  Status link(const Netns& a, const LinkEnd& end_a, const Netns& b, const LinkEnd& end_b);

  // Deletes leftovers of crashed runs: namespaces named <prefix>-<pid>-... whose pid no
  // longer exists (their processes are killed first). Called by the constructor.
  static void sweep_stale(const std::string& prefix);

 private:
  std::string prefix_;
  std::string tag_;
  std::string short_tag_;
  int original_netns_fd_ = -1;
  int hub_links_ = 0;
  std::vector<std::unique_ptr<Netns>> namespaces_;
};

template <class F>
auto Netns::run_in(F&& f) const -> Result<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  std::optional<Error> failed;
  if constexpr (std::is_void_v<R>) {
    std::thread t([&] {
      if (Status s = enter_this_thread(); !s) {
        failed = s.error();
        return;
      }
      f();
    });
    t.join();
    if (failed) return *failed;
    return ok();
  } else {
    std::optional<R> result;
    std::thread t([&] {
      if (Status s = enter_this_thread(); !s) {
        failed = s.error();
        return;
      }
      result.emplace(f());
    });
    t.join();
    if (failed) return *failed;
    return Result<R>(std::move(*result));
  }
}

}  // namespace ward::testing
