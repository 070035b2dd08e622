// ward-node against a real ward-controller.
//
//   test process: its own network namespace (unshare), removed by the kernel when the
//   process exits, also on failure; inside it:
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
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "controller/server/test_controller.hpp"
#include "node/daemon/control_socket.hpp"
#include "node/daemon/daemon.hpp"
#include "node/daemon/link.hpp"
#include "node/filter/nft_backend.hpp"

namespace fs = std::filesystem;
using namespace ward;
using namespace ward::controller::testing;
using namespace std::chrono_literals;

namespace {

int sh(const std::string& cmd) {
  return std::system(cmd.c_str());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string capture(const std::string& cmd, int& rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  rc = ::pclose(p);
  return out;
}

unsigned mode_of(const std::string& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A ward-node child; killed (and its leftovers removed) if the test fails midway.
struct NodeProcess {
  pid_t pid = -1;
  std::string state_dir, iface, log;
  void start(const std::string& enroll_key) {
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
      ::dup2(fd, 2);
      ::dup2(fd, 1);
      if (!enroll_key.empty())
        ::setenv("WARD_ENROLL_KEY", enroll_key.c_str(), 1);
      else
        ::unsetenv("WARD_ENROLL_KEY");
      ::execl(WARD_NODE_BIN, WARD_NODE_BIN, "up", "--controller", url.c_str(), "--ca-file",
              ca_file.c_str(), "--state-dir", state_dir.c_str(), "--iface", iface.c_str(),
              "--wg-backend", "uapi", "--listen-port", "51820", "--hostname", "clin1-laptop",
              "--endpoint", "203.0.113.7:4500", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  // Waits until the control socket answers (or the child died).
  bool wait_ready() {
    for (int i = 0; i < 300; ++i) {
      // An answer to "status" means start() finished (the socket is bound before
      // the interface is set up, but answered only once the loop runs).
      if (node::daemon::send_command(state_dir + "/ward-node.sock", "status", 2s)) return true;
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  int wait_exit(std::chrono::seconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }
  ~NodeProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (!iface.empty()) (void)node::daemon::cleanup_leftovers(state_dir, iface);
  }
  std::string url, ca_file;
};

bool nft_has_table(const std::string& name) {
  auto out = node::filter::run_nft("list tables", true);
  return out && out->find(name) != std::string::npos;
}

}  // namespace

TEST_CASE("ward-node enrolls, reports status, restarts with its identity, and goes down clean",
          "[integration]") {
  REQUIRE(::unshare(CLONE_NEWNET) == 0);
  const std::string tag = std::to_string(::getpid() % 100000);
  REQUIRE(sh("ip link set lo up") == 0);
  REQUIRE(sh("ip link add wnv" + tag + "a type veth peer name wnv" + tag + "b") == 0);
  REQUIRE(sh("ip addr add 192.0.2.1/24 dev wnv" + tag + "a && ip link set wnv" + tag + "a up") ==
          0);
  REQUIRE(sh("ip addr add 192.0.2.2/24 dev wnv" + tag + "b && ip link set wnv" + tag + "b up") ==
          0);

  auto c = TestController::start();
  // Owner bootstrap + MFA login + an enrollment key.
  TotpUser owner{"owner@hospital.org", "correct horse battery staple 1", ""};
  {
    ApiClient client(*c);
    auto r = client.post("/v1/admin/bootstrap", {{"bootstrap_token", c->bootstrap_token},
                                                 {"email", owner.email},
                                                 {"display_name", "Owner"},
                                                 {"password", owner.password}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    owner.uri = r.json["totp_uri"].get<std::string>();
  }
  ApiClient admin(*c);
  admin.token = login(*c, owner);
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
  INFO(slurp(n.log));
  REQUIRE(n.wait_ready());
  CHECK(mode_of(n.state_dir) == 0700);
  CHECK(mode_of(n.state_dir + "/wg.key") == 0600);
  CHECK(mode_of(n.state_dir + "/tls.key") == 0600);
  CHECK(mode_of(n.state_dir + "/device.json") == 0600);
  CHECK(mode_of(n.state_dir + "/ward-node.sock") == 0600);
  CHECK(node::daemon::link_exists(n.iface));
  CHECK(nft_has_table("ward_" + n.iface));

  int rc = 0;
  auto text = capture(std::string(WARD_NODE_BIN) + " status --json --state-dir " + n.state_dir, rc);
  REQUIRE(rc == 0);
  auto st = nlohmann::json::parse(text);
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
  CHECK(sh(std::string(WARD_NODE_BIN) + " down --state-dir " + n.state_dir) == 0);
  CHECK(n.wait_exit() == 0);
  CHECK_FALSE(node::daemon::link_exists(n.iface));
  CHECK_FALSE(fs::exists(n.state_dir + "/ward-node.sock"));
  CHECK_FALSE(fs::exists("/var/run/wireguard/" + n.iface + ".sock"));
  CHECK_FALSE(nft_has_table("ward_" + n.iface));

  // Restart without any key: same identity.
  n.start("");
  REQUIRE(n.wait_ready());
  text = capture(std::string(WARD_NODE_BIN) + " status --json --state-dir " + n.state_dir, rc);
  REQUIRE(rc == 0);
  st = nlohmann::json::parse(text);
  CHECK(st["device"]["id"] == device_id);
  CHECK(st["device"]["addresses"] == addresses);
  // Human-readable status works too.
  text = capture(std::string(WARD_NODE_BIN) + " status --state-dir " + n.state_dir, rc);
  CHECK(rc == 0);
  CHECK(text.find(device_id) != std::string::npos);

  // SIGTERM tears down like `down`.
  ::kill(n.pid, SIGTERM);
  CHECK(n.wait_exit() == 0);
  CHECK_FALSE(node::daemon::link_exists(n.iface));
  CHECK_FALSE(fs::exists(n.state_dir + "/ward-node.sock"));
  CHECK_FALSE(nft_has_table("ward_" + n.iface));

  // `down` with no daemon running succeeds (nothing to clean).
  CHECK(sh(std::string(WARD_NODE_BIN) + " down --state-dir " + n.state_dir) == 0);

  // Secrets never reach a log.
  const std::string logs = slurp(n.log);
  CHECK(logs.find(key) == std::string::npos);
  CHECK(logs.find(slurp(n.state_dir + "/wg.key").substr(0, 43)) == std::string::npos);
  CHECK(c->logs().find(key) == std::string::npos);
}
