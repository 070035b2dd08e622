// EngineThread (root: TUN in a private network namespace): the engine serves its UAPI
// socket from a thread of this process, refuses a second engine for the same interface,
// notices its interface being deleted (and stops serving UAPI), and leaves nothing behind
// when destroyed.
#include <chrono>
#include <filesystem>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "node/wg/engine_thread.hpp"
#include "tests/support/files.hpp"
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/require.hpp"

using namespace ward;
using namespace std::chrono_literals;
using ward::testing::eventually;
using ward::testing::required;
using ward::testing::run_command;

namespace {

// One UAPI request on the socket; the whole answer (up to the blank line).
std::string uapi_exchange(const std::string& path, const std::string& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  REQUIRE(path.size() < sizeof sa.sun_path);
  std::copy(path.begin(), path.end(), sa.sun_path);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buf[4096];
    while (answer.find("\n\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

}  // namespace

TEST_CASE("engine thread: serves UAPI in-process, is exclusive, notices its interface going",
          "[integration]") {
  ward::testing::Topology topo("wardet");
  required(topo.enter_private());
  auto dir = required(ward::testing::TempDir::create("ward-engine"));
  const std::string iface = "we" + topo.short_tag();
  wg::DaemonOptions options;
  options.socket_dir = dir.path().string();
  const std::string socket = options.socket_dir + "/" + iface + ".sock";

  auto engine = required(wg::EngineThread::start(iface, options));
  CHECK(engine->socket_path() == socket);
  CHECK(run_command("ip link show dev " + iface).ok());

  // Configured and read back through the socket, as `wg` and ward-node do it.
  CHECK(uapi_exchange(socket, "set=1\nlisten_port=51999\n\n") == "errno=0\n\n");
  const std::string get = uapi_exchange(socket, "get=1\n\n");
  CHECK(get.find("listen_port=51999\n") != std::string::npos);
  CHECK(get.find("errno=0\n\n") != std::string::npos);
  // A bad request is refused and changes nothing.
  CHECK(uapi_exchange(socket, "set=1\nlisten_port=nope\n\n") != "errno=0\n\n");
  CHECK(uapi_exchange(socket, "get=1\n\n").find("listen_port=51999\n") != std::string::npos);

  // A second engine for the same interface is refused; the first keeps serving.
  auto second = wg::EngineThread::start(iface, options);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().to_string().find("already held by another process") != std::string::npos);
  CHECK_FALSE(engine->exited());
  CHECK(uapi_exchange(socket, "get=1\n\n").find("errno=0") != std::string::npos);

  // The interface deleted under it: the engine stops by itself and says why.
  REQUIRE(run_command("ip link del dev " + iface).ok());
  REQUIRE(eventually([&] { return engine->exited(); }, 5s, 10ms));
  const Status why = engine->result();
  REQUIRE_FALSE(why.ok());
  CHECK(why.error().to_string().find("went away") != std::string::npos);
  // It stopped serving UAPI as it stopped: no socket left for clients to hang on.
  CHECK_FALSE(std::filesystem::exists(socket));

  // A name taken by an interface that is not a TUN device: refused, naming the likely cause.
  const std::string other = "wd" + topo.short_tag();
  REQUIRE(run_command("ip link add " + other + " type veth peer name " + other + "p").ok());
  auto clash = wg::EngineThread::start(other, options);
  REQUIRE_FALSE(clash.ok());
  CHECK(clash.error().to_string().find("is not a plain TUN device") != std::string::npos);
  CHECK(run_command("ip link show dev " + other).ok());  // left alone
  CHECK_FALSE(std::filesystem::exists(options.socket_dir + "/" + other + ".sock"));

  // Destroyed, a new engine can take the name again.
  engine.reset();
  auto again = required(wg::EngineThread::start(iface, options));
  CHECK(run_command("ip link show dev " + iface).ok());
  again.reset();  // a running engine: stopped promptly, interface and socket removed
  CHECK_FALSE(run_command("ip link show dev " + iface).ok());
  CHECK_FALSE(std::filesystem::exists(socket));
}
