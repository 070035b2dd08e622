#include "node/daemon/control_socket.hpp"

#include <filesystem>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/uv/loop.hpp"
#include "common/uv/timer.hpp"
#include "tests/support/files.hpp"
#include "tests/support/require.hpp"

namespace fs = std::filesystem;
using namespace ward;
using namespace ward::node::daemon;

TEST_CASE("control socket: 0600, answers commands, refuses a second daemon", "[unit]") {
  const auto dir = ward::testing::required(ward::testing::TempDir::create("ward_sock"));
  const std::string path = dir.file("ward-node.sock");
  {
    uv::Loop loop;
    std::vector<std::string> seen;
    auto server = ControlSocketServer::listen(loop, path, [&](const std::string& c) {
      seen.push_back(c);
      if (c == "status") return nlohmann::json{{"state", "running"}};
      return nlohmann::json{{"error", "unknown"}};
    });
    REQUIRE(server);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    REQUIRE((st.st_mode & 0777) == 0600);
    REQUIRE_FALSE(ControlSocketServer::listen(loop, path,
                                              [](const std::string&) { return nlohmann::json(); }));

    std::optional<Result<nlohmann::json>> a, b;
    std::thread client([&] {
      a.emplace(send_command(path, "status"));
      b.emplace(send_command(path, "bogus"));
    });
    std::optional<uv::Timer> guard;
    guard.emplace(loop);
    guard->start(std::chrono::seconds(10), [&] { loop.stop(); });
    while (!(a && b))
      loop.run_once();
    client.join();
    REQUIRE(a->has_value());
    REQUIRE((**a)["state"] == "running");
    REQUIRE((**b)["error"] == "unknown");
    REQUIRE(seen == std::vector<std::string>{"status", "bogus"});
    guard.reset();
    server->reset();
    for (int i = 0; i < 10; ++i)
      loop.run_nowait();
    REQUIRE_FALSE(fs::exists(path));
    REQUIRE(uv::close_and_check(loop));
  }
  // Nothing listening: unavailable; a stale socket file is replaced by listen().
  REQUIRE(send_command(path, "status").error().code() == ErrorCode::kUnavailable);
}
