// ward-node against a real ward-controller.
//
//   test thread: a private network namespace (Topology::enter_private), left when the test
//   ends, also on failure (the kernel removes it with its last process); inside it:
//     lo            ward-controller serve on 127.0.0.1:<port>
//     wnv<pid>a/b   veth pair 192.0.2.1/24 <-> 192.0.2.2/24 (underlay addresses the node
//                   reports as endpoints)
//     wn<pid>       the node's WireGuard interface (wireguard-go), overlay addresses
//
// Covered: enrollment by key from WARD_ENROLL_KEY (never logged), identity files and
// modes, `status --json`, restart reusing the identity with no key, `down` leaving no
// interface, control socket, UAPI socket or nftables table; SIGTERM doing the same.
// Netmaps, tunnels between nodes, policy changes, revocation over the stream and
// controller restarts are in multinode_integration_test.cpp.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "controller/server/test_controller.hpp"
#include "node/daemon/control_socket.hpp"
#include "node/daemon/daemon.hpp"
#include "node/daemon/link.hpp"
#include "node/daemon/test_admin.hpp"
#include "node/filter/nft_backend.hpp"
#include "tests/support/files.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/require.hpp"

namespace fs = std::filesystem;
using namespace ward;
using namespace ward::controller::testing;
using namespace std::chrono_literals;
using ward::testing::ChildProcess;
using ward::testing::required;
using ward::testing::run_command;

namespace {

unsigned mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A ward-node child; killed (and its leftovers removed) if the test fails midway.
struct NodeProcess {
  std::optional<ChildProcess> child;
  std::string state_dir, iface, log, url, ca_file;
  void start(const std::string& enroll_key) {
    ChildProcess::Options o{
        .argv = {WARD_NODE_BIN, "up", "--controller", url, "--ca-file", ca_file, "--state-dir",
                 state_dir, "--iface", iface, "--wg-backend", "uapi", "--listen-port", "51820",
                 "--hostname", "clin1-laptop", "--endpoint", "203.0.113.7:4500"},
        .log_path = log};
    if (!enroll_key.empty())
      o.env_set = {{"WARD_ENROLL_KEY", enroll_key}};
    else
      o.env_unset = {"WARD_ENROLL_KEY"};
    child.emplace(required(ChildProcess::spawn(o)));
  }
  // Waits until the control socket answers (or the child died).
  bool wait_ready() {
    // An answer to "status" means start() finished (the socket is bound before the
    // interface is set up, but answered only once the loop runs).
    return ward::testing::eventually(
               [&] {
                 return !child->running() ||
                        node::daemon::send_command(state_dir + "/ward-node.sock", "status", 2s);
               },
               15s) &&
           child->running();
  }
  int wait_exit(std::chrono::seconds limit = 15s) { return child->wait_exit(limit).value_or(-1); }
  ~NodeProcess() {
    child.reset();  // SIGKILL and reap if it still runs
    if (!iface.empty()) (void)node::daemon::cleanup_leftovers(state_dir, iface);
  }
};

bool nft_has_table(const std::string& name) {
  auto out = node::filter::run_nft("list tables", true);
  return out && out->find(name) != std::string::npos;
}

}  // namespace

TEST_CASE("ward-node enrolls, reports status, restarts with its identity, and goes down clean",
          "[integration]") {
  // This thread moves to a private namespace, and back when the test ends.
  ward::testing::Topology topo("wardnd");
  required(topo.enter_private());
  const std::string tag = topo.short_tag();
  required(
      topo.link_here({"wnv" + tag + "a", "192.0.2.1/24"}, {"wnv" + tag + "b", "192.0.2.2/24"}));

  auto c = TestController::start();
  // Owner bootstrap + MFA login + an enrollment key.
  ApiClient admin(*c);
  admin.token = node::testing::bootstrap_owner(*c, "owner@hospital.org");
  auto kr = admin.post("/v1/admin/keys", {{"tags", {"tag:clinician"}}, {"preapproved", true}});
  REQUIRE(kr.status == 201);
  const std::string key = kr.json["key"].get<std::string>();

  const std::string dir = c->root + "/node";
  const std::string ca_file = c->root + "/ca.pem";
  std::ofstream(ca_file) << c->ca_pem;
  NodeProcess n;
  n.state_dir = dir + "/state";
  n.iface = "wn" + tag;
  n.log = c->root + "/node.log";
  n.url = "https://127.0.0.1:" + std::to_string(c->port);
  n.ca_file = ca_file;
  fs::create_directories(dir);

  // First run: enrolls with the key from the environment.
  n.start(key);
  INFO(ward::testing::read_file(n.log));
  REQUIRE(n.wait_ready());
  CHECK(mode_of(n.state_dir) == 0700);
  CHECK(mode_of(n.state_dir + "/wg.key") == 0600);
  CHECK(mode_of(n.state_dir + "/tls.key") == 0600);
  CHECK(mode_of(n.state_dir + "/device.json") == 0600);
  CHECK(mode_of(n.state_dir + "/ward-node.sock") == 0600);
  CHECK(node::daemon::link_exists(n.iface));
  CHECK(nft_has_table("ward_" + n.iface));

  auto text = run_command(std::string(WARD_NODE_BIN) + " status --json --state-dir " + n.state_dir);
  REQUIRE(text.ok());
  auto st = nlohmann::json::parse(text.output);
  const std::string device_id = st["device"]["id"];
  const auto addresses = st["device"]["addresses"];
  CHECK(device_id.starts_with("dev_"));
  CHECK(st["device"]["name"] == "clin1-laptop");
  CHECK(addresses.size() == 2);
  CHECK(st["device"]["interface"] == n.iface);
  CHECK(st["peers"].empty());
  CHECK(st["filter"]["accept_rules"] == 0);
  CHECK(st["posture"]["ward:version"] == WARD_VERSION);
  CHECK(st["certificate"]["not_after"].is_string());
  // The controller saw our endpoints: the veth addresses with the port, and --endpoint.
  auto dev = admin.get("/v1/admin/devices");
  INFO(dev.body);
  CHECK(dev.body.find("192.0.2.2:51820") != std::string::npos);
  CHECK(dev.body.find("203.0.113.7:4500") != std::string::npos);

  // `down`: daemon exits, nothing is left.
  CHECK(run_command(std::string(WARD_NODE_BIN) + " down --state-dir " + n.state_dir).ok());
  CHECK(n.wait_exit() == 0);
  CHECK_FALSE(node::daemon::link_exists(n.iface));
  CHECK_FALSE(fs::exists(n.state_dir + "/ward-node.sock"));
  CHECK_FALSE(fs::exists("/var/run/wireguard/" + n.iface + ".sock"));
  CHECK_FALSE(nft_has_table("ward_" + n.iface));

  // Restart without any key: same identity.
  n.start("");
  REQUIRE(n.wait_ready());
  text = run_command(std::string(WARD_NODE_BIN) + " status --json --state-dir " + n.state_dir);
  REQUIRE(text.ok());
  st = nlohmann::json::parse(text.output);
  CHECK(st["device"]["id"] == device_id);
  CHECK(st["device"]["addresses"] == addresses);
  // Human-readable status works too.
  text = run_command(std::string(WARD_NODE_BIN) + " status --state-dir " + n.state_dir);
  CHECK(text.ok());
  CHECK(text.output.find(device_id) != std::string::npos);

  // SIGTERM tears down like `down`.
  n.child->signal(SIGTERM);
  CHECK(n.wait_exit() == 0);
  CHECK_FALSE(node::daemon::link_exists(n.iface));
  CHECK_FALSE(fs::exists(n.state_dir + "/ward-node.sock"));
  CHECK_FALSE(nft_has_table("ward_" + n.iface));

  // `down` with no daemon running succeeds (nothing to clean).
  CHECK(run_command(std::string(WARD_NODE_BIN) + " down --state-dir " + n.state_dir).ok());

  // Secrets never reach a log.
  const std::string logs = ward::testing::read_file(n.log);
  CHECK(logs.find(key) == std::string::npos);
  CHECK(logs.find(ward::testing::read_file(n.state_dir + "/wg.key").substr(0, 43)) ==
        std::string::npos);
  CHECK(c->logs().find(key) == std::string::npos);
}
