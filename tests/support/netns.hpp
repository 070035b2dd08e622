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
//   auto st = (*a)->call([&] { return backend.apply(x); });    // Status, flattened
//   CHECK((*a)->can_connect_tcp("10.0.0.2", 8080, 1s));        // probes from inside a
//
// Cleanup is the destructors' job and also runs when a REQUIRE fails midway: ~Netns
// SIGKILLs every process still inside the namespace (ip netns pids), then deletes it
// (which removes its interfaces, veth peers included, and its nftables tables);
// ~Topology deletes its namespaces in reverse order and, if enter_private() or
// enter_hub() was called, returns the calling thread to the namespace it came from (the
// private namespace itself disappears with its last process). A Topology also deletes
// namespaces with its prefix left behind by test processes that no longer exist (a
// crashed run), killing what still runs inside; files such processes left outside their
// namespace (e.g. UAPI sockets in /var/run/wireguard) are not its business.
//
// Threading: a Topology belongs to the thread that made it; enter_private()/enter_hub()
// change only that thread's namespace, and children it forks (popen, fork) start there.
// run_in() and call() run their function on a new thread and join it.
#pragma once

#include <chrono>
#include <cstdint>
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
#include "tests/support/sockets.hpp"

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

  // run_in for an f that returns a Result<T> (Status included): that Result itself, with
  // a failure to enter the namespace as its error instead of an outer Result.
  template <class F>
  auto call(F&& f) const -> std::invoke_result_t<F&>;

  // Probes from inside this namespace, for asserting what a filter admits.
  // Whether a TCP connection to ip:port (IPv4 or IPv6 literal) is established within
  // limit: false when it is dropped (timeout), refused or unreachable.
  bool can_connect_tcp(const std::string& ip, std::uint16_t port,
                       std::chrono::milliseconds limit) const;
  // Whether one ICMP echo to ip is answered within wait (`ping -c 1 -W <s>`, whole
  // seconds, at least 1).
  bool can_ping(const std::string& ip, std::chrono::seconds wait) const;
  // A listening TCP socket (ward::testing::listen_tcp) that belongs to this namespace.
  Result<UniqueFd> listen_tcp(std::uint16_t port, bool v6 = false) const;
  // Whether `nft list table <family> <table>` succeeds inside (the table exists).
  bool has_nft_table(const std::string& family, const std::string& table) const;

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

  // The calling thread leaves for a fresh, private network namespace with lo up; the
  // destructor brings it back. At most once (enter_hub() included).
  Status enter_private();
  bool in_private() const { return original_netns_fd_ >= 0; }
  // enter_private(), plus a bridge `br0` holding bridge_cidr (e.g. "192.0.2.1/24"): the
  // hub that join_hub() connects namespaces to.
  Status enter_hub(const std::string& bridge_cidr);
  bool in_hub() const { return has_bridge_; }
  // A veth pair inside the private namespace (needs enter_private()), both ends up and
  // addressed (an empty cidr leaves that end without an address).
  Status link_here(const LinkEnd& a, const LinkEnd& b);

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
  bool has_bridge_ = false;
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

namespace detail {
template <class T>
struct IsResult : std::false_type {};
template <class T>
struct IsResult<Result<T>> : std::true_type {};
}  // namespace detail

template <class F>
auto Netns::call(F&& f) const -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  static_assert(detail::IsResult<R>::value, "Netns::call needs a function returning a Result");
  auto r = run_in(std::forward<F>(f));
  if (!r) return std::move(r).error();
  return std::move(*r);
}

}  // namespace ward::testing
