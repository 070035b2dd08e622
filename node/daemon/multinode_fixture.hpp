// Test fixture: several ward-node daemons against one real ward-controller, each node in
// its own network namespace, joined by a bridge in the test thread's private hub
// namespace where the controller runs.
//
//   hub (test thread, private netns)        wardmn-<pid>-<n>-<name> (one per node)
//     ward-controller 0.0.0.0:8443            ward-node up --wg-backend uapi|builtin
//     br0 192.0.2.1/24 ----- veth h<n> ====== u0 192.0.2.1x/24 (underlay, WG endpoint)
//                                             wm<pid%100000><name>  overlay 100.64.x.y
//
// The controller's TLS certificate names 192.0.2.1, which is where the nodes find it;
// the test's admin client reaches the same listener on 127.0.0.1. Each node enrolls with
// its own enrollment key (tags ["tag:<name>"], not pre-approved) and is approved through
// the admin API. Everything (daemons, wireguard-go, namespaces, UAPI sockets, temporary
// directories) is removed by the destructors, also when a REQUIRE fails midway.
//
// Uses Catch2 (REQUIRE) for setup failures; single-threaded, like the tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/server/test_controller.hpp"
#include "tests/support/files.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/sockets.hpp"
#include "tests/support/wg_show.hpp"

namespace ward::node::testing {

inline constexpr const char* kHubIp = "192.0.2.1";
inline constexpr std::uint16_t kControllerPort = 8443;
inline constexpr const char* kOwnerEmail = "owner@hospital.org";

class Cluster;

// One ward-node daemon in its own namespace.
class NodeUnderTest {
 public:
  // backend: "uapi" (wireguard-go) or "builtin" (Ward's engine inside ward-node).
  NodeUnderTest(Cluster& cluster, ward::testing::Netns& ns, std::string name, int index,
                std::string backend);
  ~NodeUnderTest();
  NodeUnderTest(const NodeUnderTest&) = delete;
  NodeUnderTest& operator=(const NodeUnderTest&) = delete;

  // Starts `ward-node up` inside the namespace (WARD_ENROLL_KEY = enroll_key when not
  // empty) and waits until its control socket answers; REQUIREs both.
  void start(const std::string& enroll_key);
  // `ward-node up` in the foreground until it exits (at most 30 s; for starts that must
  // fail), stdout and stderr merged.
  ward::testing::CommandResult up_until_exit() const;
  // `ward-node status --json` through the control socket.
  Result<nlohmann::json> status() const;
  // status()["controller"]["connected"] (false when status fails).
  bool connected() const;
  std::string state() const;
  // The peers `wg show` lists on this node's interface (REQUIREs wg show to work).
  std::map<std::string, ward::testing::WgShowPeer> wg_peers() const;
  std::set<std::string> peer_keys() const;
  // The same without REQUIRE: an error while the interface or its engine is away.
  Result<std::set<std::string>> try_peer_keys() const;
  // `ward-node down --state-dir ...` inside the namespace.
  ward::testing::CommandResult down() const;
  // Everything the daemon wrote to stdout/stderr so far.
  std::string logs() const;

  // Real traffic: sockets made inside this node's namespace.
  ward::testing::UniqueFd listen(std::uint16_t port);  // dual-stack; REQUIREs success
  ward::testing::TcpConnect connect(const std::string& ip, std::uint16_t port,
                                    std::chrono::milliseconds limit);

  ward::testing::Netns& ns;
  const std::string name;  // "a": hostname node-a, tag tag:a
  std::string backend;     // for the next start()
  std::string iface;
  std::string underlay_ip;
  std::string state_dir;
  std::string log_path;
  std::optional<ward::testing::ChildProcess> process;
  // From the first status after start():
  std::string device_id, public_key, overlay_v4, overlay_v6;  // addresses without /len

 private:
  std::vector<std::string> up_argv() const;
  Cluster& cluster_;
};

class Cluster {
 public:
  // Hub namespace, controller (init + serve at 0.0.0.0:8443), owner bootstrap + login.
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // A new node "name" (a-z, one letter keeps interface names short): namespace, underlay
  // 192.0.2.(11 + index), its own enrollment key with tag:<name>, started, approved by
  // the admin, running on `backend` ("uapi": wireguard-go; "builtin": Ward's engine).
  // REQUIREs every step.
  NodeUnderTest& add_node(const std::string& name, const std::string& backend = "uapi");

  // PUT /v1/admin/policy with a policy declaring tag:<n> for every node and these acls
  // (each an acls entry). REQUIREs 200; returns the answer's version.
  std::int64_t set_policy(const std::vector<nlohmann::json>& acls);
  // An acls entry: src tag:<from> may open proto connections to tag:<to>:<ports>.
  static nlohmann::json allow(const std::string& from, const std::string& to,
                              const std::string& ports, const std::string& proto = "tcp");

  controller::testing::Reply admin_call(const std::string& method, const std::string& target,
                                        const nlohmann::json& body = nullptr);

  // SIGKILL the controller / start it again on the same address and data directory.
  void kill_controller();
  void restart_controller();

  std::string controller_url() const;
  std::string controller_logs() const { return controller_->logs(); }

  // Removed last (declared first): holds state dirs and logs.
  ward::testing::TempDir tmp;
  const std::string root = tmp.str();
  ward::testing::Topology topology{"wardmn"};
  std::string ca_file;

 private:
  void serve_at_fixed_address();

  std::unique_ptr<controller::testing::TestController> controller_;
  std::optional<controller::testing::ApiClient> admin_;
  std::string admin_token_;
  std::vector<std::string> node_names_;
  std::vector<std::unique_ptr<NodeUnderTest>> nodes_;
};

// Connects from `from` to ip:port, accepts on `listener` (on the destination node) and
// sends a line each way. ok() when both arrive within limit.
Status tcp_round_trip(NodeUnderTest& from, const std::string& ip, std::uint16_t port, int listener,
                      std::chrono::milliseconds limit);

// The address part of "100.64.0.7/32".
std::string strip_prefix_len(const std::string& cidr);

}  // namespace ward::node::testing
