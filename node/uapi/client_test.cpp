#include "node/uapi/client.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "node/uapi/test_fixtures.hpp"
#include "tests/support/files.hpp"
#include "tests/support/require.hpp"

using namespace ward::node;
using namespace ward::node::uapi;
using ward::node::uapi::testing::fixture;

namespace {

// A one-thread fake UAPI server: for each connection, reads until "\n\n", records the
// request, and writes `reply` (or nothing, if hang is set). Cleans up its directory.
class FakeServer {
 public:
  FakeServer() {
    path_ = dir_.file("wgfake0.sock");
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
  }
  ~FakeServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  void serve(std::vector<std::string> replies, bool hang = false) {
    thread_ = std::thread([this, replies = std::move(replies), hang] {
      for (const auto& reply : replies) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string req;
        char buf[4096];
        while (req.size() < 2 || req.substr(req.size() - 2) != "\n\n") {
          const ssize_t n = ::read(c, buf, sizeof(buf));
          if (n <= 0) break;
          req.append(buf, static_cast<std::size_t>(n));
        }
        requests.push_back(req);
        if (hang) {
          while (!stop_)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } else {
          // Dribble the reply in small pieces to exercise reassembly.
          for (std::size_t i = 0; i < reply.size(); i += 7) {
            const auto piece = reply.substr(i, 7);
            if (::send(c, piece.data(), piece.size(), MSG_NOSIGNAL) < 0)
              break;  // the client may hang up
          }
        }
        ::close(c);
      }
    });
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> requests;

 private:
  ward::testing::TempDir dir_ =
      ward::testing::required(ward::testing::TempDir::create("ward_uapi_test"));
  std::string path_;
  int fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace

TEST_CASE("socket_path_for validates interface names", "[unit]") {
  CHECK(socket_path_for("wg0").value() == "/var/run/wireguard/wg0.sock");
  CHECK(socket_path_for("ward0", "/run/x").value() == "/run/x/ward0.sock");
  CHECK_FALSE(socket_path_for(""));
  CHECK_FALSE(socket_path_for("../../etc/x"));
  CHECK_FALSE(socket_path_for(".."));
  CHECK_FALSE(socket_path_for("abcdefghijklmnop"));  // 16
  CHECK_FALSE(socket_path_for("wg 0"));
}

TEST_CASE("UapiBackend get and set against a recorded server", "[unit]") {
  FakeServer srv;
  srv.serve({fixture("get_after_set.resp"), fixture("set_ok.resp"), fixture("set_einval.resp")});
  UapiBackend backend(UapiClient(srv.path(), std::chrono::seconds(5)));
  auto st = backend.get();
  REQUIRE(st);
  CHECK(st->peers.size() == 2);
  CHECK(st->listen_port == 51820);

  WgChange c;
  c.listen_port = 4000;
  REQUIRE(backend.apply(c));
  auto bad = backend.apply(c);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ward::ErrorCode::kInvalidArgument);
  CHECK(bad.error().message().find(srv.path()) != std::string::npos);

  REQUIRE(srv.requests.size() >= 2);
  CHECK(srv.requests[0] == "get=1\n\n");
  CHECK(srv.requests[1] == "set=1\nlisten_port=4000\n\n");
  // An empty change makes no connection at all.
  CHECK(backend.apply(WgChange{}));
}

TEST_CASE("UapiClient: no listener is unavailable; silence times out", "[unit]") {
  UapiClient none("/tmp/ward-no-such-dir-xyz/wg0.sock");
  auto r = none.exchange(kGetRequest);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ward::ErrorCode::kUnavailable);

  FakeServer srv;
  srv.serve({""}, /*hang=*/true);
  UapiClient slow(srv.path(), std::chrono::milliseconds(200));
  const auto t0 = std::chrono::steady_clock::now();
  auto t = slow.exchange(kGetRequest);
  REQUIRE_FALSE(t);
  CHECK(t.error().message().find("timed out") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3));
}

TEST_CASE("UapiClient: oversized and truncated responses are refused", "[unit]") {
  FakeServer srv;
  srv.serve({std::string(5000, 'x'), "listen_port=1\n"});
  ParseLimits lim;
  lim.max_response_bytes = 1024;
  UapiClient c(srv.path(), std::chrono::seconds(5), lim);
  auto big = c.exchange(kGetRequest);
  REQUIRE_FALSE(big);
  CHECK(big.error().code() == ward::ErrorCode::kCorruption);
  auto cut = c.exchange(kGetRequest);
  REQUIRE_FALSE(cut);
  CHECK(cut.error().message().find("closed") != std::string::npos);
}
