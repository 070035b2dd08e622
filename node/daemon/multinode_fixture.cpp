#include "node/daemon/multinode_fixture.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/uv/testing.hpp"
#include "node/daemon/control_socket.hpp"
#include "node/daemon/daemon.hpp"
#include "node/daemon/test_admin.hpp"
#include "tests/support/require.hpp"

namespace ward::node::testing {
namespace {

using namespace std::chrono_literals;
using controller::testing::ApiClient;
using controller::testing::Reply;
using controller::testing::TestController;
using ward::testing::ChildProcess;
using ward::testing::CommandResult;

}  // namespace

std::string strip_prefix_len(const std::string& cidr) {
  return cidr.substr(0, cidr.find('/'));
}

// ---- NodeUnderTest ----

NodeUnderTest::NodeUnderTest(Cluster& cluster, ward::testing::Netns& n, std::string node_name,
                             int index, std::string wg_backend)
    : ns(n), name(std::move(node_name)), backend(std::move(wg_backend)), cluster_(cluster) {
  iface = "wm" + cluster.topology.short_tag() + name;
  underlay_ip = "192.0.2." + std::to_string(11 + index);
  state_dir = cluster.root + "/" + name + "/state";
  log_path = cluster.root + "/" + name + ".log";
  std::filesystem::create_directories(cluster.root + "/" + name);
}

NodeUnderTest::~NodeUnderTest() {
  if (process) process->kill_and_reap();
  // wireguard-go outlives a SIGKILLed daemon: kill what runs in the namespace, then
  // remove what would outlive the namespace (the UAPI socket in /var/run/wireguard, the
  // control socket); the interface and nftables table go with the namespace anyway.
  ns.kill_all();
  const std::string dir = state_dir, ifc = iface;
  const std::string uapi_socket = "/var/run/wireguard/" + iface + ".sock";
  // cleanup_leftovers removes the UAPI socket only once nothing answers on it.
  (void)ward::testing::eventually(
      [&] {
        (void)ns.run_in([&] { return daemon::cleanup_leftovers(dir, ifc); });
        return !std::filesystem::exists(uapi_socket);
      },
      5s, 50ms);
}

std::vector<std::string> NodeUnderTest::up_argv() const {
  std::vector<std::string> argv = {WARD_NODE_BIN,   "up",
                                   "--controller",  cluster_.controller_url(),
                                   "--ca-file",     cluster_.ca_file,
                                   "--state-dir",   state_dir,
                                   "--iface",       iface,
                                   "--wg-backend",  backend,
                                   "--listen-port", "51820",
                                   "--hostname",    "node-" + name,
                                   "--log-level",   "debug"};
  if (backend == "uapi") argv.insert(argv.end(), {"--wireguard-go", "/usr/bin/wireguard-go"});
  return argv;
}

CommandResult NodeUnderTest::up_until_exit() const {
  std::string command = "WARD_ENROLL_KEY= timeout 30";
  for (const std::string& arg : up_argv())
    command += " " + ward::testing::shell_quote(arg);
  return ns.exec(command, true);
}

void NodeUnderTest::start(const std::string& enroll_key) {
  ChildProcess::Options o;
  o.argv = ns.exec_argv(up_argv());
  if (!enroll_key.empty())
    o.env_set.emplace_back("WARD_ENROLL_KEY", enroll_key);
  else
    o.env_unset.emplace_back("WARD_ENROLL_KEY");
  o.log_path = log_path;
  auto child = ChildProcess::spawn(o);
  WARD_REQUIRE_OK(child);
  process.emplace(std::move(*child));
  // Ready when the control socket answers (start() finished: enrolled, interface set up).
  const auto ready =
      ward::testing::eventually([&] { return status().ok() || !process->running(); }, 60s, 50ms);
  INFO("node " << name << " log:\n" << logs());
  REQUIRE(ready);
  REQUIRE(process->running());
  auto st = status();
  WARD_REQUIRE_OK(st);
  device_id = (*st)["device"]["id"].get<std::string>();
  public_key = (*st)["device"]["wg_public_key"].get<std::string>();
  for (const auto& a : (*st)["device"]["addresses"]) {
    const std::string s = a.get<std::string>();
    (s.find(':') == std::string::npos ? overlay_v4 : overlay_v6) = strip_prefix_len(s);
  }
  REQUIRE(!overlay_v4.empty());
  REQUIRE(!overlay_v6.empty());
}

Result<nlohmann::json> NodeUnderTest::status() const {
  return daemon::send_command(state_dir + "/ward-node.sock", "status", 3s);
}

bool NodeUnderTest::connected() const {
  auto st = status();
  return st && (*st)["controller"]["connected"] == true;
}

std::string NodeUnderTest::state() const {
  auto st = status();
  if (!st) return "(no status: " + st.error().message() + ")";
  return (*st)["state"].get<std::string>();
}

std::map<std::string, ward::testing::WgShowPeer> NodeUnderTest::wg_peers() const {
  auto peers = ward::testing::wg_show_peers(
      [this](const std::string& cmd) { return ns.exec(cmd, true); }, iface);
  WARD_REQUIRE_OK(peers);
  return *peers;
}

std::set<std::string> NodeUnderTest::peer_keys() const {
  auto keys = try_peer_keys();
  WARD_REQUIRE_OK(keys);
  return *keys;
}

Result<std::set<std::string>> NodeUnderTest::try_peer_keys() const {
  WARD_ASSIGN_OR_RETURN(auto peers,
                        ward::testing::wg_show_peers(
                            [this](const std::string& cmd) { return ns.exec(cmd, true); }, iface));
  std::set<std::string> keys;
  for (const auto& [k, p] : peers)
    keys.insert(k);
  return keys;
}

CommandResult NodeUnderTest::down() const {
  return ns.exec(
      std::string(WARD_NODE_BIN) + " down --state-dir " + ward::testing::shell_quote(state_dir),
      true);
}

std::string NodeUnderTest::logs() const {
  return ward::testing::read_file(log_path);
}

ward::testing::UniqueFd NodeUnderTest::listen(std::uint16_t port) {
  return ward::testing::required(ns.listen_tcp(port, true));
}

ward::testing::TcpConnect NodeUnderTest::connect(const std::string& ip, std::uint16_t port,
                                                 std::chrono::milliseconds limit) {
  auto r = ns.run_in([&] { return ward::testing::connect_tcp(ip, port, limit); });
  if (!r) return {ward::testing::UniqueFd(), EINVAL};
  return std::move(*r);
}

Status tcp_round_trip(NodeUnderTest& from, const std::string& ip, std::uint16_t port, int listener,
                      std::chrono::milliseconds limit) {
  auto c = from.connect(ip, port, limit);
  if (!c.fd.valid())
    return Error::from_errno("connect from " + from.name + " to " + ip + ":" + std::to_string(port),
                             c.err);
  WARD_ASSIGN_OR_RETURN(auto server, ward::testing::accept_tcp(listener, limit));
  const std::string ping = "ping from " + from.name + "\n";
  WARD_RETURN_IF_ERROR(ward::testing::send_all(c.fd.get(), ping, limit));
  WARD_ASSIGN_OR_RETURN(auto got, ward::testing::recv_exact(server.get(), ping.size(), limit));
  if (got != ping) return Error::corruption("server got " + quote(got));
  const std::string pong = "pong\n";
  WARD_RETURN_IF_ERROR(ward::testing::send_all(server.get(), pong, limit));
  WARD_ASSIGN_OR_RETURN(got, ward::testing::recv_exact(c.fd.get(), pong.size(), limit));
  if (got != pong) return Error::corruption("client got " + quote(got));
  return ok();
}

// ---- Cluster ----

Cluster::Cluster()
    : tmp(ward::testing::required(ward::testing::TempDir::create("ward-multinode"))) {
  WARD_REQUIRE_OK(topology.enter_hub(std::string(kHubIp) + "/24"));
  controller_ = TestController::start(std::string("--name ") + kHubIp);
  ca_file = root + "/ca.pem";
  std::ofstream(ca_file) << controller_->ca_pem;
  serve_at_fixed_address();

  admin_token_ = bootstrap_owner(*controller_, kOwnerEmail);
  admin_.emplace(*controller_);
  admin_->token = admin_token_;
}

Cluster::~Cluster() {
  nodes_.clear();  // daemons and their leftovers first, while the namespaces exist
  admin_.reset();
  controller_.reset();
}

std::string Cluster::controller_url() const {
  return std::string("https://") + kHubIp + ":" + std::to_string(kControllerPort);
}

// TestController::serve() listens on 127.0.0.1 with a fresh port; the nodes need an
// address in the hub that stays the same across restarts. 0.0.0.0 in the private hub
// namespace covers only the hub's own addresses (lo, br0).
void Cluster::serve_at_fixed_address() {
  controller_->kill9();
  const std::size_t offset = ward::testing::read_file(controller_->log_path).size();
  ChildProcess::Options o;
  o.argv = {WARD_CONTROLLER_BIN, "serve",
            "--data-dir",        controller_->data_dir,
            "--listen",          "0.0.0.0:" + std::to_string(kControllerPort),
            "--log-format",      "json",
            "--log-level",       "info"};
  o.log_path = controller_->log_path;
  auto child = ChildProcess::spawn(o);
  WARD_REQUIRE_OK(child);
  static const std::regex port_re("\"msg\":\"listening\".*\"port\":([0-9]+)");
  const auto up = ward::testing::eventually(
      [&] {
        std::smatch m;
        const std::string text = ward::testing::read_file(controller_->log_path).substr(offset);
        return std::regex_search(text, m, port_re) || !child->running();
      },
      30s);
  INFO(ward::testing::read_file(controller_->log_path).substr(offset));
  REQUIRE(up);
  REQUIRE(child->running());
  controller_->port = kControllerPort;
  controller_->pid = child->release();  // TestController kills and reaps it from now on
}

void Cluster::kill_controller() {
  controller_->kill9();
}

void Cluster::restart_controller() {
  admin_.reset();  // its connection went with the old process
  serve_at_fixed_address();
  admin_.emplace(*controller_);
  admin_->token = admin_token_;
}

Reply Cluster::admin_call(const std::string& method, const std::string& target,
                          const nlohmann::json& body) {
  return admin_->call(method, target, body.is_null() ? std::string() : body.dump());
}

NodeUnderTest& Cluster::add_node(const std::string& name, const std::string& backend) {
  const int index = static_cast<int>(nodes_.size());
  auto ns = topology.add_namespace(name);
  WARD_REQUIRE_OK(ns);
  WARD_REQUIRE_OK(topology.join_hub(**ns, "u0", "192.0.2." + std::to_string(11 + index) + "/24"));
  node_names_.push_back(name);
  nodes_.push_back(std::make_unique<NodeUnderTest>(*this, **ns, name, index, backend));
  NodeUnderTest& node = *nodes_.back();

  auto key = admin_call("POST", "/v1/admin/keys",
                        {{"tags", {"tag:" + name}}, {"preapproved", false}, {"expires_in_s", 600}});
  INFO(key.body);
  REQUIRE(key.status == 201);
  node.start(key.json["key"].get<std::string>());
  // Enrolled as pending; the administrator approves it.
  auto dev = admin_call("GET", "/v1/admin/devices/" + node.device_id);
  INFO(dev.body);
  REQUIRE(dev.status == 200);
  CHECK(dev.json["status"] == "pending");
  CHECK(dev.json["tags"] == nlohmann::json::array({"tag:" + name}));
  auto approved = admin_call("POST", "/v1/admin/devices/" + node.device_id + "/approve",
                             nlohmann::json::object());
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  REQUIRE(approved.json["status"] == "active");
  return node;
}

nlohmann::json Cluster::allow(const std::string& from, const std::string& to,
                              const std::string& ports, const std::string& proto) {
  return {{"action", "accept"},
          {"src", {"tag:" + from}},
          {"dst", {"tag:" + to + ":" + ports}},
          {"proto", proto}};
}

std::int64_t Cluster::set_policy(const std::vector<nlohmann::json>& acls) {
  nlohmann::json owners = nlohmann::json::object();
  for (const auto& n : node_names_)
    owners["tag:" + n] = {kOwnerEmail};
  const nlohmann::json policy = {{"tagOwners", owners}, {"acls", acls}};
  auto r = admin_call("PUT", "/v1/admin/policy", {{"text", policy.dump(2)}});
  INFO(policy.dump(2));
  INFO(r.body << r.error);
  REQUIRE(r.status == 200);
  return r.json["version"].get<std::int64_t>();
}

}  // namespace ward::node::testing
